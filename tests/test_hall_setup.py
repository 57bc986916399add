"""``retire hall setup`` for real: a service account owns the hall, staff go through sudo.

As root this test creates, with unique names removed afterwards, a staff
group, a service account (by ``retire hall setup`` itself), an admin, a
clerk and a reviewer in the group and an outsider who is not, then runs
every command AS those accounts (``runuser -u LOGIN -- env -i ... WRAPPER
...``, the way ``ssh clerk@server -> retire`` would) and shows:

- nobody but the service account (and root) can open the database file:
  open() gives PermissionError, ``cat`` and ``sqlite3`` fail; the program
  run directly with ``--db`` fails with one line; sudo lets staff run
  nothing else as the account and set no environment variable;
- LOGNAME=, USER=, USERNAME= and RETIRE_LOGIN= set to the reviewer change
  nothing about who is recorded or allowed: the clerk's case is the
  clerk's, the clerk's reviewer-only confirmation is refused (exit 1);
- the outsider gets one line, no traceback, exit 1;
- the audit, read as the service account, names each account;
- ``hall check`` is clean after setup, flags a group-readable database
  (the old model), and setup run again puts it right (idempotent).

Skipped only when not root.  sudo must be installed (.ci/run installs it).
If the interpreter lives where other users cannot enter (pyenv under
/root), the search (x) bit is added for "other" on those directories while
the test runs and restored afterwards (``SearchPath``: concurrent runs share it).
"""
from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from console.i18n import t
from tests.workflow_helpers import id_number, write_payload

needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                reason="needs root: creates OS accounts, a sudoers rule and a service account")
RETIRE = Path(sys.prefix) / "bin" / "retire"
CLEAN_PATH = "/usr/local/bin:/usr/bin:/bin"


def run(*cmd: str | Path, timeout: int = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd="/")


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args}\nexit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def one_line_refusal(result: subprocess.CompletedProcess[str], code: int | tuple[int, ...] = 1) -> str:
    codes = code if isinstance(code, tuple) else (code,)
    assert result.returncode in codes, result
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- making other accounts able to run our interpreter --------------------------------


def code_dirs() -> list[Path]:
    import sqlite_utils
    import typer

    import console

    paths = {Path(os.path.realpath(sys.executable)), Path(sys.executable), Path(sys.prefix), Path(sys.base_prefix)}
    for module in (console, typer, sqlite_utils):
        paths.add(Path(module.__file__).resolve().parent)  # type: ignore[arg-type]
    return sorted(paths)


