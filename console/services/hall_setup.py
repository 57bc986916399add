"""``retire hall setup`` and ``retire hall check``: a hall whose data only its service account can touch.

The model (docs/hall-install.md):

- a system account (default ``retire``, no login shell) owns the hall's
  directory (0700), the database (0600), its -wal/-shm, the audit key and
  the backups; nobody else but root can open them;
- members of the staff group (default ``retire-staff``) run exactly the
  installed ``retire`` executable as that account through a sudoers
  drop-in (validated with ``visudo -cf`` before it is put in place), with a
  clean environment in which only RETIRE_LANG passes; a wrapper on PATH
  (default /usr/local/bin/retire) does the sudo, so staff keep typing
  ``retire``;
- the kernel says who is acting: sudo's SUDO_USER, believed only inside
  the service account (console.services.identity);
- root's config file ``/etc/retire/<account>.toml`` names the database and
  the key: the account's process reads it instead of --db / $RETIRE_DB;
- root's nightly cron job appends the audit head to an anchor log in a
  root-owned directory the account cannot write.

Everything here needs root and is safe to repeat: what is already right is
left alone, what is wrong is put right, and ``check`` reports what still
is not.  Only OS tools do the account work (groupadd, useradd, usermod,
visudo, sudo); nothing is mocked in the tests (tests/test_hall_setup.py).
"""
from __future__ import annotations

import grp
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from console import hall_config
from console.errors import BadInput, EnvironmentFailure, PermissionDenied, Refused
from console.hall_config import HallConfig
from console.i18n import t
from console.safe_files import check_target, write_text

DEFAULT_DIR = Path("/srv/retire")
DEFAULT_GROUP = "retire-staff"
DEFAULT_ACCOUNT = "retire"
DEFAULT_WRAPPER = Path("/usr/local/bin/retire")
DB_NAME = "hall.db"
KEY_NAME = "audit.key"
BACKUPS_NAME = "backup"
MARKER = "written by `retire hall setup`"
CRON_TIME = "17 2 * * *"

NAME_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
"""Account and group names: also used as sudoers.d / cron.d file names, which must have no dot."""
PATH_RE = re.compile(r"^/[A-Za-z0-9/_.+-]*$")
"""Paths written into sudoers, cron and shell text: nothing that needs quoting."""
TOOLS = {"groupadd": "passwd", "useradd": "passwd", "usermod": "passwd", "gpasswd": "passwd", "runuser": "util-linux",
         "visudo": "sudo", "sudo": "sudo"}
SAFE_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
DB_SUFFIXES = ("", "-wal", "-shm", "-journal")


@dataclass(frozen=True)
class SetupRequest:
    """What root asked for; every path is derived from the account unless given."""

    directory: Path = DEFAULT_DIR
    group: str = DEFAULT_GROUP
    account: str = DEFAULT_ACCOUNT
    retire: Path | None = None
    admin: str | None = None
    wrapper: Path = DEFAULT_WRAPPER
    sudoers: Path | None = None
    cron: Path | None = None
    anchor_dir: Path | None = None
    lang: str = "zh"
    force_wrapper: bool = False


@dataclass
class Step:
    what: str
    target: str
    done: str  # created / updated / unchanged


@dataclass
class Problem:
    what: str
    path: str
    found: str
    expected: str

    def text(self) -> str:
        return t("hall.check.problem", what=t(f"hall.item.{self.what}"), path=self.path, found=self.found, expected=self.expected)


@dataclass
class SetupResult:
    config: HallConfig
    steps: list[Step] = field(default_factory=list)
    admin: str | None = None
    admin_created: bool = False
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "config": str(self.config.path),
            "hall": self.config.as_dict(),
            "steps": [asdict(s) for s in self.steps],
            "admin": self.admin,
            "admin_created": self.admin_created,
            "ok": not self.problems,
            "problems": [asdict(p) for p in self.problems],
        }


# --------------------------------------------------------------------------- helpers


def _need_root(what: str) -> None:
    if os.geteuid() != 0:
        raise PermissionDenied("hall.needs_root", command=what)


