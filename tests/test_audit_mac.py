"""The audit trail as an insider attacks it, judged by the real CLI (``retire doctor``, ``retire audit``).

An insider who can write the database file but not read the key opens it
with sqlite3, drops the triggers, edits or deletes rows and recomputes the
old (unkeyed) SHA-256 chain; or edits the anchor log.  Each attack must make
``retire doctor`` and ``retire audit --verify`` exit non-zero and name the
first bad row (or anchor line).  Also: who may verify and anchor, the anchor
log's file safety, a writer without the key, an old hall's migration, and
the demo's bulk path.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from db import audit
from tests.workflow_helpers import accepted_case

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()
HASHED = ("at", "actor", "action", "case_id", "task_id", "entity", "entity_id", "detail")


def run(app: Any, *args: str, login: str | None = "alice", code: int | None = 0) -> Any:
    env = {"RETIRE_LOGIN": login} if login else {"RETIRE_LOGIN": ""}
    result = runner.invoke(app, list(args), env=env)
    text = (result.stdout or "") + (result.stderr or "")
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), f"{args}: {result.exception!r}\n{text}"
    if code is not None:
        assert result.exit_code == code, f"retire {' '.join(args)} as {login}: exit {result.exit_code}\n{text}"
    return result


def doctor(app: Any) -> tuple[int, dict[str, str], str]:
    """(exit code, {failing check: detail}, human text)."""
    as_json = run(app, "doctor", "--json", code=None)
    human = run(app, "doctor", code=None)
    assert as_json.exit_code == human.exit_code
    report = json.loads(as_json.stdout)
    return as_json.exit_code, {c["name"]: c["detail"] for c in report["checks"] if not c["ok"]}, human.stdout


@pytest.fixture
def hall(cli_app: Any, env: dict[str, str]) -> Path:
    """alice (admin), audrey (auditor), sue (supervisor), carol (clerk) and two accepted cases."""
    from console.services.identity import resolve_actor
    from db.connection import open_database

    run(cli_app, "init")
    run(cli_app, "staff", "add", "audrey", "--name", "Audrey", "--role", "auditor")
    run(cli_app, "staff", "add", "sue", "--name", "Sue", "--role", "supervisor")
    run(cli_app, "staff", "add", "carol", "--name", "Carol", "--role", "clerk", "--role", "hrss_reviewer")
    path = Path(env["RETIRE_DB"])
    db = open_database(path, create=False)
    try:
        clerk = resolve_actor(db, "carol")
        accepted_case(db, clerk, seq=11)
        accepted_case(db, clerk, seq=13)
    finally:
        db.close()
    code, bad, _ = doctor(cli_app)
    assert code == 0, bad
    return path


# -- the insider's tools: sqlite3 and the old scheme, no key ----------------------------


def insider(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    return conn


def recompute_sha(conn: sqlite3.Connection, from_id: int = 1) -> None:
    """Recompute every value from ``from_id`` on with plain SHA-256 (all the insider can do), links intact."""
    prev = audit.GENESIS if from_id == 1 else conn.execute("SELECT hash FROM audit WHERE id = ?", [from_id - 1]).fetchone()[0]
    rows = conn.execute(f"SELECT id, {', '.join(HASHED)} FROM audit WHERE id >= ? ORDER BY id", [from_id]).fetchall()
    conn.execute("BEGIN")
    for row in rows:
        value = audit.row_hash(prev, dict(zip(HASHED, row[1:], strict=True)))
        conn.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", [prev, value, row[0]])
        prev = value
    conn.execute("COMMIT")


def ids(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM audit ORDER BY id")]
    finally:
        conn.close()


def verify_fails_naming(app: Any, row: int, text: str | None = None) -> None:
    """`retire audit --verify`, `retire audit CASE --verify` and `retire audit verify` (as the auditor) all fail at ``row``."""
    for args in (("audit", "--verify"), ("audit", "GY-2026-000001", "--verify"), ("audit", "verify")):
        result = run(app, *args, login="audrey", code=1)
        assert f"row {row}" in result.stdout, result.stdout
        if text:
            assert text in result.stdout, result.stdout
    data = json.loads(run(app, "audit", "verify", "--json", login="audrey", code=1).stdout)
    assert data["ok"] is False and data["first_broken_id"] == row


# -- rewritten rows ---------------------------------------------------------------------


def test_a_rewritten_row_with_the_rest_of_the_chain_recomputed_without_the_key(cli_app: Any, hall: Path) -> None:
    conn = insider(hall)
    try:
        target = conn.execute("SELECT id FROM audit WHERE action = 'case.accept' ORDER BY id LIMIT 1").fetchone()[0]
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE id = ?", [target])
        recompute_sha(conn, from_id=target)  # every link from there on is consistent again
    finally:
        conn.close()
    code, bad, text = doctor(cli_app)
    assert code == 1
    assert set(bad) == {"audit_chain"}, bad
    assert f"row {target}" in bad["audit_chain"] and "MAC" in bad["audit_chain"]
    assert f"row {target}" in text
    verify_fails_naming(cli_app, target, "MAC")


def test_the_whole_chain_recomputed_without_the_key(cli_app: Any, hall: Path) -> None:
    conn = insider(hall)
    try:
        conn.execute("UPDATE audit SET detail = json_object('forged', 1) WHERE action = 'case.accept'")
        recompute_sha(conn)
    finally:
        conn.close()
    code, bad, _ = doctor(cli_app)
    assert code == 1 and "row 1:" in bad["audit_chain"], bad
    verify_fails_naming(cli_app, 1)


def test_the_whole_chain_passed_off_as_old_and_unkeyed(cli_app: Any, hall: Path) -> None:
    """Recompute everything with SHA-256 and remove the keyed record: the hall key still exists, so it is not 'old'."""
    conn = insider(hall)
    try:
        recompute_sha(conn)
        conn.execute("DELETE FROM hall_meta WHERE key LIKE 'audit_%'")
    finally:
        conn.close()
    code, bad, _ = doctor(cli_app)
    assert code == 1 and "audit_key" in bad, bad  # "not protected by a key": an auditor must look


# -- deleted rows -----------------------------------------------------------------------


def test_a_deleted_row_is_a_gap(cli_app: Any, hall: Path) -> None:
    victim = ids(hall)[5]
    conn = insider(hall)
    try:
        conn.execute("DELETE FROM audit WHERE id = ?", [victim])
    finally:
        conn.close()
    code, bad, _ = doctor(cli_app)
    assert code == 1 and f"row {victim + 1}" in bad["audit_chain"] and f"row {victim} before it is missing" in bad["audit_chain"], bad
    verify_fails_naming(cli_app, victim + 1)


def test_a_deleted_row_hidden_by_renumbering_the_rest(cli_app: Any, hall: Path) -> None:
    victim = ids(hall)[5]
    conn = insider(hall)
    try:
        conn.execute("BEGIN")
        conn.execute("DELETE FROM audit WHERE id = ?", [victim])
        for rid in [r[0] for r in conn.execute("SELECT id FROM audit WHERE id > ? ORDER BY id", [victim])]:
            conn.execute("UPDATE audit SET id = ? WHERE id = ?", [rid - 1, rid])
        conn.execute("UPDATE sqlite_sequence SET seq = seq - 1 WHERE name = 'audit'")
        conn.execute("COMMIT")
        recompute_sha(conn, from_id=victim)
    finally:
        conn.close()
    assert ids(hall) == list(range(1, len(ids(hall)) + 1))  # contiguous again
    code, bad, _ = doctor(cli_app)
    assert code == 1 and f"row {victim}:" in bad["audit_chain"], bad
    verify_fails_naming(cli_app, victim)


def test_the_last_three_rows_deleted_after_an_anchor(cli_app: Any, hall: Path) -> None:
    line = json.loads(run(cli_app, "audit", "anchor", "--json", login="audrey").stdout)
    head = ids(hall)[-1]
    assert line["id"] == head and line["count"] == len(ids(hall))
    conn = insider(hall)
    try:  # a thorough insider also winds the sequence back, so the table itself looks whole
        conn.execute("DELETE FROM audit WHERE id > ?", [head - 3])
        conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit'", [head - 3])
    finally:
        conn.close()
    code, bad, text = doctor(cli_app)
    assert code == 1, bad
    assert "audit_anchors" in bad and "audit_chain" not in bad, bad  # the table alone looks whole now
    assert f"row {head}" in bad["audit_anchors"] and "cut" in bad["audit_anchors"]
    assert f"row {head}" in text
    verify_fails_naming(cli_app, head, "tail was cut")


def test_the_last_rows_deleted_without_an_anchor_show_in_the_sequence(cli_app: Any, hall: Path) -> None:
    head = ids(hall)[-1]
    conn = insider(hall)
    try:
        conn.execute("DELETE FROM audit WHERE id > ?", [head - 3])
    finally:
        conn.close()
    code, bad, _ = doctor(cli_app)
    assert code == 1 and f"row {head - 2}" in bad["audit_chain"], bad
    verify_fails_naming(cli_app, head - 2)


def test_rows_replaced_after_an_anchor(cli_app: Any, hall: Path) -> None:
    """Cut the tail after the anchor and write as many new rows: the count holds, the anchored row does not."""
    run(cli_app, "audit", "anchor", login="audrey")
    head = ids(hall)[-1]
    conn = insider(hall)
    try:
        conn.execute("DELETE FROM audit WHERE id > ?", [head - 2])
        conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit'", [head - 2])
    finally:
        conn.close()
    run(cli_app, "staff", "add", "x1", "--name", "X", "--role", "clerk")  # the real writer refills the ids, keyed
    run(cli_app, "staff", "add", "x2", "--name", "X", "--role", "clerk")
    assert ids(hall)[-1] == head
    code, bad, _ = doctor(cli_app)
    assert code == 1 and "audit_anchors" in bad and "audit_chain" not in bad, bad
    assert f"row {head}" in bad["audit_anchors"]
    verify_fails_naming(cli_app, head, "not the row anchored")


# -- anchors ----------------------------------------------------------------------------


def _anchor_log(cli_app: Any) -> Path:
    return Path(json.loads(run(cli_app, "audit", "anchor", "--json", login="audrey").stdout)["file"])


def test_anchors_chain_and_hold(cli_app: Any, hall: Path) -> None:
    log = _anchor_log(cli_app)
    run(cli_app, "staff", "add", "x1", "--name", "X", "--role", "clerk")
    assert _anchor_log(cli_app) == log
    lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    assert [x["n"] for x in lines] == [1, 2]
    assert lines[0]["prev"] == audit.GENESIS and lines[1]["prev"] == lines[0]["line_mac"]
    assert lines[1]["id"] == lines[0]["id"] + 1 and lines[1]["count"] == lines[0]["count"] + 1
    assert lines[0]["db"] and lines[0]["path"] == str(hall.resolve()) and lines[0]["by"].endswith("audrey")
    assert log.parent == Path(os.environ["XDG_CONFIG_HOME"]) / "retire"  # next to the personal key
    code, bad, text = doctor(cli_app)
    assert code == 0, bad
    assert "2 anchors hold" in text
    data = json.loads(run(cli_app, "audit", "verify", "--json", login="audrey").stdout)
    assert data["ok"] and data["anchors"]["count"] == 2


def test_a_rewritten_past_anchor(cli_app: Any, hall: Path) -> None:
    log = _anchor_log(cli_app)
    run(cli_app, "staff", "add", "x1", "--name", "X", "--role", "clerk")
    _anchor_log(cli_app)
    lines = log.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["count"] -= 1
    first["id"] -= 1  # "the log said fewer rows": room to cut one unseen
    first["mac"] = sqlite3.connect(hall).execute("SELECT hash FROM audit WHERE id = ?", [first["id"]]).fetchone()[0]
    first["line_mac"] = hashlib.sha256(json.dumps(first, sort_keys=True).encode()).hexdigest()  # no key: a guess
    log.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    code, bad, _ = doctor(cli_app)
    assert code == 1 and "line 1 " in bad["audit_anchors"] and "rewritten" in bad["audit_anchors"], bad
    result = run(cli_app, "audit", "--verify", login="audrey", code=1)
    assert "line 1 " in result.stdout


def test_a_removed_past_anchor(cli_app: Any, hall: Path) -> None:
    log = _anchor_log(cli_app)
    run(cli_app, "staff", "add", "x1", "--name", "X", "--role", "clerk")
    _anchor_log(cli_app)
    lines = log.read_text(encoding="utf-8").splitlines()
    log.write_text(lines[1] + "\n", encoding="utf-8")
    code, bad, _ = doctor(cli_app)
    assert code == 1 and "line 1 " in bad["audit_anchors"] and "removed" in bad["audit_anchors"], bad


def test_who_may_anchor_and_verify(cli_app: Any, hall: Path) -> None:
    for login in ("carol", "sue"):
        result = run(cli_app, "audit", "anchor", login=login, code=1)
        assert "auditor" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    run(cli_app, "audit", "anchor", login="alice")  # admin
    run(cli_app, "audit", "anchor", login="audrey")  # auditor
    assert os.geteuid() == 0  # the suite runs as root: root, not on staff, is the nightly job
    line = json.loads(run(cli_app, "audit", "anchor", "--json", login=None).stdout)
    assert line["by"] == "root" and line["n"] == 3
    for login in ("carol", "alice"):  # the clerk, and the admin: separation of duties
        run(cli_app, "audit", "--verify", login=login, code=1)
        run(cli_app, "audit", "verify", login=login, code=1)
        run(cli_app, "audit", login=login, code=1)  # the whole trail
    for login in ("audrey", "sue"):
        assert "intact" in run(cli_app, "audit", "--verify", login=login).stdout
        trail = json.loads(run(cli_app, "audit", "--json", "--limit", "3", login=login).stdout)
        assert [r["id"] for r in trail["rows"]] == ids(hall)[-3:]
    # a case's history stays open to any active staff member
    run(cli_app, "audit", "GY-2026-000001", login="carol")
    code, bad, _ = doctor(cli_app)
    assert code == 0, bad


def test_the_anchor_log_is_never_written_through_a_link_a_fifo_or_over_its_past(cli_app: Any, hall: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    link = tmp_path / "anchors.jsonl"
    link.symlink_to(victim)
    result = run(cli_app, "audit", "anchor", "--to", str(link), login="audrey", code=2)
    assert "symbolic link" in result.stderr and victim.read_text(encoding="utf-8") == "precious\n"
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    run(cli_app, "audit", "anchor", "--to", str(fifo), login="audrey", code=2)
    target = tmp_path / "root-anchors.jsonl"
    run(cli_app, "audit", "anchor", "--to", str(target), login=None)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # root's log: others read it, only root writes
    first = target.read_bytes()
    run(cli_app, "audit", "anchor", "--to", str(target), login=None)
    assert target.read_bytes().startswith(first) and target.read_bytes().count(b"\n") == 2
    result = run(cli_app, "audit", "verify", "--anchors", str(target), login="audrey")
    assert "2 anchors" in result.stdout


def test_the_anchor_never_lands_in_the_database_its_journals_the_key_or_a_foreign_file(cli_app: Any, hall: Path, tmp_path: Path) -> None:
    key = _key_path(hall)
    saved_key = key.read_bytes()
    foreign = tmp_path / "notes.txt"
    foreign.write_text("my notes\n", encoding="utf-8")
    for target in (hall, Path(f"{hall}-wal"), Path(f"{hall}-journal"), key, foreign):
        existed = target.exists()
        before = target.read_bytes() if existed else None
        result = run(cli_app, "audit", "anchor", "--to", str(target), login="audrey", code=2)
        assert len(result.stderr.strip().splitlines()) == 1
        assert (target.read_bytes() if target.exists() else None) == before and target.exists() == existed
    assert key.read_bytes() == saved_key
    assert doctor(cli_app)[0] == 0


def test_a_chain_that_does_not_hold_is_not_anchored(cli_app: Any, hall: Path) -> None:
    conn = insider(hall)
    try:
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE id = 3")
    finally:
        conn.close()
    result = run(cli_app, "audit", "anchor", login="audrey", code=1)
    assert "row 3" in result.stderr


# -- the key ----------------------------------------------------------------------------


def _key_path(hall: Path) -> Path:
    conn = sqlite3.connect(hall)
    try:
        db_id = conn.execute("SELECT value FROM hall_meta WHERE key = 'audit_db_id'").fetchone()[0]
    finally:
        conn.close()
    return Path(os.environ["XDG_CONFIG_HOME"]) / "retire" / f"audit-{db_id}.key"


def test_init_makes_a_private_key_outside_the_database(cli_app: Any, hall: Path) -> None:
    key = _key_path(hall)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.stat().st_size == 32
    assert key.read_bytes() not in hall.read_bytes()
    data = json.loads(run(cli_app, "audit", "verify", "--json", login="audrey").stdout)
    assert data["scheme"] == "hmac-sha256/1" and data["keyed_from"] == 1 and data["key"]["path"] == str(key)
    run(cli_app, "init")  # idempotent: the same key
    assert key.stat().st_size == 32 and json.loads(run(cli_app, "audit", "verify", "--json", login="audrey").stdout)["ok"]


def test_a_writer_without_the_key_writes_nothing(cli_app: Any, hall: Path) -> None:
    key = _key_path(hall)
    saved = key.read_bytes()
    before = ids(hall)
    key.unlink()
    result = run(cli_app, "staff", "add", "x1", "--name", "X", "--role", "clerk", code=3)
    assert str(key) in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert ids(hall) == before
    run(cli_app, "staff", "list")  # reading needs no key
    code, bad, _ = doctor(cli_app)
    assert code == 1 and str(key) in bad["audit_key"], bad
    run(cli_app, "audit", "verify", login="audrey", code=3)
    key.write_bytes(os.urandom(32))  # another key is no better: nothing verifies, nothing is written
    key.chmod(0o600)
    run(cli_app, "staff", "add", "x1", "--name", "X", "--role", "clerk", code=3)
    code, bad, _ = doctor(cli_app)
    assert code == 1 and "audit_key" in bad
    key.write_bytes(saved)
    run(cli_app, "staff", "add", "x1", "--name", "X", "--role", "clerk")
    assert doctor(cli_app)[0] == 0


def test_only_root_names_a_key(cli_app: Any, hall: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    other.write_bytes(os.urandom(32))
    result = run(cli_app, "audit", "verify", "--key", str(other), login="audrey", code=None)
    if os.geteuid() == 0:
        assert result.exit_code == 1 and "does not match" in result.stdout  # root may; a wrong key fails
    else:
        assert result.exit_code == 1 and "root" in result.stderr


# -- an old hall ------------------------------------------------------------------------


def _old_hall(path: Path, rows: int = 4) -> None:
    """The previous release's file: SHA-256 chain, no key, no keyed record."""
    from db.connection import open_database
    from db.schema import migrate

    db = open_database(path)
    migrate(db)
    db.close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO staff (login, name) VALUES ('alice', 'Alice')")
        conn.execute("INSERT INTO staff_roles (staff_id, role) VALUES (1, 'admin')")
        conn.execute("INSERT INTO staff (login, name) VALUES ('audrey', 'Audrey')")
        conn.execute("INSERT INTO staff_roles (staff_id, role) VALUES (2, 'auditor')")
        prev = audit.GENESIS
        for i in range(1, rows + 1):
            fields = dict(zip(HASHED, (f"2026-05-0{i}T10:00:00", "alice", "staff.add", None, None, "staff", f"s{i}", None), strict=True))
            value = audit.row_hash(prev, fields)
            conn.execute(f"INSERT INTO audit ({', '.join(HASHED)}, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [*fields.values(), prev, value])
            prev = value
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_an_old_hall_is_verified_once_and_continued_under_the_key(cli_app: Any, env: dict[str, str]) -> None:
    path = Path(env["RETIRE_DB"])
    _old_hall(path)
    head = sqlite3.connect(path).execute("SELECT hash FROM audit WHERE id = 4").fetchone()[0]
    code, bad, _ = doctor(cli_app)
    assert code == 1 and "retire init" in bad["audit_key"], bad  # not protected yet: say so
    run(cli_app, "init")
    conn = sqlite3.connect(path)
    meta = dict(conn.execute("SELECT key, value FROM hall_meta WHERE key LIKE 'audit_%'").fetchall())
    conn.close()
    assert meta["audit_keyed_from"] == "5" and meta["audit_legacy_head_id"] == "4" and meta["audit_legacy_head_hash"] == head
    run(cli_app, "staff", "add", "x1", "--name", "X", "--role", "clerk")
    row5 = sqlite3.connect(path).execute("SELECT prev_hash FROM audit WHERE id = 5").fetchone()[0]
    assert row5 == head
    code, bad, _ = doctor(cli_app)
    assert code == 0, bad


def test_an_old_hall_whose_chain_is_broken_is_not_continued(cli_app: Any, env: dict[str, str]) -> None:
    path = Path(env["RETIRE_DB"])
    _old_hall(path)
    conn = insider(path)
    conn.execute("UPDATE audit SET entity_id = 'forged' WHERE id = 3")
    conn.close()
    code, bad, _ = doctor(cli_app)
    assert code == 1 and "row 3" in bad["audit_chain"], bad
    result = run(cli_app, "init", code=1)
    assert "row 3" in result.stderr
    run(cli_app, "staff", "add", "x1", "--name", "X", "--role", "clerk", code=1)
    assert ids(path) == [1, 2, 3, 4]


# -- the demo's bulk path, and the real process -----------------------------------------


def test_the_demo_fast_path_writes_a_chain_that_verifies_under_the_key(cli_app: Any, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    run(cli_app, "--db", str(path), "demo", "--cases", "40", "--fast", login="me")
    result = run(cli_app, "--db", str(path), "doctor", "--json", code=None)
    report = json.loads(result.stdout)
    assert result.exit_code == 0, [c for c in report["checks"] if not c["ok"]]
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["audit_key"]["ok"] and "hmac-sha256/1" in checks["audit_key"]["detail"]
    data = json.loads(run(cli_app, "--db", str(path), "audit", "verify", "--json", login="me").stdout)
    assert data["ok"] and data["rows"] > 200 and data["keyed_from"] == 1
    assert ids(path) == list(range(1, data["rows"] + 1))


def test_the_real_command_names_the_row(hall: Path) -> None:
    conn = insider(hall)
    try:
        conn.execute("UPDATE audit SET action = 'case.nothing' WHERE id = 4")
        recompute_sha(conn, from_id=4)
    finally:
        conn.close()
    env = {**os.environ, "RETIRE_DB": str(hall), "RETIRE_LANG": "en", "RETIRE_LOGIN": "audrey",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))}
    for args in (["doctor"], ["audit", "--verify"]):
        proc = subprocess.run([sys.executable, "-m", "console", *args], env=env, cwd=REPO, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "row 4" in proc.stdout and "Traceback" not in proc.stderr


# -- a real hall: root anchors where the service account cannot write -------------------


def test_a_hall_anchored_by_root_catches_a_cut_tail(request: pytest.FixtureRequest) -> None:
    """``retire hall setup``'s nightly job (as root) anchors the head; the staff's doctor, through sudo, checks it."""
    if os.geteuid() != 0:
        pytest.skip("needs root: creates OS accounts, a sudoers rule and a service account")
    from tests.test_hall_setup import CLEAN_PATH, ok
    from tests.test_hall_setup import run as sh

    h = request.getfixturevalue("accounts_hall")
    installed = json.loads(ok(sh(*h.setup_args())))
    assert installed["ok"] is True, installed["problems"]
    key = h.directory / "audit.key"
    info = key.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == pwd_uid(h.account) and info.st_size == 32
    ok(sh("usermod", "-a", "-G", h.group, h.reviewer))
    ok(h.as_user(h.admin, "staff", "add", h.reviewer, "--name", "审计员", "--role", "auditor"))
    ok(h.as_user(h.admin, "staff", "add", h.clerk, "--name", "王芳", "--role", "clerk"))

    # the cron line, as cron runs it: root, naming the hall, appending to the root-owned anchor log
    job = [x for x in h.cron.read_text().splitlines() if " root " in x][-1]
    command = job.split(" root ", 1)[1].split()
    env = [w for w in command if "=" in w and not w.startswith("/")]
    argv = [w for w in command if w not in env]
    ok(sh("env", "-i", "PATH=" + CLEAN_PATH, *env, *argv))
    log = h.anchor_dir / "audit-anchors.jsonl"
    assert argv[-1] == str(log) and log.stat().st_uid == 0 and stat.S_IMODE(log.stat().st_mode) == 0o644
    append = sh("runuser", "-u", h.account, "--", "/bin/sh", "-c", f"echo forged >> {log}")
    assert append.returncode != 0  # the service account cannot touch the anchors
    verified = json.loads(ok(h.as_user(h.reviewer, "audit", "verify", "--json")))
    assert verified["ok"] and verified["anchors"]["count"] == 1 and verified["key"]["source"] == "hall"
    anchored = json.loads(log.read_text().splitlines()[-1])
    assert anchored["by"] == "root" and anchored["path"] == str(h.db)

    # whoever has the file (not the key) cuts the last three rows and winds the sequence back
    conn = sqlite3.connect(h.db, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER audit_no_delete")
        conn.execute("DELETE FROM audit WHERE id > ?", [anchored["id"] - 3])
        conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit'", [anchored["id"] - 3])
    finally:
        conn.close()
    checked = h.as_user(h.admin, "doctor")
    assert checked.returncode == 1 and f"row {anchored['id']}" in checked.stdout, checked.stdout + checked.stderr
    refused = h.as_user(h.reviewer, "audit", "--verify")
    assert refused.returncode == 1 and f"row {anchored['id']}" in refused.stdout
    # nor can the staff (as the service account) add to root's log: it stays as root wrote it
    before = log.read_bytes()
    one = h.as_user(h.reviewer, "audit", "anchor")
    assert one.returncode == 3 and len(one.stderr.strip().splitlines()) == 1 and "Traceback" not in one.stderr, one
    assert log.read_bytes() == before
    assert h.as_user(h.admin, "doctor").returncode == 1


def test_a_hall_chain_passed_off_as_unkeyed_is_not_keyed_again(request: pytest.FixtureRequest) -> None:
    """Recompute every value with SHA-256 and delete the keyed record: the hall key says it was keyed."""
    if os.geteuid() != 0:
        pytest.skip("needs root: creates OS accounts, a sudoers rule and a service account")
    from tests.test_hall_setup import CLEAN_PATH, ok
    from tests.test_hall_setup import run as sh

    h = request.getfixturevalue("accounts_hall")
    assert json.loads(ok(sh(*h.setup_args())))["ok"] is True
    ok(h.as_user(h.admin, "staff", "add", h.clerk, "--name", "王芳", "--role", "clerk"))
    ok(sh("env", "-i", "PATH=" + CLEAN_PATH, f"RETIRE_HALL_ACCOUNT={h.account}", "RETIRE_LANG=en",
          str(Path(sys.prefix) / "bin" / "retire"), "audit", "anchor"))
    conn = insider(h.db)
    try:
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE id = (SELECT MAX(id) FROM audit)")
        recompute_sha(conn)
        conn.execute("DELETE FROM hall_meta WHERE key LIKE 'audit_%'")
    finally:
        conn.close()
    before = ids(h.db)
    checked = h.as_user(h.admin, "doctor")
    assert checked.returncode == 1 and "keyed record was removed" in checked.stdout, checked.stdout
    refused = h.as_user(h.admin, "staff", "add", h.reviewer, "--name", "赵敏", "--role", "hrss_reviewer")
    assert refused.returncode == 1 and "keyed record was removed" in refused.stderr, refused
    assert len(refused.stderr.strip().splitlines()) == 1
    assert ids(h.db) == before and h.as_user(h.admin, "doctor").returncode == 1


def pwd_uid(login: str) -> int:
    import pwd

    return pwd.getpwnam(login).pw_uid