class SearchPath:
    """o+x on every ancestor directory of our code that "other" cannot enter, while any test needs it.

    Several test runs may do this at once on one machine, so the original
    modes are kept in one state file beside a lock: every run holds the lock
    shared while it runs, and the last one out puts the modes back.
    """

    lock = Path(tempfile.gettempdir()) / "retire-os-tests.lock"
    state = Path(tempfile.gettempdir()) / "retire-os-tests.modes.json"

    def __init__(self) -> None:
        self.fd: int | None = None

    def open(self) -> None:
        import fcntl

        self.fd = os.open(self.lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        saved: dict[str, int] = json.loads(self.state.read_text()) if self.state.exists() else {}
        seen: set[Path] = set()
        for path in code_dirs():
            for directory in [*reversed(path.parents), path]:
                if directory in seen or not directory.is_dir():
                    continue
                seen.add(directory)
                mode = stat.S_IMODE(directory.stat().st_mode)
                if not mode & stat.S_IXOTH:
                    saved.setdefault(str(directory), mode)
                    os.chmod(directory, mode | stat.S_IXOTH)
        self.state.write_text(json.dumps(saved))
        fcntl.flock(self.fd, fcntl.LOCK_SH)

    def close(self) -> None:
        import fcntl

        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another run still needs the bits; the last one restores them
            if self.state.exists():
                for directory, mode in json.loads(self.state.read_text()).items():
                    os.chmod(directory, mode)
                self.state.unlink()
        finally:
            os.close(fd)


# -- the hall under test -------------------------------------------------------------------


@dataclass
class Hall:
    tag: str
    base: Path
    group: str
    account: str
    admin: str
    clerk: str
    reviewer: str
    outsider: str
    created_users: list[str] = field(default_factory=list)

    @property
    def directory(self) -> Path:
        return self.base / "hall"

    @property
    def db(self) -> Path:
        return self.directory / "hall.db"

    @property
    def wrapper(self) -> Path:
        return self.base / "bin" / "retire"

    @property
    def config(self) -> Path:
        return Path("/etc/retire") / f"{self.account}.toml"

    @property
    def sudoers(self) -> Path:
        return Path("/etc/sudoers.d") / self.account

    @property
    def cron(self) -> Path:
        return Path("/etc/cron.d") / f"{self.account}-anchor"

    @property
    def anchor_dir(self) -> Path:
        return Path("/var/lib") / f"{self.account}-anchors"

    def setup_args(self) -> list[str]:
        return [str(RETIRE), "--lang", "en", "hall", "setup", "--dir", str(self.directory), "--group", self.group,
                "--account", self.account, "--admin", self.admin, "--retire", str(RETIRE),
                "--wrapper", str(self.wrapper), "--json"]

    def as_user(self, login: str, *args: str, extra_env: dict[str, str] | None = None,
                program: str | Path | None = None) -> subprocess.CompletedProcess[str]:
        """``WRAPPER ARGS`` (or ``program ARGS``) as ``login``, from a clean login-like environment."""
        env = ["PATH=" + CLEAN_PATH, "HOME=/", "LANG=C.UTF-8", "RETIRE_LANG=en", "PYTHONDONTWRITEBYTECODE=1"]
        env += [f"{k}={v}" for k, v in (extra_env or {}).items()]
        target = str(program) if program is not None else str(self.wrapper)
        return run("runuser", "-u", login, "--", "env", "-i", *env, target, *args)


def make_hall(request: pytest.FixtureRequest) -> Hall:
    """A hall with its own service account, staff accounts and an outsider, all removed when the test ends."""
    tag = f"{os.getpid() % 10000:04d}{secrets.token_hex(2)}"
    base = Path(tempfile.mkdtemp(prefix=f"retire-test-{tag}-", dir="/srv" if os.path.isdir("/srv") else "/var/lib"))
    os.chmod(base, 0o755)  # the accounts must reach the hall directory and the wrapper
    (base / "bin").mkdir(mode=0o755)
    h = Hall(tag=tag, base=base, group=f"rts{tag}", account=f"rth{tag}", admin=f"rta{tag}", clerk=f"rtc{tag}",
             reviewer=f"rtr{tag}", outsider=f"rto{tag}")
    search = SearchPath()

    def cleanup() -> None:
        for user in [*h.created_users, h.account]:
            run("userdel", user)
        for group in (h.group, h.account):
            run("groupdel", group)
        for path in (h.config, h.sudoers, h.cron):
            with_suppress_unlink(path)
        shutil.rmtree(h.anchor_dir, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)
        search.close()

    request.addfinalizer(cleanup)
    for login in (h.admin, h.clerk, h.reviewer, h.outsider):
        ok(run("useradd", "-M", "-N", "-s", "/bin/sh", login))
        h.created_users.append(login)
    search.open()
    return h


@pytest.fixture
def hall(accounts_hall: Hall) -> Hall:
    """This module's hall is the OS-accounts hall (conftest's ``accounts_hall``), not the TUI demo hall."""
    return accounts_hall


def with_suppress_unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def mode_owner(path: Path) -> tuple[str, str]:
    info = os.lstat(path)
    return f"{stat.S_IMODE(info.st_mode):04o}", pwd.getpwuid(info.st_uid).pw_name


def audit_rows_as_service_account(h: Hall) -> list[dict]:
    """The whole audit table, read by the service account itself (nobody else can open the file)."""
    script = ("import json, sqlite3, sys; c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True); "
              "print(json.dumps([dict(zip(('id', 'actor', 'action', 'entity_id'), r)) for r in "
              "c.execute('SELECT id, actor, action, entity_id FROM audit ORDER BY id')]))")
    result = run("runuser", "-u", h.account, "--", "env", "-i", "PATH=" + CLEAN_PATH, sys.executable, "-c", script, str(h.db))
    return json.loads(ok(result))


@needs_root
def test_hall_setup_gives_the_file_to_a_service_account_and_the_kernel_says_who_acts(hall: Hall) -> None:
    started = time.monotonic()
    h = hall
    assert shutil.which("sudo") and shutil.which("visudo"), "sudo is not installed (.ci/run installs it)"

    # -- root installs the hall -----------------------------------------------------------
    installed = json.loads(ok(run(*h.setup_args())))
    assert installed["ok"] is True, installed["problems"]
    assert installed["admin"] == h.admin and installed["admin_created"] is True
    account = pwd.getpwnam(h.account)
    assert account.pw_dir == str(h.directory) and account.pw_shell.endswith(("nologin", "false"))
    assert mode_owner(h.directory) == ("0700", h.account)
    assert mode_owner(h.db) == ("0600", h.account)
    assert mode_owner(h.directory / "backup") == ("0700", h.account)
    assert mode_owner(h.config) == ("0644", "root")
    assert mode_owner(h.sudoers) == ("0440", "root")
    assert mode_owner(h.wrapper) == ("0755", "root")
    assert mode_owner(h.cron) == ("0644", "root")
    assert mode_owner(h.anchor_dir) == ("0755", "root")
    key = h.directory / "audit.key"
    if key.exists():  # the keyed audit chain (issue 11 item 5) creates it at init
        assert mode_owner(key) == ("0600", h.account)
    assert f"{h.account} audit anchor --to" not in h.cron.read_text()  # root runs it, not the account
    assert f"root RETIRE_HALL_ACCOUNT={h.account}" in h.cron.read_text()
    ok(run("visudo", "-cf", h.sudoers))
    # safe to repeat: nothing left to change, and hall check agrees
    again = json.loads(ok(run(*h.setup_args())))
    assert {s["done"] for s in again["steps"] if s["what"] != "database"} == {"unchanged"}, again["steps"]
    assert again["admin_created"] is False
    assert json.loads(ok(run(RETIRE, "hall", "check", "--account", h.account, "--json")))["ok"] is True

    for login in (h.clerk, h.reviewer):
        ok(run("usermod", "-a", "-G", h.group, login))

    # -- the admin adds staff, through the wrapper -----------------------------------------
    ok(h.as_user(h.admin, "staff", "add", h.clerk, "--name", "王芳", "--role", "clerk"))
    ok(h.as_user(h.admin, "staff", "add", h.reviewer, "--name", "赵敏", "--role", "hrss_reviewer"))

    # -- nobody but the service account can open the file -----------------------------------
    probe = run("runuser", "-u", h.clerk, "--", "/usr/bin/env", "-i", sys.executable, "-c",
                f"open({str(h.db)!r}, 'rb')")
    assert probe.returncode == 1 and "PermissionError" in probe.stderr, probe
    assert run("runuser", "-u", h.clerk, "--", "cat", str(h.db)).returncode != 0
    if shutil.which("sqlite3"):
        sqlite_cli = run("runuser", "-u", h.clerk, "--", "sqlite3", str(h.db), "UPDATE staff SET login = login")
        assert sqlite_cli.returncode != 0, sqlite_cli
    direct = h.as_user(h.clerk, "--db", str(h.db), "staff", "list", program=RETIRE)
    one_line_refusal(direct, code=(1, 2, 3))
    # sudo runs exactly the installed retire as the account, and lets no variable through
    shell = run("runuser", "-u", h.clerk, "--", "sudo", "-n", "-u", h.account, "--", "/bin/cat", str(h.db))
    assert shell.returncode != 0 and shell.stdout == "", shell
    planted = run("runuser", "-u", h.clerk, "--", "sudo", "-n", "-u", h.account, f"RETIRE_DB={h.base}/other.db",
                  "--", str(RETIRE), "init")
    assert planted.returncode != 0 and not (h.base / "other.db").exists(), planted

    # -- LOGNAME / USER / USERNAME / RETIRE_LOGIN change nothing ------------------------------
    spoof = {"LOGNAME": h.reviewer, "USER": h.reviewer, "USERNAME": h.reviewer, "RETIRE_LOGIN": h.reviewer}
    opened = json.loads(ok(h.as_user(h.clerk, "case", "new", "--id", id_number(11), "--name", "张三",
                                     "--received", "id_card_hukou", "--json", extra_env=spoof)))
    case_no = opened["case_no"]
    payload = write_payload(h.base / "prereview.json")
    os.chmod(payload, 0o644)  # the service account reads it
    ok(h.as_user(h.clerk, "prereview", case_no, "--file", str(payload), "--json", extra_env=spoof))
    refused = h.as_user(h.clerk, "prereview", case_no, "--confirm", extra_env=spoof)
    assert refused.returncode == 1, refused
    assert "Traceback" not in refused.stderr
    reviewer_words = {t("terms.role.hrss_reviewer", lang) for lang in ("zh", "en")}  # roles in words (issue 14 bug 7)
    assert h.clerk in refused.stderr and any(w in refused.stderr for w in reviewer_words), refused.stderr
    assert "RETIRE_LOGIN" in refused.stderr  # one line says the override was ignored
    grab = h.as_user(h.clerk, "staff", "grant", h.clerk, "--role", "hrss_reviewer", extra_env=spoof)
    assert grab.returncode == 1 and "Traceback" not in grab.stderr, grab
    confirmed = json.loads(ok(h.as_user(h.reviewer, "prereview", case_no, "--confirm", "--json")))
    assert confirmed["confirmed"] is True
    shown = json.loads(ok(h.as_user(h.reviewer, "case", "show", case_no, "--json")))
    assert shown["prereview"]["confirmed_by"] == h.reviewer

    # under the service account the hall's config names the database, not --db
    elsewhere = h.base / "elsewhere.db"
    assert json.loads(ok(h.as_user(h.clerk, "--db", str(elsewhere), "case", "show", case_no, "--json")))["case_no"] == case_no
    assert not elsewhere.exists()
    # no argument may name the hall's own files: not the database, not the key, not through a link
    before = (os.stat(h.db).st_ino, h.db.read_bytes()[:16])
    replaced = h.as_user(h.clerk, "export", "cases", "--out", str(h.db), "--force")
    assert str(h.db) in one_line_refusal(replaced, code=2)
    assert (os.stat(h.db).st_ino, h.db.read_bytes()[:16]) == before
    key_link = h.base / "innocent.csv"
    key_link.symlink_to(h.directory / "audit.key")
    for target in (str(h.directory / "audit.key"), str(key_link), f"--out={h.directory}/notes.csv"):
        args = ["import", "persons", target] if not target.startswith("--") else ["export", "cases", target]
        one_line_refusal(h.as_user(h.clerk, *args), code=2)
    assert not (h.directory / "notes.csv").exists()
    # a clerk's own file imports: read once through a checked descriptor, then from a private spool
    roster = h.base / "roster.csv"
    roster.write_text("id_number,name\n150299195801080070,周老\n", encoding="utf-8")
    os.chmod(roster, 0o644)
    imported = h.as_user(h.clerk, "import", "persons", str(roster), "--json")
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert report["tables"]["persons"]["inserted"] == 1, report
    assert not list(h.directory.glob("*.rejects.csv"))
    # ... nor a path typed in the TUI (whose ~ is the hall directory): every writer asks console.safe_files
    writer = ("import sys; from console.errors import BadInput; from console.safe_files import write_text\n"
              "try:\n    write_text(sys.argv[1], 'x', force=True)\nexcept BadInput as e:\n    sys.exit(e.key)")
    as_sudo = [f"SUDO_USER={h.clerk}", f"SUDO_UID={pwd.getpwnam(h.clerk).pw_uid}"]
    for target in (h.db, h.directory / "GY-2026-000001-acceptance.docx"):
        typed = run("runuser", "-u", h.account, "--", "env", "-i", "PATH=" + CLEAN_PATH, *as_sudo,
                    sys.executable, "-c", writer, str(target))
        assert typed.returncode == 1 and typed.stderr.strip() == "hall.protected_path", typed
    assert (os.stat(h.db).st_ino, h.db.read_bytes()[:16]) == before
    # SUDO_USER is believed only as sudo sets it: a SUDO_UID that is not that user's is refused
    forged = run("runuser", "-u", h.account, "--", "env", "-i", "PATH=" + CLEAN_PATH, "RETIRE_LANG=en",
                 f"SUDO_USER={h.reviewer}", f"SUDO_UID={pwd.getpwnam(h.clerk).pw_uid}", str(RETIRE), "staff", "list")
    assert "sudo says" in one_line_refusal(forged, code=1)

    # -- the outsider: one line, no traceback ------------------------------------------------
    line = one_line_refusal(h.as_user(h.outsider, "case", "list", extra_env=spoof), code=1)
    assert h.outsider in line and h.group in line, line
    assert h.as_user(h.outsider, "case", "list").stdout == ""
    sudo_direct = run("runuser", "-u", h.outsider, "--", "sudo", "-n", "-u", h.account, "--", str(RETIRE), "case", "list")
    assert sudo_direct.returncode != 0 and sudo_direct.stdout == "" and "Traceback" not in sudo_direct.stderr

    # -- the audit, read as the service account, names each account ----------------------------
    rows = audit_rows_as_service_account(h)
    by_action: dict[str, set[str]] = {}
    for row in rows:
        by_action.setdefault(row["action"], set()).add(row["actor"])
    assert by_action["case.open"] == {h.clerk}, by_action
    assert by_action["prereview.compute"] == {h.clerk}, by_action
    assert by_action["prereview.confirm"] == {h.reviewer}, by_action
    assert by_action["staff.add"] == {h.admin}, by_action
    assert any(a in (h.admin, f"root for {h.admin}") for a in by_action["staff.bootstrap_admin"]), by_action
    everyone = {row["actor"] for row in rows}
    assert everyone <= {h.admin, h.clerk, h.reviewer, f"root for {h.admin}"}, everyone
    assert not any(h.reviewer in actor for row in rows if row["entity_id"] == case_no
                   and row["action"] != "prereview.confirm" for actor in [row["actor"]])

    # -- root, through the wrapper: acts as root, or for a login it names; the files stay the account's
    clean_root = {"PATH": CLEAN_PATH, "RETIRE_LANG": "en"}
    one_line_refusal(run(h.wrapper, "staff", "list", env=clean_root), code=1)  # root has no staff row
    backup = h.directory / "backup" / "nightly.db"
    ok(run(h.wrapper, "backup", str(backup), env={**clean_root, "RETIRE_LOGIN": h.admin}))
    assert mode_owner(backup) == ("0600", h.account)
    assert ("db.backup", f"root for {h.admin}") in {(r["action"], r["actor"]) for r in audit_rows_as_service_account(h)}
    assert json.loads(ok(run(h.wrapper, "hall", "check", "--account", h.account, "--json", env=clean_root)))["ok"] is True

    # -- hall check flags the old model's group-readable file; setup puts it right ------------
    os.chmod(h.db, 0o660)
    os.chmod(h.directory, 0o2770)
    flagged = run(RETIRE, "--lang", "en", "hall", "check", "--account", h.account, "--json")
    assert flagged.returncode == 1, flagged
    problems = {(p["what"], p["path"]) for p in json.loads(flagged.stdout)["problems"]}
    assert ("database", str(h.db)) in problems and ("directory", str(h.directory)) in problems, problems
    human = run(RETIRE, "--lang", "en", "hall", "check", "--account", h.account)
    assert human.returncode == 1 and "0660" in human.stdout and "Traceback" not in human.stderr
    ok(run(*h.setup_args()))
    assert mode_owner(h.db) == ("0600", h.account) and mode_owner(h.directory) == ("0700", h.account)

    elapsed = time.monotonic() - started
    assert elapsed < 90, f"the hall install test took {elapsed:.1f} s"


@needs_root
def test_hall_setup_and_check_refuse_what_they_cannot_do_safely(hall: Hall) -> None:
    """Bad names, a new hall without --admin, a foreign file at the wrapper path: refused before any change."""
    h = hall
    bad = run(RETIRE, "--lang", "en", "hall", "setup", "--dir", str(h.directory), "--account", "Bad.Name",
              "--group", h.group, "--admin", h.admin, "--wrapper", str(h.wrapper))
    assert one_line_refusal(bad, code=2) and not h.directory.exists()
    no_admin = run(RETIRE, "--lang", "en", "hall", "setup", "--dir", str(h.directory), "--account", h.account,
                   "--group", h.group, "--wrapper", str(h.wrapper))
    assert "--admin" in one_line_refusal(no_admin, code=2)
    h.wrapper.write_text("#!/bin/sh\necho somebody else's\n")
    foreign = run(*h.setup_args())
    assert "--force-wrapper" in one_line_refusal(foreign, code=1)
    assert h.wrapper.read_text() == "#!/bin/sh\necho somebody else's\n"
    missing = run(RETIRE, "--lang", "en", "hall", "check", "--account", h.account, "--json")
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["problems"][0]["what"] == "config"
    as_clerk = h.as_user(h.clerk, "hall", "check", "--account", h.account, program=RETIRE)
    assert "root" in one_line_refusal(as_clerk, code=1)
