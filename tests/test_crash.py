"""kill -9 a writer in the middle of its work: nothing half-written remains.

A child process (``python -m tests.test_crash DB ROUND``) loops over whole
use-cases for new persons: open a case, record the pre-review, accept it
(acceptance notice, department tasks), confirm, claim and finish the first
task; every few persons a case short of papers gets a correction notice.
The parent kills it with SIGKILL at a random moment, several rounds in a
row on the same file, and after each kill checks the file as a fresh
process would find it:

- PRAGMA integrity_check is 'ok' and no foreign key dangles;
- every accepted (or later) case has all its tasks, its acceptance notice
  and its audit rows; every case has its materials and its case.open row;
- every allocated case number belongs to a case (the counter equals the
  highest number and the count) and notice numbers have no gaps;
- no audit row points at a case that does not exist (a rolled-back case
  left no trace);
- the audit chain verifies and the doctor passes.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

ROUNDS = 6
CLERK = "crash_clerk"
REPO = Path(__file__).resolve().parent.parent


def writer(db_path: str, round_no: int) -> None:
    """The child: whole use-cases for new persons, forever (until killed)."""
    from console.rules.materials import required_materials
    from console.services import intake, prereview, tasks
    from console.services.identity import resolve_actor
    from db.connection import open_database
    from tests.workflow_helpers import BORN, TODAY, applicant, record_prereview, task_ids

    db = open_database(Path(db_path), create=False)
    clerk = resolve_actor(db, CLERK)
    born = date(BORN.year, BORN.month, 1 + round_no)  # ID numbers of this round are its own
    for seq in range(1, 999, 2):
        if seq == 3:
            print("ready", flush=True)  # after one whole cycle: lazy imports are done, the kill lands in real work
        joint = [j for j in ("medical", "housing_fund", "health") if random.random() < 0.5]
        short = seq % 7 == 0
        received = ["id_card_hukou"] if short else [m.code for m in required_materials("normal", joint, False)]
        case = intake.open_case(db, clerk, applicant(seq, f"断电{round_no}-{seq}", born), "normal", joint, received, today=TODAY)
        case_no = case["case_no"]
        record_prereview(db, clerk, case_no)
        if short:
            intake.request_correction(db, clerk, case_no, today=TODAY)
            continue
        prereview.confirm(db, clerk, case_no)  # acceptance needs the reviewer's confirmation
        intake.accept_case(db, clerk, case_no, today=TODAY)
        first = task_ids(db, case_no)["hrss.card"]
        tasks.claim(db, clerk, first)
        tasks.complete(db, clerk, first, "已制卡", today=TODAY)
    db.close()


def _check(db_path: Path) -> dict[str, int]:
    """Everything that must hold after a crash; returns a few counts for the message."""
    from console.rules.task_plan import tasks_for
    from console.services.maintenance import doctor
    from db.audit import verify_chain
    from db.connection import open_database

    db = open_database(db_path, create=False)
    try:
        q = lambda sql, *a: db.execute(sql, list(a)).fetchall()  # noqa: E731
        assert [r[0] for r in q("PRAGMA integrity_check")] == ["ok"]
        assert q("PRAGMA foreign_key_check") == []
        cases = q("SELECT id, case_no, status, joint_items, acceptance_notice_no, person_id FROM cases")
        for cid, case_no, status, joint, notice_no, person_id in cases:
            actions = [r[0] for r in q("SELECT action FROM audit WHERE case_id = ? ORDER BY id", cid)]
            assert actions and actions[0] == "case.open", (case_no, actions)
            assert q("SELECT count(*) FROM materials WHERE case_id = ?", cid)[0][0] > 0, case_no
            assert q("SELECT count(*) FROM audit WHERE action = 'person.register' AND entity_id = ?", str(person_id))[0][0] == 1
            if status in ("accepted", "in_progress", "completed", "delivered"):
                expected = sorted(s.item for s in tasks_for(json.loads(joint)))
                assert sorted(r[0] for r in q("SELECT item FROM tasks WHERE case_id = ?", cid)) == expected, case_no
                assert notice_no, case_no
                assert q("SELECT kind, case_id FROM notices WHERE number = ?", notice_no) == [("acceptance", cid)], case_no
                assert "case.accept" in actions, (case_no, actions)
            else:
                assert q("SELECT count(*) FROM tasks WHERE case_id = ?", cid)[0][0] == 0, case_no
            if status == "awaiting_correction":
                assert q("SELECT count(*) FROM notices WHERE case_id = ? AND kind = 'correction'", cid)[0][0] == 1, case_no
                assert "case.correction_requested" in actions
        # each task change came with its audit row, and vice versa
        for tid, status, version in q("SELECT id, status, version FROM tasks"):
            changes = q("SELECT count(*) FROM audit WHERE task_id = ? AND action IN ('task.claim','task.done','task.return','task.open')", tid)[0][0]
            assert version == 1 + changes, (tid, status, version, changes)
        # numbers: allocated == used
        numbers = sorted(int(r[1].rsplit("-", 1)[1]) for r in cases)
        for prefix, year, last in q("SELECT prefix, year, last FROM case_counters"):
            used = sorted(int(r[0].rsplit("-", 1)[1]) for r in q("SELECT case_no FROM cases WHERE case_no LIKE ?", f"{prefix}-{year}-%"))
            assert used == list(range(1, last + 1)), (prefix, year, last, used[-3:])
        for kind, year, last in q("SELECT kind, year, last FROM notice_counters"):
            count = q("SELECT count(*) FROM notices WHERE kind = ? AND year = ?", kind, year)[0][0]
            assert count == last, (kind, year, last, count)
        # nothing points at a rolled-back case or task
        assert q("SELECT count(*) FROM audit WHERE case_id IS NOT NULL AND case_id NOT IN (SELECT id FROM cases)")[0][0] == 0
        assert q("SELECT count(*) FROM audit WHERE task_id IS NOT NULL AND task_id NOT IN (SELECT id FROM tasks)")[0][0] == 0
        assert verify_chain(db) is None
        report = doctor(db, db_path)
        assert report.ok, [c for c in report.checks if not c.ok]
        return {"cases": len(numbers), "audit": q("SELECT count(*) FROM audit")[0][0]}
    finally:
        db.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX kill -9")
def test_kill_9_mid_transaction_leaves_nothing_half_written(db, db_path, staff) -> None:
    staff(CLERK, "clerk", "hrss_reviewer")
    db.close()  # the parent holds no connection while the child writes
    rng = random.Random(int(os.environ.get("CRASH_SEED") or time.time()))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),
           "RETIRE_LANG": "en"}
    totals = []
    for round_no in range(ROUNDS):
        child = subprocess.Popen([sys.executable, "-m", "tests.test_crash", str(db_path), str(round_no)],
                                 cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line.strip() == "ready", child.stderr.read() if child.stderr else line
            time.sleep(rng.uniform(0.05, 0.8))
            assert child.poll() is None, f"the writer stopped by itself: {child.stderr.read() if child.stderr else ''}"
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert child.returncode == -signal.SIGKILL
        totals.append(_check(db_path))
    print(f"\ncrash rounds: {totals}")
    # the rounds did real work, and every round found the file sound
    assert totals[-1]["cases"] >= ROUNDS, totals  # each round finished at least one whole cycle before the kill


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX kill -9")
def test_kill_9_of_an_import_holding_the_lock(tmp_path: Path) -> None:
    """kill -9 a real ``retire import`` while it holds the write lock (its busy note is there):
    no row of it stays, the file is sound, and its note, left behind, names nobody: a colleague
    who then meets a busy database is not told a dead import holds it, and the next import
    runs, writes its own note and removes it."""
    from fixtures import generate as gen
    from tests.test_faults import HOLDER, _hold, _release, count, integrity, one_line, run

    db = tmp_path / "hall.db"
    assert run(db, "init").returncode == 0
    source = tmp_path / "persons.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        gen.write("persons", 20_000, fh)
    note = Path(str(db) + ".busy")
    env = {k: v for k, v in os.environ.items() if k not in ("RETIRE_LOGIN",)}
    env.update({"RETIRE_DB": str(db), "RETIRE_LANG": "en"})
    retire = Path(sys.executable).with_name("retire")
    job = subprocess.Popen([str(retire), "import", "persons", str(source)], cwd=REPO, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while job.poll() is None and not note.exists():
            time.sleep(0.005)
        assert job.poll() is None, f"the import ended before it was killed: {job.stderr.read() if job.stderr else ''}"
        os.kill(job.pid, signal.SIGKILL)
        job.wait(timeout=30)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    assert note.exists() and json.loads(note.read_text(encoding="utf-8"))["pid"] == job.pid
    assert integrity(db) == ["ok"]
    assert count(db, "SELECT count(*) FROM persons") == 0
    assert count(db, "SELECT count(*) FROM audit WHERE action LIKE 'import.%'") == 0
    blocker = _hold(HOLDER, db)
    try:
        busy = run(db, "staff", "add", "lisi", "--name", "李四", "--role", "clerk", env={"RETIRE_BUSY_TIMEOUT_MS": "300"})
        line = one_line(busy)
        assert busy.returncode == 3 and "database is busy" in line and str(job.pid) not in line
    finally:
        _release(blocker)
    again = run(db, "import", "persons", str(source))
    assert again.returncode == 0, again.stderr
    assert count(db, "SELECT count(*) FROM persons") == 20_000
    assert not note.exists()
    assert run(db, "doctor").returncode == 0


if __name__ == "__main__":
    writer(sys.argv[1], int(sys.argv[2]))
