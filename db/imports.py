"""Bulk writes for ``retire import``: batched upserts on natural keys.

Every function here runs inside the caller's transaction (the importer
opens ONE ``db.connection.transaction`` for the whole file) and takes a
batch of plain tuples for ``executemany``: no dicts, no per-row Python
round trips, so the import costs little more than a bare INSERT.

Upserts are written so that re-importing the same file changes nothing:
``ON CONFLICT ... DO UPDATE ... WHERE <the row would change>`` touches no
row whose values are already there, and an empty cell (NULL) keeps the
stored value (``COALESCE(?n, column)``) rather than wiping it.  Callers
count what happened with the rows each batch's statements changed
(``write_batch``: triggers' side effects not included) and the row count of
the table before and after the import (inserted = growth; updated =
changes - inserted).

Parameters are numbered (``?1`` ...) so that one tuple feeds both the
INSERT and the DO UPDATE branch.
"""
from __future__ import annotations

import json
import os
import sqlite3
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from db.connection import sqlite_connection

if TYPE_CHECKING:
    from db.engine import Database


LOOKUP_CHUNK = 500
"""Keys per ``IN (...)`` lookup: well under SQLite's 32,766 variables, big enough to be cheap."""

# --- employers ---------------------------------------------------------------

EMPLOYER_UPSERT = """
INSERT INTO employers (credit_code, name, address, phone) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (credit_code) DO UPDATE SET
    name = ?2, address = COALESCE(?3, address), phone = COALESCE(?4, phone)
WHERE (name, address, phone) IS NOT (?2, COALESCE(?3, address), COALESCE(?4, phone))
"""

EMPLOYER_INSERT_NEW = """
INSERT INTO employers (credit_code, name) VALUES (?1, ?2) ON CONFLICT (credit_code) DO NOTHING
"""

# --- persons -------------------------------------------------------------------

PERSON_COLUMNS = (
    "id_number", "name", "name_initials", "sex", "birth_date_id", "hukou", "phone", "address",
    "staff_category", "female_group", "employer_id", "archive_lost", "insured_before_2011_07", "bank_card",
    "average_index", "account_balance",
)
"""The order of a person tuple; two more follow: the timestamp and the actor."""

_KEPT = ("hukou", "phone", "address", "staff_category", "female_group", "employer_id", "archive_lost",
         "insured_before_2011_07", "bank_card", "average_index", "account_balance")
_KEPT_PARAMS = {name: PERSON_COLUMNS.index(name) + 1 for name in _KEPT}
_AT = len(PERSON_COLUMNS) + 1  # the timestamp parameter
_BY = len(PERSON_COLUMNS) + 2  # the actor parameter
_ARCHIVE_LOST = PERSON_COLUMNS.index("archive_lost") + 1

PERSON_UPSERT = (
    "INSERT INTO persons (" + ", ".join(PERSON_COLUMNS) + ", created_at, updated_by, updated_at) VALUES ("
    + ", ".join(f"COALESCE(?{n}, 0)" if n == _ARCHIVE_LOST else f"?{n}" for n in range(1, len(PERSON_COLUMNS) + 1))
    + f", ?{_AT}, ?{_BY}, ?{_AT})"
    " ON CONFLICT (id_number) DO UPDATE SET name = ?2, name_initials = ?3,"
    " sex = COALESCE(sex, ?4), birth_date_id = COALESCE(birth_date_id, ?5), "
    + ", ".join(f"{c} = COALESCE(?{n}, {c})" for c, n in _KEPT_PARAMS.items())
    + f", version = version + 1, updated_by = ?{_BY}, updated_at = ?{_AT}"
    " WHERE (name, " + ", ".join(_KEPT) + ") IS NOT (?2, "
    + ", ".join(f"COALESCE(?{n}, {c})" for c, n in _KEPT_PARAMS.items()) + ")"
)

PERSON_INSERT_NEW = """
INSERT INTO persons (id_number, name, name_initials, sex, birth_date_id, created_at, updated_by, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6)
ON CONFLICT (id_number) DO NOTHING
"""
"""A person met only as a reference (a contributions row carrying a name): the minimum row."""