def _run(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
         timeout: int = 120) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=env if env is not None else {"PATH": SAFE_PATH}, cwd=cwd)
    except OSError as exc:
        raise EnvironmentFailure("hall.setup.tool_failed", tool=cmd[0], reason=exc.strerror or str(exc)) from None
    except subprocess.TimeoutExpired:
        raise EnvironmentFailure("hall.setup.tool_failed", tool=cmd[0], reason="timeout") from None


def _must(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = _run(cmd, **kwargs)
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise EnvironmentFailure("hall.setup.tool_failed", tool=" ".join(cmd[:2]),
                                 reason=reason[-1] if reason else f"exit {result.returncode}")
    return result


def _tool(name: str) -> str:
    found = shutil.which(name, path=SAFE_PATH)
    if found is None:
        raise EnvironmentFailure("hall.setup.missing_tool", tool=name, package=TOOLS.get(name, name))
    return found


def _check_name(value: str, option: str) -> str:
    if not NAME_RE.match(value or ""):
        raise BadInput("hall.setup.bad_name", option=option, value=value)
    return value


def _check_path(value: Path, option: str) -> Path:
    text = str(value)
    if not PATH_RE.match(text) or "/../" in text + "/" or text.endswith("/.."):
        raise BadInput("hall.setup.bad_path", option=option, value=text)
    return Path(os.path.normpath(text))


def _inside(path: Path, directory: Path) -> bool:
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(directory))
        return True
    except ValueError:
        return False


def default_retire() -> Path:
    """The ``retire`` executable of the installation running this (the venv's console script)."""
    import sys

    candidate = Path(sys.prefix) / "bin" / "retire"
    return candidate


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _nologin() -> str:
    for candidate in ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false"):
        if os.path.exists(candidate):
            return candidate
    return "/bin/false"


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


# --------------------------------------------------------------------------- rendering


def hall_from_request(req: SetupRequest, retire: Path, previous: HallConfig | None) -> HallConfig:
    directory = req.directory
    return HallConfig(
        path=hall_config.config_path(req.account),
        account=req.account,
        group=req.group,
        directory=directory,
        db=directory / DB_NAME,
        key=directory / KEY_NAME,
        backups=directory / BACKUPS_NAME,
        anchor_dir=req.anchor_dir or Path(f"/var/lib/{req.account}-anchors"),
        retire=retire,
        wrapper=req.wrapper,
        sudoers=req.sudoers or Path(f"/etc/sudoers.d/{req.account}"),
        cron=req.cron or Path(f"/etc/cron.d/{req.account}-anchor"),
        parameters=previous.parameters if previous else None,
        names=previous.names if previous else None,
    )


def render_sudoers(hall: HallConfig) -> str:
    return (
        f"# {hall.account}: {MARKER}; checked with visudo -cf before it was put here.\n"
        f"# Members of {hall.group} run exactly the installed retire as {hall.account},\n"
        "# with a clean environment in which only RETIRE_LANG passes.\n"
        f"Defaults>{hall.account} env_reset\n"
        f'Defaults>{hall.account} env_keep = "RETIRE_LANG"\n'
        f"Defaults>{hall.account} umask = 0077\n"
        f"%{hall.group} ALL = ({hall.account}) NOPASSWD: {hall.retire}\n"
    )


def _message_for_shell(key: str, login_var: str = "me", **params: str) -> dict[str, str]:
    """A catalogue sentence per language as one shell word, ``$login_var`` standing for {login}."""
    token = "\x00LOGIN\x00"
    out = {}
    for lang in ("zh", "en"):
        text = t(key, lang, login=token, **params)
        out[lang] = f'"${login_var}"'.join(_shell_quote(part) for part in text.split(token))
    return out


