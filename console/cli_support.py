"""What every CLI command shares: error handling, output, the global options.

Commands never print tracebacks: a ``RetireError`` becomes one line on stderr
and its exit status (1 refusal, 2 bad input, 3 the environment failed); an
``OSError`` / ``sqlite3.Error`` / ``MemoryError`` is first translated by
``console.faults`` (disk full, busy, read-only, I/O, broken pipe: exit 3).
Anything else is a bug and reaches ``console.cli.main``, whose top-level
guard logs the traceback and prints one line (exit 3).  Reads print a plain table
(console.plain_table) or, with ``--json``, UTF-8 JSON on stdout (data only;
diagnostics on stderr).  ``session(read_only=True)`` is the session of a
lookup: a plain sqlite3 connection that cannot write (db/read_connection.py).
"""
from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import typer

from console.errors import BadInput, RetireError
from console.i18n import t


@dataclass
class GlobalOptions:
    """Options given before the subcommand (``retire --db X --lang en case ...``)."""

    db: Path | None = None
    lang: str | None = None

    def db_path(self) -> Path | None:
        """The database file these options name (--db, $RETIRE_DB, the default); None if it cannot be told."""
        try:
            from db.location import resolve_db_path

            return resolve_db_path(self.db)
        except Exception:
            return None


OPTIONS = GlobalOptions()


def fail(err: RetireError) -> typer.Exit:
    """Print the error on stderr (if stderr is still open) and return the Exit to raise.

    After a broken pipe, stdout is pointed at /dev/null so that the
    interpreter's final flush does not add "Exception ignored ... BrokenPipeError".
    """
    from console.faults import is_broken_pipe, say, silence_stdout

    if is_broken_pipe(err):
        silence_stdout()
    say(t("cli.error", message=err.text()))
    return typer.Exit(err.exit_code)


def error_json(err: RetireError) -> dict[str, Any]:
    """A refusal as the data a script reads: ``{"valid": false, "reason": words, "reason_code": code, ...}``.

    ``reason_code`` is stable (a catalogue key such as ``rules.id.checksum``):
    a script tests it, never the words, which follow ``--lang``.  Fields a
    command names in the error's ``json_fields`` (the number checked) come
    first.
    """
    fields = err.params.get("json_fields")
    code = err.params.get("reason_code") or (err.key if " " not in err.key and "." in err.key
                                                else "cli.refused" if err.exit_code == 1 else "cli.bad_input")
    return {**(fields if isinstance(fields, dict) else {}), "valid": False, "reason": err.text(), "reason_code": code}


def guard(fn: Callable[..., Any], json_errors: bool = False) -> Callable[..., Any]:
    """Turn domain errors and faults of the machine into one line and an exit status.

    ``json_errors`` (the calculators): with ``--json``, a refusal is also
    JSON on stdout (``error_json``), so a script that parses stdout gets an
    answer, not an empty string; the line on stderr and the exit status stay.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RetireError as err:
            if json_errors and kwargs.get("as_json"):
                print_json(error_json(err))
            raise fail(err) from None
        except KeyboardInterrupt:
            typer.echo(t("cli.interrupted"), err=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            from console.faults import translate

            mapped = translate(exc, OPTIONS.db_path())
            if mapped is None:
                raise
            raise fail(mapped) from None

    return wrapper


CommandFunction = TypeVar("CommandFunction", bound=Callable[..., Any])


class RetireTyper(typer.Typer):
    """A Typer whose commands are wrapped by ``guard`` (``json_errors``: see there)."""

    def __init__(self, *, json_errors: bool = False, **kwargs: Any) -> None:
        self.json_errors = json_errors
        kwargs.setdefault("no_args_is_help", True)
        kwargs.setdefault("pretty_exceptions_enable", False)
        kwargs.setdefault("rich_markup_mode", None)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[CommandFunction], CommandFunction]:
        register = super().command(*args, **kwargs)

        def decorator(fn: CommandFunction) -> CommandFunction:
            register(guard(fn, self.json_errors))
            return fn

        return decorator


def print_json(data: Any) -> None:
    """JSON on stdout, UTF-8, stable key order as given.

    Stored text is kept exactly; the characters that could drive a terminal
    are ``\\uXXXX`` escapes (``console.display.json_safe``).
    """
    from console.display import json_safe

    typer.echo(json_safe(json.dumps(data, ensure_ascii=False, indent=2, default=str)))


def print_table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> None:
    """A plain table for people (console.plain_table, wide-character aware).

    Every cell is shown through ``console.display.clean``: a stored name that
    carries a terminal escape (put in by SQL, or stored before the text
    policy) is printed without it, so it cannot wipe the screen or set the
    terminal's title.  ``--json`` output keeps the stored text (escaped).
    """
    from console.display import clean
    from console.plain_table import render

    cells = [[cell if isinstance(cell, (int, float)) else clean(cell) for cell in row] for row in rows]
    typer.echo(render(cells, [clean(h) for h in headers]))


def action_words(code: str) -> str:
    """An audit action as a person reads it (``case.open`` -> 收件登记); an unknown code as it is."""
    from console.vocabulary import AUDIT_ACTION

    return t(AUDIT_ACTION.key(code)) if code in AUDIT_ACTION else code


def print_fields(pairs: Iterable[tuple[str, Any]]) -> None:
    """A two-column key/value table."""
    print_table(([k, "" if v is None else v] for k, v in pairs), headers=[t("cli.field"), t("cli.value")])


def warn(text: str) -> None:
    """A diagnostic line on stderr (stored text in it shown without control characters)."""
    from console.display import clean

    typer.echo(clean(text), err=True)


def read_text_file(path: Path) -> str:
    """Read a user-supplied text file, turning OS errors into BadInput."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput("cli.bad_file", path=str(path), reason=exc.strerror or str(exc)) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadInput("cli.bad_file", path=str(path), reason="unknown encoding")


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def session(*, read_only: bool = False) -> tuple[Any, Any]:
    """Open the configured store and resolve the acting staff member (closed on failure).

    ``read_only``: a lookup's connection (``console.services.store.open_reader``),
    plain sqlite3 with the same refusals; every write needs the default.
    """
    from console.services.identity import override_ignored, resolve_actor
    from console.services.store import open_reader, open_store

    # a ReadConnection answers the execute()/conn that db/'s read functions use (db/read_connection.py)
    db: Any = open_reader(OPTIONS.db) if read_only else open_store(OPTIONS.db)
    try:
        ignored = override_ignored(db)
        if ignored:  # the kernel's word stands; say so once, scripts keep working
            warn(t("identity.override_ignored", login=ignored, env="RETIRE_LOGIN"))
        return db, resolve_actor(db)
    except BaseException:
        db.close()
        raise


class Progress:
    """A progress line on stderr when it is a terminal; silent in pipes and cron.

    Call it as ``progress(done, total)``; ``close()`` ends the line.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self._last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        percent = done * 100 // total
        if percent == self._last and done != total:
            return
        self._last = percent
        filled = percent // 5
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (20 - filled)}] {percent:3d}%  {done:,}/{total:,}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self._last >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()