# --- contribution periods ------------------------------------------------------

PERIOD_UPSERT = """
INSERT INTO contribution_periods (person_id, from_month, to_month, kind, place, base, evidence, arrears)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, COALESCE(?8, 0))
ON CONFLICT (person_id, from_month, to_month, kind) DO UPDATE SET
    place = COALESCE(?5, place), base = COALESCE(?6, base), evidence = COALESCE(?7, evidence), arrears = COALESCE(?8, arrears)
WHERE (place, base, evidence, arrears) IS NOT (COALESCE(?5, place), COALESCE(?6, base), COALESCE(?7, evidence), COALESCE(?8, arrears))
"""



def period_upsert_by_number_sql(columns: dict[str, int | None], width: int) -> str:
    """PERIOD_UPSERT for raw CSV rows: ``columns`` gives each field's 0-based cell (None: absent).

    The person comes from a sub-select on the unique ID-number index (a missing
    one fails the NOT NULL constraint: loud, never silent); empty
    optional cells become NULL (kept values stay, as in PERIOD_UPSERT).
    Every one of the ``width`` cells is a parameter, as sqlite3 requires; the
    unused ones sit in a no-op ``(?n IS NULL OR 1)`` test.
    """
    p = {name: f"?{i + 1}" for name, i in columns.items() if i is not None}
    opt = {name: (f"NULLIF({p[name]}, '')" if name in p else "NULL") for name in ("place", "base", "evidence")}
    used = {int(v[1:]) for v in p.values()}
    unused = " AND ".join(f"({'?' + str(n)} IS NULL OR 1)" for n in range(1, width + 1) if n not in used)
    return (
        "INSERT INTO contribution_periods (person_id, from_month, to_month, kind, place, base, evidence)"
        f" VALUES ((SELECT id FROM persons WHERE id_number = {p['id_number']}" + (f" AND {unused}" if unused else "")
        + f"), {p['from_month']}, {p['to_month']}, {p['kind']}, {opt['place']}, {opt['base']}, {opt['evidence']})"
        " ON CONFLICT (person_id, from_month, to_month, kind) DO UPDATE SET"
        f" place = COALESCE({opt['place']}, place), base = COALESCE({opt['base']}, base),"
        f" evidence = COALESCE({opt['evidence']}, evidence)"
        f" WHERE (place, base, evidence) IS NOT (COALESCE({opt['place']}, place), COALESCE({opt['base']}, base),"
        f" COALESCE({opt['evidence']}, evidence))"
    )


# --- archive records (no unique index: update matching rows, then insert the rest) --

ARCHIVE_UPDATE = """
UPDATE archive_records SET
    birth_date_recorded = COALESCE(?4, birth_date_recorded), altered = COALESCE(?5, altered),
    altered_confirmed = COALESCE(?6, altered_confirmed), note = COALESCE(?7, note)
WHERE person_id = ?1 AND doc_kind = ?2 AND doc_date IS ?3
  AND (birth_date_recorded, altered, altered_confirmed, note)
      IS NOT (COALESCE(?4, birth_date_recorded), COALESCE(?5, altered), COALESCE(?6, altered_confirmed), COALESCE(?7, note))
"""

ARCHIVE_INSERT = """
INSERT INTO archive_records (person_id, doc_kind, doc_date, birth_date_recorded, altered, altered_confirmed, note)
SELECT ?1, ?2, ?3, ?4, COALESCE(?5, 0), COALESCE(?6, 0), ?7
WHERE NOT EXISTS (SELECT 1 FROM archive_records WHERE person_id = ?1 AND doc_kind = ?2 AND doc_date IS ?3)
"""

# --- cases -------------------------------------------------------------------------

CASE_COLUMNS = (
    "case_no", "person_id", "kind", "status", "joint_items", "received_at", "accepted_at", "completed_at",
    "chosen_month", "due_date", "acceptance_notice_no",
)
"""The order of a case tuple; the timestamp (?12) and the actor (?13) follow."""

_CASE_KEPT = {c: CASE_COLUMNS.index(c) + 1 for c in CASE_COLUMNS[2:]}

