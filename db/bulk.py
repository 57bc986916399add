"""Bulk writes for the demo generator (and any other large, trusted load).

Rows go in with ``executemany`` in batches, inside the caller's transaction,
with the same columns the per-row queries write, parents before children so
that foreign keys stay checked as each row goes in.  The rows come already
computed (the demo's replay of its stories); nothing here decides what a
step of the workflow does.  Audit rows are linked by ``db.audit.ChainCursor``,
the same linker ``db.audit.append`` uses, so ``db.audit.check_chain`` holds
afterwards.

Counters (case numbers, notice numbers) are read and written here so that a
bulk load takes its numbers from the same series as ``db.case_numbers`` and
``db.notice_numbers``: later real cases continue after it.
"""
from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from db import audit as audit_chain
from db.connection import sqlite_connection
from db.hall_database import HallDatabase

if TYPE_CHECKING:
    from db.engine import Database

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "persons": (
        "id", "id_number", "name", "name_initials", "sex", "birth_date_id", "hukou", "phone", "address",
        "staff_category", "female_group", "employer_id", "archive_lost", "insured_before_2011_07", "bank_card",
        "created_at", "updated_by", "updated_at", "version",
    ),
    "archive_records": ("person_id", "doc_kind", "doc_date", "birth_date_recorded", "altered", "altered_confirmed", "note"),
    "contribution_periods": ("person_id", "from_month", "to_month", "kind", "place", "base", "evidence", "arrears"),
    "cases": (
        "id", "case_no", "person_id", "kind", "status", "joint_items", "received_at", "accepted_at", "completed_at",
        "chosen_month", "policy_version", "due_date", "paused_since", "paused_days", "assignee_id",
        "acceptance_notice_no", "created_by", "updated_by", "created_at", "updated_at", "version", "pauses", "delay_cause",
    ),
    "materials": ("case_id", "code", "received", "note"),
    "tasks": (
        "id", "case_id", "department", "item", "status", "assignee_id", "result", "missing", "due_date",
        "opened_at", "done_at", "updated_by", "updated_at", "version", "completed_by", "reason",
    ),
    "facts": (
        "case_id", "person_id", "computed_at", "policy_version", "data", "confirmed_by", "confirmed_at",
        "updated_by", "updated_at", "version",
    ),
    "notices": ("id", "case_id", "kind", "number", "year", "body", "data", "issued_by", "issued_at"),
    "deliveries": (
        "id", "case_id", "courier", "waybill", "address", "sent_at", "delivered_at", "returned_at", "note",
        "updated_by", "updated_at", "version",
    ),
}
ID_TABLES = ("persons", "cases", "tasks", "notices", "deliveries")
BATCH = 5_000


def insert_sql(table: str, columns: Sequence[str] | None = None) -> str:
    """The INSERT of ``columns`` (default: ``TABLE_COLUMNS[table]``) into ``table``, one ``?`` per column."""
    columns = TABLE_COLUMNS[table] if columns is None else columns
    return f"INSERT INTO [{table}] ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


def insert_rows(db: Database, table: str, rows: Iterable[Sequence[Any]]) -> int:
    """executemany ``rows`` (tuples in TABLE_COLUMNS order) into ``table``; returns the count."""
    if not db.in_transaction:
        raise RuntimeError("bulk inserts must run inside db.connection.transaction()")
    cursor = db.executemany(insert_sql(table), rows)
    return cursor.rowcount


