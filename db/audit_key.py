"""Where the audit key lives, and reading and creating it.

The audit chain is keyed (HMAC-SHA256, see ``db.audit``) with 32 random
bytes kept OUTSIDE the database, so that whoever can write the database file
but cannot read the key cannot recompute the chain after an edit:

- a hall installed with ``retire hall setup``: the key file named by the
  hall's own (root-owned) config, readable only by the service account;
- a personal database: ``<user_config_dir("retire")>/audit-<db_id>.key``,
  0600, where ``db_id`` is the random identity the database receives in
  ``hall_meta`` when its chain is first keyed (so a moved file, a backup or a
  restored copy still finds its key);
- an explicit key given by the caller (``use_key``): tests, and root
  checking a copy with ``--key``.

No environment variable names the key: the caller's environment must not be
able to choose the key a hall's writer or verifier uses.  (``platformdirs``
honours ``XDG_CONFIG_HOME`` for the personal directory, which only ever
concerns the caller's own database.)

Anchor logs (``retire audit anchor``) default to a file next to the key for a
personal database, and to the hall's anchor directory for a hall.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.errors import EnvironmentFailure

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database

KEY_BYTES = 32
APP_NAME = "retire"
ANCHOR_FILE = "audit-anchors.jsonl"
_EXPLICIT_ATTR = "_retire_audit_explicit_key"


@dataclass(frozen=True)
class AuditKey:
    """A key and where it came from (``source``: hall, personal or explicit)."""

    secret: bytes = field(repr=False)
    path: Path | None
    source: str


@dataclass(frozen=True)
class HallAudit:
    """The hall config's audit settings (only for the hall's own database)."""

    db_path: Path | None
    key_path: Path | None
    anchor_dir: Path | None


# -- where --------------------------------------------------------------------

def personal_dir() -> Path:
    """The per-user config directory that holds personal keys and anchor logs."""
    from platformdirs import user_config_path

    return user_config_path(APP_NAME)


def personal_key_path(db_id: str) -> Path:
    return personal_dir() / f"audit-{db_id}.key"


def personal_anchor_path(db_id: str) -> Path:
    return personal_dir() / f"audit-{db_id}.anchors.jsonl"


def _hall_settings() -> HallAudit | None:
    """The audit settings of the hall this process runs under (console.hall_config), if any.

    The hall config is root-owned and found from the process's own uid,
    never through the caller's environment (``db.location.hall_of_process``);
    one that exists but cannot be trusted stops here (exit 3) rather than
    letting the process fall back to a personal key.
    """
    from db.location import hall_of_process

    config = hall_of_process()
    if config is None:
        return None

    def path_of(*names: str) -> Path | None:
        for name in names:
            value = getattr(config, name, None)
            if value:
                return Path(value)
        return None

    return HallAudit(
        db_path=path_of("db_path", "db"),
        key_path=path_of("key_path", "key"),
        anchor_dir=path_of("anchor_dir"),
    )


def database_path(db: Database) -> Path | None:
    """The main file of this connection (None for an in-memory database)."""
    for row in db.execute("PRAGMA database_list").fetchall():
        if row[1] == "main":
            return Path(row[2]).resolve() if row[2] else None
    return None


def _same_file(a: Path | None, b: Path | None) -> bool:
    if a is None or b is None:
        return False
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def hall_for(db: Database) -> HallAudit | None:
    """The hall's settings when ``db`` is the installed hall's database, else None."""
    hall = _hall_settings()
    if hall is None or hall.key_path is None:
        return None
    if hall.db_path is not None and not _same_file(database_path(db), hall.db_path):
        return None
    return hall


def default_key_path(db: Database, db_id: str) -> tuple[Path, str]:
    """(path, source) of the key ``db`` should use: the hall's, else the personal one."""
    hall = hall_for(db)
    if hall is not None and hall.key_path is not None:
        return hall.key_path, "hall"
    return personal_key_path(db_id), "personal"