CASE_UPSERT = (
    "INSERT INTO cases (" + ", ".join(CASE_COLUMNS) + ", created_by, updated_by, created_at, updated_at)"
    " VALUES (?1, ?2, COALESCE(?3, 'normal'), COALESCE(?4, 'draft'), COALESCE(?5, '[]'), ?6, ?7, ?8, ?9, ?10, ?11,"
    " ?13, ?13, ?12, ?12)"
    " ON CONFLICT (case_no) DO UPDATE SET "
    + ", ".join(f"{c} = COALESCE(?{n}, {c})" for c, n in _CASE_KEPT.items())
    + ", version = version + 1, updated_by = ?13, updated_at = ?12"
    " WHERE (" + ", ".join(_CASE_KEPT) + ") IS NOT ("
    + ", ".join(f"COALESCE(?{n}, {c})" for c, n in _CASE_KEPT.items()) + ")"
)

CASE_COUNTER_BUMP = """
INSERT INTO case_counters (prefix, year, last) VALUES (?, ?, ?)
ON CONFLICT (prefix, year) DO UPDATE SET last = MAX(last, excluded.last)
"""
"""Imported case numbers must never be handed out again by ``allocate_case_no``."""


# --- the first pass's per-row keys (duplicates inside the file) --------------------

KEY_BATCH = 20_000
"""Rows per ``executemany`` into the key table."""
RUN_KEYS = 65_536
"""In-order integer keys per block of the run table (two 512 KB arrays in memory at most)."""


def _temp_in_memory(conn: sqlite3.Connection) -> bool:
    """Whether this connection keeps TEMP tables in memory (``temp_store``, or the build's default)."""
    store = int(conn.execute("PRAGMA temp_store").fetchone()[0])
    if store:
        return store == 2
    options = {row[0] for row in conn.execute("PRAGMA compile_options")}
    return bool(options & {"TEMP_STORE=2", "TEMP_STORE=3"})


