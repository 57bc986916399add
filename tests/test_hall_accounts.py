"""A hall install, for real: two OS accounts in one group share one database.

This is docs/hall-install.md run as a test.  As root it creates a group and
two OS users (unique names, removed afterwards), a setgid 2770 directory
owned root:GROUP, and runs the CLI AS those users (``runuser``, a clean
environment, no RETIRE_LOGIN), so the identity really comes from the OS
account:

- user A runs ``retire init`` and becomes the admin; the file is 0o660 and
  belongs to the group even under a strict umask;
- user B is refused (exit 1, one clear line) until A adds B as a clerk;
- both open a case on the same file, B acts on A's case, and
  ``retire audit`` / ``retire case show`` name each OS login as the actor.

Skipped (with the reason) when not root or when useradd/runuser are missing.
If the interpreter lives under a directory other users cannot enter (pyenv
under /root), the missing search (x) bits are added for "other" on those
directories only for the duration of the test and restored afterwards.
"""
from __future__ import annotations

import grp
import json
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.workflow_helpers import id_number

TOOLS = ("useradd", "userdel", "groupadd", "groupdel", "runuser")
STRICT_UMASK = "077"
HALL_UMASK = "007"  # what /etc/profile.d/retire.sh sets


def _why_skip() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root: creates OS users and a group (run the suite as root in CI to prove the hall install)"
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return f"needs {', '.join(missing)} (shadow-utils / util-linux) to create and switch OS accounts"
    return None


needs_root = pytest.mark.skipif(_why_skip() is not None, reason=_why_skip() or "")


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=60)


@dataclass
class Hall:
    group: str
    gid: int
    user_a: str
    user_b: str
    directory: Path

    @property
    def db(self) -> Path:
        return self.directory / "hall.db"


def _code_dirs() -> list[Path]:
    """Directories the other accounts must be able to enter to run our interpreter and code."""
    import console
    import sqlite_utils
    import typer

    paths = {Path(os.path.realpath(sys.executable)), Path(sys.executable), Path(sys.prefix), Path(sys.base_prefix)}
    for module in (console, typer, sqlite_utils):
        paths.add(Path(module.__file__).resolve().parent)  # type: ignore[arg-type]
    return sorted(paths)


def _open_search_path(restore: list[tuple[Path, int]]) -> None:
    """Add o+x to every ancestor directory of our code that "other" cannot enter (remembered for restore)."""
    seen: set[Path] = set()
    for path in _code_dirs():
        for directory in [*reversed(path.parents), path]:
            if directory in seen or not directory.is_dir():
                continue
            seen.add(directory)
            mode = directory.stat().st_mode
            if not mode & stat.S_IXOTH:
                restore.append((directory, stat.S_IMODE(mode)))
                os.chmod(directory, stat.S_IMODE(mode) | stat.S_IXOTH)


@pytest.fixture
def hall(request: pytest.FixtureRequest) -> Hall:
    tag = f"{os.getpid() % 100000:05d}{secrets.token_hex(2)}"
    group, user_a, user_b = f"rtg{tag}", f"rta{tag}", f"rtb{tag}"
    created_users: list[str] = []
    created_group: list[str] = []
    restore_modes: list[tuple[Path, int]] = []
    directory = Path(tempfile.mkdtemp(prefix="retire-hall-"))

    def cleanup() -> None:
        for user in created_users:
            _run("userdel", user)
        for g in created_group:
            _run("groupdel", g)
        for path, mode in reversed(restore_modes):
            os.chmod(path, mode)
        shutil.rmtree(directory, ignore_errors=True)

    request.addfinalizer(cleanup)
    result = _run("groupadd", group)
    assert result.returncode == 0, result.stderr
    created_group.append(group)
    for user in (user_a, user_b):
        # -M: no home, -N: no per-user group; the hall group as a supplementary group
        result = _run("useradd", "-M", "-N", "-G", group, "-s", "/bin/sh", user)
        assert result.returncode == 0, result.stderr
        created_users.append(user)
    gid = grp.getgrnam(group).gr_gid
    # /srv/retire: root:retire 2770 (setgid: new files get the group)
    os.chown(directory, 0, gid)
    os.chmod(directory, 0o2770)
    h = Hall(group, gid, user_a, user_b, directory)
    probe = as_user(h, user_a, "-c", "import console.cli", module=False)
    if probe.returncode != 0:
        _open_search_path(restore_modes)
        probe = as_user(h, user_a, "-c", "import console.cli", module=False)
    if probe.returncode != 0:
        pytest.skip(f"the test accounts cannot run {sys.executable}: {probe.stderr.strip()[-300:]}")
    return h


