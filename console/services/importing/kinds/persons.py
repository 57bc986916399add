"""Persons: the roster of insured people, keyed on the ID number.

A row may name the person's employer by credit code; a row that also gives
the employer's name (单位名称) defines an employer not registered yet, so one
file can bring a unit and its people.  Sex and birth date come from the ID
number: a sex cell that disagrees with it is a bad row.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from console.services.importing.base import BAD, FREE_TEXT_CACHE, Plan, cached, usable
from console.services.importing.codes import FEMALE_GROUP, SEX, STAFF_CATEGORY
from console.services.importing.errors import Errors
from console.services.importing.identifiers import parse_credit_code
from console.services.importing.limits import ImportLimits
from console.services.importing.references import initials_cache
from console.services.importing.values import (
    FieldError,
    parse_amount,
    parse_bank_card,
    parse_bool,
    parse_index,
    parse_phone,
)
from db import imports as imports_db

if TYPE_CHECKING:
    from db.engine import Database


class PersonsPlan(Plan):
    kind = "persons"
    table = "persons"

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        super().__init__(fields, errors, today, limits)
        self.phone = cached(parse_phone, FREE_TEXT_CACHE)
        self.card = cached(parse_bank_card, FREE_TEXT_CACHE)
        self.index = cached(parse_index, FREE_TEXT_CACHE)
        self.balance = cached(parse_amount, FREE_TEXT_CACHE)
        self.sex = cached(SEX.parse)
        self.category = cached(STAFF_CATEGORY.parse)
        self.group = cached(FEMALE_GROUP.parse)
        self.flag = cached(parse_bool)
        self.code = cached(parse_credit_code)
        self.keyed = bytearray()
        self.employers: dict[str, tuple[str, int] | None] = {}
        self.employer_bad: set[str] = set()
        self.employer_ids: dict[str, int] = {}
        self.initials: Callable[[str], str] = lambda s: s

    def check(self, line: int, cells: list[Any]) -> None:
        raw = cells[self.fields["id_number"]]
        found = self.refs.register(raw, line)
        idx: int | None = None
        if isinstance(found, FieldError):
            self.errors.add(line, "id_number", raw, found)
        else:
            idx = found
            if len(self.keyed) <= idx:
                self.keyed.extend(b"\0" * (idx + 1 - len(self.keyed)))
            if self.keyed[idx]:
                self.errors.add_code(line, "id_number", raw, "importer.row.duplicate", first=self.refs.first_line[idx])
            self.keyed[idx] = 1
        self._req(line, cells, "name", self.person_name)
        sex = self._opt(line, cells, "sex", self.sex)
        if idx is not None and usable(sex) and sex != self.refs.sex(idx):
            self.errors.add_code(line, "sex", cells[self.fields["sex"]], "importer.row.sex_mismatch",
                                 id_sex=self.refs.sex(idx))
        for name in ("hukou", "address"):
            self._opt(line, cells, name, self.text)
        self._opt(line, cells, "phone", self.phone)
        self._opt(line, cells, "bank_card", self.card)
        self._opt(line, cells, "average_index", self.index)
        self._opt(line, cells, "account_balance", self.balance)
        self._opt(line, cells, "staff_category", self.category)
        group = self._opt(line, cells, "female_group", self.group)
        if usable(group) and idx is not None and self.refs.sex(idx) == "M":
            self.errors.add_code(line, "female_group", cells[self.fields["female_group"]], "importer.row.female_group_for_man")
        self._opt(line, cells, "archive_lost", self.flag)
        self._opt(line, cells, "insured_before_2011_07", self.flag)
        code = self._opt(line, cells, "employer_code", self.code)
        employer_name = self._opt(line, cells, "employer_name", self.text)
        if code is BAD:
            return
        if code is not None:
            known = self.employers.get(code)
            if usable(employer_name):
                if known is None:
                    self.employers[code] = (employer_name, line)
                elif known[0] != employer_name:
                    self.errors.add_code(line, "employer_name", employer_name, "importer.row.employer_conflict",
                                         other=known[0], first=known[1])
            elif code not in self.employers:
                self.employers[code] = None
        elif usable(employer_name):
            self.errors.add_code(line, "employer_name", employer_name, "importer.row.employer_name_without_code")

    def finish(self, db: Database) -> bool:
        self.refs.finish(db, defined_by_rows=True)
        for idx, problem in self.refs.bad.items():
            self.errors.add(self.refs.first_line[idx], "id_number", self.refs.numbers[idx], problem)
        registered = imports_db.employers_by_code(db, list(self.employers))
        self.employer_bad = {c for c, named in self.employers.items() if named is None and c not in registered}
        return bool(self.employer_bad)

    def fixup(self, line: int, cells: list[Any]) -> None:
        i = self.fields.get("employer_code")
        if i is None:
            return
        code = self._val(cells, "employer_code", self.code)
        if code in self.employer_bad:
            self.errors.add_code(line, "employer_code", cells[i], "importer.row.unknown_employer")

    def prepare(self, db: Database, actor: str, *, convert: bool = True) -> None:
        super().prepare(db, actor)
        self.initials = initials_cache()
        new = [(code, named[0]) for code, named in self.employers.items() if named is not None]
        if new:
            self._count("employers", inserted=imports_db.insert_new_employers(db, new))
        self.employer_ids = {c: hit[0] for c, hit in imports_db.employers_by_code(db, list(self.employers)).items()}

    def convert(self, cells: list[Any]) -> tuple[Any, ...]:
        idx = self.refs.accepted(cells[self.fields["id_number"]])
        name = self._val(cells, "name", self.person_name)
        code = self._val(cells, "employer_code", self.code)
        return (
            self.refs.numbers[idx], name, self.initials(name), self.refs.sex(idx), self.refs.birth_date(idx),
            self._val(cells, "hukou", self.text), self._val(cells, "phone", self.phone), self._val(cells, "address", self.text),
            self._val(cells, "staff_category", self.category), self._val(cells, "female_group", self.group),
            self.employer_ids.get(code) if code else None,
            self._val(cells, "archive_lost", self.flag), self._val(cells, "insured_before_2011_07", self.flag),
            self._val(cells, "bank_card", self.card),
            self._val(cells, "average_index", self.index), self._val(cells, "account_balance", self.balance),
            self.now, self.actor,
        )

    def write(self, db: Database, batch: list[tuple[Any, ...]]) -> None:
        self._count("persons", updated=imports_db.upsert_persons(db, batch))
