"""Who is acting, with real OS accounts: the kernel's word, never the environment's.

As root this creates OS users (unique names, removed afterwards), each with
a home directory of their own, and runs ``python -m console`` AS them
(``runuser``, a clean environment) to show, without any hall install:

- the login is the real uid's account: LOGNAME, USER, USERNAME,
  RETIRE_LOGIN and a home-made SUDO_USER/SUDO_UID change nothing (sudo's
  caller is believed only inside a hall's service account, see
  tests/test_hall_setup.py); the CLI says in one line that RETIRE_LOGIN was
  ignored;
- a personal database is the embedded default: created 0600 in the user's
  own data directory (0700), with nothing to set up;
- on a demo hall RETIRE_LOGIN is honoured and the audit names both the OS
  account and the login acted for;
- root acts as root (refused until it has a staff row) or, with
  RETIRE_LOGIN, for that login, recorded as "root for <login>".

The old shared model (a setgid group directory gives a 0660 file) is kept
only so that existing halls keep opening until ``retire hall setup`` moves
them to a service account; ``retire hall check`` flags it.
"""
from __future__ import annotations

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
from typer.testing import CliRunner

from tests.test_hall_setup import SearchPath

needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                reason="needs root: creates OS users and runs the CLI as them")


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=60)


@dataclass
class People:
    base: Path
    alice: str
    bob: str

    def home(self, login: str) -> Path:
        return self.base / login

    def run(self, login: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """``python -m console ARGS`` as ``login``, from a clean environment plus ``env``."""
        values = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.home(login)), "LANG": "C.UTF-8",
                  "RETIRE_LANG": "en", "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
        cmd = ["runuser", "-u", login, "--", "env", "-i", *[f"{k}={v}" for k, v in values.items()],
               sys.executable, "-m", "console", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.home(login))


@pytest.fixture
def people(request: pytest.FixtureRequest) -> People:
    tag = f"{os.getpid() % 10000:04d}{secrets.token_hex(2)}"
    base = Path(tempfile.mkdtemp(prefix="retire-people-"))
    os.chmod(base, 0o755)
    p = People(base, f"rpa{tag}", f"rpb{tag}")
    created: list[str] = []
    search = SearchPath()

    def cleanup() -> None:
        for user in created:
            _run("userdel", user)
        shutil.rmtree(base, ignore_errors=True)
        search.close()

    request.addfinalizer(cleanup)
    for login in (p.alice, p.bob):
        home = p.home(login)
        result = _run("useradd", "-M", "-N", "-d", str(home), "-s", "/bin/sh", login)
        assert result.returncode == 0, result.stderr
        created.append(login)
        home.mkdir(mode=0o700)
        os.chown(home, pwd.getpwnam(login).pw_uid, -1)
    search.open()
    # the accounts can start our interpreter and import the code
    probe = p.run(p.alice, "--help")
    if probe.returncode != 0:
        pytest.skip(f"the test accounts cannot run {sys.executable}: {probe.stderr.strip()[-300:]}")
    return p


