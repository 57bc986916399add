"""Cases: registering the hall's earlier cases, keyed on the case number.

An import may register a NEW case only as a draft and may never set what
only the workflow writes (acceptance, completion, the acceptance notice
number); one person has at most one open case, in the file or the database.
"""
from __future__ import annotations

import hashlib
from contextlib import closing
from datetime import date
from typing import TYPE_CHECKING, Any

from console.services.importing.base import BAD, ReferringPlan, cached
from console.services.importing.codes import CASE_KIND, CASE_STATUS, parse_joint
from console.services.importing.errors import Errors
from console.services.importing.identifiers import parse_case_no
from console.services.importing.limits import ImportLimits
from console.services.importing.values import Cached, FieldError, error, parse_date, parse_month, parse_timestamp
from console.vocabulary import CASE_STATUS as STATUSES
from console.vocabulary import OPEN_STATUSES
from db import imports as imports_db

if TYPE_CHECKING:
    from db.engine import Database

WORKFLOW_FIELDS = ("accepted_at", "completed_at", "acceptance_notice_no")
"""Written by acceptance and completion only: an import may repeat the stored value, never set or change it."""


def _mark(value: Any) -> int:
    """A 63-bit fingerprint of a parsed cell for the scratch table; 0 for an empty (or bad) cell."""
    if value is None or value is BAD:
        return 0
    digest = hashlib.blake2b(str(value).encode("utf-8"), digest_size=8).digest()
    return (int.from_bytes(digest, "big") >> 1) or 1


def _stored(parser: Cached[Any], value: Any) -> Any:
    """A stored value as the import's parser would give it (so a re-imported export matches)."""
    parsed = parser.get(value)
    return value if type(parsed) is FieldError else parsed


IMPORT_STATUSES = ("draft",)
"""The statuses an imported NEW case may have.

A case reaches every later status only through the workflow, which writes
what that status stands for: the correction notice and its pause
(awaiting_correction), the acceptance notice and the department tasks
(accepted, in_progress), the tasks' results (completed), the delivery
(delivered), the refusal notice (refused).  An import writes none of these,
so it may register a case only as a draft, and a case already registered
keeps its status: a status cell must then be empty or equal to the stored
one.  Anything else is a bad row."""


