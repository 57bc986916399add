"""Errors that cross layers, each with the exit status the CLI gives it.

Services, rules and db/ raise these; the CLI prints one line and exits with
``exit_code``; the TUI shows a notification.  Anything else is a bug.

A leaf, so every layer may import it, db/ included: it imports only the
other leaves ``console.i18n`` (the catalogues) and ``console.text_chars``
(the forbidden characters), and neither imports anything of ours.  db/
therefore raises these errors itself (``NotFound('db.case_not_found')``,
``StaleVersion``, ``DatabaseBusy``) instead of a second family of db
errors that every service would have to translate: the key already says
which layer speaks (``db.*``), and the exit status is the same whichever
layer found the problem.  tests/test_layers.py keeps it a leaf.
"""
from __future__ import annotations

from typing import Any

from console.i18n import t
from console.text_chars import for_display


class RetireError(Exception):
    """Base class: a message key (or plain text) and its parameters."""

    exit_code = 1

    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.key = message
        self.params = params

    def text(self, lang: str | None = None) -> str:
        """The message in the current (or given) language.

        Parameters often quote what the user typed or a file held (a name,
        a case number, a cell); they are shown without control, bidi or
        zero-width characters, so an error line can never drive the terminal.
        """
        params = {k: for_display(v) if isinstance(v, str) else v for k, v in self.params.items()}
        return t(self.key, lang, **params)


class BadInput(RetireError):
    """Input that cannot be understood: a malformed date, an unknown code, a bad file."""

    exit_code = 2


class Refused(RetireError):
    """A refusal by the rules: not eligible, wrong state, outside the window."""

    exit_code = 1


class PermissionDenied(Refused):
    """The acting staff member may not do this (unknown login, wrong role or department).

    ``role_keys`` (the catalogue keys of the roles that would do) are said in
    the reader's language as ``{roles}``: a clerk reads 综柜、主管, never the codes.
    """

    def text(self, lang: str | None = None) -> str:
        keys = self.params.get("role_keys")
        if not keys:
            return super().text(lang)
        roles = t("identity.role_separator", lang).join(t(key, lang) for key in keys)
        params = {k: for_display(v) if isinstance(v, str) else v for k, v in self.params.items()}
        return t(self.key, lang, **{**params, "roles": roles})


class StaleVersion(Refused):
    """Someone else saved the row first; the caller must reload."""


class NotFound(BadInput):
    """A case, task, person or staff member that does not exist."""


class EnvironmentFailure(RetireError):
    """The machine failed, not the user: disk full, database busy past its
    timeout, read-only file, I/O error, broken pipe.  Exit 3, so a script
    retries later instead of treating it as bad input or a refusal."""

    exit_code = 3


class DatabaseBusy(EnvironmentFailure):
    """Another writer held the database past the busy timeout (exit 3: retry later)."""


class BrokenOutput(EnvironmentFailure):
    """Standard output was closed before everything was written (``| head``)."""


def exit_code_of(error: BaseException) -> int:
    """The exit status the CLI gives ``error``: its own for a RetireError, else 3 (the environment / a bug)."""
    return error.exit_code if isinstance(error, RetireError) else 3