def render_wrapper(hall: HallConfig) -> str:
    not_staff = _message_for_shell("hall.wrapper.not_staff", group=hall.group)
    no_sudo = _message_for_shell("hall.wrapper.no_sudo")
    ignored = _message_for_shell("identity.override_ignored", login_var="RETIRE_LOGIN", env="RETIRE_LOGIN")
    return f"""#!/bin/sh
# retire: {MARKER} for the hall of service account {hall.account}.
# Staff (group {hall.group}) run the installed retire as {hall.account} through sudo
# (/etc/sudoers.d); nobody else but root can open the hall's files.  docs/hall-install.md
RETIRE={_shell_quote(str(hall.retire))}
ACCOUNT={_shell_quote(hall.account)}
GROUP={_shell_quote(hall.group)}
me=$(id -un 2>/dev/null) || me=$(id -u)
say() {{
    case "${{RETIRE_LANG:-zh}}" in
        [Ee][Nn]*) printf '%s\\n' "$2" >&2 ;;
        *) printf '%s\\n' "$1" >&2 ;;
    esac
}}
if [ "$me" = "$ACCOUNT" ]; then
    exec "$RETIRE" "$@"
fi
if ! command -v sudo >/dev/null 2>&1; then
    say {no_sudo['zh']} {no_sudo['en']}
    exit 3
fi
if [ "$(id -u)" = 0 ]; then
    # `retire hall setup|check` is root's own work; everything else runs as the account
    word=
    skip=
    for arg in "$@"; do
        if [ -n "$skip" ]; then skip=; continue; fi
        case "$arg" in
            --db|--lang) skip=1 ;;
            -*) ;;
            *) word=$arg; break ;;
        esac
    done
    if [ "$word" = hall ]; then
        exec "$RETIRE" "$@"
    fi
    # root acts as root (a staff row, or RETIRE_LOGIN=<login> to act for someone)
    if [ -n "${{RETIRE_LOGIN:-}}" ]; then
        exec sudo -n -u "$ACCOUNT" RETIRE_LOGIN="$RETIRE_LOGIN" -- "$RETIRE" "$@"
    fi
    exec sudo -n -u "$ACCOUNT" -- "$RETIRE" "$@"
fi
case " $(id -Gn 2>/dev/null) " in
    *" $GROUP "*)
        if [ -n "${{RETIRE_LOGIN:-}}" ] && [ "$RETIRE_LOGIN" != "$me" ]; then
            # sudo drops it: the kernel says who you are
            say {ignored['zh']} {ignored['en']}
        fi
        exec sudo -n -u "$ACCOUNT" -- "$RETIRE" "$@" ;;
esac
say {not_staff['zh']} {not_staff['en']}
exit 1
"""


def render_cron(hall: HallConfig) -> str:
    return (
        f"# {hall.account}: {MARKER}.  Every night root appends the audit head of the hall\n"
        f"# to {hall.anchor_log}, in a directory the service account cannot write;\n"
        "# `retire doctor` and `retire audit --verify` check the chain against every anchor.\n"
        "SHELL=/bin/sh\n"
        f"PATH={SAFE_PATH}\n"
        f"{CRON_TIME} root {hall_config.ROOT_HALL_ENV}={hall.account} RETIRE_LANG=en "
        f"{hall.retire} audit anchor --to {hall.anchor_log}\n"
    )


# --------------------------------------------------------------------------- setup


