"""Bulk loading of synthetic persons for benchmarks (bench/bench_upcoming.py).

Not used by the console: it writes rows the generator already validated,
with executemany in large transactions, and none of the audit a real import
writes.  The triggers of schema v3 still fire (their cost is part of a load).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from db.bulk import insert_sql
from db.connection import sqlite_connection, transaction

if TYPE_CHECKING:
    from db.engine import Database

PERSON_COLUMNS = (
    "id", "id_number", "name", "name_initials", "sex", "birth_date_id", "phone", "address",
    "staff_category", "female_group", "archive_lost", "insured_before_2011_07", "created_at", "updated_by", "updated_at",
)
PERIOD_COLUMNS = ("person_id", "from_month", "to_month", "kind", "place")
ARCHIVE_COLUMNS = ("person_id", "doc_kind", "doc_date", "birth_date_recorded", "altered", "altered_confirmed")
CASE_COLUMNS = ("id", "case_no", "person_id", "kind", "status", "received_at", "created_by", "created_at")
FACTS_COLUMNS = ("case_id", "person_id", "computed_at", "policy_version", "data")
CONTACT_COLUMNS = ("person_id", "at", "channel", "note", "staff_id")
COLUMNS: dict[str, tuple[str, ...]] = {
    "persons": PERSON_COLUMNS, "contribution_periods": PERIOD_COLUMNS, "archive_records": ARCHIVE_COLUMNS,
    "cases": CASE_COLUMNS, "facts": FACTS_COLUMNS, "contacts": CONTACT_COLUMNS,
}
"""The columns a benchmark row of each table holds, in order."""


def insert(db: Database, table: str, rows: Iterable[Sequence[Any]]) -> None:
    """Rows of ``table`` in ``COLUMNS[table]`` order, one transaction (the SQL of ``db.bulk.insert_sql``)."""
    with transaction(db):
        db.executemany(insert_sql(table, COLUMNS[table]), rows)


def fast_load_pragmas(db: Database) -> None:
    """For a throw-away benchmark file only: no fsync while loading."""
    sqlite_connection(db).execute("PRAGMA synchronous=OFF")
    sqlite_connection(db).execute("PRAGMA cache_size=-200000")


def checkpoint(db: Database) -> None:
    """Fold the WAL back into the main file and analyse (so a rerun starts from a small, planned file)."""
    sqlite_connection(db).execute("ANALYZE")
    sqlite_connection(db).execute("PRAGMA wal_checkpoint(TRUNCATE)")


def counts(db: Database) -> dict[str, int]:
    return {t: int(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in ("persons", "contribution_periods", "archive_records", "person_status")}


def in_months(db: Database, first: str, last: str) -> int:
    """Persons whose stored statutory month is in [first, last] (the size of the list, before exclusions)."""
    return int(db.execute("SELECT count(*) FROM person_status WHERE statutory_month BETWEEN ? AND ?", [first, last]).fetchone()[0])


def explain(db: Database, sql: str, args: Sequence[Any]) -> list[str]:
    return [str(r[-1]) for r in db.execute("EXPLAIN QUERY PLAN " + sql, list(args)).fetchall()]


PROPOSED_POLICY_INDEX = "CREATE INDEX IF NOT EXISTS person_status_policy ON person_status(policy_version)"
"""The index proposed for a migration: lets person_status.has_other_policies answer with two seeks."""


def set_policy_index(db: Database, present: bool) -> None:
    """Add or drop the proposed index on the benchmark file (to measure the list both ways)."""
    with transaction(db):
        db.execute(PROPOSED_POLICY_INDEX if present else "DROP INDEX IF EXISTS person_status_policy")