def open_loader(path: Path) -> HallDatabase:
    """A connection for one big load, usable from a writer thread (``BackgroundWrites``).

    Same settings as ``db.connection.open_database`` (busy timeout, foreign
    keys, NORMAL sync); the file must exist (open it with ``open_database``
    first).  The caller makes sure two threads never use it at once.
    """
    from db.connection_state import busy_timeout_ms

    timeout_ms = busy_timeout_ms()  # $RETIRE_BUSY_TIMEOUT_MS too, as every other opener
    conn = sqlite3.connect(str(path), timeout=timeout_ms / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={timeout_ms}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return HallDatabase(conn, execute_plugins=False)


class BackgroundWrites:
    """Runs ``executemany`` batches on one thread, in the order submitted.

    SQLite releases the GIL while it writes, so the caller builds the next
    rows while the previous ones go in.  ``close`` waits for the queue to
    drain and re-raises the writer's error, if any; until then the caller
    must not touch the connection.
    """

    def __init__(self, db: Database, depth: int = 6) -> None:
        self.conn = sqlite_connection(db)  # the writer thread uses the raw connection: SQLite releases the GIL there
        self.queue: queue.Queue[tuple[str, list[Sequence[Any]]] | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.error is None:
                try:
                    self.conn.executemany(item[0], item[1])
                except BaseException as exc:  # handed to the submitting thread, which re-raises it
                    self.error = exc

    def submit(self, sql: str, rows: list[Sequence[Any]]) -> None:
        if self.error is not None:
            self.close()
        self.queue.put((sql, rows))

    def drain(self) -> None:
        """Wait for the writer to stop (no error raised: for a caller already failing)."""
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()

    def close(self) -> None:
        self.drain()
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def tune_for_load(db: Database) -> None:
    """Connection settings for a big load (a larger page cache, temp data in memory)."""
    db.execute("PRAGMA cache_size = -200000")
    db.execute("PRAGMA temp_store = MEMORY")


@contextmanager
def rollback_journal(db: Database) -> Iterator[bool]:
    """Load a NEW file through a rollback journal instead of the WAL, then go back to WAL.

    A big first load through the WAL writes every page twice (WAL, then the
    checkpoint); with a rollback journal an empty file journals next to
    nothing.  Only for a file nobody else has open: if the switch is refused
    (another connection), the load simply runs in WAL mode.  Yields whether
    the switch happened.  Must be entered outside any transaction.
    """
    if db.in_transaction:
        raise RuntimeError("rollback_journal must be entered outside a transaction")
    try:
        mode = db.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except sqlite3.OperationalError:  # locked by another connection
        mode = "wal"
    switched = str(mode).lower() == "delete"
    try:
        yield switched
    finally:
        if switched and not db.in_transaction:
            db.execute("PRAGMA journal_mode = WAL").fetchone()


def secondary_indexes(db: Database, tables: Sequence[str]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX sql) of the explicit indexes on ``tables`` (not the automatic ones)."""
    marks = ", ".join("?" for _ in tables)
    rows = db.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY name",
        list(tables),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def drop_indexes(db: Database, indexes: Sequence[tuple[str, str]]) -> None:
    """Drop indexes for the duration of a load (inside the load's transaction; see ``create_indexes``)."""
    for name, _ in indexes:
        db.execute(f"DROP INDEX [{name}]")


def create_indexes(db: Database, indexes: Sequence[tuple[str, str]]) -> None:
    """Re-create indexes dropped by ``drop_indexes`` (same SQL as the schema made them with)."""
    for _, sql in indexes:
        db.execute(sql)


def next_ids(db: Database) -> dict[str, int]:
    """The next free id of each table whose ids the bulk writer assigns."""
    return {t: int(db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM [{t}]").fetchone()[0]) for t in ID_TABLES}


def count_cases(db: Database) -> int:
    """How many cases the file holds (the demo refuses to mix with a hall's real ones)."""
    return int(db.execute("SELECT count(*) FROM cases").fetchone()[0])


def id_numbers(db: Database) -> set[str]:
    """Every stored ID number (to keep generated people distinct from stored ones)."""
    return {r[0] for r in db.execute("SELECT id_number FROM persons").fetchall()}


def ensure_employers(db: Database, employers: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Insert the (credit code, name) pairs not stored yet; returns code -> id for all of them."""
    pairs = dict(employers)
    db.executemany(
        "INSERT INTO employers (credit_code, name) VALUES (?, ?) ON CONFLICT (credit_code) DO NOTHING", list(pairs.items())
    )
    out: dict[str, int] = {}
    for code in pairs:
        row = db.execute("SELECT id FROM employers WHERE credit_code = ?", [code]).fetchone()
        out[code] = int(row[0])
    return out


def _counter(db: Database, table: str, series: str, name: str, year: int) -> int:
    row = db.execute(f"SELECT last FROM {table} WHERE {series} = ? AND year = ?", [name, year]).fetchone()
    return int(row[0]) if row else 0


def _raise_counter(db: Database, table: str, series: str, name: str, year: int, last: int) -> None:
    db.execute(
        f"INSERT INTO {table} ({series}, year, last) VALUES (?, ?, ?)"
        f" ON CONFLICT ({series}, year) DO UPDATE SET last = MAX(last, excluded.last)",
        [name, year, last],
    )


def case_counter(db: Database, prefix: str, year: int) -> int:
    """The last case number handed out in ``prefix``/``year`` (0 if none)."""
    return _counter(db, "case_counters", "prefix", prefix, year)


def set_case_counter(db: Database, prefix: str, year: int, last: int) -> None:
    """Record that case numbers up to ``last`` are taken (never moves the counter back)."""
    _raise_counter(db, "case_counters", "prefix", prefix, year, last)


def notice_counter(db: Database, kind: str, year: int) -> int:
    """The last sequence number of ``kind`` notices in ``year`` (0 if none)."""
    return _counter(db, "notice_counters", "kind", kind, year)


def set_notice_counter(db: Database, kind: str, year: int, last: int) -> None:
    """Record that notice numbers up to ``last`` are taken (never moves the counter back)."""
    _raise_counter(db, "notice_counters", "kind", kind, year, last)


class AuditWriter:
    """Appends audit rows in batches, each linked by ``db.audit.ChainCursor`` (the chain's one linker).

    ``add`` returns the id the row will have.  The cursor takes MAX(id)+1
    and the key in the caller's BEGIN IMMEDIATE transaction (the table is
    AUTOINCREMENT; explicit ids above the current maximum keep its sequence
    right), so nothing else may write audit rows until ``flush``; a writer
    without the key refuses before writing anything.
    """

    def __init__(self, db: Database, batch: int = 20_000, submit: Callable[[str, list[Sequence[Any]]], None] | None = None) -> None:
        if not db.in_transaction:
            raise RuntimeError("AuditWriter must run inside db.connection.transaction()")
        self.submit = submit or db.executemany
        self.batch = batch
        self.cursor = audit_chain.ChainCursor(db)
        self.rows: list[Sequence[Any]] = []
        self.count = 0

    def add(
        self,
        at: str,
        actor: str,
        action: str,
        **subject: Unpack[audit_chain.Subject],
    ) -> int:
        """Link one row into the chain and queue it; returns its id."""
        row = self.cursor.link(at, actor, action, **subject)
        self.rows.append(row)
        self.count += 1
        if len(self.rows) >= self.batch:
            self.flush()
        return int(row[0])

    def flush(self) -> None:
        if self.rows:
            self.submit(audit_chain.INSERT_SQL, self.rows)
            self.rows = []


class Writer:
    """Buffers rows per table and writes them in batches, parents before children.

    Every flush writes all tables in ``TABLE_COLUMNS`` order (persons, then
    the tables that refer to them, ...), so a row never waits for its parent
    and foreign keys can stay checked immediately.  (Deferring them instead
    would make each parent insert search its children for pending
    violations: quadratic once the load drops the child indexes.)
    """

    def __init__(self, db: Database, batch: int = BATCH * 4, submit: Callable[[str, list[Sequence[Any]]], None] | None = None) -> None:
        if not db.in_transaction:
            raise RuntimeError("Writer must run inside db.connection.transaction()")
        self.db = db
        self.submit = submit or db.executemany
        self.batch = batch
        self.buffers: dict[str, list[Sequence[Any]]] = {t: [] for t in TABLE_COLUMNS}
        self.counts: dict[str, int] = {t: 0 for t in TABLE_COLUMNS}
        self.pending = 0

    def add(self, table: str, row: Sequence[Any]) -> None:
        self.buffers[table].append(row)
        self.pending += 1
        if self.pending >= self.batch:
            self.flush()

    def flush(self) -> None:
        for table, buf in self.buffers.items():
            if buf:
                self.submit(insert_sql(table), buf)
                self.counts[table] += len(buf)
                self.buffers[table] = []
        self.pending = 0