def setup(req: SetupRequest) -> SetupResult:
    """Create or repair the hall described by ``req``; returns what was done and what is still wrong."""
    _need_root("retire hall setup")
    account = _check_name(req.account, "--account")
    group = _check_name(req.group, "--group")
    if account == group:
        raise BadInput("hall.setup.same_name", name=account)
    directory = _check_path(req.directory, "--dir")
    if directory == Path("/") or len(directory.parts) < 2:
        raise BadInput("hall.setup.bad_path", option="--dir", value=str(directory))
    retire = _check_path(req.retire or default_retire(), "--retire")
    if not (retire.is_file() and os.access(retire, os.X_OK)):
        raise BadInput("hall.setup.no_retire", path=str(retire))
    wrapper = _check_path(req.wrapper, "--wrapper")
    if os.path.exists(wrapper) and os.path.realpath(wrapper) == os.path.realpath(retire) and not os.path.islink(wrapper):
        raise BadInput("hall.setup.wrapper_is_program", path=str(wrapper))
    admin = req.admin
    if admin is not None:
        admin = _check_name(admin, "--admin")
        try:
            pwd.getpwnam(admin)
        except KeyError:
            raise BadInput("hall.setup.no_such_login", login=admin) from None
    for tool in TOOLS:
        _tool(tool)
    req = SetupRequest(directory=directory, group=group, account=account, retire=retire, admin=admin,
                       wrapper=wrapper, sudoers=req.sudoers, cron=req.cron,
                       anchor_dir=_check_path(req.anchor_dir, "--anchor-dir") if req.anchor_dir else None,
                       lang=req.lang, force_wrapper=req.force_wrapper)
    previous: HallConfig | None = None
    if hall_config.config_path(account).exists():
        try:
            previous = hall_config.read(hall_config.config_path(account), trust_check=False)
        except hall_config.HallConfigError:
            previous = None
    hall = hall_from_request(req, retire, previous)
    sudoers, cron = _filled(hall.sudoers), _filled(hall.cron)
    for option, path in (("--anchor-dir", hall.anchor_dir), ("--sudoers", sudoers), ("--cron", cron)):
        _check_path(path, option)
        if _inside(path, directory):
            raise BadInput("hall.setup.inside_hall", option=option, path=str(path), directory=str(directory))
    if _inside(wrapper, directory):
        raise BadInput("hall.setup.inside_hall", option="--wrapper", path=str(wrapper), directory=str(directory))
    if not hall.db.exists() and admin is None:
        raise BadInput("hall.setup.admin_needed")
    _refuse_foreign_wrapper(hall, wrapper, force=req.force_wrapper)  # before anything is changed

    result = SetupResult(config=hall)
    steps = result.steps
    steps.append(_ensure_group(group))
    steps.append(_ensure_account(account, group, directory))
    account_entry = pwd.getpwnam(account)
    if admin is not None:
        steps.append(_ensure_member(admin, group))
    steps.extend(_ensure_directories(hall, account_entry))
    steps.append(_write_root_file("config", hall.path, hall_config.render(hall), 0o644))
    steps.append(_install_sudoers(hall, sudoers))
    steps.append(_install_wrapper(hall, wrapper, force=req.force_wrapper))
    steps.append(_write_root_file("cron", cron, render_cron(hall), 0o644))
    result.admin, result.admin_created = _init_database(hall, admin, req.lang)
    steps.append(Step("database", str(hall.db), "created" if result.admin_created else "unchanged"))
    result.problems = check(account)
    return result


def _ensure_group(group: str) -> Step:
    try:
        grp.getgrnam(group)
        return Step("group", group, "unchanged")
    except KeyError:
        _must([_tool("groupadd"), "--system", group])
        return Step("group", group, "created")


def _ensure_account(account: str, group: str, directory: Path) -> Step:
    shell = _nologin()
    try:
        entry = pwd.getpwnam(account)
    except KeyError:
        cmd = [_tool("useradd"), "--system", "--home-dir", str(directory), "--no-create-home",
               "--shell", shell, "--comment", "retire hall service account"]
        try:
            grp.getgrnam(account)
            cmd += ["--gid", account]  # a group of that name exists (e.g. an older install's)
        except KeyError:
            cmd += ["--user-group"]
        _must([*cmd, account])
        return Step("account", account, "created")
    if entry.pw_uid == 0:
        raise Refused("hall.setup.account_is_root", account=account)
    changes: list[str] = []
    if entry.pw_dir != str(directory):
        changes += ["--home", str(directory)]
    if entry.pw_shell not in ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"):
        changes += ["--shell", shell]
    if account in grp.getgrnam(group).gr_mem:  # the account must not also be "staff"
        _must([_tool("gpasswd"), "-d", account, group])
        changes_made = True
    else:
        changes_made = False
    if changes:
        _must([_tool("usermod"), *changes, account])
    return Step("account", account, "updated" if changes or changes_made else "unchanged")


def _ensure_member(login: str, group: str) -> Step:
    entry = pwd.getpwnam(login)
    members = set(grp.getgrnam(group).gr_mem)
    if login in members or entry.pw_gid == grp.getgrnam(group).gr_gid:
        return Step("member", f"{login} -> {group}", "unchanged")
    _must([_tool("usermod"), "-a", "-G", group, login])
    return Step("member", f"{login} -> {group}", "updated")


