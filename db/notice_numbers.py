"""Per-kind, per-year notice sequence numbers (the notices module formats them).

Same rule as case numbers: bumped inside the caller's transaction, so a
number is used exactly once and never handed out twice.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from db.counters import bump

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database


def next_notice_seq(db: Database, kind: str, year: int) -> int:
    """The next sequence number for notices of ``kind`` in ``year``; must run inside a transaction."""
    return bump(db, "notice_counters", {"kind": kind, "year": year}, "next_notice_seq")
