"""When the machine fails, not the user: one sentence, exit 3, a log for the IT admin.

``translate(exc)`` turns what SQLite and the OS raise into the project's
errors, each with a sentence that says what to do:

- ``sqlite3.OperationalError`` "database is locked"/busy (past the busy
  timeout) -> ``DatabaseBusy``, naming who holds the lock when a long job
  left a note (``<db>.busy``, below); "attempt to write a readonly
  database" -> read-only; "database or disk is full" -> disk full; "disk
  I/O error" -> I/O (or disk full / read-only when the file system says
  so); a malformed file -> corrupt.  All ``EnvironmentFailure``, exit 3.
- "file is not a database" -> ``BadInput('db.not_hall')`` (exit 2).
- ``OSError``: ENOSPC/EDQUOT disk full, EROFS read-only, EIO I/O, EPIPE
  broken pipe, ENOMEM out of memory (exit 3); EACCES/EPERM and a bad path
  (ENOENT, ENOTDIR, EISDIR, ELOOP, ...) are the user's to fix (exit 2);
  any other errno is the environment's (exit 3).
- ``MemoryError`` -> out of memory (exit 3).
- anything else -> None: a bug.  ``write_crash_log`` keeps its traceback in
  ``platformdirs.user_log_dir("retire")/crash-<timestamp>.log`` (written
  through ``console.safe_files``: private mode, never through a link) and
  the user sees one line naming that file.

The busy note: a long job (an import, the demo, a restore) writes
``<db>.busy`` (login, command, pid, host, start time) as soon as it holds
the write lock, and removes it when it ends.  A file beside the database
rather than a row in it: a row written inside the long transaction is not
visible to others until the end, and a row written outside it would need
the very lock the job holds.  A note left by a killed job is ignored (its
pid is gone on this host).
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sqlite3
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from console.errors import BadInput, BrokenOutput, DatabaseBusy, EnvironmentFailure, RetireError

BUSY_SUFFIX = ".busy"
NOTE_MAX_BYTES = 4096
LOW_SPACE_BYTES = 512 * 1024
"""Below this much free space an "I/O error" or "cannot open" is reported as a full disk."""
ROOMY_BYTES = 64 * 1024 * 1024
"""With this much free beside the database, "disk is full" was another disk's (a backup target's):
the sentence then names no file.  (After a rollback the database's own disk may have some room again.)"""

# SQLite primary result codes (extended codes carry them in the low byte)
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26

_USER_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ELOOP,
                errno.ENAMETOOLONG, errno.EEXIST, errno.EXDEV, errno.ENXIO}


# ---------------------------------------------------------------- translate


def translate(exc: BaseException, db_path: Path | str | None = None) -> RetireError | None:
    """The project's error for ``exc``; None when it is a bug (see ``write_crash_log``)."""
    if isinstance(exc, RetireError):
        return exc
    if isinstance(exc, sqlite3.Error):
        return _sqlite(exc, _db_path(db_path))
    if isinstance(exc, OSError):
        return _os(exc, _db_path(db_path))
    if isinstance(exc, MemoryError):
        return EnvironmentFailure("faults.out_of_memory")
    if isinstance(exc, OverflowError) and "sqlite" in str(exc).lower():
        # a number typed or read that no row can hold (a task id of 2**63): bad input, not a bug
        return BadInput("faults.number_too_large")
    return None


def _db_path(explicit: Path | str | None) -> Path | None:
    if explicit is not None:
        return Path(explicit)
    from db.connection import last_opened

    return last_opened()


def _shown(path: Path | str | None) -> str:
    return "-" if path is None or str(path) == "" else str(path)


def _sqlite(exc: sqlite3.Error, path: Path | None) -> RetireError | None:
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    message = str(exc).lower()
    if primary in (SQLITE_BUSY, SQLITE_LOCKED) or "database is locked" in message or "is busy" in message \
            or "table is locked" in message:
        return busy(path)
    if primary == SQLITE_READONLY or "readonly database" in message:
        return EnvironmentFailure("faults.read_only", path=_shown(path))
    if primary == SQLITE_FULL or "database or disk is full" in message:
        free = _free_bytes(path) if path is not None else None
        if free is not None and free >= ROOMY_BYTES:
            return EnvironmentFailure("faults.disk_full_nopath")  # another file's disk (a backup copy's, a temp file's)
        return EnvironmentFailure("faults.disk_full", path=_shown(path))
    if primary == SQLITE_IOERR or "disk i/o error" in message:
        return _disk_state(path) or EnvironmentFailure("faults.io_error", path=_shown(path))
    if primary == SQLITE_CANTOPEN or "unable to open database file" in message:
        return _disk_state(path) or BadInput("db.cannot_open", path=_shown(path), reason=str(exc))
    if primary == SQLITE_NOTADB or "file is not a database" in message:
        return BadInput("db.not_hall", path=_shown(path))
    if primary == SQLITE_CORRUPT or "malformed" in message:
        return EnvironmentFailure("faults.corrupt", path=_shown(path))
    if "could not decode to utf-8" in message:  # bytes put into a text column by another tool
        return EnvironmentFailure("faults.not_utf8", path=_shown(path))
    return None