def as_user(h: Hall, user: str, *args: str, umask: str = HALL_UMASK, module: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``python -m console ARGS`` as the OS user, like a login shell after ``ssh user@server``.

    A clean environment: no RETIRE_LOGIN, no USER/LOGNAME from us; the login
    is whatever the OS says the process runs as.
    """
    env = [
        "env", "-i",
        "PATH=/usr/local/bin:/usr/bin:/bin",
        f"HOME={h.directory}",
        "LANG=C.UTF-8",
        f"RETIRE_DB={h.db}",
        "RETIRE_LANG=en",
        "PYTHONDONTWRITEBYTECODE=1",
    ]
    python = [sys.executable, "-m", "console", *args] if module else [sys.executable, *args]
    cmd = ["runuser", "-u", user, "--", "sh", "-c", f'umask {umask}; exec "$@"', "sh", *env, *python]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=h.directory)


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def _assert_shared_mode(h: Hall, path: Path) -> None:
    st = path.stat()
    assert stat.S_IMODE(st.st_mode) == 0o660, f"{path.name}: {oct(stat.S_IMODE(st.st_mode))}"
    assert st.st_gid == h.gid, f"{path.name}: group {st.st_gid}, expected {h.group} ({h.gid})"


@needs_root
def test_two_os_accounts_share_one_hall_database(hall: Hall) -> None:
    a, b = hall.user_a, hall.user_b

    # A (the first admin) creates the database, even with a strict umask.
    init = json.loads(_ok(as_user(hall, a, "init", "--json", umask=STRICT_UMASK)))
    assert init["admin_created"] is True and init["admin_login"] == a
    _assert_shared_mode(hall, hall.db)
    assert pwd.getpwuid(hall.db.stat().st_uid).pw_name == a

    # B is not staff yet: one clear line, exit 1, no traceback.
    refused = as_user(hall, b, "staff", "list")
    assert refused.returncode == 1, refused
    assert b in refused.stderr and "not registered" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr and refused.stdout == ""

    # A adds B as a clerk, and A itself as a clerk too.
    _ok(as_user(hall, a, "staff", "add", b, "--name", "王芳", "--role", "clerk"))
    self_add = as_user(hall, a, "staff", "add", a, "--name", "李华", "--role", "clerk")
    if self_add.returncode != 0:
        # No command gives an existing login another role (staff add refuses an
        # existing login); see test_the_first_admin_can_also_be_made_a_clerk.
        assert self_add.returncode == 1 and "already registered" in self_add.stderr, self_add
        _ok(as_user(hall, a, "staff", "grant", a, "--role", "clerk"))

    # Both act on the same file: each opens a case, B asks for correction on A's case.
    case_a = json.loads(_ok(as_user(hall, a, "case", "new", "--id", id_number(11), "--name", "张三", "--json")))["case_no"]
    case_b = json.loads(_ok(as_user(hall, b, "case", "new", "--id", id_number(13), "--name", "李四",
                                    "--received", "id_card_hukou", "--json")))["case_no"]
    assert case_a != case_b
    _ok(as_user(hall, b, "case", "refuse", case_a, "--json"))

    # The audit trail names each OS login.
    history = json.loads(_ok(as_user(hall, b, "audit", case_a, "--json")))
    actors = [(r["action"], r["actor"]) for r in history["rows"]]
    assert ("case.open", a) in actors and ("case.correction_requested", b) in actors, actors
    assert {r["actor"] for r in history["rows"]} <= {a, b}

    shown = json.loads(_ok(as_user(hall, a, "case", "show", case_b, "--json")))
    assert shown["case_no"] == case_b
    assert [x["actor"] for x in shown["audit"] if x["action"] == "case.open"] == [b]
    shown_a = json.loads(_ok(as_user(hall, a, "case", "show", case_a, "--json")))
    assert shown_a["status"] == "awaiting_correction" and shown_a["updated_by"] == b

    # Every file of the database (main, -wal, -shm) stays group-shared and 0o660.
    for path in hall.directory.iterdir():
        if path.name.startswith("hall.db"):
            _assert_shared_mode(hall, path)

    # Still one healthy file after three accounts' worth of writes.
    doctor = as_user(hall, a, "doctor", "--json")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert json.loads(doctor.stdout)["ok"] is True


@needs_root
def test_an_account_outside_the_group_cannot_open_the_hall_database(hall: Hall) -> None:
    """The boundary is the file mode: a user not in the group gets a clean refusal, not a traceback."""
    _ok(as_user(hall, hall.user_a, "init"))
    outsider = f"rto{secrets.token_hex(3)}"
    assert _run("useradd", "-M", "-N", "-s", "/bin/sh", outsider).returncode == 0
    try:
        result = as_user(hall, outsider, "case", "list")
    finally:
        _run("userdel", outsider)
    assert result.returncode in (1, 2), result
    assert "Traceback" not in result.stderr
    assert result.stderr.strip(), "expected a one-line reason on stderr"


def test_the_first_admin_can_also_be_made_a_clerk(cli_app, env) -> None:
    """In a small hall the first admin also works the window: a second admin says so (never the admin themself)."""
    from typer.testing import CliRunner

    runner = CliRunner()
    assert runner.invoke(cli_app, ["init"]).exit_code == 0
    own = runner.invoke(cli_app, ["staff", "grant", env["RETIRE_LOGIN"], "--role", "clerk"])
    assert own.exit_code == 1, own.output
    assert runner.invoke(cli_app, ["staff", "add", "second", "--name", "Second", "--role", "admin"]).exit_code == 0
    result = runner.invoke(cli_app, ["staff", "grant", env["RETIRE_LOGIN"], "--role", "clerk"], env={"RETIRE_LOGIN": "second"})
    assert result.exit_code == 0, result.output
    listed = runner.invoke(cli_app, ["staff", "list", "--json"])
    row = next(r for r in json.loads(listed.stdout) if r["login"] == env["RETIRE_LOGIN"])
    assert set(row["roles"]) >= {"admin", "clerk"}
