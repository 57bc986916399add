"""Opening the database and running one use-case as one transaction.

The hall shares one SQLite file between clerks on one server, so every
connection gets the same settings: WAL (readers never block the writer),
foreign keys on, a 15 s busy timeout (a clerk waits for a colleague's save
rather than seeing "database is locked"; ``RETIRE_BUSY_TIMEOUT_MS`` changes
it, e.g. for a test or a hall with very long imports), and NORMAL sync
(safe with WAL).

Only ``retire init`` (``create=True``) makes a hall out of a missing or
empty file.  Every other opener passes ``create=False`` and is refused,
before SQLite writes a byte, when the file is empty (0 bytes), is not a
SQLite file, or is a SQLite file without our schema_version table: a
typo'd ``--db`` never becomes an empty hall that ``doctor`` calls healthy.

``transaction()`` starts with BEGIN IMMEDIATE: the write lock is taken up
front, so two writers queue at the start instead of the second one failing
half-way through with SQLITE_BUSY after it has already read stale data.

``open_read_connection()`` is the opener of a read (``retire case show``):
the same refusals and settings, on a plain ``sqlite3`` connection
(db/read_connection.py), so a lookup never imports sqlite-utils.
"""
from __future__ import annotations

import os
import secrets
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from console.errors import BadInput, NotFound
from db.connection_state import busy_timeout_ms, lock_listeners, note_opened
from db.location import default_db_path
from db.read_connection import ReadConnection

if TYPE_CHECKING:  # writes get a HallDatabase (sqlite-utils), imported when one is opened
    from db.engine import Database
    from db.hall_database import HallDatabase

_Conn = TypeVar("_Conn", bound=sqlite3.Connection)
_Db = TypeVar("_Db", bound="Database")  # transaction() hands back what it was given

SQLITE_HEADER = b"SQLite format 3\x00"
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


def _is_hall(conn: sqlite3.Connection) -> tuple[bool, bool]:
    """(has our schema_version table, has any other table): a read, changes nothing."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    ours = "schema_version" in names
    others = any(n != "schema_version" and not n.startswith("sqlite_") for n in names)
    return ours, others


def _check_file(path: Path, create: bool) -> None:
    """Refuse what is not a regular file (a FIFO would block us), and without ``create`` an
    empty file or one that is not SQLite at all, before SQLite sees it."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise _open_failure(exc, path) from None
    if not stat.S_ISREG(info.st_mode):
        raise BadInput("db.not_regular", path=str(path))
    if create:
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            head = os.read(fd, len(SQLITE_HEADER))
        finally:
            os.close(fd)
    except OSError as exc:
        raise _open_failure(exc, path) from None
    if head != SQLITE_HEADER:
        raise BadInput("db.not_hall", path=str(path))


def _open_failure(exc: BaseException, path: Path) -> Exception:
    """A failure met while opening: the machine's (disk full, read-only, I/O: exit 3) or else the file's (exit 2)."""
    from console.errors import EnvironmentFailure
    from console.faults import translate

    err = translate(exc, path)
    if isinstance(err, EnvironmentFailure):
        return err
    return BadInput("db.cannot_open", path=str(path), reason=_reason(exc))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def open_database(path: Path, *, create: bool = True) -> HallDatabase:
    """Open (and if allowed create) the database file with the hall's settings.

    Without ``create``: ``NotFound`` for a missing file, ``BadInput('db.not_hall')``
    for an empty, non-SQLite or foreign SQLite file (nothing is written to
    it), ``BadInput`` for anything else that cannot be opened.  A foreign
    SQLite file opened with ``create`` keeps its journal mode (``migrate``
    then refuses it).  A disk that is full, read-only or failing is an
    ``EnvironmentFailure`` (exit 3) in both modes.
    """
    from db.hall_database import HallDatabase

    conn = _connect(path, create, sqlite3.Connection)
    try:
        return HallDatabase(conn, execute_plugins=False)
    except BaseException:
        conn.close()
        raise


def open_read_connection(path: Path) -> ReadConnection:
    """An existing hall opened for reading only: the refusals of ``open_database(create=False)``,
    the same settings, and ``PRAGMA query_only`` (a write through it is an error, not a write)."""
    conn = _connect(path, False, ReadConnection)
    try:
        conn.execute("PRAGMA query_only=ON")
    except sqlite3.Error as exc:
        conn.close()
        raise _open_failure(exc, Path(path).expanduser()) from None
    return conn


def _connect(path: Path, create: bool, factory: type[_Conn]) -> _Conn:
    """The checked file opened as ``factory`` with the hall's settings (see ``open_database``)."""
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
                    raise _open_failure(exc, path) from None
            else:
                raise BadInput("db.no_directory", path=str(path), directory=str(parent))
        try:
            _create_file(path)
        except OSError as exc:
            raise _open_failure(exc, path) from None
    _check_file(path, create)
    note_opened(path)
    from console.safe_files import protect

    protect(path, with_sidecars=True)  # no writer of this process may replace the hall (export --out "$RETIRE_DB")
    timeout_ms = busy_timeout_ms()
    try:
        conn = sqlite3.connect(str(path), timeout=timeout_ms / 1000, factory=factory)
    except sqlite3.Error as exc:
        raise _open_failure(exc, path) from None
    try:
        conn.execute(f"PRAGMA busy_timeout={timeout_ms}")
        ours, others = _is_hall(conn)  # reads the header: "file is not a database" shows here
        if not ours and not create:
            raise BadInput("db.not_hall", path=str(path))
        if ours or not others:  # never switch a foreign file's journal: migrate() refuses it
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error as exc:
        conn.close()
        raise _open_failure(exc, path) from None
    except BaseException:
        conn.close()
        raise
    return conn


def in_transaction(db: Database) -> bool:
    """Whether a transaction is open on this connection (audit/counters require one)."""
    return db.in_transaction


def sqlite_connection(db: Database) -> sqlite3.Connection:
    """The ``sqlite3.Connection`` under ``db``, for the few places that truly need SQLite.

    The backup API, ``total_changes``, PRAGMAs, the bulk writer's thread: what
    ``db.engine.Database`` does not offer because PostgreSQL has no twin.
    Asking here (rather than reading ``db.conn``) keeps those places findable;
    any other engine is refused with ``TypeError``.
    """
    conn = getattr(db, "conn", None)
    if isinstance(conn, sqlite3.Connection):
        return conn
    raise TypeError(f"a {db.engine} database has no sqlite3 connection")


@contextmanager
def transaction(db: _Db) -> Iterator[_Db]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception.

    Nested use joins the outer transaction through a savepoint, so a use-case
    may call another one and both commit or neither.  sqlite-utils' own write
    methods (insert, upsert, execute) see the open transaction and do not
    commit on their own; tests/test_db_schema.py holds that to account.
    """
    if db.in_transaction:
        name = f"sp_{secrets.token_hex(8)}"
        db.execute(f"SAVEPOINT {name}")
        try:
            yield db
        except BaseException:
            if db.in_transaction:
                db.execute(f"ROLLBACK TO SAVEPOINT {name}")
                db.execute(f"RELEASE SAVEPOINT {name}")
            raise
        else:
            db.execute(f"RELEASE SAVEPOINT {name}")
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        for listener in lock_listeners():
            listener(db)
        yield db
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    else:
        try:
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
