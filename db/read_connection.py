"""The connection a read runs on: plain ``sqlite3``, nothing else imported.

A lookup (``retire case show``) is a fresh process per call, so what it
imports is what it costs: sqlite-utils alone is about as much as Typer.
The read functions of db/ only ever use what ``db.engine.Database`` offers
(``execute``, ``in_transaction``), which a ``sqlite3.Connection`` already
has, so a read is handed this subclass instead
(``db.connection.open_read_connection``): the same hall checks and settings
as every other opener, plus ``PRAGMA query_only``, so a code path that tries
to write through it fails loudly instead of writing.  Writes get
``db.hall_database.HallDatabase`` (``db.connection.open_database``).
"""
from __future__ import annotations

import sqlite3


class ReadConnection(sqlite3.Connection):
    """A ``sqlite3.Connection`` that satisfies ``db.engine.Database`` (PostgreSQL will be the second)."""

    engine = "sqlite"

    @property
    def conn(self) -> sqlite3.Connection:
        """Itself, as ``sqlite_utils.Database.conn``: ``db.connection.sqlite_connection`` reads it."""
        return self
