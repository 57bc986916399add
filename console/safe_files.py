"""The one way this program writes a file: never through a planted link.

A hall's directories are shared, so a colleague (or anyone who can write
there) could plant ``out.csv`` or ``out.csv.part`` as a symlink to a file
of yours; ``open("w")`` follows it and overwrites your file with an export.
Every writer (exports, rejects files, notices, templates, backups, audit
anchors) therefore goes through ``atomic_writer``:

- the data goes to a new temporary file in the target's directory, created
  with O_CREAT|O_EXCL|O_NOFOLLOW (it cannot be a planted name or a link);
- it gets a private mode: 0600, or 0640 inside the hall's directory
  (a setgid directory: the group is the hall's), whatever the umask;
- it is fsynced and renamed over the target, so a reader sees either the
  old file or the whole new one, never half of it; a failure removes it;
- a target that exists is refused unless ``force``; a target that is a
  symlink, a device, a FIFO or a directory is refused even with ``force``;
- ``-`` writes to stdout.

Errors are ``BadInput`` (the target: exit 2) or ``EnvironmentFailure``
(disk full, read-only, I/O: exit 3).
"""
from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from console.errors import BadInput, EnvironmentFailure

PRIVATE_MODE = 0o600
HALL_MODE = 0o640
TEMP_SUFFIX = ".part"
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EPIPE}

STDOUT = "-"


def is_stdout(target: str | os.PathLike[str]) -> bool:
    return str(target) == STDOUT


def mode_for(directory: Path) -> int:
    """0640 in a setgid directory (the hall's shared folder), else 0600."""
    try:
        setgid = bool(directory.stat().st_mode & stat.S_ISGID)
    except OSError:
        setgid = False
    return HALL_MODE if setgid else PRIVATE_MODE


def os_failure(exc: OSError, path: Path | str) -> BadInput | EnvironmentFailure:
    """The right error for an OSError met while writing ``path``."""
    reason = exc.strerror or str(exc)
    if exc.errno in _ENVIRONMENT_ERRNOS:
        return EnvironmentFailure("files.write_failed", path=str(path), reason=reason)
    return BadInput("files.cannot_write", path=str(path), reason=reason)


_PROTECTED: set[Path] = set()
_SIDECARS = ("", "-wal", "-shm", "-journal")


def protect(path: Path | str, *, with_sidecars: bool = False) -> None:
    """Never write over ``path`` in this process, whatever ``--force`` says.

    The database opener registers the hall's file (and its -wal/-shm/-journal),
    the audit key reader registers the key: ``export --out "$RETIRE_DB" --force``
    must not replace the hall with a CSV.  Compared by inode, so another name
    for the same file (a hard link, a relative path) is caught as well.
    """
    base = Path(path)
    for suffix in _SIDECARS if with_sidecars else ("",):
        _PROTECTED.add(base.with_name(base.name + suffix) if suffix else base)


_PROTECTED_LATER: list[Callable[[], Path | None]] = []


def protect_later(source: Callable[[], Path | None]) -> None:
    """Protect the database ``source()`` names, asked only when a file is about to be written.

    The CLI registers the configured database this way (a command such as
    ``import template`` never opens it, but must not overwrite it either)
    without resolving any path on the lookup path.
    """
    _PROTECTED_LATER.append(source)


def _is_protected_name(target: Path) -> bool:
    """True when ``target`` names a protected file, existing or not (a -wal SQLite will make)."""
    _resolve_later()
    try:
        real = os.path.realpath(target)
        return any(os.path.realpath(path) == real for path in _PROTECTED)
    except OSError:
        return False


def _resolve_later() -> None:
    while _PROTECTED_LATER:
        try:
            named = _PROTECTED_LATER.pop()()
        except Exception:
            named = None
        if named is not None:
            protect(named, with_sidecars=True)


def _is_protected_file(info: os.stat_result) -> bool:
    _resolve_later()
    for path in _PROTECTED:
        try:
            other = os.stat(path)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
            return True
    return False


def refuse_unless_regular(info: os.stat_result, path: Path) -> None:
    """A name (its ``lstat``) that is a link, a directory, a device or a FIFO is no file to write: BadInput."""
    if stat.S_ISLNK(info.st_mode):
        raise BadInput("files.is_symlink", path=str(path))
    if stat.S_ISDIR(info.st_mode):
        raise BadInput("files.is_directory", path=str(path))
    if not stat.S_ISREG(info.st_mode):
        raise BadInput("files.not_regular", path=str(path))


