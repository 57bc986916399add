"""The hall's holiday override table (official schedules published late, local closures)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database


def overrides(db: Database) -> dict[str, str]:
    return {r[0]: r[1] for r in db.execute("SELECT day, kind FROM holiday_overrides").fetchall()}


def set_override(db: Database, day: str, kind: str, note: str | None) -> None:
    db.execute(
        "INSERT INTO holiday_overrides (day, kind, note) VALUES (?, ?, ?)"
        " ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, note = excluded.note",
        [day, kind, note],
    )


def delete_override(db: Database, day: str) -> int:
    return db.execute("DELETE FROM holiday_overrides WHERE day = ?", [day]).rowcount