def _free_bytes(path: Path) -> int | None:
    """Free space on the file system holding ``path`` (what this user may use), None if unknown."""
    directory = path if path.is_dir() else path.parent
    try:
        info = os.statvfs(directory if str(directory) else ".")
    except OSError:
        return None
    return int((info.f_bfree if os.geteuid() == 0 else info.f_bavail) * info.f_frsize)


def _disk_state(path: Path | None) -> EnvironmentFailure | None:
    """Read-only or (nearly) full, as the file system of ``path`` says; None when neither."""
    if path is None:
        return None
    directory = path if path.is_dir() else path.parent
    try:
        info = os.statvfs(directory if str(directory) else ".")
    except OSError:
        return None
    if info.f_flag & os.ST_RDONLY:
        return EnvironmentFailure("faults.read_only", path=str(path))
    free = (info.f_bfree if os.geteuid() == 0 else info.f_bavail) * info.f_frsize
    if free < LOW_SPACE_BYTES:
        return EnvironmentFailure("faults.disk_full", path=str(path))
    return None


def _os(exc: OSError, db_path: Path | None) -> RetireError:
    """An OSError by errno; without a file name the sentence names none (it may be stdout, not the database)."""
    path = exc.filename if exc.filename not in (None, "") else None
    reason = exc.strerror or str(exc)
    number = exc.errno
    if number == errno.EPIPE or isinstance(exc, BrokenPipeError):
        return BrokenOutput("faults.broken_pipe")
    if number == errno.ENOMEM:
        return EnvironmentFailure("faults.out_of_memory")
    kind: type[RetireError]
    if number in (errno.ENOSPC, errno.EDQUOT):
        key, kind = "faults.disk_full", EnvironmentFailure
    elif number == errno.EROFS:
        key, kind = "faults.read_only", EnvironmentFailure
    elif number == errno.EIO:
        key, kind = "faults.io_error", EnvironmentFailure
    elif number in (errno.EACCES, errno.EPERM):
        key, kind = "faults.no_access", BadInput
    elif number in _USER_ERRNOS:
        key, kind = "faults.bad_path", BadInput
    else:
        key, kind = "faults.os_error", EnvironmentFailure
    if path is None:
        return kind(key + "_nopath", reason=reason)
    return kind(key, path=str(path), reason=reason)


def is_broken_pipe(err: BaseException) -> bool:
    return isinstance(err, (BrokenOutput, BrokenPipeError)) or (isinstance(err, RetireError) and err.key == "files.broken_pipe")


def silence_stdout() -> None:
    """Point stdout at /dev/null (Python's advice after EPIPE): no "Exception ignored" at exit."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)


def say(line: str) -> None:
    """One line on stderr, if stderr is still there (never a control character in it)."""
    from console.text_policy import for_display

    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(for_display(line) + "\n")
        sys.stderr.flush()


# ---------------------------------------------------------------- busy note


def busy_note_path(db_path: Path | str) -> Path:
    path = Path(db_path)
    return path.with_name(path.name + BUSY_SUFFIX)


def busy(db_path: Path | None) -> DatabaseBusy:
    """The busy error, naming the lock holder when a live long job left its note."""
    from db.connection import busy_timeout_ms

    ms = busy_timeout_ms()
    seconds = f"{ms / 1000:g}"
    note = read_busy_note(db_path) if db_path is not None else None
    if note is None:
        return DatabaseBusy("faults.busy", seconds=seconds)
    return DatabaseBusy("faults.busy_held", seconds=seconds, **note)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs: the one test every leftover-cleaner uses.

    No such process (or a pid no process can have) is dead; another user's
    process, or an answer we cannot read, counts as alive, so that nothing a
    running job still uses is ever removed.
    """
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError, ValueError):
        return False
    except OSError:  # PermissionError: someone else's process
        return True
    return True


