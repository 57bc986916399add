"""The connection type of the whole product: what services, screens and db/ may ask of a database.

Issue 17 makes PostgreSQL the second engine.  Until now every service and
screen was annotated with ``sqlite_utils.Database``, which promised them
sqlite-utils' whole API (tables, transforms, ``.conn``) and tied each one to
SQLite.  They only ever run statements, read cursors and look at whether a
transaction is open, so that is all this protocol offers; a PostgreSQL
connection wrapper will be its second implementation, and mypy then shows
every place that still reaches for something one engine alone has.

Today's implementations, both SQLite (``engine == "sqlite"``):
``db.connection.HallDatabase`` (a ``sqlite_utils.Database`` with the two
members below it lacks) for writes, and ``db.read_connection.ReadConnection``
(a plain ``sqlite3.Connection``) for a lookup.  Code that truly needs SQLite
(the backup API, PRAGMAs, sqlite-utils transforms in migrations, the bulk
writer's thread) asks ``db.connection.sqlite_connection`` for the raw
connection and says so.

Typing only: importing this module costs nothing on the lookup path.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol


class Cursor(Protocol):
    """What a statement returns: rows to fetch or iterate, and what it changed."""

    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ..., /) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    """One open connection to a hall's database, whichever engine holds it."""

    @property
    def engine(self) -> str:
        """"sqlite" (today the only one); "postgresql" once issue 17 lands."""
        ...

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (audit and counters refuse to write outside one)."""
        ...

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor: ...

    def close(self) -> None: ...