def _audit_actors(path: Path, action: str | None = None, entity_id: str | None = None) -> list[tuple[str]]:
    """Audit actors read by root straight from the file (read-only: no -wal/-shm of root's left behind)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        sql, params = "SELECT actor FROM audit", []
        if action is not None:
            sql, params = sql + " WHERE action = ? AND entity_id = ?", [action, entity_id]
        return [tuple(r) for r in conn.execute(sql + " ORDER BY id", params)]
    finally:
        conn.close()


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "Traceback" not in result.stderr
    return result.stdout


@needs_root
def test_the_login_is_the_kernels_whatever_the_environment_says(people: People) -> None:
    a, b = people.alice, people.bob
    spoof = {"LOGNAME": b, "USER": b, "USERNAME": b, "RETIRE_LOGIN": b,
             "SUDO_USER": b, "SUDO_UID": str(pwd.getpwnam(b).pw_uid)}

    init = json.loads(_ok(people.run(a, "init", "--json", env=spoof)))
    assert init["admin_created"] is True and init["admin_login"] == a

    # the embedded default: a personal database in alice's own data directory, private
    db = Path(init["path"])
    assert people.home(a) in db.parents, db
    assert stat.S_IMODE(db.stat().st_mode) == 0o600 and db.stat().st_uid == pwd.getpwnam(a).pw_uid
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700

    listed = people.run(a, "staff", "list", "--json", env=spoof)
    rows = json.loads(_ok(listed))
    assert [r["login"] for r in rows] == [a]
    warning = [line for line in listed.stderr.splitlines() if line.strip()]
    assert len(warning) == 1 and "RETIRE_LOGIN" in warning[0] and b in warning[0], listed.stderr

    # an admin acts, the audit names the OS account, not what the environment claimed
    _ok(people.run(a, "staff", "add", "carl", "--name", "Carl", "--role", "clerk", env=spoof))
    assert {actor for (actor,) in _audit_actors(db)} == {a}

    # bob, not on alice's database and unable to open it, gets one line
    other = people.run(b, "--db", str(db), "staff", "list", env={"RETIRE_LOGIN": a, "USER": a, "LOGNAME": a})
    assert other.returncode in (1, 2, 3) and "Traceback" not in other.stderr
    assert other.stdout == "" and other.stderr.strip()


@needs_root
def test_a_demo_hall_honours_retire_login_and_names_both(people: People) -> None:
    a = people.alice
    demo_db = people.home(a) / "demo.db"
    _ok(people.run(a, "--db", str(demo_db), "demo", "--cases", "0", "--json", env={"RETIRE_LOGIN": "mei"}))
    added = people.run(a, "--db", str(demo_db), "staff", "add", "newbie", "--name", "新人", "--role", "clerk",
                       env={"RETIRE_LOGIN": "mei"})
    _ok(added)
    assert "RETIRE_LOGIN" not in added.stderr  # honoured here, so no warning
    assert _audit_actors(demo_db, "staff.add", "newbie") == [(f"{a} for mei",)]


@needs_root
def test_root_acts_as_root_or_for_the_login_it_names(cli_app, env) -> None:
    runner = CliRunner()
    assert runner.invoke(cli_app, ["init"]).exit_code == 0  # RETIRE_LOGIN=alice: alice is the first admin
    added = runner.invoke(cli_app, ["staff", "add", "wangfang", "--name", "王芳", "--role", "clerk"])
    assert added.exit_code == 0, added.output
    as_root = runner.invoke(cli_app, ["staff", "list"], env={"RETIRE_LOGIN": ""})
    assert as_root.exit_code == 1 and "root" in as_root.output and "Traceback" not in as_root.output

    from db.connection import open_database

    db = open_database(Path(env["RETIRE_DB"]), create=False)
    try:
        actors = dict(db.execute("SELECT action, actor FROM audit WHERE action LIKE 'staff.%'").fetchall())
    finally:
        db.close()
    assert actors["staff.add"] == "root for alice", actors


def test_the_first_admin_is_made_a_clerk_by_another_admin(cli_app, env) -> None:
    """In a small hall the first admin also works the window; another admin must say so (separation of duties)."""
    runner = CliRunner()
    me = env["RETIRE_LOGIN"]
    assert runner.invoke(cli_app, ["init"]).exit_code == 0
    own = runner.invoke(cli_app, ["staff", "grant", me, "--role", "clerk"])
    assert own.exit_code == 1 and "Traceback" not in own.output
    assert runner.invoke(cli_app, ["staff", "add", "second", "--name", "Second", "--role", "admin"]).exit_code == 0
    granted = runner.invoke(cli_app, ["staff", "grant", me, "--role", "clerk"], env={"RETIRE_LOGIN": "second"})
    assert granted.exit_code == 0, granted.output
    listed = runner.invoke(cli_app, ["staff", "list", "--json"])
    row = next(r for r in json.loads(listed.stdout) if r["login"] == me)
    assert set(row["roles"]) >= {"admin", "clerk"}


def test_the_old_shared_model_still_opens_but_is_not_the_default(tmp_path: Path) -> None:
    """Backward compatibility only: a setgid group directory still gives 0660; anywhere else 0600."""
    from db.connection import new_file_mode

    private = tmp_path / "mine"
    private.mkdir(mode=0o700)
    assert new_file_mode(private) == 0o600
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o2770)
    assert new_file_mode(shared) == 0o660
