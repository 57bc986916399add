"""The hall's own config file: what a service account's process trusts instead of its caller.

``retire hall setup`` writes ``/etc/retire/<account>.toml`` (root-owned,
0644) naming the database, the audit key, the backups and anchor
directories, the service account and the staff group.  A process uses it
when the kernel says it runs as that account (``os.getuid()`` is the
account's uid): then the database path and the hall's settings come from
this file, never from ``--db``, ``$RETIRE_DB`` or anything else the caller
could set.  sudo resets the environment anyway; this makes the rule hold
even when it did not.

The file is found from the process's own uid (no environment variable can
point elsewhere), and is trusted only when it, its directory and every
directory above are owned by root and writable by nobody else.  A file
that is there but not trusted stops the program (exit 3) rather than
letting the account fall back to a personal database.

Root has no hall of its own: root's cron job names one with
``RETIRE_HALL_ACCOUNT=<account>`` (honoured for root only), so that
``retire audit anchor`` reads the same database and key as the account.

Kept free of the rest of the program (stdlib only), so db/ can use it.
"""
from __future__ import annotations

import os
import pwd
import stat
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CONFIG_DIR = Path("/etc/retire")
ROOT_HALL_ENV = "RETIRE_HALL_ACCOUNT"
"""For root only: which hall's config root's process uses (the nightly anchor job)."""

ANCHOR_FILE = "audit-anchors.jsonl"
"""The anchor log's name in the anchor directory (the same as db.audit_key.ANCHOR_FILE)."""

REQUIRED = ("account", "group", "directory", "db", "key", "backups", "anchor_dir", "retire")


