"""Archive records: the documents of a person's file, keyed on (person, document kind, date)."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from console.services.importing.base import BAD, ReferringPlan, cached
from console.services.importing.codes import DOC_KIND, DOC_KIND_NUMBER
from console.services.importing.errors import Errors
from console.services.importing.limits import ImportLimits
from console.services.importing.values import parse_bool, parse_date
from db import imports as imports_db

if TYPE_CHECKING:
    from db.engine import Database


class ArchivePlan(ReferringPlan):
    kind = "archive"
    table = "archive_records"
    dup_field = "doc_kind"

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        super().__init__(fields, errors, today, limits)
        self.doc_kind = cached(DOC_KIND.parse)
        self.date = cached(parse_date)
        self.flag = cached(parse_bool)

    def check(self, line: int, cells: list[Any]) -> None:
        idx = self._person_ref(line, cells)
        kind = self._req(line, cells, "doc_kind", self.doc_kind)
        doc_date = self._opt(line, cells, "doc_date", self.date)
        self._opt(line, cells, "birth_date_recorded", self.date)
        altered = self._opt(line, cells, "altered", self.flag)
        confirmed = self._opt(line, cells, "altered_confirmed", self.flag)
        if confirmed == 1 and altered == 0:
            self.errors.add_code(line, "altered_confirmed", cells[self.fields["altered_confirmed"]], "importer.row.confirmed_not_altered")
        self._opt(line, cells, "note", self.text)
        if idx is not None and kind is not BAD and doc_date is not BAD:
            # (person, document kind, date or none) as one integer: YYYYMMDD < 2**27
            self.keys.add(((idx << 8 | DOC_KIND_NUMBER[kind]) << 27) | (int(doc_date.replace("-", "")) if doc_date else 0),
                          line)

    def fixup(self, line: int, cells: list[Any]) -> None:
        self._ref_fixup(line, cells)
        self._dup_fixup(line, cells)

    def convert(self, cells: list[Any]) -> tuple[Any, ...]:
        idx = self.refs.accepted(cells[self.fields["id_number"]])
        return (
            self.refs.person_ids[idx], self._val(cells, "doc_kind", self.doc_kind), self._val(cells, "doc_date", self.date),
            self._val(cells, "birth_date_recorded", self.date), self._val(cells, "altered", self.flag),
            self._val(cells, "altered_confirmed", self.flag), self._val(cells, "note", self.text),
        )

    def write(self, db: Database, batch: list[tuple[Any, ...]]) -> None:
        inserted, updated = imports_db.upsert_archive_records(db, batch)
        self._count("archive_records", inserted, updated)
