"""Ratings from a rating device's export (好差评评价器): case number, time, level, comment.

The device is triggered with the case number, so every row belongs to a case:
the case must exist and be finished (completed or delivered), and a case has
one rating (one service, one rating; ``console.services.ratings``).  A row
repeating a case of an earlier row is a bad row; a row whose case is already
rated is a bad row unless it is that same rating (same time and level from the
device), which changes nothing, so importing a device file twice is harmless.
Each new bad rating (level 1-2) opens its follow-up in the same transaction as
the rows, so a failed import leaves no follow-up behind.
"""
from __future__ import annotations

import hashlib
from contextlib import closing
from datetime import date
from typing import TYPE_CHECKING, Any

from console.i18n import t
from console.services.importing.base import BAD, Plan, cached
from console.services.importing.errors import Errors
from console.services.importing.identifiers import parse_case_no
from console.services.importing.limits import ImportLimits
from console.services.importing.values import Codes, parse_timestamp
from console.vocabulary import BAD_LEVELS, CASE_STATUS, RATABLE_STATUSES, RATING_CHANNEL, RATING_LEVEL
from db import imports as imports_db
from db import ratings as ratings_db

if TYPE_CHECKING:
    from db.engine import Database

CHANNEL = "device"
LEVEL = Codes(RATING_LEVEL.codes, {}, RATING_LEVEL.terms)


def _mark(value: str) -> int:
    """A 63-bit fingerprint of a rating time, for the scratch table."""
    digest = hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest()
    return (int.from_bytes(digest, "big") >> 1) or 1


class RatingsPlan(Plan):
    kind = "ratings"
    table = "ratings"
    dup_field = "case_no"
    key_columns = ("level", "stamp")

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        super().__init__(fields, errors, today, limits)
        self.case_no = cached(parse_case_no)
        self.stamp = cached(parse_timestamp)
        self.level = cached(LEVEL.parse)
        self.case_ids: dict[str, int] = {}
        """Case number -> id of every good row's case (a device file holds a day's or a month's ratings)."""
        self.unchanged: set[str] = set()
        """Cases whose stored rating is the row's own (a re-import): nothing to write."""

    def check(self, line: int, cells: list[Any]) -> None:
        case_no = self._req(line, cells, "case_no", self.case_no)
        stamp = self._req(line, cells, "rated_at", self.stamp)
        level = self._req(line, cells, "level", self.level)
        self._opt(line, cells, "comment", self.text)
        if stamp is not BAD and stamp[:10] > self.today.isoformat():
            self.errors.add_code(line, "rated_at", cells[self.fields["rated_at"]], "importer.row.rating_future")
            stamp = BAD
        if case_no is not BAD:
            self.keys.add(case_no, line, int(level) if level is not BAD else 0, _mark(stamp) if stamp is not BAD else 0)

    def finish(self, db: Database) -> bool:
        """Repeated case numbers, then each case's first row against the database, chunk by chunk."""
        add = self.errors.add_code
        with closing(self.keys.duplicates()) as rows:
            for case_no, first, line in rows:
                add(line, "case_no", case_no, "importer.row.duplicate", first=first)
        firsts: list[tuple[str, int, int, int]] = []
        with closing(self.keys.firsts()) as rows:
            for case_no, line, level, stamp in rows:
                firsts.append((case_no, line, level, stamp))
                if len(firsts) >= imports_db.LOOKUP_CHUNK:
                    self._against_db(db, firsts)
                    firsts.clear()
        self._against_db(db, firsts)
        return False

    def _against_db(self, db: Database, firsts: list[tuple[str, int, int, int]]) -> None:
        if not firsts:
            return
        add = self.errors.add_code
        cases = ratings_db.cases_by_number(db, [f[0] for f in firsts])
        stored = ratings_db.ratings_of_cases(db, [hit[0] for hit in cases.values()])
        for case_no, line, level, stamp in firsts:
            hit = cases.get(case_no)
            if hit is None:
                add(line, "case_no", case_no, "importer.row.rating_unknown_case")
                continue
            case_id, status = hit
            if status not in RATABLE_STATUSES:
                add(line, "case_no", case_no, "importer.row.rating_not_finished", status=t(CASE_STATUS.key(status)))
                continue
            self.case_ids[case_no] = case_id
            have = stored.get(case_id)
            if have is None:
                continue
            if have[0] == level and have[1] == CHANNEL and _mark(have[2]) == stamp:
                self.unchanged.add(case_no)
            else:
                add(line, "case_no", case_no, "importer.row.rating_already_rated", level=have[0],
                    channel=t(RATING_CHANNEL.key(have[1])), rated_at=have[2])

    def convert(self, cells: list[Any]) -> tuple[Any, ...]:
        case_no = self._val(cells, "case_no", self.case_no)
        return (self.case_ids[case_no], int(self._val(cells, "level", self.level)), CHANNEL,
                self._val(cells, "comment", self.text), self._val(cells, "rated_at", self.stamp), self.actor, self.now)

    def write(self, db: Database, batch: list[tuple[Any, ...]]) -> None:
        from console.services.ratings import open_followup

        inserted = ratings_db.insert_many(db, batch)
        self._count("ratings", inserted=inserted)
        bad = [row for row in batch if str(row[1]) in BAD_LEVELS]
        if not bad:
            return
        ids = ratings_db.rating_ids(db, [row[0] for row in bad])
        for row in bad:
            rating_id = ids[row[0]]
            if not ratings_db.has_followup(db, rating_id):
                open_followup(db, self.actor, rating_id, row[0], row[4])
