"""Opening the store for a use-case: resolve the path, open, migrate.

The CLI and the TUI call this rather than db.connection directly, so the
same rules apply everywhere: a missing file is an error unless we are
initialising, and an older schema is brought up to date on open (each
migration is its own IMMEDIATE transaction, safe with other processes).
"""
from __future__ import annotations

from pathlib import Path

import sqlite_utils

from db.connection import open_database
from db.location import resolve_db_path
from db.schema import SCHEMA_VERSION, current_version, migrate


def open_store(explicit: Path | None = None, *, create: bool = False) -> sqlite_utils.Database:
    """The database at ``explicit`` / $RETIRE_DB / the per-user default, migrated.

    ``create=False`` (every command but ``retire init`` and the demo) turns
    a missing file into NotFound('db.missing') with a hint to run init.
    """
    db = open_database(resolve_db_path(explicit), create=create)
    try:
        if current_version(db) != SCHEMA_VERSION:
            migrate(db)  # brings an older file up to date; refuses a newer one
    except BaseException:
        db.close()
        raise
    return db
