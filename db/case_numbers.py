"""Case numbers: GY-2026-000123, one series per prefix and year, never reused.

The counter row is bumped inside the caller's transaction: if the intake is
rolled back the number goes back too, and if it commits the number is taken
for good (a withdrawn case keeps its number; the next case gets the next).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from console.errors import BadInput, NotFound
from db.counters import bump

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database

DEFAULT_PREFIX = "GY"
CASE_NO_RE = re.compile(r"^([A-Z]{1,8})-(\d{4})-(\d{6,})$")


def format_case_no(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year:04d}-{number:06d}"


def allocate_case_no(db: Database, year: int, prefix: str = DEFAULT_PREFIX) -> str:
    """The next case number of ``prefix``/``year``; must run inside a transaction."""
    return format_case_no(prefix, year, bump(db, "case_counters", {"prefix": prefix, "year": year}, "allocate_case_no"))


def normalise_case_no(text: str) -> str:
    """Accept 'gy-2026-123' from a hurried clerk; BadInput for anything else."""
    raw = (text or "").strip().upper()
    parts = raw.split("-")
    if len(parts) == 3 and len(parts[2]) <= 9 and parts[1].isascii() and parts[2].isascii() \
            and parts[1].isdigit() and parts[2].isdigit():  # int() of thousands of digits raises
        candidate = f"{parts[0]}-{parts[1]}-{int(parts[2]):06d}"
        if CASE_NO_RE.match(candidate):
            return candidate
    raise BadInput("db.bad_case_no", value=text)


def case_id_by_no(db: Database, case_no: str) -> int:
    """The id of the case with this number; BadInput if malformed, NotFound if absent."""
    normal = normalise_case_no(case_no)
    row = db.execute("SELECT id FROM cases WHERE case_no = ?", [normal]).fetchone()
    if row is None:
        raise NotFound("db.case_not_found", case_no=normal)
    return int(row[0])