class RowKeys:
    """The natural key of every row of the file being validated, on disk, to find duplicates.

    The first pass gives each row's ``(key, line, *extra)``; after the pass
    ``duplicates()`` finds, with one ``GROUP BY key HAVING count(*) > 1``,
    every key that occurs more than once, its first line and the later ones.
    The tables are TEMP tables of the import's own connection, kept in the
    connection's temp file (``PRAGMA temp_store=FILE``: SQLite deletes the file
    itself, and holds no more than its page cache in memory), never in the
    hall's database file; ``close`` drops them.  So memory stays flat however
    many rows the file has.

    Rows are written in batches of ``batch`` with ``executemany`` into the key
    table ``(key, line, *extra)``.  ``key`` has no declared type: an integer
    (a packed key) or a text (a credit code, a case number) is stored
    exactly as given; ``extra`` names further integer columns (see
    ``CasesPlan``).

    Integer keys may take a faster road (``ordered``): a key greater than
    every key before it cannot repeat an earlier row, so such keys (every
    row of a file sorted by person and period, as the nightly export is) go
    to ``run_keys`` / ``run_lines`` and from there, ``RUN_KEYS`` at a time,
    as two packed arrays into one row of the run table.  Only the other keys
    (``unordered``) go to the key table, and a block of the run table whose
    range such a key falls into is copied into the key table before the
    ``GROUP BY`` (the key's first row may be in it).  The result is exactly
    that of putting every row in the key table, at a fraction of the cost.
    """

    _serial = 0

    def __init__(self, extra: tuple[str, ...] = (), batch: int = KEY_BATCH, run_size: int = RUN_KEYS) -> None:
        RowKeys._serial += 1
        self.name = f"import_keys_{os.getpid()}_{RowKeys._serial}"
        self.runs = self.name + "_runs"
        self.extra = extra
        self.batch = batch
        self.run_size = run_size
        self.pending: list[tuple[Any, ...]] = []
        self.run_keys = array("q")
        self.run_lines = array("q")
        self.run_lo: list[int] = []
        """Smallest key of each stored block: 16 bytes per ``RUN_KEYS`` rows, with ``run_hi``."""
        self.run_hi: list[int] = []
        self.needed: set[int] = set()
        """Blocks an unordered key fell into: copied into the key table before the GROUP BY."""
        self.db: Database | None = None
        self.rows = 0
        self._temp_store: int | None = None
        marks = ", ".join("?" for _ in range(2 + len(extra)))
        self._insert = f"INSERT INTO temp.{self.name} VALUES ({marks})"

    # --- the first pass --------------------------------------------------------
    def open(self, db: Database) -> None:
        """Create the (empty) tables; temp data goes to a file for as long as they exist."""
        self.db = db
        conn = sqlite_connection(db)
        if not conn.in_transaction and _temp_in_memory(conn):
            self._temp_store = int(conn.execute("PRAGMA temp_store").fetchone()[0])
            conn.execute("PRAGMA temp_store = FILE")  # (drops the temp tables: ours are not made yet)
        columns = ", ".join(["key", "line INTEGER", *(f"{c} INTEGER" for c in self.extra)])
        for table in (self.name, self.runs):
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
        conn.execute(f"CREATE TEMP TABLE {self.name} ({columns})")
        conn.execute(f"CREATE TEMP TABLE {self.runs} (id INTEGER PRIMARY KEY, lo INTEGER, hi INTEGER, keys BLOB, lines BLOB)")

    def add(self, key: Any, line: int, *extra: Any) -> None:
        """One row's key, in any order (the key table)."""
        self.pending.append((key, line, *extra))
        if len(self.pending) >= self.batch:
            self.flush()

    def unordered(self, key: int, line: int) -> None:
        """An integer key not above every earlier one: the key table, and note the block it falls into.

        (A caller of ``ordered`` keys appends greater ones to ``run_keys`` /
        ``run_lines`` itself and calls ``flush_run`` when ``run_size`` are there.)
        """
        run_keys = self.run_keys
        if run_keys and key >= run_keys[0]:
            self.needed.add(len(self.run_lo))  # the block being filled
        else:
            i = bisect_right(self.run_lo, key) - 1
            if i >= 0 and key <= self.run_hi[i]:
                self.needed.add(i)
        self.pending.append((key, line))
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        """Send ``pending`` with one ``executemany`` and empty it (in place: callers hold the list)."""
        if not self.pending:
            return
        self._write(self._insert, self.pending)
        self.rows += len(self.pending)
        self.pending.clear()

    def flush_run(self) -> None:
        """Store ``run_keys`` / ``run_lines`` as one block and empty them (in place)."""
        keys = self.run_keys
        if not keys:
            return
        block = len(self.run_lo)
        self._write(f"INSERT INTO temp.{self.runs} VALUES (?, ?, ?, ?, ?)",
                    [(block, keys[0], keys[-1], keys.tobytes(), self.run_lines.tobytes())])
        self.run_lo.append(keys[0])
        self.run_hi.append(keys[-1])
        del keys[:]
        del self.run_lines[:]

    def _conn(self) -> sqlite3.Connection:
        """The connection ``open`` was given (using the keys before ``open`` or after ``close`` is a bug)."""
        assert self.db is not None, "RowKeys.open(db) first"
        return sqlite_connection(self.db)

    def _write(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        conn = self._conn()
        outside = not conn.in_transaction
        conn.executemany(sql, rows)
        if outside:
            conn.commit()  # only a temp table was written: nothing of the hall's

    # --- after the pass ----------------------------------------------------------
    def _settle(self) -> None:
        """Everything into the tables; the blocks an unordered key fell into, into the key table."""
        self.flush()
        self.flush_run()
        for block in sorted(self.needed):
            keys, lines = array("q"), array("q")
            row = self._conn().execute(f"SELECT keys, lines FROM temp.{self.runs} WHERE id = ?", [block]).fetchone()
            keys.frombytes(row[0])
            lines.frombytes(row[1])
            self._write(self._insert, list(zip(keys, lines, strict=True)))
            self.rows += len(keys)
        self.needed.clear()

    def duplicates(self) -> sqlite3.Cursor:
        """(key, first line, later line) for every row whose key an earlier row already had, by line.

        A cursor: close it (``contextlib.closing``) if you stop early, so the tables can be dropped.
        """
        self._settle()
        return self._conn().execute(
            f"SELECT d.key, d.first, k.line FROM temp.{self.name} AS k"
            f" JOIN (SELECT key, min(line) AS first FROM temp.{self.name} GROUP BY key HAVING count(*) > 1) AS d"
            " ON d.key = k.key WHERE k.line > d.first ORDER BY k.line"
        )

    def firsts(self) -> sqlite3.Cursor:
        """(key, first line, *extra of that first row) for every distinct key, by first line (a cursor).

        Only for keys given with ``add``.
        """
        self._settle()
        extra = "".join(f", {c}" for c in self.extra)
        # a bare column beside min() takes its value from the row holding the minimum
        return self._conn().execute(
            f"SELECT key, min(line) AS first{extra} FROM temp.{self.name} GROUP BY key ORDER BY first"
        )

    def present(self, keys: Iterable[Any]) -> set[Any]:
        """The ones of ``keys`` that some row has (keys given with ``add``)."""
        self._settle()
        out: set[Any] = set()
        for chunk in _chunks(list(keys), JSON_CHUNK):
            out.update(row[0] for row in self._conn().execute(
                f"SELECT DISTINCT key FROM temp.{self.name} WHERE key IN (SELECT value FROM json_each(?))",
                [json.dumps(list(chunk))],
            ))
        return out

    def close(self) -> None:
        """Drop the tables (and give the connection its temp_store back); safe to call twice."""
        db, self.db = self.db, None
        self.pending.clear()
        del self.run_keys[:]
        del self.run_lines[:]
        if db is None:
            return
        conn = sqlite_connection(db)
        try:
            for table in (self.name, self.runs):
                conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
            if self._temp_store is not None and not conn.in_transaction:
                conn.execute(f"PRAGMA temp_store = {self._temp_store}")
        except sqlite3.Error:
            pass  # the connection is going away (the caller is failing already): so is its temp file
        self._temp_store = None


# --- helpers -----------------------------------------------------------------------

def total_changes(db: Database) -> int:
    """Rows inserted, updated or deleted on this connection so far (for per-batch counting)."""
    return int(sqlite_connection(db).total_changes)


def count_rows(db: Database, table: str) -> int:
    if table not in ("persons", "employers", "cases", "archive_records", "contribution_periods", "ratings"):
        raise ValueError(f"not an import table: {table}")
    return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def write_batch(db: Database, sql: str, batch: Sequence[Sequence[Any]]) -> int:
    """``executemany`` one batch; returns the rows its statements changed (inserted + updated).

    The cursor's ``rowcount`` (the sum of ``sqlite3_changes()`` over the
    batch), not the connection's ``total_changes``: the latter also counts
    what triggers do (a new period deletes the person's cached pre-review
    row), which made one inserted period report two changes.
    """
    if not batch:
        return 0
    return max(int(db.executemany(sql, batch).rowcount), 0)


def upsert_employers(db: Database, batch: Sequence[tuple[Any, ...]]) -> int:
    """(credit_code, name, address, phone) tuples."""
    return write_batch(db, EMPLOYER_UPSERT, batch)


def insert_new_employers(db: Database, batch: Sequence[tuple[str, str]]) -> int:
    """(credit_code, name): employers named in a persons file and not yet registered."""
    return write_batch(db, EMPLOYER_INSERT_NEW, batch)


def upsert_persons(db: Database, batch: Sequence[tuple[Any, ...]]) -> int:
    """PERSON_COLUMNS + (timestamp, actor) tuples."""
    return write_batch(db, PERSON_UPSERT, batch)


def insert_new_persons(db: Database, batch: Sequence[tuple[Any, ...]]) -> int:
    """(id_number, name, name_initials, sex, birth_date_id, timestamp, actor) tuples."""
    return write_batch(db, PERSON_INSERT_NEW, batch)


def upsert_periods(db: Database, batch: Sequence[tuple[Any, ...]]) -> int:
    """(person_id, from_month, to_month, kind, place, base, evidence, arrears) tuples (arrears None: keep)."""
    return write_batch(db, PERIOD_UPSERT, batch)


def upsert_archive_records(db: Database, batch: Sequence[tuple[Any, ...]]) -> tuple[int, int]:
    """(person_id, doc_kind, doc_date, birth_date_recorded, altered, altered_confirmed, note); (inserted, updated)."""
    updated = write_batch(db, ARCHIVE_UPDATE, batch)
    inserted = write_batch(db, ARCHIVE_INSERT, batch)
    return inserted, updated


def upsert_cases(db: Database, batch: Sequence[tuple[Any, ...]]) -> int:
    """CASE_COLUMNS + (timestamp, actor) tuples."""
    return write_batch(db, CASE_UPSERT, batch)


def bump_case_counters(db: Database, highest: Iterable[tuple[str, int, int]]) -> None:
    """(prefix, year, highest number imported) for every series the file used."""
    db.executemany(CASE_COUNTER_BUMP, list(highest))


def _chunks(keys: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(keys), size):
        yield keys[start:start + size]


JSON_CHUNK = 50_000
"""Keys per ``json_each`` lookup: one statement for tens of thousands of keys, parsed in C."""


def _rows_by_json_keys(db: Database, sql: str, keys: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """The rows ``sql`` (one ``json_each(?)`` placeholder) finds for ``keys``, chunk by chunk, streamed."""
    for chunk in _chunks(keys, JSON_CHUNK):
        yield from db.execute(sql, [json.dumps(list(chunk))])


_PERSONS_BY_NUMBER = "SELECT p.id_number, p.id, p.name FROM json_each(?) j JOIN persons p ON p.id_number = j.value"
_EMPLOYERS_BY_CODE = "SELECT e.credit_code, e.id, e.name FROM json_each(?) j JOIN employers e ON e.credit_code = j.value"


def persons_by_number(db: Database, numbers: Sequence[str]) -> dict[str, tuple[int, str]]:
    """id_number -> (person id, name) for the numbers that are registered."""
    return {number: (int(pid), name) for number, pid, name in _rows_by_json_keys(db, _PERSONS_BY_NUMBER, numbers)}


def iter_persons_by_number(db: Database, numbers: Sequence[str]) -> Iterator[tuple[str, int, str]]:
    """(id_number, person id, name) of the registered numbers, streamed (no list of every row)."""
    for number, pid, name in _rows_by_json_keys(db, _PERSONS_BY_NUMBER, numbers):
        yield number, int(pid), name


def employers_by_code(db: Database, codes: Sequence[str]) -> dict[str, tuple[int, str]]:
    """credit_code -> (employer id, name) for the codes that are registered."""
    return {code: (int(eid), name) for code, eid, name in _rows_by_json_keys(db, _EMPLOYERS_BY_CODE, codes)}


def cases_by_number(db: Database, case_nos: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """case_no -> (the person's id_number, status, accepted_at, completed_at, acceptance_notice_no)
    for the cases that exist."""
    out: dict[str, tuple[Any, ...]] = {}
    for chunk in _chunks(case_nos):
        marks = ", ".join("?" for _ in chunk)
        for case_no, *row in db.execute(
            f"SELECT c.case_no, p.id_number, c.status, c.accepted_at, c.completed_at, c.acceptance_notice_no"
            f" FROM cases c JOIN persons p ON p.id = c.person_id WHERE c.case_no IN ({marks})",
            list(chunk),
        ).fetchall():
            out[case_no] = tuple(row)
    return out


def open_cases_by_person(db: Database, numbers: Sequence[str], open_statuses: Sequence[str]) -> dict[str, list[str]]:
    """id_number -> case numbers of that person's open cases (one open case per person is the rule)."""
    out: dict[str, list[str]] = {}
    states = ", ".join("?" for _ in open_statuses)
    for chunk in _chunks(numbers):
        marks = ", ".join("?" for _ in chunk)
        for number, case_no in db.execute(
            f"SELECT p.id_number, c.case_no FROM cases c JOIN persons p ON p.id = c.person_id"
            f" WHERE p.id_number IN ({marks}) AND c.status IN ({states})",
            [*chunk, *open_statuses],
        ).fetchall():
            out.setdefault(number, []).append(case_no)
    return out
