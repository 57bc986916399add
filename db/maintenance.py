"""Whole-file operations: online backup, restore, and the health checks of ``retire doctor``."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.vocabulary import FINISHED_STATUSES, WORKING_STATUSES, sql_list
from db import audit
from db.connection import sqlite_connection
from db.hall_database import HallDatabase
from db.schema import SCHEMA_VERSION, current_version

if TYPE_CHECKING:
    from db.engine import Database


def open_readonly(path: Path) -> HallDatabase:
    """Open a backup for checking without changing a byte of it (no WAL switch, no -shm)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    return HallDatabase(conn, execute_plugins=False)


def schema_version_of(db: Database) -> int | None:
    """The schema version of a file opened with ``open_readonly``, or None when it is no SQLite database.

    The catch of ``sqlite3.DatabaseError`` lives here, in db/, so that services never import sqlite3.
    """
    try:
        return current_version(db)
    except sqlite3.DatabaseError:
        return None


def backup_to(db: Database, target: Path) -> None:
    """SQLite's online backup: a consistent copy while others keep writing."""
    dest = sqlite3.connect(str(target))
    try:
        sqlite_connection(db).backup(dest, pages=4096)
    finally:
        dest.close()


def restore_from(source: Path, target: Path) -> None:
    """Copy a checked backup over the live file through the backup API (readers see old or new, never half)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dest = sqlite3.connect(str(target), timeout=15)
    try:
        dest.execute("PRAGMA busy_timeout=15000")
        src.backup(dest)
    finally:
        src.close()
        dest.close()


def integrity(db: Database) -> list[str]:
    rows = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else rows


def foreign_key_problems(db: Database) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in db.execute("PRAGMA foreign_key_check").fetchall()]


def orphans(db: Database) -> dict[str, int]:
    """Rows that the workflow should never leave behind, counted by kind."""
    checks = {
        "accepted_case_without_tasks": "SELECT count(*) FROM cases c WHERE c.status IN (" + sql_list((*WORKING_STATUSES, *FINISHED_STATUSES)) + ")"
        " AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.case_id = c.id)",
        "completed_case_with_open_tasks": "SELECT count(*) FROM cases c WHERE c.status IN (" + sql_list(FINISHED_STATUSES) + ")"
        " AND EXISTS (SELECT 1 FROM tasks t WHERE t.case_id = c.id AND t.status != 'done')",
        "paused_case_not_awaiting": "SELECT count(*) FROM cases WHERE paused_since IS NOT NULL AND status != 'awaiting_correction'",
        "delivered_without_delivery": "SELECT count(*) FROM cases c WHERE c.status = 'delivered'"
        " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.case_id = c.id AND d.delivered_at IS NOT NULL)",
        "case_without_audit": "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.case_id = c.id)",
    }
    return {name: int(db.execute(sql).fetchone()[0]) for name, sql in checks.items()}


def file_facts(db: Database, path: Path) -> dict[str, Any]:
    wal = Path(str(path) + "-wal")
    page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
    pages = int(db.execute("PRAGMA page_count").fetchone()[0])
    return {
        "schema_version": current_version(db),
        "schema_known": SCHEMA_VERSION,
        "size_bytes": page_size * pages,
        "wal_bytes": wal.stat().st_size if wal.exists() else 0,
        "journal_mode": db.execute("PRAGMA journal_mode").fetchone()[0],
        "audit_rows": audit.count_rows(db),
    }