class HallConfigError(Exception):
    """The hall config exists but cannot be trusted or read (``reason`` says why)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class HallConfig:
    """One hall, as root described it when it ran ``retire hall setup``."""

    path: Path
    account: str
    group: str
    directory: Path
    db: Path
    key: Path
    backups: Path
    anchor_dir: Path
    retire: Path
    """The installed ``retire`` executable the sudoers rule names."""
    wrapper: Path | None = None
    sudoers: Path | None = None
    cron: Path | None = None
    parameters: Path | None = None
    """Optional: the hall's rule parameters file (instead of $RETIRE_PARAMETERS)."""
    names: Path | None = None
    """Optional: the hall's names/numbering file (instead of $RETIRE_HALL)."""

    @property
    def anchor_log(self) -> Path:
        """Where root's nightly job appends the audit head (db.audit_key's default anchor file)."""
        return self.anchor_dir / ANCHOR_FILE

    @property
    def db_path(self) -> Path:
        """``db``, under the name db.audit_key asks for."""
        return self.db

    @property
    def key_path(self) -> Path:
        """``key``, under the name db.audit_key asks for."""
        return self.key

    @property
    def account_uid(self) -> int | None:
        try:
            return pwd.getpwnam(self.account).pw_uid
        except KeyError:
            return None

    def as_dict(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for name in ("account", "group", "directory", "db", "key", "backups", "anchor_dir", "retire",
                     "wrapper", "sudoers", "cron", "parameters", "names"):
            value = getattr(self, name)
            out[name] = None if value is None else str(value)
        return out


def config_path(account: str) -> Path:
    """Where the config of the hall run by ``account`` lives."""
    return CONFIG_DIR / f"{account}.toml"


def untrusted_reason(path: Path) -> str | None:
    """Why ``path`` cannot be trusted as root's word (None: it can).

    The file and every directory from it up to ``/`` must be owned by root
    and not writable by group or others (a sticky world-writable directory
    such as /tmp is not good enough: anyone may create names in it).
    """
    try:
        st = os.lstat(path)
    except OSError as exc:
        return exc.strerror or str(exc)
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    chain = [(path, st)]
    for parent in Path(os.path.abspath(path)).parents:
        try:
            chain.append((parent, os.lstat(parent)))
        except OSError as exc:
            return f"{parent}: {exc.strerror or exc}"
    for item, info in chain:
        if stat.S_ISLNK(info.st_mode):
            return f"{item}: symbolic link"
        if info.st_uid != 0:
            return f"{item}: owned by uid {info.st_uid}, not root"
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return f"{item}: writable by group or others ({stat.S_IMODE(info.st_mode):04o})"
    return None


def _path(value: object, key: str, path: Path) -> Path:
    if not isinstance(value, str) or not value.startswith("/"):
        raise HallConfigError(path, f"{key}: expected an absolute path")
    return Path(value)


def read(path: Path, *, trust_check: bool = True) -> HallConfig:
    """Parse a hall config; ``HallConfigError`` when it is unsafe, unreadable or incomplete."""
    if trust_check:
        why = untrusted_reason(path)
        if why is not None:
            raise HallConfigError(path, why)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise HallConfigError(path, exc.strerror or str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise HallConfigError(path, str(exc)) from None
    table = data.get("hall")
    if not isinstance(table, dict):
        raise HallConfigError(path, "no [hall] table")
    missing = [k for k in REQUIRED if k not in table]
    if missing:
        raise HallConfigError(path, "missing " + ", ".join(missing))
    for key in ("account", "group"):
        if not isinstance(table[key], str) or not table[key]:
            raise HallConfigError(path, f"{key}: expected a name")
    optional = {k: (_path(table[k], k, path) if table.get(k) else None)
                for k in ("wrapper", "sudoers", "cron", "parameters", "names")}
    return HallConfig(
        path=path,
        account=table["account"],
        group=table["group"],
        directory=_path(table["directory"], "directory", path),
        db=_path(table["db"], "db", path),
        key=_path(table["key"], "key", path),
        backups=_path(table["backups"], "backups", path),
        anchor_dir=_path(table["anchor_dir"], "anchor_dir", path),
        retire=_path(table["retire"], "retire", path),
        **optional,
    )


def render(config: HallConfig) -> str:
    """The config file's text (what ``retire hall setup`` writes)."""
    lines = [
        "# Written by `retire hall setup` (run it again rather than editing by hand).",
        "# Read by retire when it runs as the hall's service account: the database and",
        "# settings below replace --db / $RETIRE_DB / $RETIRE_PARAMETERS / $RETIRE_HALL.",
        "# Must stay owned by root and writable by root only.",
        "",
        "[hall]",
    ]
    for key, value in config.as_dict().items():
        if value is None:
            continue
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{key} = "{escaped}"')
    return "\n".join(lines) + "\n"


def _login_of_uid(uid: int) -> str | None:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def active() -> HallConfig | None:
    """The hall this process belongs to, by its real uid; None for a personal database.

    Raises ``HallConfigError`` when the uid's config exists but is not safe
    to trust, or names another account.
    """
    uid = os.getuid()
    return _active(uid, os.environ.get(ROOT_HALL_ENV, "").strip() if uid == 0 else "")


@cache
def _active(uid: int, account: str) -> HallConfig | None:
    if uid == 0:
        if not account:
            return None
        path = config_path(account)
        if not path.exists():
            raise HallConfigError(path, "no such hall config")
        return read(path)
    login = _login_of_uid(uid)
    if login is None:
        return None
    path = config_path(login)
    if not os.path.lexists(path):
        return None
    config = read(path)
    if config.account != login or config.account_uid != uid:
        raise HallConfigError(path, f"written for account {config.account}, not {login}")
    _forget_callers_zone()
    return config


def _forget_callers_zone() -> None:
    """The hall's clock is the server's: a TZ the caller brought through sudo (env_check lets it
    pass) would otherwise date a case's receipt, its legal clock and its audit rows a day off."""
    import time

    if "TZ" in os.environ:
        del os.environ["TZ"]
        time.tzset()


current = active
"""The name db.audit_key looks for."""


def runs_as_service_account() -> bool:
    """True when this process is a hall's service account (not root naming a hall)."""
    hall = active()
    return hall is not None and os.getuid() != 0 and hall.account_uid == os.getuid()


BACKUP_COMMANDS = ("backup", "restore")
"""Commands that may name a file in the hall's backups directory (nothing else in the hall's directory)."""


def protected_argument(args: list[str], command: str | None) -> str | None:
    """The first command-line argument naming a file of the hall itself, in a service-account process.

    Everything staff run goes through sudo as the service account, which can
    read and write the hall's directory: without this, ``--out
    /srv/retire/hall.db --force`` would replace the database and ``import
    persons /srv/retire/audit.key`` would echo the key in its error lines.
    Any argument that names a path (it contains a ``/`` or exists, after
    ``--opt=``) is resolved, links included, and refused when it lies in
    the hall's directory; ``backup`` and ``restore`` may name the backups
    directory.  None for a personal database or when root asked (root can
    touch the files anyway).
    """
    hall = _guarded_hall()
    if hall is None:
        return None
    home = os.path.realpath(hall.directory)
    backups = os.path.realpath(hall.backups)
    skip = False
    for arg in args:
        if skip or arg.startswith("--db="):
            skip = False
            continue  # --db is ignored here anyway: the config names the database
        if arg == "--db":
            skip = True
            continue
        value = arg.split("=", 1)[1] if arg.startswith("--") and "=" in arg else arg
        if not value or value == "-" or ("/" not in value and not os.path.lexists(value)):
            continue
        try:
            real = os.path.realpath(value)
        except (OSError, ValueError):
            continue
        inside = real == home or real.startswith(home + os.sep)
        if not inside:
            continue
        in_backups = real == backups or real.startswith(backups + os.sep)
        if in_backups and command in BACKUP_COMMANDS:
            continue
        return arg
    return None


def guards_hall() -> bool:
    """True in a service-account process working for staff: the hall's files must be kept from the caller."""
    return _guarded_hall() is not None


def _guarded_hall() -> HallConfig | None:
    """The hall whose files this process must keep from its caller: a service account working for staff."""
    if os.getuid() == 0:
        return None
    try:
        hall = active()
    except HallConfigError:
        return None  # the program stops with that message as soon as it resolves the database
    if hall is None or hall.account_uid != os.getuid():
        return None
    if os.environ.get("SUDO_UID") == "0":
        return None  # root came in through the wrapper: root may touch the files anyway
    return hall


def protected_target(target: str | os.PathLike[str]) -> bool:
    """True when this process must not write ``target``: a service account working for staff, and
    ``target`` (its directory's links resolved) in the hall's directory but not in its backups.

    console.safe_files asks this for every file it writes, so that neither a
    command's ``--out`` nor a path typed in the TUI (whose ``~`` is the hall
    directory under sudo) can replace the database, the key or anything else
    of the hall's.
    """
    hall = _guarded_hall()
    if hall is None:
        return False
    path = os.path.abspath(os.fspath(target))
    real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    home = os.path.realpath(hall.directory)
    backups = os.path.realpath(hall.backups)
    inside = real == home or real.startswith(home + os.sep)
    return inside and not real.startswith(backups + os.sep)