def check_target(target: Path, *, force: bool, dir_fd: int | None = None) -> None:
    """Refuse a target that is a link, a device, a FIFO or a directory; an existing file without force.

    With ``dir_fd`` (the open directory the file will be written in) the
    protected-path check and the look at the name are made in that very
    directory, whatever its path names by now.
    """
    from console.hall_config import protected_target

    checked = Path(_fd_path(dir_fd), target.name) if dir_fd is not None else target
    if protected_target(checked) or protected_target(target):  # a hall's service account working for staff
        raise BadInput("hall.protected_path", path=str(target))
    if _is_protected_name(checked) or _is_protected_name(target):
        raise BadInput("files.is_database", path=str(target))
    try:
        info = os.lstat(target) if dir_fd is None else os.stat(target.name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise os_failure(exc, target) from None
    refuse_unless_regular(info, target)
    if _is_protected_file(info):
        raise BadInput("files.is_database", path=str(target))
    if not force:
        raise BadInput("files.exists", path=str(target))


def temp_path_for(target: Path) -> Path:
    """A fresh temporary name beside ``target``: ``.name.<random>.part``."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")


def _fd_path(dir_fd: int) -> str:
    """The path the kernel has for an open directory now (links resolved), for the protected-path check."""
    try:
        return os.readlink(f"/proc/self/fd/{dir_fd}")
    except OSError:  # no /proc: ask the directory itself
        return os.path.realpath(f"/dev/fd/{dir_fd}")


def _open_directory(directory: Path, shown: Path) -> int:
    """The target's directory, opened once: the temporary file and the rename happen in it, not in a path."""
    try:
        return os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise os_failure(exc, shown) from None


def _open_temp(target: Path, mode: int, dir_fd: int | None = None) -> tuple[Path, int]:
    """Create the temporary file exclusively (never a link, never an existing name)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(8):
        temp = temp_path_for(target)
        try:
            fd = os.open(temp if dir_fd is None else temp.name, flags, mode, dir_fd=dir_fd)
        except FileExistsError:
            continue
        except OSError as exc:
            raise os_failure(exc, target) from None
        try:
            os.fchmod(fd, mode)  # the umask may have taken bits we need, or left some we don't
        except OSError:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(temp if dir_fd is None else temp.name, dir_fd=dir_fd)
            raise
        return temp, fd
    raise BadInput("files.cannot_write", path=str(target), reason="no free temporary name")


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_writer(
    target: str | os.PathLike[str],
    *,
    force: bool = False,
    mode: int | None = None,
    binary: bool = True,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Yield a file to write ``target`` through; on success it replaces ``target`` whole.

    ``-`` yields stdout (binary or text).  On any exception the temporary
    file is removed and the target is left as it was.
    """
    if is_stdout(target):
        stream: IO[Any] = sys.stdout.buffer if binary else sys.stdout
        yield stream
        try:
            stream.flush()
        except BrokenPipeError as exc:
            raise EnvironmentFailure("files.broken_pipe") from exc
        return
    path = Path(target).expanduser()
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise BadInput("files.no_directory", path=str(path), directory=str(directory))
    # Every step below is relative to this one open directory: a directory swapped for a link
    # (to the hall's, say) between the check and the rename cannot move the file elsewhere.
    dir_fd = _open_directory(directory, path)
    try:
        check_target(path, force=force, dir_fd=dir_fd)
        file_mode = (HALL_MODE if stat.S_ISGID & os.fstat(dir_fd).st_mode else PRIVATE_MODE) if mode is None else mode
        temp, fd = _open_temp(path, file_mode, dir_fd)
        try:
            if binary:
                handle: IO[Any] = os.fdopen(fd, "wb")
            else:
                handle = os.fdopen(fd, "w", encoding=encoding, newline=newline)
            with handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            check_target(path, force=force, dir_fd=dir_fd)  # it may have been planted while we wrote
            os.replace(temp.name, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            with contextlib.suppress(OSError):
                os.fsync(dir_fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp.name, dir_fd=dir_fd)
            raise os_failure(exc, path) from None
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp.name, dir_fd=dir_fd)
            raise
    finally:
        os.close(dir_fd)


def write_bytes(target: str | os.PathLike[str], data: bytes, *, force: bool = False, mode: int | None = None) -> None:
    """Write ``data`` to ``target`` through ``atomic_writer``."""
    with atomic_writer(target, force=force, mode=mode) as handle:
        handle.write(data)


def write_text(target: str | os.PathLike[str], text: str, *, force: bool = False, mode: int | None = None,
               encoding: str = "utf-8") -> None:
    """Write ``text`` to ``target`` through ``atomic_writer``."""
    write_bytes(target, text.encode(encoding), force=force, mode=mode)


def remove_stale_temps(target: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary files a killed writer of ``target`` left beside it; returns them.

    Only regular files named like ours (``.name.<hex>.part``) and owned by us
    are removed, never a link's target.
    """
    if is_stdout(target):
        return []
    path = Path(target).expanduser()
    removed: list[Path] = []
    try:
        candidates = list(path.parent.glob(f".{path.name}.*{TEMP_SUFFIX}"))
    except OSError:
        return removed
    for candidate in candidates:
        try:
            info = os.lstat(candidate)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid():
            with contextlib.suppress(OSError):
                candidate.unlink()
                removed.append(candidate)
    return removed
