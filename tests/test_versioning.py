"""Optimistic locking: concurrent saves of one row never lose an update."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
import sqlite_utils

from console.errors import NotFound, StaleVersion
from db.case_numbers import allocate_case_no
from db.connection import open_database, transaction
from db.versioning import update_versioned


def _make_case(db: sqlite_utils.Database) -> int:
    with transaction(db):
        db.execute("INSERT INTO persons (id_number, name) VALUES ('150202196506150011', '张三')")
        no = allocate_case_no(db, 2026)
        cursor = db.execute(
            "INSERT INTO cases (case_no, person_id, status, updated_by, updated_at)"
            " VALUES (?, 1, 'draft', 'alice', '2026-05-01T09:00:00+08:00')",
            [no],
        )
    return int(cursor.lastrowid)


def test_save_bumps_version_and_stamps(db: sqlite_utils.Database) -> None:
    case_id = _make_case(db)
    with transaction(db):
        assert update_versioned(db, "cases", case_id, 1, {"status": "accepted"}, "bob") == 2
    row = db.execute("SELECT status, version, updated_by, updated_at FROM cases WHERE id = ?", [case_id]).fetchone()
    assert row[:3] == ("accepted", 2, "bob") and row[3] != "2026-05-01T09:00:00+08:00"


def test_stale_save_names_who_and_when(db: sqlite_utils.Database) -> None:
    case_id = _make_case(db)
    with transaction(db):
        update_versioned(db, "cases", case_id, 1, {"status": "accepted"}, "bob")
    when = db.execute("SELECT updated_at FROM cases WHERE id = ?", [case_id]).fetchone()[0]
    with pytest.raises(StaleVersion) as err:
        with transaction(db):
            update_versioned(db, "cases", case_id, 1, {"status": "refused"}, "carol")
    assert err.value.params["who"] == "bob" and err.value.params["when"] == when
    for lang in ("en", "zh"):
        message = err.value.text(lang)
        assert "bob" in message and when in message
    assert db.execute("SELECT status FROM cases WHERE id = ?", [case_id]).fetchone()[0] == "accepted"


def test_missing_row_and_bad_columns(db: sqlite_utils.Database) -> None:
    with pytest.raises(NotFound):
        with transaction(db):
            update_versioned(db, "cases", 404, 1, {"status": "accepted"}, "bob")
    case_id = _make_case(db)
    with pytest.raises(ValueError):
        update_versioned(db, "cases", case_id, 1, {"version": 9}, "bob")
    with pytest.raises(ValueError):
        update_versioned(db, "cases", case_id, 1, {"status = 'x', case_no": "y"}, "bob")
    with pytest.raises(ValueError):
        update_versioned(db, "audit", 1, 1, {"actor": "x"}, "bob")


def test_two_connections_read_then_save_exactly_one_wins(db: sqlite_utils.Database, db_path: Path) -> None:
    case_id = _make_case(db)
    a = open_database(db_path, create=False)
    b = open_database(db_path, create=False)
    va = a.execute("SELECT version FROM cases WHERE id = ?", [case_id]).fetchone()[0]
    vb = b.execute("SELECT version FROM cases WHERE id = ?", [case_id]).fetchone()[0]
    assert va == vb == 1
    with transaction(a):
        update_versioned(a, "cases", case_id, va, {"status": "accepted"}, "alice")
    with pytest.raises(StaleVersion):
        with transaction(b):
            update_versioned(b, "cases", case_id, vb, {"status": "refused"}, "bob")
    a.close()
    b.close()
    row = db.execute("SELECT status, version, updated_by FROM cases WHERE id = ?", [case_id]).fetchone()
    assert row == ("accepted", 2, "alice")


def _worker(path: str, case_id: int, login: str, barrier: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue) -> None:  # type: ignore[name-defined]
    db = open_database(Path(path), create=False)
    version = db.execute("SELECT version FROM cases WHERE id = ?", [case_id]).fetchone()[0]
    barrier.wait()  # both have read version 1 before either saves
    try:
        with transaction(db):
            update_versioned(db, "cases", case_id, version, {"status": "accepted", "acceptance_notice_no": login}, login)
        out.put((login, "won"))
    except StaleVersion as err:
        out.put((login, f"stale:{err.params['who']}"))
    finally:
        db.close()


def test_two_processes_exactly_one_wins(db: sqlite_utils.Database, db_path: Path) -> None:
    case_id = _make_case(db)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(db_path), case_id, login, barrier, out)) for login in ("p1", "p2")]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    winners = [login for login, outcome in results.items() if outcome == "won"]
    assert len(winners) == 1
    loser = ({"p1", "p2"} - set(winners)).pop()
    assert results[loser] == f"stale:{winners[0]}"
    row = db.execute("SELECT version, updated_by, acceptance_notice_no FROM cases WHERE id = ?", [case_id]).fetchone()
    assert row == (2, winners[0], winners[0])


# -- versions end to end: tasks, deliveries, pre-reviews (issue 12 item 7) ---------------

import json as _json  # noqa: E402
from typing import Any  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

from console.errors import PermissionDenied, Refused  # noqa: E402
from console.services import delivery, prereview, tasks  # noqa: E402
from db.schema import MIGRATIONS, current_version  # noqa: E402
from tests.workflow_helpers import TODAY, accepted_case, audit_actions, id_number, task_ids, write_payload  # noqa: E402


@pytest.fixture
def carol(staff):
    return staff("carol", "clerk", "hrss_reviewer")


@pytest.fixture
def clara(staff):
    return staff("clara", "clerk")


def test_a_claimed_task_is_not_claimed_again_by_a_colleague(db, carol, clara) -> None:
    case_no, _ = accepted_case(db, carol)
    card = task_ids(db, case_no)["hrss.card"]
    tasks.claim(db, carol, card)
    with pytest.raises(Refused) as info:
        tasks.claim(db, clara, card)  # no version given: acting on "now" must still not undo carol's claim
    assert info.value.key == "tasks.held_by_other" and info.value.params["who"] == "carol"
    assert "carol" in info.value.text("en") and "carol" in info.value.text("zh")
    row = db.execute("SELECT assignee_id, status FROM tasks WHERE id = ?", [card]).fetchone()
    assert row == (carol.staff_id, "claimed")


def test_completing_a_colleagues_task_needs_a_take_over(db, carol, clara) -> None:
    case_no, _ = accepted_case(db, carol)
    card = task_ids(db, case_no)["hrss.card"]
    tasks.claim(db, carol, card)
    with pytest.raises(Refused) as info:
        tasks.complete(db, clara, card, "card issued", today=TODAY)
    assert info.value.key == "tasks.held_by_other"
    assert db.execute("SELECT status FROM tasks WHERE id = ?", [card]).fetchone()[0] == "claimed"
    done = tasks.complete(db, clara, card, "card issued", today=TODAY, take_over=True)
    assert done["status"] == "done" and done["completed_by"] == "clara" and done["assignee"] == "clara"
    actions = audit_actions(db, case_no)
    assert actions[-2:] == ["task.take_over", "task.done"]
    detail = _json.loads(db.execute("SELECT detail FROM audit WHERE action = 'task.take_over'").fetchone()[0])
    assert detail["from"] == "carol" and detail["to"] == "clara" and detail["for"] == "done"


def test_returning_a_colleagues_task_needs_a_take_over(db, carol, clara) -> None:
    case_no, _ = accepted_case(db, carol)
    card = task_ids(db, case_no)["hrss.card"]
    tasks.claim(db, carol, card)
    with pytest.raises(Refused):
        tasks.return_task(db, clara, card, "社保卡原件")
    tasks.return_task(db, clara, card, "社保卡原件", take_over=True)
    assert audit_actions(db, case_no)[-2:] == ["task.take_over", "task.return"]


def test_own_completion_records_the_completer_without_take_over(db, carol) -> None:
    case_no, _ = accepted_case(db, carol)
    card = task_ids(db, case_no)["hrss.card"]
    tasks.claim(db, carol, card)
    done = tasks.complete(db, carol, card, "card issued", today=TODAY)
    assert done["completed_by"] == "carol"
    assert "task.take_over" not in audit_actions(db, case_no)


def test_a_clerk_cannot_claim_the_approval(db, carol, clara) -> None:
    case_no, _ = accepted_case(db, carol)
    with pytest.raises(PermissionDenied) as info:
        tasks.claim(db, clara, task_ids(db, case_no)["hrss.approval"])
    assert info.value.key == "tasks.reviewer_only_claim"  # the claim names who may do it


def _completed(db, carol, staff) -> str:
    mel = staff("mel", "medical")
    case_no, _ = accepted_case(db, carol)
    ids = task_ids(db, case_no)
    for item in ("hrss.approval", "hrss.card", "hrss.benefit", "hrss.social_management"):
        tasks.claim(db, carol, ids[item])
        tasks.complete(db, carol, ids[item], "ok", today=TODAY)
    tasks.claim(db, mel, ids["medical.transfer"])
    tasks.complete(db, mel, ids["medical.transfer"], "ok", today=TODAY)
    return case_no


def test_stale_delivery_writes_are_refused_naming_who(db, carol, clara, staff) -> None:
    case_no = _completed(db, carol, staff)
    case_version = db.execute("SELECT version FROM cases WHERE case_no = ?", [case_no]).fetchone()[0]
    with pytest.raises(StaleVersion) as info:
        delivery.send(db, clara, case_no, "EMS", "EA1", expected_version=case_version - 1)
    assert info.value.params["table"] == "cases"
    sent = delivery.send(db, clara, case_no, "EMS", "EA1", expected_version=case_version)
    seen = sent["version"]
    delivery.returned(db, carol, case_no, "查无此人", expected_version=seen)  # carol records it first
    with pytest.raises(StaleVersion) as info:
        delivery.delivered(db, clara, case_no, expected_version=seen)  # clara acts on what she saw
    assert info.value.params["who"] == "carol" and info.value.params["table"] == "deliveries"
    row = db.execute("SELECT delivered_at, returned_at FROM deliveries").fetchone()
    assert row[0] is None and row[1]
    assert db.execute("SELECT status FROM cases WHERE case_no = ?", [case_no]).fetchone()[0] == "completed"


def test_stale_prereview_confirm_is_refused(db, carol, clara) -> None:
    from tests.workflow_helpers import open_case, record_prereview

    case_no = open_case(db, clara)
    seen = record_prereview(db, clara, case_no).version
    assert seen == 1
    record_prereview(db, clara, case_no)  # recomputed after carol read it
    with pytest.raises(StaleVersion) as info:
        prereview.confirm(db, carol, case_no, expected_version=seen)
    assert info.value.params["who"] == "clara"
    assert db.execute("SELECT confirmed_at FROM facts").fetchone()[0] is None
    assert prereview.confirm(db, carol, case_no, expected_version=seen + 1).confirmed
    with pytest.raises(StaleVersion):
        prereview.record(db, clara, case_no, [], [], reason="fix", expected_version=seen + 1, today=TODAY)


def test_v8_names_the_claimant_of_tasks_done_before_it(tmp_path: Path) -> None:
    db = open_database(tmp_path / "old.db")
    for migration in MIGRATIONS:
        if migration.version == 8:
            break
        db.executescript(migration.sql)
    db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, description TEXT NOT NULL) STRICT")
    for migration in MIGRATIONS[:7]:
        db.execute("INSERT INTO schema_version VALUES (?, 'then', ?)", [migration.version, migration.description])
    db.execute("INSERT INTO staff (id, login, name) VALUES (1, 'carol', 'Carol')")
    db.execute("INSERT INTO persons (id, id_number, name) VALUES (1, '150202196506150011', '张三')")
    db.execute("INSERT INTO cases (id, case_no, person_id, status) VALUES (1, 'GY-2026-000001', 1, 'in_progress')")
    db.execute("INSERT INTO tasks (case_id, department, item, status, assignee_id) VALUES (1, 'hrss', 'hrss.card', 'done', 1)")
    db.execute("INSERT INTO tasks (case_id, department, item, status, assignee_id) VALUES (1, 'hrss', 'hrss.benefit', 'claimed', 1)")
    db.conn.commit()
    from db.schema import migrate

    assert 8 in migrate(db) and current_version(db) >= 8
    rows = db.execute("SELECT item, completed_by FROM tasks ORDER BY id").fetchall()
    assert rows == [("hrss.card", "carol"), ("hrss.benefit", None)]
    db.close()


# -- the CLI: --version, --take-over, versions in --json ---------------------------------


class _Shell:
    def __init__(self, app: Any) -> None:
        self.app, self.runner = app, CliRunner()

    def run(self, login: str, *args: str, code: int = 0) -> Any:
        result = self.runner.invoke(self.app, list(args), env={"RETIRE_LOGIN": login})
        text = (result.stdout or "") + (result.stderr or "")
        assert "Traceback" not in text, text
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"retire {' '.join(args)} crashed: {result.exception!r}\n{text}")
        assert result.exit_code == code, f"retire {' '.join(args)} as {login}: exit {result.exit_code}\n{text}"
        return result

    def json(self, login: str, *args: str) -> Any:
        return _json.loads(self.run(login, *args, "--json").stdout)


def test_cli_versions_take_over_and_completer(env: dict[str, str], cli_app: Any, tmp_path: Path) -> None:
    sh = _Shell(cli_app)
    sh.run("alice", "init")
    sh.run("alice", "staff", "add", "carol", "--name", "Carol", "--role", "clerk", "--role", "hrss_reviewer")
    sh.run("alice", "staff", "add", "clara", "--name", "Clara", "--role", "clerk")
    case_no = sh.json("carol", "case", "new", "--id", id_number(), "--name", "张三", "--received", "id_card_hukou",
                      "--received", "personal_archive", "--received", "ssc_card")["case_no"]
    pre = sh.json("carol", "prereview", case_no, "--file", str(write_payload(tmp_path / "p.json")))
    assert pre["version"] == 1
    shown = sh.json("carol", "case", "show", case_no)
    assert shown["prereview"]["version"] == 1
    # pre-review confirm with the version read (before acceptance); a stale one names who
    stale = sh.run("carol", "prereview", case_no, "--confirm", "--version", "0", code=1)
    assert "carol" in stale.stderr
    assert sh.json("carol", "prereview", case_no, "--confirm", "--version", "1")["confirmed"] is True
    sh.run("carol", "case", "accept", case_no, "--version", str(shown["version"] - 1), code=1)  # stale: refused
    sh.run("carol", "case", "accept", case_no, "--version", str(shown["version"]))

    listed = {r["item"]: r for r in sh.json("clara", "task", "list")}
    assert all("version" in r for r in listed.values())
    assert all("version" in r for r in sh.json("carol", "case", "list"))
    card = listed["hrss.card"]
    sh.run("carol", "task", "claim", str(card["id"]), "--version", str(card["version"]))
    # clara acts on the list she read before carol's claim: refused, naming carol (with or without --version)
    refused = sh.run("clara", "task", "claim", str(card["id"]), "--version", str(card["version"]), code=1)
    assert "carol" in refused.stderr
    refused = sh.run("clara", "task", "claim", str(card["id"]), code=1)
    assert "carol" in refused.stderr
    sh.run("clara", "task", "done", str(card["id"]), "--result", "社保卡已变更", code=1)
    done = sh.json("clara", "task", "done", str(card["id"]), "--result", "社保卡已变更", "--take-over")
    assert done["status"] == "done" and done["completed_by"] == "clara"
    shown = sh.json("carol", "case", "show", case_no)
    task = next(x for x in shown["tasks"] if x["item"] == "hrss.card")
    assert task["completed_by"] == "clara" and "version" in task
    assert "task.take_over" in [a["action"] for a in shown["audit"]]
    text = sh.run("carol", "case", "show", case_no).stdout
    card_line = next(line for line in text.splitlines() if line.strip().startswith(str(card["id"])))
    assert "clara" in card_line and "carol" not in card_line
    # the approval: a clerk cannot even claim it
    approval = listed["hrss.approval"]
    sh.run("clara", "task", "claim", str(approval["id"]), code=1)
