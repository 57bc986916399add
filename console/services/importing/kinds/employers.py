"""Employers: the roster of units, keyed on the unified social credit code."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from console.services.importing.base import BAD, FREE_TEXT_CACHE, Plan, cached
from console.services.importing.errors import Errors
from console.services.importing.identifiers import parse_credit_code
from console.services.importing.limits import ImportLimits
from console.services.importing.values import parse_phone
from db import imports as imports_db

if TYPE_CHECKING:
    from db.engine import Database


class EmployersPlan(Plan):
    kind = "employers"
    table = "employers"
    dup_field = "credit_code"

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        super().__init__(fields, errors, today, limits)
        self.code = cached(parse_credit_code)
        self.phone = cached(parse_phone, FREE_TEXT_CACHE)

    def check(self, line: int, cells: list[Any]) -> None:
        code = self._req(line, cells, "credit_code", self.code)
        self._req(line, cells, "name", self.text)
        self._opt(line, cells, "address", self.text)
        self._opt(line, cells, "phone", self.phone)
        if code is not BAD:
            self.keys.add(code, line)

    def fixup(self, line: int, cells: list[Any]) -> None:
        self._dup_fixup(line, cells)

    def convert(self, cells: list[Any]) -> tuple[Any, ...]:
        return (self._val(cells, "credit_code", self.code), self._val(cells, "name", self.text),
                self._val(cells, "address", self.text), self._val(cells, "phone", self.phone))

    def write(self, db: Database, batch: list[tuple[Any, ...]]) -> None:
        self._count("employers", updated=imports_db.upsert_employers(db, batch))
