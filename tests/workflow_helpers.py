"""Shared builders for the workflow tests (intake, pre-review, tasks, delivery, queries, CLI).

Not a test module: plain functions, importable from spawned processes too
(tests/test_case_concurrency.py runs ``worker`` in ``multiprocessing`` spawn
children, which re-import this module by name).
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from console.rules.idcard import make_id
from console.services import intake, prereview
from console.services.identity import Actor
from console.services.intake import Applicant

BORN = date(1966, 6, 15)  # a man: statutory retirement month 2026-11 (60y5m)
PLACE = "150222"  # Guyang County
# A working day on which BORN may apply (the month before / of the retirement month).
TODAY = date(2026, 11, 2)

BASIC_MATERIALS = ("id_card_hukou", "personal_archive", "ssc_card")
ALL_TASKS = ("hrss.card", "hrss.approval", "hrss.benefit", "hrss.social_management")

PRE_REVIEW: dict[str, Any] = {
    "archive_records": [
        {"doc_kind": "school_record", "doc_date": "1980-09-01", "birth_date_recorded": "1966-06-15"},
        {"doc_kind": "recruitment_form", "doc_date": "1985-01-01", "birth_date_recorded": "1966-06-15"},
    ],
    "periods": [
        {"from": "1985-01", "to": "1995-12", "kind": "deemed", "place": "固阳县"},
        {"from": "1996-01", "to": "2026-10", "kind": "actual", "place": "固阳县"},
    ],
}


def id_number(seq: int = 11, born: date = BORN) -> str:
    """A valid ID number; an odd ``seq`` is a man, an even one a woman."""
    return make_id(PLACE, born, seq)


def applicant(seq: int = 11, name: str = "张三", born: date = BORN, **extra: Any) -> Applicant:
    return Applicant(id_number=id_number(seq, born), name=name, address="固阳县金山镇1号", phone="13800000000", **extra)


def open_case(
    db: sqlite_utils.Database,
    clerk: Actor,
    *,
    seq: int = 11,
    name: str = "张三",
    born: date = BORN,
    joint: Iterable[str] = ("medical",),
    received: Iterable[str] = BASIC_MATERIALS,
    today: date = TODAY,
    kind: str = "normal",
) -> str:
    """A draft case; returns its number."""
    case = intake.open_case(db, clerk, applicant(seq, name, born), kind, list(joint), list(received), today=today)
    return str(case["case_no"])


def record_prereview(db: sqlite_utils.Database, actor: Actor, case_no: str, payload: dict[str, Any] | None = None,
                     today: date = TODAY, reason: str | None = None) -> prereview.PrereviewResult:
    data = payload or PRE_REVIEW
    return prereview.record(db, actor, case_no, data["archive_records"], data["periods"], reason=reason, today=today)


def reviewer_for(db: sqlite_utils.Database, actor: Actor) -> Actor:
    """``actor`` if they may confirm a pre-review, otherwise the helpers' own HRSS reviewer (made once)."""
    from console.services.identity import resolve_actor
    from db import staff as staff_db
    from db.connection import transaction

    if "hrss_reviewer" in actor.roles:
        return actor
    if db.execute("SELECT 1 FROM staff WHERE login = 'helper_reviewer'").fetchone() is None:
        with transaction(db):
            staff_db.insert(db, "helper_reviewer", "Helper Reviewer", ("hrss_reviewer",))
    return resolve_actor(db, "helper_reviewer")


def ready_case(db: sqlite_utils.Database, clerk: Actor, **kw: Any) -> str:
    """A draft case with every material and a pre-review recorded and confirmed by a reviewer: acceptable."""
    today = kw.get("today", TODAY)
    case_no = open_case(db, clerk, **kw)
    record_prereview(db, clerk, case_no, today=today)
    prereview.confirm(db, reviewer_for(db, clerk), case_no)
    return case_no


