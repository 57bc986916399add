"""Opening the store for a use-case: resolve the path, open, check the schema.

The CLI and the TUI call this rather than db.connection directly, so the
same rules apply everywhere:

- only ``create=True`` (``retire init``, the demo making a new demo file)
  makes a hall of a missing or empty file, or brings an older schema up to
  date (each migration is its own IMMEDIATE transaction, safe with other
  processes);
- every other command is refused with one line and exit 2 on a missing,
  empty (0 bytes) or foreign file ("not a hall database: run retire init")
  and on a hall of an older schema ("run retire init to upgrade"): a
  read-only lookup never rewrites the file, a clerk's command never runs a
  long migration while the county waits, and a typo'd path never becomes
  an empty hall;
- a newer schema than the program knows is refused (exit 1).

``allow_older=True`` is for ``retire doctor``: it opens an older hall to
report its version instead of refusing.
"""
from __future__ import annotations

from pathlib import Path

import sqlite_utils

from console.errors import BadInput, Refused
from db.connection import open_database
from db.location import resolve_db_path
from db.schema import SCHEMA_VERSION, current_version, migrate


def open_store(explicit: Path | None = None, *, create: bool = False, allow_older: bool = False) -> sqlite_utils.Database:
    """The database at ``explicit`` / $RETIRE_DB / the per-user default, at the current schema.

    ``create=False`` (every command but ``retire init`` and the demo) turns
    a missing file into NotFound('db.missing'), an empty or foreign one into
    BadInput('db.not_hall') and an older schema into BadInput('db.schema_older').
    """
    path = resolve_db_path(explicit)
    db = open_database(path, create=create)
    try:
        version = current_version(db)
        if version > SCHEMA_VERSION:
            raise Refused("db.schema_newer", found=version, known=SCHEMA_VERSION)
        if version < SCHEMA_VERSION:
            if create:
                migrate(db)
            elif version == 0:
                raise BadInput("db.not_hall", path=str(path))
            elif not allow_older:
                raise BadInput("db.schema_older", path=str(path), found=version, known=SCHEMA_VERSION)
    except BaseException:
        db.close()
        raise
    return db
