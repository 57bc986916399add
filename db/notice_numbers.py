"""Per-kind, per-year notice sequence numbers (the notices module formats them).

Same rule as case numbers: bumped inside the caller's transaction, so a
number is used exactly once and never handed out twice.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    import sqlite_utils


def next_notice_seq(db: sqlite_utils.Database, kind: str, year: int) -> int:
    """The next sequence number for notices of ``kind`` in ``year``; must run inside a transaction."""
    if not db.conn.in_transaction:
        raise RuntimeError("next_notice_seq must run inside db.connection.transaction()")
    row = db.execute(
        "INSERT INTO notice_counters (kind, year, last) VALUES (?, ?, 1)"
        " ON CONFLICT (kind, year) DO UPDATE SET last = last + 1 RETURNING last",
        [kind, year],
    ).fetchone()
    return int(row[0])