class CasesPlan(ReferringPlan):
    kind = "cases"
    table = "cases"
    dup_field = "case_no"
    key_columns = ("ref", "open", "status", *WORKFLOW_FIELDS)
    """The scratch table keeps, per row, the person's index, whether the case is open, the status
    the row gives (its index in the vocabulary's CASE_STATUS, -1 when the cell is empty) and a fingerprint of each
    field only the workflow writes (``_mark``: 0 when the cell is empty)."""

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        super().__init__(fields, errors, today, limits)
        self.case_no = cached(parse_case_no)
        self.case_kind = cached(CASE_KIND.parse)
        self.status = cached(CASE_STATUS.parse)
        self.joint = cached(parse_joint)
        self.stamp = cached(parse_timestamp)
        self.month = cached(parse_month)
        self.date = cached(parse_date)
        self.open_by_person: dict[int, tuple[str, int]] = {}
        self.series: dict[tuple[str, int], int] = {}
        self.conflicts: dict[str, tuple[int, FieldError]] = {}
        """Case number -> (its first line, the error): a case registered for another person."""
        self.db_open: dict[str, list[str]] = {}
        self.calendar: Any = None
        self.due_cache: dict[str, str | None] = {}

    def check(self, line: int, cells: list[Any]) -> None:
        case_no = self._req(line, cells, "case_no", self.case_no)
        idx = self._person_ref(line, cells)
        self._opt(line, cells, "kind", self.case_kind)
        given = self._opt(line, cells, "status", self.status)
        status = given or "draft"
        self._opt(line, cells, "joint_items", self.joint)
        self._req(line, cells, "received_at", self.stamp)
        marks = [_mark(self._opt(line, cells, name, self.stamp)) for name in ("accepted_at", "completed_at")]
        self._opt(line, cells, "chosen_month", self.month)
        self._opt(line, cells, "due_date", self.date)
        marks.append(_mark(self._opt(line, cells, "acceptance_notice_no", self.text)))
        if case_no is BAD:
            return
        prefix, year, number = case_no.split("-")
        series = (prefix, int(year))
        self.series[series] = max(self.series.get(series, 0), int(number))  # a repeated number changes nothing
        self.keys.add(case_no, line, idx, 1 if idx is not None and status in OPEN_STATUSES else 0,
                      STATUSES.codes.index(given) if isinstance(given, str) else -1, *marks)

    def finish(self, db: Database) -> bool:
        """Duplicates, then the rules on each case number's FIRST row, in file order (a repeat is only a repeat)."""
        self.refs.finish(db, defined_by_rows=False)
        add = self.errors.add_code
        with closing(self.keys.duplicates()) as rows:
            for case_no, first, line in rows:
                add(line, "case_no", case_no, "importer.row.duplicate", first=first)
        firsts: list[tuple[Any, ...]] = []
        with closing(self.keys.firsts()) as rows:
            for case_no, line, idx, is_open, status, *marks in rows:
                if is_open:
                    other = self.open_by_person.get(idx)
                    if other is not None:
                        add(line, "case_no", case_no, "importer.row.second_open_case", other=other[0], first=other[1])
                    else:
                        self.open_by_person[idx] = (case_no, line)
                if idx is not None:
                    firsts.append((case_no, line, idx, status, *marks))
                    if len(firsts) >= imports_db.LOOKUP_CHUNK:
                        self._other_person(db, firsts)
                        firsts.clear()
        self._other_person(db, firsts)
        numbers = [self.refs.numbers[i] for i in self.open_by_person]
        self.db_open = imports_db.open_cases_by_person(db, numbers, OPEN_STATUSES)
        in_file = self.keys.present({other for others in self.db_open.values() for other in others})
        for idx, (case_no, line) in self.open_by_person.items():
            for other_no in self.db_open.get(self.refs.numbers[idx], []):
                if other_no != case_no and other_no not in in_file:
                    add(line, "case_no", case_no, "importer.row.open_case_in_db", other=other_no)
        return bool(self.refs.bad or self.refs.name_mismatch or self.conflicts)

    def _other_person(self, db: Database, firsts: list[tuple[Any, ...]]) -> None:
        """A case number already registered for somebody else than the person of its first row;
        a status the workflow would not have reached (see ``IMPORT_STATUSES``); an acceptance or
        completion date or an acceptance notice number the workflow did not write."""
        if not firsts:
            return
        existing = imports_db.cases_by_number(db, [first[0] for first in firsts])
        add = self.errors.add_code
        for case_no, line, idx, status_code, *marks in firsts:
            hit = existing.get(case_no)
            if hit is not None and self.refs.numbers[idx] != hit[0]:
                self.conflicts[case_no] = (line, error("importer.row.case_other_person"))
            for name, mark, parser, stored in zip(WORKFLOW_FIELDS, marks, (self.stamp, self.stamp, self.text),
                                                  hit[2:] if hit is not None else (None, None, None), strict=False):
                if not mark:
                    continue  # an empty cell changes nothing
                if hit is None:
                    add(line, name, "", "importer.row.workflow_new_case", field=name)
                elif stored is None or mark != _mark(_stored(parser, stored)):
                    add(line, name, "", "importer.row.workflow_change", field=name, stored=stored or "-")
            if status_code < 0:
                continue  # no status given: a new case is a draft, a registered one keeps its own
            status = STATUSES.codes[status_code]
            if hit is None and status not in IMPORT_STATUSES:
                add(line, "status", status, "importer.row.status_new_case", status=status,
                    allowed=", ".join(IMPORT_STATUSES))
            elif hit is not None and status != hit[1]:
                add(line, "status", status, "importer.row.status_change", status=status, stored=hit[1])

    def fixup(self, line: int, cells: list[Any]) -> None:
        self._ref_fixup(line, cells)
        case_no = self._val(cells, "case_no", self.case_no)
        hit = self.conflicts.get(case_no) if case_no else None
        if hit is not None and hit[0] == line:
            self.errors.add(line, "case_no", case_no, hit[1])

    def prepare(self, db: Database, actor: str, *, convert: bool = True) -> None:
        from console.services.clocks import calendar_for

        super().prepare(db, actor, convert=convert)
        self.calendar = calendar_for(db)
        imports_db.bump_case_counters(db, [(p, y, n) for (p, y), n in self.series.items()])

    def _due(self, received: str, status: str) -> str | None:
        """An open case imported without a due date gets the statutory one (queues filter on it)."""
        from console.services.clocks import due_date

        if status not in OPEN_STATUSES or status == "awaiting_correction":
            return None
        day = received[:10]
        if day not in self.due_cache:
            self.due_cache[day] = due_date("case", date.fromisoformat(day), self.calendar)
        return self.due_cache[day]

    def convert(self, cells: list[Any]) -> tuple[Any, ...]:
        idx = self.refs.accepted(cells[self.fields["id_number"]])
        status = self._val(cells, "status", self.status)
        received = self._val(cells, "received_at", self.stamp)
        due = self._val(cells, "due_date", self.date)
        if due is None and received:
            due = self._due(received, status or "draft")
        joint = self._val(cells, "joint_items", self.joint)
        chosen = self._val(cells, "chosen_month", self.month)
        return (
            self._val(cells, "case_no", self.case_no), self.refs.person_ids[idx], self._val(cells, "kind", self.case_kind),
            status, joint, received,
            self._val(cells, "accepted_at", self.stamp), self._val(cells, "completed_at", self.stamp),
            chosen[1] if chosen else None,
            due, self._val(cells, "acceptance_notice_no", self.text), self.now, self.actor,
        )

    def write(self, db: Database, batch: list[tuple[Any, ...]]) -> None:
        self._count("cases", updated=imports_db.upsert_cases(db, batch))