def accepted_case(db: sqlite_utils.Database, clerk: Actor, **kw: Any) -> tuple[str, intake.Decision]:
    today = kw.get("today", TODAY)
    case_no = ready_case(db, clerk, **kw)
    return case_no, intake.accept_case(db, clerk, case_no, today=today)


def task_ids(db: sqlite_utils.Database, case_no: str) -> dict[str, int]:
    """item -> task id of a case."""
    rows = db.execute(
        "SELECT t.item, t.id FROM tasks t JOIN cases c ON c.id = t.case_id WHERE c.case_no = ?", [case_no]
    ).fetchall()
    return {item: int(tid) for item, tid in rows}


def task_statuses(db: sqlite_utils.Database, case_no: str) -> dict[str, str]:
    rows = db.execute(
        "SELECT t.item, t.status FROM tasks t JOIN cases c ON c.id = t.case_id WHERE c.case_no = ?", [case_no]
    ).fetchall()
    return dict(rows)


def case_row(db: sqlite_utils.Database, case_no: str) -> dict[str, Any]:
    return intake.load_case(db, case_no)


def audit_actions(db: sqlite_utils.Database, case_no: str | None = None) -> list[str]:
    if case_no is None:
        return [r[0] for r in db.execute("SELECT action FROM audit ORDER BY id").fetchall()]
    rows = db.execute(
        "SELECT a.action FROM audit a JOIN cases c ON c.id = a.case_id WHERE c.case_no = ? ORDER BY a.id", [case_no]
    ).fetchall()
    return [r[0] for r in rows]


def audit_count(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT count(*) FROM audit").fetchone()[0])


def write_payload(path: Path, payload: dict[str, Any] | None = None) -> Path:
    path.write_text(json.dumps(payload or PRE_REVIEW, ensure_ascii=False), encoding="utf-8")
    return path


# -- multiprocessing workers (spawn) ---------------------------------------------------


def worker(db_path: str, login: str, op: str, target: Any, barrier: Any, out: Any, extra: dict[str, Any]) -> None:
    """Open the db, read the version of ``target``, wait on the barrier, then save with that version.

    Puts (login, op, "ok" | error class name, message) on ``out``.
    """
    from console.errors import RetireError
    from console.services import intake as svc_intake
    from console.services import tasks as svc_tasks
    from console.services.identity import resolve_actor
    from db.connection import open_database

    db = open_database(Path(db_path), create=False)
    try:
        actor = resolve_actor(db, login)
        if op == "case.open":
            version = 0
        elif op.startswith("task."):
            version = int(db.execute("SELECT version FROM tasks WHERE id = ?", [target]).fetchone()[0])
        else:
            version = int(db.execute("SELECT version FROM cases WHERE case_no = ?", [target]).fetchone()[0])
        barrier.wait(timeout=30)
        try:
            if op == "case.open":
                svc_intake.open_case(db, actor, applicant(target), "normal", [], list(BASIC_MATERIALS), today=extra["today"])
            elif op == "case.accept":
                svc_intake.accept_case(db, actor, target, expected_version=version, today=extra["today"])
            elif op == "case.refuse":
                svc_intake.refuse_case(db, actor, target, reason=extra["reason"], expected_version=version, today=extra["today"])
            elif op == "case.correct":
                svc_intake.request_correction(db, actor, target, expected_version=version, today=extra["today"])
            elif op == "task.claim":
                svc_tasks.claim(db, actor, target, expected_version=version)
            elif op == "task.done":
                svc_tasks.complete(db, actor, target, extra["result"], expected_version=version, today=extra["today"])
            elif op == "task.return":
                svc_tasks.return_task(db, actor, target, extra["missing"], expected_version=version)
            else:  # pragma: no cover - test bug
                raise ValueError(op)
            out.put((login, op, "ok", ""))
        except RetireError as err:
            out.put((login, op, type(err).__name__, err.text("en")))
        except Exception as err:
            out.put((login, op, "CRASH:" + type(err).__name__, repr(err)))
    finally:
        db.close()
