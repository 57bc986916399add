"""The SQLite implementation of ``db.engine.Database`` for writes: sqlite-utils plus two members.

``sqlite_utils.Database`` already runs statements; it lacks what the
protocol asks of every engine so that no caller reaches into ``.conn``
(a ``sqlite3.Connection``, which a PostgreSQL connection will not be):
``engine``, ``in_transaction`` and ``executemany``.  sqlite-utils keeps doing
what it is good at on this side (transforms in migrations, table helpers).

Imported only when a database is opened for writing (``db.connection.open_database``):
sqlite-utils costs a lookup as much as Typer does.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

import sqlite_utils


class HallDatabase(sqlite_utils.Database):
    """A ``sqlite_utils.Database`` that satisfies ``db.engine.Database``."""

    engine = "sqlite"

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open on the underlying connection."""
        return self.conn.in_transaction

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        """``sqlite3.Connection.executemany`` on the underlying connection (sqlite-utils has none)."""
        return self.conn.executemany(sql, parameters)
