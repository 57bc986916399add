"""Gap-free number series (case numbers, notice numbers): one counter row per series, bumped in place.

The row is bumped inside the caller's transaction: if the caller rolls back,
the number goes back too; if it commits, the number is taken for good and
the next caller gets the next one.  Two writers never get the same number,
since a transaction holds the write lock from its start (BEGIN IMMEDIATE).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only
    from db.engine import Database


def bump(db: Database, table: str, series: dict[str, Any], caller: str) -> int:
    """The next number of the series ``series`` (its key columns and values) in ``table``, from 1.

    ``table`` has the series' columns as its primary key and a ``last``
    column; both names are the code's own constants, never input.  Outside a
    transaction the number would be taken at once, even if the caller then
    failed: that is a bug of the caller (``RuntimeError``).
    """
    if not db.in_transaction:
        raise RuntimeError(f"{caller} must run inside db.connection.transaction()")
    columns = ", ".join(series)
    marks = ", ".join("?" for _ in series)
    row = db.execute(
        f"INSERT INTO {table} ({columns}, last) VALUES ({marks}, 1)"
        f" ON CONFLICT ({columns}) DO UPDATE SET last = last + 1 RETURNING last",
        list(series.values()),
    ).fetchone()
    return int(row[0])
