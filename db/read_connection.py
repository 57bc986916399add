"""The connection a read runs on: plain ``sqlite3``, nothing else imported.

A lookup (``retire case show``) is a fresh process per call, so what it
imports is what it costs: sqlite-utils alone is about as much as Typer.
The read functions of db/ only ever call ``db.execute(sql, params)`` and
look at ``db.conn.in_transaction`` -- the part of ``sqlite_utils.Database``
that a ``sqlite3.Connection`` already has -- so a read is handed this
subclass instead (``db.connection.open_read_connection``): the same hall
checks and settings as every other opener, plus ``PRAGMA query_only``, so a
code path that tries to write through it fails loudly instead of writing.
Writes keep ``sqlite_utils.Database`` (``db.connection.open_database``).
"""
from __future__ import annotations

import sqlite3


class ReadConnection(sqlite3.Connection):
    """A ``sqlite3.Connection`` that answers ``.conn`` like ``sqlite_utils.Database`` does."""

    @property
    def conn(self) -> sqlite3.Connection:
        """Itself: code written against ``sqlite_utils.Database`` reads ``db.conn.in_transaction``."""
        return self
