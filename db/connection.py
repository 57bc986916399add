"""Opening the database and running one use-case as one transaction.

The hall shares one SQLite file between clerks on one server, so every
connection gets the same settings: WAL (readers never block the writer),
foreign keys on, a 15 s busy timeout (a clerk waits for a colleague's save
rather than seeing "database is locked"), and NORMAL sync (safe with WAL).

``transaction()`` starts with BEGIN IMMEDIATE: the write lock is taken up
front, so two writers queue at the start instead of the second one failing
half-way through with SQLITE_BUSY after it has already read stale data.
"""
from __future__ import annotations

import os
import secrets
import sqlite3
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlite_utils

from console.errors import BadInput, NotFound
from db.location import default_db_path

BUSY_TIMEOUT_MS = 15000
PRIVATE_MODE = 0o600
SHARED_MODE = 0o660


def new_file_mode(directory: Path) -> int:
    """0o660 in a setgid directory (a hall's shared folder, group = the clerks), else 0o600.

    The file holds ID numbers and bank cards: private unless the directory
    says, by its setgid bit, that its files belong to a working group.
    """
    try:
        setgid = bool(directory.stat().st_mode & stat.S_ISGID)
    except OSError:
        setgid = False
    return SHARED_MODE if setgid else PRIVATE_MODE


def create_private_file(path: Path) -> None:
    """Create an empty file with the database's mode rules (0o600, or 0o660 in a setgid directory)."""
    _create_file(path)


def _create_file(path: Path) -> None:
    """Create an empty file with the right mode before SQLite touches it.

    SQLite would create it with 0o644 & ~umask; creating it ourselves (and
    chmod-ing, since the umask may strip the group bits) fixes the mode, and
    SQLite gives its -wal and -shm files the mode of the main file.
    """
    mode = new_file_mode(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return  # somebody created it meanwhile: theirs is as good as ours
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def open_database(path: Path, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and if allowed create) the database file with the hall's settings.

    Raises ``NotFound`` for a missing file when ``create`` is false and
    ``BadInput`` for anything that cannot be opened as a database.
    """
    path = Path(path).expanduser()
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except OSError as exc:  # e.g. a login outside the hall's group: the directory is closed to it
        raise BadInput("db.cannot_open", path=str(path), reason=_reason(exc)) from None
    if is_dir:
        raise BadInput("db.is_directory", path=str(path))
    if not exists:
        if not create:
            raise NotFound("db.missing", path=str(path))
        parent = path.parent
        if not parent.exists():
            if path == default_db_path():
                try:
                    parent.mkdir(parents=True, mode=0o700, exist_ok=True)
                except OSError as exc:
                    raise BadInput("db.cannot_open", path=str(path), reason=_reason(exc)) from None
            else:
                raise BadInput("db.no_directory", path=str(path), directory=str(parent))
        try:
            _create_file(path)
        except OSError as exc:
            raise BadInput("db.cannot_open", path=str(path), reason=_reason(exc)) from None
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise BadInput("db.cannot_open", path=str(path), reason=_reason(exc)) from None
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # journal_mode reads the header: this is where "file is not a database" shows
        conn.execute("PRAGMA journal_mode=WAL").fetchone()
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        db = sqlite_utils.Database(conn, execute_plugins=False)
    except sqlite3.Error as exc:
        conn.close()
        raise BadInput("db.cannot_open", path=str(path), reason=_reason(exc)) from None
    return db


def in_transaction(db: sqlite_utils.Database) -> bool:
    """Whether a transaction is open on this connection (audit/counters require one)."""
    return db.conn.in_transaction


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception.

    Nested use joins the outer transaction through a savepoint, so a use-case
    may call another one and both commit or neither.  sqlite-utils' own write
    methods (insert, upsert, execute) see the open transaction and do not
    commit on their own; tests/test_db_schema.py holds that to account.
    """
    conn = db.conn
    if conn.in_transaction:
        name = f"sp_{secrets.token_hex(8)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        else:
            conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