def _ensure_dir(path: Path, uid: int, gid: int, mode: int, what: str) -> Step:
    done = "unchanged"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        os.makedirs(path.parent, mode=0o755, exist_ok=True)
        os.mkdir(path, mode)
        info = os.lstat(path)
        done = "created"
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise BadInput("hall.setup.not_a_directory", path=str(path))
    if (info.st_uid, info.st_gid) != (uid, gid):
        os.chown(path, uid, gid, follow_symlinks=False)
        done = "updated" if done == "unchanged" else done
    if stat.S_IMODE(info.st_mode) != mode:
        os.chmod(path, mode)  # also clears the old model's setgid bit
        done = "updated" if done == "unchanged" else done
    return Step(what, str(path), done)


def _ensure_private_file(path: Path, uid: int, gid: int, what: str) -> Step | None:
    """An existing hall file (e.g. an older install's 0660 database): the account's, 0600."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise BadInput("hall.setup.not_regular", path=str(path))
    done = "unchanged"
    if (info.st_uid, info.st_gid) != (uid, gid):
        os.chown(path, uid, gid, follow_symlinks=False)
        done = "updated"
    if stat.S_IMODE(info.st_mode) != 0o600:
        os.chmod(path, 0o600)
        done = "updated"
    return Step(what, str(path), done)


def _ensure_directories(hall: HallConfig, entry: pwd.struct_passwd) -> list[Step]:
    uid, gid = entry.pw_uid, entry.pw_gid
    steps = [_ensure_dir(hall.directory, uid, gid, 0o700, "directory"),
             _ensure_dir(hall.backups, uid, gid, 0o700, "backups")]
    for suffix in DB_SUFFIXES:
        step = _ensure_private_file(Path(f"{hall.db}{suffix}"), uid, gid, "database")
        if step:
            steps.append(step)
    key = _ensure_private_file(hall.key, uid, gid, "key")
    if key:
        steps.append(key)
    for backup in sorted(hall.backups.iterdir()):
        if backup.is_file() and not backup.is_symlink():
            step = _ensure_private_file(backup, uid, gid, "backups")
            if step and step.done != "unchanged":
                steps.append(step)
    for parent in [*reversed(hall.anchor_dir.parents)][1:]:
        if parent.exists() and (os.lstat(parent).st_uid != 0 or _mode(parent) & 0o022):
            raise Refused("hall.setup.anchor_parent_unsafe", path=str(parent))
    steps.append(_ensure_dir(hall.anchor_dir, 0, 0, 0o755, "anchor_dir"))
    log = hall.anchor_log
    if log.exists() and not log.is_symlink() and (os.lstat(log).st_uid != 0 or _mode(log) & 0o022):
        os.chown(log, 0, 0, follow_symlinks=False)
        os.chmod(log, 0o644)
        steps.append(Step("anchor_log", str(log), "updated"))
    return steps


def _write_root_file(what: str, path: Path, text: str, mode: int) -> Step:
    existed = os.path.lexists(path)
    if existed:
        check_target(path, force=True)  # never through a link
        try:
            same = path.read_text(encoding="utf-8") == text
        except (OSError, UnicodeDecodeError):
            same = False
        info = os.lstat(path)
        if same and info.st_uid == 0 and stat.S_IMODE(info.st_mode) == mode:
            return Step(what, str(path), "unchanged")
    os.makedirs(path.parent, mode=0o755, exist_ok=True)
    write_text(path, text, force=True, mode=mode)
    os.chown(path, 0, 0, follow_symlinks=False)
    return Step(what, str(path), "updated" if existed else "created")


def _filled(path: Path | None) -> Path:
    """A path ``hall_from_request`` always fills (it gives sudoers and cron their defaults)."""
    if path is None:
        raise AssertionError("hall_from_request leaves no installed path empty")
    return path


def _install_sudoers(hall: HallConfig, target: Path) -> Step:
    """Write beside the target under a dotted name (sudo skips those), visudo -cf it, then rename."""
    text = render_sudoers(hall)
    if os.path.lexists(target):
        check_target(target, force=True)
        try:
            if target.read_text(encoding="utf-8") == text and _mode(target) == 0o440 and os.lstat(target).st_uid == 0:
                return Step("sudoers", str(target), "unchanged")
        except (OSError, UnicodeDecodeError):
            pass
    existed = os.path.lexists(target)
    os.makedirs(target.parent, mode=0o755, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.check")
    if os.path.lexists(temp):
        os.unlink(temp)
    write_text(temp, text, mode=0o440)
    try:
        checked = _run([_tool("visudo"), "-cf", str(temp)])
        if checked.returncode != 0:
            reason = (checked.stderr or checked.stdout).strip().splitlines()
            raise EnvironmentFailure("hall.setup.sudoers_invalid", path=str(temp), reason=reason[0] if reason else "")
        previous = target.read_bytes() if existed else None
        os.replace(temp, target)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)
    whole = _run([_tool("visudo"), "-c"])
    if whole.returncode != 0:  # our file is fine alone but not with the rest: put things back
        if previous is None:
            os.unlink(target)
        else:
            write_text(target, previous.decode("utf-8", "replace"), force=True, mode=0o440)
        reason = (whole.stderr or whole.stdout).strip().splitlines()
        raise EnvironmentFailure("hall.setup.sudoers_invalid", path="/etc/sudoers", reason=reason[-1] if reason else "")
    return Step("sudoers", str(target), "updated" if existed else "created")


def _refuse_foreign_wrapper(hall: HallConfig, target: Path, *, force: bool) -> None:
    """A file at the wrapper path that we did not write (nor a link to the program) is not ours to replace."""
    if force:
        return
    if os.path.islink(target):
        if os.path.realpath(target) != os.path.realpath(hall.retire):
            raise Refused("hall.setup.wrapper_foreign", path=str(target))
    elif os.path.lexists(target):
        try:
            ours = MARKER in target.read_text(encoding="utf-8", errors="replace")[:400]
        except OSError:
            ours = False
        if not ours:
            raise Refused("hall.setup.wrapper_foreign", path=str(target))


def _install_wrapper(hall: HallConfig, target: Path, *, force: bool) -> Step:
    _refuse_foreign_wrapper(hall, target, force=force)
    if os.path.islink(target):
        os.unlink(target)  # an older install linked the program itself here: the wrapper takes its place
    return _write_root_file("wrapper", target, render_wrapper(hall), 0o755)


def _init_database(hall: HallConfig, admin: str | None, lang: str) -> tuple[str | None, bool]:
    """``retire init`` as the service account, through sudo (root acting for the chosen admin)."""
    cmd = [_tool("sudo"), "-n", "-u", hall.account]
    if admin:
        cmd.append(f"RETIRE_LOGIN={admin}")  # root may set it (its rule is ALL); nobody else's sudo passes it
    cmd += ["--", str(hall.retire), "init", "--json"]
    result = _run(cmd, env={"PATH": SAFE_PATH, "RETIRE_LANG": lang}, cwd=hall.directory)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise EnvironmentFailure("hall.setup.init_failed", account=hall.account, retire=str(hall.retire),
                                 reason=lines[-1] if lines else f"exit {result.returncode}")
    try:
        data = json.loads(result.stdout)
    except ValueError:
        raise EnvironmentFailure("hall.setup.init_failed", account=hall.account, retire=str(hall.retire),
                                 reason=result.stdout.strip()[-200:]) from None
    return data.get("admin_login"), bool(data.get("admin_created"))


# --------------------------------------------------------------------------- check


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, what: str, path: Path | str, found: str, expected: str) -> None:
        self.problems.append(Problem(what, str(path), found, expected))

    def stat(self, what: str, path: Path, *, required: bool = True) -> os.stat_result | None:
        try:
            return os.lstat(path)
        except FileNotFoundError:
            if required:
                self.add(what, path, t("hall.check.missing"), t("hall.check.present"))
            return None
        except OSError as exc:
            self.add(what, path, exc.strerror or str(exc), t("hall.check.present"))
            return None

    def owned(self, what: str, path: Path, info: os.stat_result, uid: int, mode: int, *,
              kind: str = "file", exact: bool = True) -> None:
        is_kind = stat.S_ISDIR(info.st_mode) if kind == "dir" else stat.S_ISREG(info.st_mode)
        if stat.S_ISLNK(info.st_mode) or not is_kind:
            self.add(what, path, t("hall.check.wrong_kind"), t(f"hall.check.kind_{kind}"))
            return
        if info.st_uid != uid:
            self.add(what, path, t("hall.check.owner", owner=_owner(info.st_uid)), t("hall.check.owner", owner=_owner(uid)))
        actual = stat.S_IMODE(info.st_mode) | (info.st_mode & (stat.S_ISGID | stat.S_ISUID | stat.S_ISVTX))
        bad = actual != mode if exact else bool(actual & ~mode)
        if bad:
            self.add(what, path, f"{actual:04o}", f"{mode:04o}")

    def no_one_else_writes(self, what: str, path: Path) -> None:
        """``path`` and every directory above: root's, writable by root only.

        A directory above may be a root-owned sticky one (``/tmp``, 1777): there
        nobody but root can rename or remove root's entry, which the walk checks next.
        """
        here = Path(os.path.abspath(path))
        for item in [here, *here.parents]:
            try:
                info = os.stat(item)
            except OSError:
                continue
            sticky_parent = item != here and stat.S_ISDIR(info.st_mode) and bool(info.st_mode & stat.S_ISVTX)
            if info.st_uid != 0 or (info.st_mode & 0o022 and not sticky_parent):
                self.add(what, item, t("hall.check.owner_mode", owner=_owner(info.st_uid), mode=f"{stat.S_IMODE(info.st_mode):04o}"),
                         t("hall.check.root_only"))
                return


def check(account: str = DEFAULT_ACCOUNT) -> list[Problem]:
    """Every permission, owner or mode of the hall that is not as ``hall setup`` leaves it."""
    _need_root("retire hall check")
    _check_name(account, "--account")
    c = _Checker()
    path = hall_config.config_path(account)
    info = c.stat("config", path)
    if info is None:
        return c.problems
    c.owned("config", path, info, 0, 0o644)
    why = hall_config.untrusted_reason(path)
    if why is not None:
        c.add("config", path, why, t("hall.check.root_only"))
    try:
        hall = hall_config.read(path, trust_check=False)
    except hall_config.HallConfigError as err:
        c.add("config", path, err.reason, t("hall.check.readable"))
        return c.problems
    try:
        entry = pwd.getpwnam(hall.account)
    except KeyError:
        c.add("account", hall.account, t("hall.check.missing"), t("hall.check.present"))
        return c.problems
    if entry.pw_uid == 0:
        c.add("account", hall.account, "uid 0", t("hall.check.system_account"))
    if entry.pw_shell not in ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"):
        c.add("account", hall.account, entry.pw_shell, "nologin")
    try:
        group = grp.getgrnam(hall.group)
        if hall.account in group.gr_mem or entry.pw_gid == group.gr_gid:
            c.add("account", hall.account, t("hall.check.in_group", group=hall.group), t("hall.check.not_in_group"))
    except KeyError:
        c.add("group", hall.group, t("hall.check.missing"), t("hall.check.present"))
    uid = entry.pw_uid

    info = c.stat("directory", hall.directory)
    if info is not None:
        c.owned("directory", hall.directory, info, uid, 0o700, kind="dir")
        for parent in hall.directory.parents:
            pinfo = os.stat(parent)
            if pinfo.st_mode & 0o002 and not pinfo.st_mode & stat.S_ISVTX:
                c.add("directory", parent, f"{stat.S_IMODE(pinfo.st_mode):04o}", t("hall.check.root_only"))
    for suffix in DB_SUFFIXES:
        file = Path(f"{hall.db}{suffix}")
        info = c.stat("database", file, required=suffix == "")
        if info is not None:
            c.owned("database", file, info, uid, 0o600)
    info = c.stat("key", hall.key)
    if info is not None:
        c.owned("key", hall.key, info, uid, 0o600)
    info = c.stat("backups", hall.backups)
    if info is not None:
        c.owned("backups", hall.backups, info, uid, 0o700, kind="dir")
        try:
            for item in sorted(hall.backups.iterdir()):
                iinfo = os.lstat(item)
                c.owned("backups", item, iinfo, uid, 0o600, kind="dir" if stat.S_ISDIR(iinfo.st_mode) else "file", exact=False)
        except OSError as exc:
            c.add("backups", hall.backups, exc.strerror or str(exc), t("hall.check.readable"))
    if hall.directory.is_dir():
        for item in sorted(hall.directory.iterdir()):
            iinfo = os.lstat(item)
            if iinfo.st_uid != uid or stat.S_IMODE(iinfo.st_mode) & 0o077:
                if item in (hall.backups, hall.key) or item.name.startswith(hall.db.name):
                    continue  # reported above
                c.add("directory", item, t("hall.check.owner_mode", owner=_owner(iinfo.st_uid), mode=f"{stat.S_IMODE(iinfo.st_mode):04o}"),
                      t("hall.check.owner_mode", owner=hall.account, mode="0600"))

    _check_sudoers(c, hall)
    _check_wrapper(c, hall)
    if hall.cron is not None:
        info = c.stat("cron", hall.cron)
        if info is not None:
            c.owned("cron", hall.cron, info, 0, 0o644)
            try:
                if f"audit anchor --to {hall.anchor_log}" not in hall.cron.read_text(encoding="utf-8"):
                    c.add("cron", hall.cron, t("hall.check.not_ours"), render_cron(hall).splitlines()[-1])
            except OSError as exc:
                c.add("cron", hall.cron, exc.strerror or str(exc), t("hall.check.readable"))
    info = c.stat("anchor_dir", hall.anchor_dir)
    if info is not None:
        c.owned("anchor_dir", hall.anchor_dir, info, 0, 0o755, kind="dir")
        c.no_one_else_writes("anchor_dir", hall.anchor_dir)
        if _inside(hall.anchor_dir, hall.directory):
            c.add("anchor_dir", hall.anchor_dir, t("hall.check.inside", directory=str(hall.directory)), t("hall.check.root_only"))
        linfo = c.stat("anchor_dir", hall.anchor_log, required=False)
        if linfo is not None:
            c.owned("anchor_dir", hall.anchor_log, linfo, 0, 0o644, exact=False)
    info = c.stat("retire", hall.retire)
    if info is not None:
        c.no_one_else_writes("retire", hall.retire)
        interpreter = _interpreter(hall.retire)
        if interpreter is not None:
            c.no_one_else_writes("retire", Path(os.path.realpath(interpreter)))
        runs = _run(["runuser", "-u", hall.account, "--", "test", "-x", str(hall.retire)], cwd=Path("/"))
        if runs.returncode != 0:
            c.add("retire", hall.retire, t("hall.check.not_runnable", account=hall.account), t("hall.check.runnable"))
    return c.problems


def _interpreter(script: Path) -> str | None:
    try:
        with open(script, "rb") as fh:
            first = fh.readline(300)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode("utf-8", "replace").split()
    return words[0] if words else None


def _check_sudoers(c: _Checker, hall: HallConfig) -> None:
    path = hall.sudoers
    if path is None:  # a hand-edited config without the line: nothing lets the staff in
        c.add("sudoers", hall.path, t("hall.check.missing"), t("hall.check.present"))
        return
    info = c.stat("sudoers", path)
    if info is None:
        return
    c.owned("sudoers", path, info, 0, 0o440)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        c.add("sudoers", path, exc.strerror or str(exc), t("hall.check.readable"))
        return
    if text != render_sudoers(hall):
        c.add("sudoers", path, t("hall.check.changed"), t("hall.check.as_written"))
    if shutil.which("visudo", path=SAFE_PATH):
        checked = _run(["visudo", "-cf", str(path)])
        if checked.returncode != 0:
            c.add("sudoers", path, t("hall.check.invalid"), "visudo -cf")
    else:
        c.add("sudoers", "visudo", t("hall.check.missing"), t("hall.check.present"))


def _check_wrapper(c: _Checker, hall: HallConfig) -> None:
    if hall.wrapper is None:
        return
    info = c.stat("wrapper", hall.wrapper)
    if info is None:
        return
    c.owned("wrapper", hall.wrapper, info, 0, 0o755)
    c.no_one_else_writes("wrapper", hall.wrapper)
    try:
        text = hall.wrapper.read_text(encoding="utf-8")
    except OSError as exc:
        c.add("wrapper", hall.wrapper, exc.strerror or str(exc), t("hall.check.readable"))
        return
    if text != render_wrapper(hall):
        c.add("wrapper", hall.wrapper, t("hall.check.changed"), t("hall.check.as_written"))
