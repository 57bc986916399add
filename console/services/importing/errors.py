"""The error collector: every bad cell of a file, in the order the clerk will fix them.

The report names every bad row at once (line, column, value, reason), like
the one-time correction notice the hall gives applicants; past
``MAX_ERRORS`` bad lines the file is the wrong file and the import stops
(memory stays bounded).
"""
from __future__ import annotations

from typing import Any

from console.services.importing.values import FieldError, clean
from console.text_policy import for_display

MAX_ERRORS = 100_000
"""More bad rows than this and the file is the wrong file: stop and say so (memory stays bounded)."""


class TooManyErrors(Exception):
    """Raised by ``Errors.add_code`` past its limit; the import turns it into BadInput."""


class Errors:
    """Every bad cell of the file: [line, field, value, code, params]; the lines, as a set."""

    def __init__(self, limit: int = MAX_ERRORS) -> None:
        self.items: list[list[Any]] = []
        self.lines: set[int] = set()
        self.limit = limit
        self.order: dict[str, int] = {}

    def add(self, line: int, field: str, raw: Any, err: FieldError, /) -> list[Any]:
        return self.add_code(line, field, raw, err.code, **err.params_dict())

    def add_code(self, line: int, field: str, raw: Any, code: str, /, **params: Any) -> list[Any]:
        """(Positional: a text-policy error's own parameters include one called ``field``.)"""
        item = [line, for_display(field)[:80], "" if raw is None else for_display(clean(raw) or "")[:100], code, params]
        self.items.append(item)
        self.lines.add(line)
        if len(self.lines) > self.limit:
            raise TooManyErrors()
        return item

    def sorted(self) -> list[list[Any]]:
        """By line, then by the column's place in the template."""
        order = self.order
        return sorted(self.items, key=lambda e: (e[0], order.get(e[1], 99)))

    def __len__(self) -> int:
        return len(self.lines)
