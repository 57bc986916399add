"""Optimistic locking: a save names the version it was based on.

Two clerks open the same case; the first save wins, the second gets a
StaleVersion naming who saved and when, and must reload.  Nothing is ever
silently overwritten.  The check and the write are one UPDATE statement, so
it holds across processes without holding a lock while a clerk types.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from console.errors import NotFound, StaleVersion
from db.clock import now_iso

if TYPE_CHECKING:
    from db.engine import Database

# table -> key column; only these tables carry version/updated_by/updated_at
VERSIONED_TABLES: dict[str, str] = {
    "cases": "id",
    "tasks": "id",
    "persons": "id",
    "facts": "case_id",
    "deliveries": "id",
    "promises": "id",
    "rating_followups": "id",
}
_MANAGED = frozenset({"version", "updated_by", "updated_at"})


def _columns(db: Database, table: str) -> frozenset[str]:
    return frozenset(row[1] for row in db.execute(f"PRAGMA table_info([{table}])").fetchall())


def update_versioned(
    db: Database,
    table: str,
    pk: int,
    expected_version: int,
    changes: Mapping[str, Any],
    actor: str,
) -> int:
    """Apply ``changes`` if the row is still at ``expected_version``; returns the new version.

    Raises StaleVersion('db.stale', who=, when=) when someone saved first,
    NotFound('db.row_not_found') when the row is gone.  Column names are
    checked against the table, so ``changes`` may come from a form.
    """
    if table not in VERSIONED_TABLES:
        raise ValueError(f"{table} is not a versioned table")
    key = VERSIONED_TABLES[table]
    columns = _columns(db, table)
    bad = [name for name in changes if name not in columns or name in _MANAGED or name == key]
    if bad:
        raise ValueError(f"cannot set {', '.join(bad)} on {table}")
    assignments = "".join(f"[{name}] = ?, " for name in changes)
    sql = (
        f"UPDATE [{table}] SET {assignments}version = version + 1, updated_by = ?, updated_at = ?"
        f" WHERE [{key}] = ? AND version = ?"
    )
    params = [*changes.values(), actor, now_iso(), pk, expected_version]
    cursor = db.execute(sql, params)
    if cursor.rowcount == 1:
        return expected_version + 1
    row = db.execute(
        f"SELECT version, updated_by, updated_at FROM [{table}] WHERE [{key}] = ?", [pk]
    ).fetchone()
    if row is None:
        raise NotFound("db.row_not_found", table=table, id=pk)
    raise StaleVersion(
        "db.stale",
        table=table,
        id=pk,
        expected=expected_version,
        found=row[0],
        who=row[1] or "?",
        when=row[2] or "?",
    )


def check_version(db: Database, table: str, pk: int, expected_version: int) -> None:
    """Refuse (StaleVersion naming who and when) unless the row is still at ``expected_version``.

    For a use-case that acts on a row without writing it (a delivery sent for
    a case the caller read): the caller is in a transaction, so nothing can
    change the row between this check and its own write.
    """
    if table not in VERSIONED_TABLES:
        raise ValueError(f"{table} is not a versioned table")
    key = VERSIONED_TABLES[table]
    row = db.execute(f"SELECT version, updated_by, updated_at FROM [{table}] WHERE [{key}] = ?", [pk]).fetchone()
    if row is None:
        raise NotFound("db.row_not_found", table=table, id=pk)
    if int(row[0]) != int(expected_version):
        raise StaleVersion("db.stale", table=table, id=pk, expected=expected_version, found=row[0], who=row[1] or "?", when=row[2] or "?")