def default_anchor_path(db: Database, db_id: str) -> Path:
    """The anchor log: the hall's anchor directory, else next to the personal key."""
    hall = hall_for(db)
    if hall is not None:
        if hall.anchor_dir is not None:
            return hall.anchor_dir / ANCHOR_FILE
        if hall.key_path is not None:
            return hall.key_path.with_name(ANCHOR_FILE)
    return personal_anchor_path(db_id)


def candidate_paths(db: Database, db_id: str | None) -> list[tuple[Path, str]]:
    """Every trusted place this database's key may be, most specific first."""
    out: list[tuple[Path, str]] = []
    hall = _hall_settings()
    if hall is not None and hall.key_path is not None:
        out.append((hall.key_path, "hall"))
    if db_id:
        out.append((personal_key_path(db_id), "personal"))
    return out


# -- explicit keys ------------------------------------------------------------

def use_key(db: Database, key: bytes | str | os.PathLike[str]) -> AuditKey:
    """Make this connection use ``key`` (bytes, or a key file) instead of looking for one."""
    if isinstance(key, bytes):
        value = AuditKey(_checked(key, None), None, "explicit")
    else:
        value = AuditKey(read_key(Path(key), strict_mode=False), Path(key), "explicit")
    setattr(db, _EXPLICIT_ATTR, value)
    return value


def explicit_key(db: Database) -> AuditKey | None:
    return getattr(db, _EXPLICIT_ATTR, None)


# -- reading and creating -----------------------------------------------------

def _checked(secret: bytes, path: Path | None) -> bytes:
    if len(secret) != KEY_BYTES:
        raise EnvironmentFailure("audit.key_bad", path=str(path or "-"), size=len(secret), expected=KEY_BYTES)
    return secret


def key_exists(path: Path) -> bool:
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # there, but we may not look: reading it will say why
    return True


def read_key(path: Path, *, strict_mode: bool = True) -> bytes:
    """The key in ``path``; refuses a link, a non-file, a key others may read, a wrong size (exit 3)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise EnvironmentFailure("audit.key_missing", path=str(path)) from None
    except OSError as exc:
        raise EnvironmentFailure("audit.key_unreadable", path=str(path), reason=exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise EnvironmentFailure("audit.key_unreadable", path=str(path), reason="not a regular file")
        from console.safe_files import protect

        protect(path)  # an export --force over the key would end the audit's protection
        if strict_mode and info.st_mode & 0o077:
            raise EnvironmentFailure("audit.key_exposed", path=str(path), mode=f"{stat.S_IMODE(info.st_mode):04o}")
        data = os.read(fd, KEY_BYTES + 1)
    except OSError as exc:
        raise EnvironmentFailure("audit.key_unreadable", path=str(path), reason=exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    return _checked(data, path)


def create_key(path: Path, *, owner: tuple[int, int] | None = None) -> bytes:
    """Write a new random key to ``path`` (0600, never over an existing file); returns it.

    The personal directory is created 0700 when missing; a hall's key
    directory must exist (``retire hall setup`` makes it).  ``owner``
    (uid, gid) hands the file to the service account when root creates it.
    """
    from console import safe_files

    path = Path(path)
    if path.parent == personal_dir() and not path.parent.exists():
        try:
            path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise EnvironmentFailure("audit.key_unwritable", path=str(path), reason=exc.strerror or str(exc)) from None
    secret = os.urandom(KEY_BYTES)
    try:
        safe_files.write_bytes(path, secret, force=False, mode=0o600)
    except Exception as exc:  # BadInput/EnvironmentFailure from safe_files: one message here
        reason = exc.text() if hasattr(exc, "text") else str(exc)
        raise EnvironmentFailure("audit.key_unwritable", path=str(path), reason=reason) from None
    if owner is not None:
        try:
            os.chown(path, owner[0], owner[1])
        except OSError as exc:
            raise EnvironmentFailure("audit.key_unwritable", path=str(path), reason=exc.strerror or str(exc)) from None
    return secret


def describe(key: AuditKey | None) -> dict[str, Any]:
    """What a report may say about a key (never the secret)."""
    if key is None:
        return {"source": None, "path": None}
    return {"source": key.source, "path": None if key.path is None else str(key.path)}
