"""Facts about the hall itself (demo or real, audit scheme), one row per key.

Kept apart from every business table so that a fact such as "this file is
a demo hall" is written once, when the file is made, and is read by the
commands that must refuse to touch a real hall.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from db.clock import now_iso

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database

DEMO_KEY = "hall_kind"
DEMO_VALUE = "demo"


def get(db: Database, key: str) -> str | None:
    """The value stored under ``key``, or None (also on a schema older than v7)."""
    try:
        row = db.execute("SELECT value FROM hall_meta WHERE key = ?", [key]).fetchone()
    except Exception:  # no hall_meta table yet: nothing is known
        return None
    return None if row is None else str(row[0])


def put(db: Database, key: str, value: str) -> None:
    """Store ``value`` under ``key`` in the caller's transaction."""
    db.execute(
        "INSERT INTO hall_meta (key, value, set_at) VALUES (?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value, set_at = excluded.set_at",
        [key, value, now_iso()],
    )


def is_demo(db: Database) -> bool:
    """True only for a file marked as a demo hall when it was created."""
    return get(db, DEMO_KEY) == DEMO_VALUE
