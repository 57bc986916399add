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

``open_reader()`` is the same for a read (``retire case show``): the same
refusals, on a plain sqlite3 connection that cannot write
(db/read_connection.py), so a lookup pays for nothing but sqlite3.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from console.errors import BadInput, Refused
from db.connection import open_database, open_read_connection
from db.location import resolve_db_path
from db.read_connection import ReadConnection
from db.schema import SCHEMA_VERSION, current_version, migrate

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database


def open_store(explicit: Path | None = None, *, create: bool = False, allow_older: bool = False) -> Database:
    """The database at ``explicit`` / $RETIRE_DB / the per-user default, at the current schema.

    ``create=False`` (every command but ``retire init`` and the demo) turns
    a missing file into NotFound('db.missing'), an empty or foreign one into
    BadInput('db.not_hall') and an older schema into BadInput('db.schema_older').
    """
    path = resolve_db_path(explicit)
    db = open_database(path, create=create)
    try:
        if _check_version(db, path, create=create, allow_older=allow_older):
            migrate(db)
    except BaseException:
        db.close()
        raise
    return db


def open_reader(explicit: Path | None = None) -> ReadConnection:
    """The hall at ``explicit`` / $RETIRE_DB / the default, for reading only: refused like ``open_store()``."""
    path = resolve_db_path(explicit)
    conn = open_read_connection(path)
    try:
        _check_version(conn, path, create=False, allow_older=False)
    except BaseException:
        conn.close()
        raise
    return conn


def _check_version(db: Database | ReadConnection, path: Path, *, create: bool, allow_older: bool) -> bool:
    """Refuse a schema this opener may not use; True when ``create`` and the hall must be migrated."""
    version = current_version(db)
    if version > SCHEMA_VERSION:
        raise Refused("db.schema_newer", found=version, known=SCHEMA_VERSION)
    if version < SCHEMA_VERSION:
        if create:
            return True
        if version == 0:
            raise BadInput("db.not_hall", path=str(path))
        if not allow_older:
            raise BadInput("db.schema_older", path=str(path), found=version, known=SCHEMA_VERSION)
    return False
