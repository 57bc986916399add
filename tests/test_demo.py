"""The demo generator: a realistic county, through the real services or in bulk.

One small county (120 cases) is built through the services once per module
and checked from every side; the bulk path is checked against it (same seed,
same rows and the same audit chain) and on its own at 6,000 cases.
"""
from __future__ import annotations

import json
import sqlite3
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from console.rules.idcard import parse_id
from db import audit
from db.connection import open_database
from fixtures import names
from fixtures.demo import DEMO_STAFF, ROLES_ALL, populate

TODAY = date(2026, 11, 30)
SEED = 2026
STATUSES = ("draft", "awaiting_correction", "accepted", "in_progress", "completed", "delivered", "refused")
TASK_STATES = ("waiting", "open", "claimed", "done", "returned")


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    path = tmp_path_factory.mktemp("demo") / "county.db"
    started = _wall()
    summary = populate(path, cases=120, seed=SEED, login="newcomer", today=TODAY, fast=False)
    WRITTEN[path] = (started, _wall())
    return path, summary


WRITTEN: dict[Path, tuple[str, str]] = {}
"""The real time span in which each module-scoped county was written."""


def _wall() -> str:
    from db.clock import wall_now_iso

    return wall_now_iso()


def _rows(path: Path, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def _snapshot(path: Path) -> dict[str, Any]:
    """What two runs must agree on (ids, times, statuses, the whole audit chain)."""
    out = {
        "cases": _rows(path, "SELECT * FROM cases ORDER BY id"),
        "tasks": _rows(path, "SELECT * FROM tasks ORDER BY id"),
        "persons": _rows(path, "SELECT * FROM persons ORDER BY id"),
        "facts": _rows(path, "SELECT * FROM facts ORDER BY case_id"),
        "materials": _rows(path, "SELECT * FROM materials ORDER BY case_id, code"),
        "deliveries": _rows(path, "SELECT * FROM deliveries ORDER BY id"),
        "counters": _rows(path, "SELECT * FROM case_counters") + _rows(path, "SELECT * FROM notice_counters ORDER BY kind"),
        # audit rows carry the real time of writing (so neither ``at`` nor the chain's MAC can match between runs)
        "audit": _rows(path, "SELECT id, actor, action, case_id, task_id, entity, entity_id, detail FROM audit ORDER BY id"),
    }
    # the services also render each notice at once; the bulk path leaves that to the first print
    out["notices"] = [
        (r[0], r[1], r[2], r[3], r[4], {k: v for k, v in json.loads(r[5]).items() if k in ("findings", "facts", "joint_items", "reason")})
        for r in _rows(path, "SELECT id, case_id, kind, number, issued_at, data FROM notices ORDER BY id")
    ]
    return out


def test_every_status_and_task_state(county: tuple[Path, Any]) -> None:
    path, summary = county
    assert summary.cases == 120 and summary.persons == 120
    assert set(STATUSES) <= set(summary.by_status), summary.by_status
    assert sum(summary.by_status.values()) == 120
    states = {r[0] for r in _rows(path, "SELECT DISTINCT status FROM tasks")}
    assert set(TASK_STATES) <= states
    claimers = {r[0] for r in _rows(path, "SELECT DISTINCT s.login FROM tasks t JOIN staff s ON s.id = t.assignee_id")}
    assert claimers and claimers <= {login for login, _, _ in DEMO_STAFF}
    couriers = _rows(path, "SELECT courier, waybill, delivered_at FROM deliveries")
    assert couriers and all(c == "EMS" and len(w) == 13 and w.isdigit() for c, w, _ in couriers)
    assert _rows(path, "SELECT count(*) FROM cases WHERE status = 'delivered'")[0][0] == sum(1 for *_, d in couriers if d)


def test_people_are_valid_and_varied(county: tuple[Path, Any]) -> None:
    path, _ = county
    people = _rows(path, "SELECT id_number, sex, birth_date_id, name, address, archive_lost FROM persons")
    for number, sex, birth, name, address, _ in people:
        card = parse_id(number, today=TODAY)
        assert card.valid, number
        assert card.sex == sex and card.birth_date.isoformat() == birth
        assert name and address.startswith(names.COUNTY_ADDRESS_PREFIX)
        assert any(town in address for town, _ in names.TOWNS)
    assert len({p[0] for p in people}) == len(people)
    places = Counter(p[0][:6] for p in people)
    assert places[names.GUYANG] > len(people) / 3
    assert sum(1 for p in people if p[5]) > 0  # lost archives
    employers = _rows(path, "SELECT credit_code FROM employers")
    from stdnum.cn import uscc

    assert employers and all(uscc.is_valid(code) for (code,) in employers)


def test_conflicts_lost_archives_short_and_deemed(county: tuple[Path, Any]) -> None:
    path, summary = county
    facts = [json.loads(r[0]) for r in _rows(path, "SELECT data FROM facts")]
    codes = Counter(f["code"] for data in facts for f in data["findings"])
    assert codes["rules.birth.id_mismatch"] > 0  # archive vs ID card
    assert codes["rules.birth.lost_archive"] > 0
    assert sum(1 for d in facts if d["deemed_months"]) > len(facts) / 3
    assert sum(1 for d in facts if d["gaps"]) > 0
    assert sum(1 for d in facts if d["county_months"] < d["total_months"]) > 0  # periods outside the county
    assert sum(1 for d in facts if d["total_months"] < (d["min_contribution_months"] or 180)) > 0
    assert _rows(path, "SELECT count(*) FROM archive_records WHERE altered = 1")[0][0] > 0
    assert {"conflict", "lost_archive", "short", "materials_missing"} <= set(summary.flags)


def test_queue_shows_overdue_due_soon_and_on_time(county: tuple[Path, Any]) -> None:
    from console.services.case_queries import build_filter, count, list_cases
    from console.services.identity import resolve_actor

    path, _ = county
    db = open_database(path, create=False)
    try:
        actor = resolve_actor(db, "newcomer")
        overdue = count(db, build_filter(db=db, overdue=True, today=TODAY))
        soon = count(db, build_filter(db=db, due_soon=True, today=TODAY))
        rows = list_cases(db, actor, build_filter(statuses=("accepted", "in_progress")), limit=500, today=TODAY)
    finally:
        db.close()
    colours = Counter(r["colour"] for r in rows)
    assert overdue > 0 and soon > 0 and colours[""] > 0, (overdue, soon, colours)
    received = sorted(r[0][:10] for r in _rows(path, "SELECT received_at FROM cases"))
    assert received[0] >= "2026-09-01" and received[-1] <= TODAY.isoformat()


def test_audit_chain_and_integrity(county: tuple[Path, Any]) -> None:
    path, summary = county
    db = open_database(path, create=False)
    try:
        assert audit.verify_chain(db) is None
        assert audit.count_rows(db) == summary.audit_rows
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()
    stamps = [r[0] for r in _rows(path, "SELECT at FROM audit ORDER BY id")]
    assert stamps == sorted(stamps)  # written in order
    # the story's dates are simulated (months back); the audit says when each row was really written
    started, ended = WRITTEN[path]
    assert all(started[:19] <= at[:19] <= ended[:19] for at in stamps), (started, stamps[0], stamps[-1], ended)
    received = sorted(r[0] for r in _rows(path, "SELECT received_at FROM cases"))
    assert received[0][:10] < TODAY.isoformat() and received[0][:10] < started[:10]


def test_login_holds_every_role(county: tuple[Path, Any]) -> None:
    path, summary = county
    roles = {r[0] for r in _rows(path, "SELECT role FROM staff_roles JOIN staff ON staff.id = staff_id WHERE login = 'newcomer'")}
    assert roles == set(ROLES_ALL)
    assert set(summary.staff) == {login for login, _, _ in DEMO_STAFF}
    assert _rows(path, "SELECT name FROM staff WHERE login = 'wangfang'") == [("王芳",)]


def test_every_role_department_and_task_of_the_vocabulary_is_in_the_demo(county: tuple[Path, Any]) -> None:
    """A role, department or task added to the vocabulary or the task plan shows up in a demo hall (or fails here)."""
    from console.rules.task_plan import TASK_PLAN
    from console.vocabulary import DEPARTMENT, ROLE

    path, _ = county
    assert set(ROLES_ALL) == set(ROLE.codes)
    staffed = {r[0] for r in _rows(path, "SELECT DISTINCT role FROM staff_roles JOIN staff ON staff.id = staff_id WHERE login != 'newcomer'")}
    assert set(DEPARTMENT.codes) - {"hrss"} <= staffed and {"clerk", "hrss_reviewer"} <= staffed
    items = {spec.item for spec in TASK_PLAN}
    assert items <= set(names.TASK_RESULTS) and items <= set(names.RETURN_REASONS)
    # the account item needs the hall's card-bank prefixes (parameters.toml card_bank_prefixes), shipped empty
    assert {r[0] for r in _rows(path, "SELECT DISTINCT item FROM tasks")} == items - {"hrss.bank_account"}
    assert {r[0] for r in _rows(path, "SELECT DISTINCT department FROM tasks")} == set(DEPARTMENT.codes)


def test_demo_tasks_open_as_the_task_plan_says(county: tuple[Path, Any]) -> None:
    """Tasks after the approval wait until it is done, then open with a due date; the others open at acceptance."""
    from console.rules.task_plan import APPROVAL, SPECS

    path, _ = county
    rows = _rows(path, "SELECT t.case_id, t.item, t.status, t.due_date, t.opened_at FROM tasks t")
    approval = {case: status for case, item, status, _, _ in rows if item == APPROVAL}
    for case, item, status, due, opened in rows:
        if SPECS[item].after == APPROVAL and approval[case] != "done":
            assert status == "waiting" and due is None and opened is None, (case, item)
        else:
            assert status != "waiting" and due is not None and opened is not None, (case, item)


def test_case_show_json_of_a_delivered_case(county: tuple[Path, Any], cli_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = county
    monkeypatch.setenv("RETIRE_LOGIN", "newcomer")
    (case_no,) = _rows(path, "SELECT case_no FROM cases WHERE status = 'delivered' ORDER BY id LIMIT 1")[0]
    result = CliRunner().invoke(cli_app, ["--db", str(path), "case", "show", case_no, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "delivered"
    assert data["tasks"] and all(t["status"] == "done" and t["result"] for t in data["tasks"])
    assert data["prereview"]["confirmed_by"] and data["prereview"]["facts"]["statutory_month"]
    actions = [a["action"] for a in data["audit"]]
    assert actions[0] == "case.open" and "case.accept" in actions and actions[-1] == "delivery.delivered"


def test_bulk_path_writes_what_the_services_write(county: tuple[Path, Any], tmp_path: Path) -> None:
    path, summary = county
    started = _wall()
    fast = populate(tmp_path / "fast.db", cases=120, seed=SEED, login="newcomer", today=TODAY, fast=True)
    ended = _wall()
    assert fast.by_status == summary.by_status
    assert _snapshot(tmp_path / "fast.db") == _snapshot(path)
    stamps = [r[0] for r in _rows(tmp_path / "fast.db", "SELECT at FROM audit ORDER BY id")]
    assert all(started[:19] <= at[:19] <= ended[:19] for at in stamps)  # real write times in the bulk path too
    db = open_database(tmp_path / "fast.db", create=False)
    try:
        assert audit.verify_chain(db) is None
    finally:
        db.close()


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    a = populate(tmp_path / "a.db", cases=80, seed=7, login="me", today=TODAY, fast=True)
    b = populate(tmp_path / "b.db", cases=80, seed=7, login="me", today=TODAY, fast=True)
    c = populate(tmp_path / "c.db", cases=80, seed=8, login="me", today=TODAY, fast=True)
    assert a.by_status == b.by_status
    assert _snapshot(tmp_path / "a.db") == _snapshot(tmp_path / "b.db")
    assert _snapshot(tmp_path / "a.db")["persons"] != _snapshot(tmp_path / "c.db")["persons"]
    del c


def test_fast_path_at_scale_is_consistent(tmp_path: Path) -> None:
    from console.rules.idcard import make_id
    from console.services.identity import resolve_actor
    from console.services.intake import Applicant, open_case

    path = tmp_path / "big.db"
    summary = populate(path, cases=6_000, seed=SEED, login="me", today=TODAY)
    assert summary.fast and summary.cases == 6_000
    assert set(STATUSES) <= set(summary.by_status)
    share = {s: n / 6_000 for s, n in summary.by_status.items()}
    assert 0.25 < share["delivered"] < 0.45 and 0.15 < share["in_progress"] < 0.35
    db = open_database(path, create=False)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert audit.verify_chain(db) is None
        assert audit.count_rows(db) == summary.audit_rows
        assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 6_000
        assert db.execute("SELECT count(*) FROM persons").fetchone()[0] == 6_000
        # accepted cases have their tasks; cases before acceptance have none
        assert db.execute(
            "SELECT count(*) FROM cases c WHERE c.status IN ('accepted', 'in_progress', 'completed', 'delivered')"
            " AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.case_id = c.id)"
        ).fetchone()[0] == 0
        assert db.execute(
            "SELECT count(*) FROM tasks t JOIN cases c ON c.id = t.case_id WHERE c.status IN ('draft', 'awaiting_correction', 'refused')"
        ).fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM cases WHERE status = 'completed' AND completed_at IS NULL").fetchone()[0] == 0
        # every index of the schema is back
        names_ = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
        assert {"cases_status", "cases_due_date", "audit_case", "tasks_case", "persons_name_initials"} <= names_
        # a real case opened afterwards continues the number series
        last = db.execute("SELECT max(case_no) FROM cases").fetchone()[0]
        clerk = resolve_actor(db, "wangfang")
        case = open_case(db, clerk, Applicant(id_number=make_id("150222", date(1966, 5, 3), 901), name="后来人"), today=TODAY)
        assert case["case_no"] > last and int(case["case_no"][-6:]) == int(last[-6:]) + 1
        assert audit.verify_chain(db) is None
    finally:
        db.close()


def test_cli_demo_then_refuses_to_mix(tmp_path: Path, cli_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETIRE_LOGIN", "me")
    monkeypatch.setenv("RETIRE_LANG", "en")
    path = tmp_path / "cli.db"
    runner = CliRunner()
    first = runner.invoke(cli_app, ["--db", str(path), "demo", "--cases", "50"])
    assert first.exit_code == 0, first.output
    assert "delivered" in first.stdout
    again = runner.invoke(cli_app, ["--db", str(path), "demo", "--cases", "50"])
    assert again.exit_code == 1
    assert "already holds 50 demo cases" in again.output and "--force" in again.output
    bad = runner.invoke(cli_app, ["--db", str(path), "demo", "--cases", "-5"])
    assert bad.exit_code == 2
    forced = runner.invoke(cli_app, ["--db", str(path), "demo", "--cases", "10", "--force", "--json"])
    assert forced.exit_code == 0, forced.output
    data = json.loads(forced.stdout)
    assert data["cases"] == 10 and sum(data["by_status"].values()) == 60
    db = open_database(path, create=False)
    try:
        from db import hall_meta

        assert hall_meta.is_demo(db)
    finally:
        db.close()


# --- a demo never touches a real hall ---------------------------------------------

def _files(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` and its bytes (a sidecar -wal/-shm created by a probe shows up here too)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _real_hall(folder: Path, cli_app: Any, with_case: bool) -> Path:
    """A hall made by ``retire init`` (admin alice, a clerk), optionally with one real case."""
    path = folder / "hall.db"
    runner = CliRunner()
    env = {"RETIRE_LOGIN": "alice", "RETIRE_LANG": "en"}
    assert runner.invoke(cli_app, ["--db", str(path), "init"], env=env).exit_code == 0
    added = runner.invoke(cli_app, ["--db", str(path), "staff", "add", "wangfang", "--name", "王芳", "--role", "clerk"], env=env)
    assert added.exit_code == 0, added.output
    if with_case:
        from console.rules.idcard import make_id
        from console.services.identity import resolve_actor
        from console.services.intake import Applicant, open_case

        db = open_database(path, create=False)
        try:
            open_case(db, resolve_actor(db, "wangfang"), Applicant(id_number=make_id("150222", date(1966, 5, 3), 11), name="真实申请人"), today=TODAY)
        finally:
            db.close()
    return path


@pytest.mark.parametrize("with_case", [False, True], ids=["staff only", "staff and a case"])
@pytest.mark.parametrize("login", ["alice", "mallory"])
def test_demo_force_on_a_real_hall_exits_1_and_changes_nothing(
    tmp_path: Path, cli_app: Any, with_case: bool, login: str
) -> None:
    path = _real_hall(tmp_path, cli_app, with_case)
    before = _files(tmp_path)
    for args in (["demo", "--cases", "5", "--force"], ["demo", "--cases", "5"], ["demo", "--cases", "0", "--force", "--json"]):
        result = CliRunner().invoke(cli_app, ["--db", str(path), *args], env={"RETIRE_LOGIN": login, "RETIRE_LANG": "en"})
        assert result.exit_code == 1, result.output
        assert len(result.stderr.strip().splitlines()) == 1 and "not a demo hall" in result.stderr, result.stderr
        assert "Traceback" not in result.output
        assert _files(tmp_path) == before  # byte for byte, and no file beside it
    roles = _rows(path, "SELECT s.login, r.role FROM staff s JOIN staff_roles r ON r.staff_id = s.id ORDER BY 1, 2")
    assert roles == [("alice", "admin"), ("wangfang", "clerk")]


def test_demo_refuses_any_unmarked_file(tmp_path: Path, cli_app: Any) -> None:
    """Empty, zero-byte, not a database, an unmarked SQLite file, a link to a demo hall: all refused, untouched."""
    demo = tmp_path / "demo.db"
    populate(demo, cases=0, seed=1, login="me", today=TODAY)
    plain = tmp_path / "plain.db"
    con = sqlite3.connect(plain)
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    con.close()
    (tmp_path / "zero.db").write_bytes(b"")
    (tmp_path / "text.db").write_text("not a database\n")
    (tmp_path / "link.db").symlink_to(demo)
    before = _files(tmp_path)
    for name in ("plain.db", "zero.db", "text.db", "link.db"):
        result = CliRunner().invoke(cli_app, ["--db", str(tmp_path / name), "demo", "--cases", "3", "--force"],
                                    env={"RETIRE_LOGIN": "me", "RETIRE_LANG": "zh"})
        assert result.exit_code == 1, (name, result.output)
        assert "不是演示库" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _files(tmp_path) == before


def test_populate_itself_refuses_a_real_hall(tmp_path: Path, cli_app: Any) -> None:
    from console.errors import Refused

    path = _real_hall(tmp_path, cli_app, with_case=True)
    before = _files(tmp_path)
    with pytest.raises(Refused) as err:
        populate(path, cases=3, seed=1, login="alice", today=TODAY)
    assert err.value.key == "demo.not_demo_hall"
    assert _files(tmp_path) == before


def test_a_new_demo_hall_is_marked_and_built_out_of_sight(tmp_path: Path) -> None:
    from console.services.demo_hall import is_demo_hall

    path = tmp_path / "fresh.db"
    summary = populate(path, cases=20, seed=3, login="me", today=TODAY, fast=True)
    assert summary.path == path and summary.cases == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.db"]  # no temporary file, no -wal left
    db = open_database(path, create=False)
    try:
        assert is_demo_hall(db)
        marked = db.execute("SELECT set_at FROM hall_meta WHERE key = 'hall_kind'").fetchone()[0]
        first = db.execute("SELECT at FROM audit ORDER BY id LIMIT 1").fetchone()[0]
        assert marked[:10] == first[:10]  # marked when made, at the real time
    finally:
        db.close()
    # the caller's roles are the demo hall's business only
    assert {r[0] for r in _rows(path, "SELECT role FROM staff_roles JOIN staff ON staff.id = staff_id WHERE login = 'me'")} == set(ROLES_ALL)


def test_tui_demo_marks_its_throwaway_hall_and_the_title_says_so(tmp_path: Path, cli_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from console import cli_tui
    from console.i18n import set_lang
    from screens.app import RetireApp
    from screens.context import AppContext

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    path = cli_tui._demo_database(5, "me")
    assert path.is_relative_to(tmp_path)
    db = open_database(path, create=False)
    try:
        from db import hall_meta

        assert hall_meta.is_demo(db)
    finally:
        db.close()
    for lang, mark in (("zh", "演示"), ("en", "DEMO")):
        set_lang(lang)
        assert RetireApp(AppContext(db_path=path, login="me", lang=lang)).title.endswith(f" · {mark}")
    (tmp_path / "real").mkdir()
    real = _real_hall(tmp_path / "real", cli_app, with_case=False)
    set_lang("zh")
    title = RetireApp(AppContext(db_path=real, login="wangfang", lang="zh")).title
    assert "演示" not in title


def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat_line = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat_line.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_kill_9_leaves_no_worker_and_nothing_the_next_run_trips_on(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import time

    target = tmp_path / "big.db"
    env = {**os.environ, "RETIRE_LOGIN": "me", "RETIRE_LANG": "en"}
    proc = subprocess.Popen([sys.executable, "-m", "console", "--db", str(target), "demo", "--cases", "30000"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(workers) < 2:
        workers |= _children(proc.pid)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    if not workers:
        proc.kill()
        proc.wait(timeout=10)
        pytest.fail(f"the demo never started its worker processes: {proc.stderr.read().decode(errors='replace') if proc.stderr else ''}")
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    assert not [w for w in workers if _alive(w)], "worker processes outlived their parent"
    assert not target.exists()  # a half-made hall is never visible under its name
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert all(name.startswith(".big.db.demo-") for name in leftovers), leftovers
    # the next run on the same name works, and clears the dead run's temporary files
    again = subprocess.run([sys.executable, "-m", "console", "--db", str(target), "demo", "--cases", "30", "--json"],
                           check=False, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["cases"] == 30
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.db"]
    fresh = subprocess.run([sys.executable, "-m", "console", "--db", str(tmp_path / "other.db"), "demo", "--cases", "10"],
                           check=False, env=env, capture_output=True, text=True, timeout=300)
    assert fresh.returncode == 0, fresh.stderr



def test_demo_into_a_missing_directory_is_bad_input(tmp_path: Path, cli_app: Any) -> None:
    result = CliRunner().invoke(cli_app, ["--db", str(tmp_path / "nope" / "demo.db"), "demo", "--cases", "1"],
                                env={"RETIRE_LOGIN": "me", "RETIRE_LANG": "en"})
    assert result.exit_code == 2, result.output
    assert str(tmp_path / "nope" / "demo.db") in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_demo_on_the_default_path_makes_its_directory(tmp_path: Path, cli_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from db.location import default_db_path

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("RETIRE_DB", raising=False)
    target = default_db_path()
    assert target.is_relative_to(tmp_path)
    result = CliRunner().invoke(cli_app, ["demo", "--cases", "2", "--json"], env={"RETIRE_LOGIN": "me", "RETIRE_LANG": "en"})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["path"] == str(target) and target.is_file()


def test_a_file_that_appears_while_the_demo_builds_is_never_overwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two demos (or a demo and an init) racing for one new name: the later one gives up, nothing is replaced."""
    from console.errors import Refused
    from fixtures.demo import hall_files

    target = tmp_path / "race.db"
    real_publish = hall_files.publish

    def someone_else_first(work: Path, final: Path) -> None:
        final.write_bytes(b"somebody's hall")
        real_publish(work, final)

    monkeypatch.setattr(hall_files, "publish", someone_else_first)
    with pytest.raises(Refused) as err:
        populate(target, cases=2, seed=1, login="me", today=TODAY)
    assert err.value.key == "demo.appeared"
    assert target.read_bytes() == b"somebody's hall"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race.db"]  # its temporary files are gone