def read_busy_note(db_path: Path | str) -> dict[str, str] | None:
    """The live lock holder's note (login, command, pid, since), or None.

    The note may have been planted by anyone who can write the directory:
    it is read without following links, bounded, and shown through the
    text policy's display filter.
    """
    from console.text_policy import for_display

    path = busy_note_path(db_path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        raw = os.read(fd, NOTE_MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(raw) > NOTE_MAX_BYTES:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
        pid = int(data["pid"])
        host = str(data.get("host", ""))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        return None
    if host == socket.gethostname() and not pid_alive(pid):
        return None  # a killed job's note
    return {
        "login": for_display(str(data.get("login", "?")))[:64],
        "command": for_display(str(data.get("command", "?")))[:120],
        "pid": str(pid),
        "since": for_display(str(data.get("since", "?")))[:32],
    }


def _os_login() -> str:
    """Who runs this process, as the kernel says (and who asked, under sudo)."""
    try:
        import pwd

        name = pwd.getpwuid(os.getuid()).pw_name
    except (KeyError, ImportError):
        name = str(os.getuid())
    sudo = os.environ.get("SUDO_USER", "").strip()
    return f"{sudo} ({name})" if sudo and sudo != name else name


class BusyNote:
    """While active, the first write lock this process takes on a database leaves ``<db>.busy``.

    Use as a context manager around a long job; the note is removed at the
    end (only if it is still ours).  Failing to write the note never fails
    the job: it is a courtesy to colleagues who wait.
    """

    def __init__(self, command: str) -> None:
        self.command = command
        self.written: list[Path] = []
        self.since = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")

    def _on_lock(self, db: Any) -> None:
        try:
            row = db.execute("PRAGMA database_list").fetchone()
            main = Path(row[2]) if row and row[2] else None
        except sqlite3.Error:
            return
        if main is None:
            return
        note = busy_note_path(main)
        if note in self.written:
            return
        from console import safe_files

        text = json.dumps({"login": _os_login(), "command": self.command, "pid": os.getpid(),
                           "host": socket.gethostname(), "since": self.since}, ensure_ascii=False)
        with contextlib.suppress(RetireError, OSError):
            safe_files.write_text(note, text, force=True)
            self.written.append(note)

    def __enter__(self) -> BusyNote:
        from db.connection import add_lock_listener

        add_lock_listener(self._on_lock)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        from db.connection import remove_lock_listener

        remove_lock_listener(self._on_lock)
        for note in self.written:
            try:
                data = json.loads(note.read_bytes()[:NOTE_MAX_BYTES].decode("utf-8"))
                ours = int(data.get("pid", -1)) == os.getpid()
            except (OSError, ValueError, TypeError, UnicodeDecodeError):
                ours = False
            if ours and not note.is_symlink():
                with contextlib.suppress(OSError):
                    note.unlink()
        self.written.clear()


# ---------------------------------------------------------------- crash log


def crash_log_dir() -> Path:
    from platformdirs import user_log_path

    return user_log_path("retire")


def write_crash_log(exc: BaseException, command: str = "") -> Path:
    """Write the traceback of ``exc`` for the IT admin; returns the file. Raises OSError/RetireError when it cannot."""
    from console import safe_files

    directory = crash_log_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.now(UTC)
    path = directory / f"crash-{now.strftime('%Y%m%dT%H%M%S.%fZ')}.log"
    lines = [
        f"time: {now.isoformat()}",
        f"command: {command}",
        f"pid: {os.getpid()}",
        f"python: {sys.version.split()[0]}  sqlite: {sqlite3.sqlite_version}",
        "",
        *traceback.format_exception(type(exc), exc, exc.__traceback__),
    ]
    safe_files.write_text(path, "\n".join(line.rstrip("\n") for line in lines) + "\n")
    return path


def crash_line(exc: BaseException, command: str = "") -> str:
    """Log ``exc`` and return the one line the user sees."""
    from console.i18n import t

    kind = type(exc).__name__
    try:
        log = write_crash_log(exc, command)
    except RetireError as failure:
        return t("faults.crash_no_log", kind=kind, reason=failure.text())
    except OSError as failure:
        return t("faults.crash_no_log", kind=kind, reason=failure.strerror or str(failure))
    except Exception as failure:
        return t("faults.crash_no_log", kind=kind, reason=f"{type(failure).__name__}: {failure}")
    return t("faults.crash", kind=kind, log=str(log))
