"""A small, deterministic hall for the TUI tests (no tests of its own).

Uses ``fixtures.demo.populate`` when it exists; otherwise builds the cases
with the services, so the TUI tests never depend on who wrote what first.
Every case goes through the real use-cases (intake, pre-review, tasks,
delivery), so the screens see the same rows a hall would.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path


TODAY = date(2026, 3, 16)
LOGIN = "clerk1"

# (name, birth yyyymmdd, sex digit odd=male, joint items, target state)
AGES = [40, 36, 33, 30, 27, 24, 21, 14, 10, 6, 3, 0]  # days before today each case was received
PEOPLE = [
    ("张三", "19640315", 1, ("medical", "housing_fund"), "in_progress"),
    ("李四", "19640420", 3, ("medical",), "accepted"),
    ("王五", "19640510", 5, (), "completed"),
    ("赵六", "19640612", 7, ("health",), "draft_missing"),
    ("钱七", "19640118", 9, ("housing_fund",), "awaiting"),
    ("孙八", "19640222", 1, ("medical", "housing_fund", "health"), "accepted"),
    ("周九", "19640301", 3, (), "delivered"),
    ("吴十", "19640405", 5, ("medical",), "draft"),
    ("郑一", "19640509", 7, (), "completed"),
    ("冯二", "19640613", 9, ("medical",), "in_progress"),
    ("陈红", "19640717", 1, ("housing_fund",), "accepted"),
    ("褚明", "19640821", 3, (), "draft"),
]


def id_number(birth: str, seq: int, sex: int) -> str:
    body = f"150222{birth}{seq:02d}{sex}"
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
    return body + "10X98765432"[total % 11]


def build_hall(db_path: Path, today: date = TODAY, login: str = LOGIN) -> Path:
    """Create ``db_path`` with staff ``login`` (every role) and about a dozen cases."""
    try:
        from fixtures.demo import populate  # type: ignore[import-not-found]
    except ImportError:
        populate = None
    import db.clock as clock

    if populate is not None:
        # audit rows carry the real write time (db.clock.wall_now_iso): a fixed clock keeps snapshots stable
        real = clock.datetime
        clock.datetime = _FixedClock  # type: ignore[misc]
        _FixedClock.start = datetime.combine(today, time(9, 0))
        _FixedClock.ticks = 0
        try:
            populate(db_path, cases=40, seed=2026, login=login, today=today)
        finally:
            clock.datetime = real  # type: ignore[misc]
        return db_path

    real = clock.datetime
    clock.datetime = _FixedClock  # type: ignore[misc]  # stable timestamps for snapshots
    _FixedClock.start = datetime.combine(today, time(9, 0))
    _FixedClock.ticks = 0
    try:
        _build_with_services(db_path, today, login)
    finally:
        clock.datetime = real  # type: ignore[misc]
    return db_path


class _FixedClock(datetime):
    """datetime whose now() starts at 09:00 of the fixed day and moves one minute per call."""

    start: datetime
    ticks = 0

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def,override]
        cls.ticks += 1
        return cls.start + timedelta(minutes=cls.ticks)


def _build_with_services(db_path: Path, today: date, login: str) -> None:
    from console.services import delivery, intake, prereview, tasks
    from console.services.identity import resolve_actor
    from console.services.store import open_store
    from db import audit
    from db import staff as staff_db
    from db.connection import transaction
    from db.schema import ROLES

    db = open_store(db_path, create=True)
    try:
        with transaction(db):
            staff_db.insert(db, login, "柜员甲", list(ROLES))
            staff_db.insert(db, "medic1", "医保乙", ["medical"])
            audit.append(db, "test", "staff.add", entity="staff", entity_id=login, detail={})
        actor = resolve_actor(db, login)
        for seq, (name, birth, sex, joint, target) in enumerate(PEOPLE, start=1):
            day = today - timedelta(days=AGES[seq - 1])
            applicant = intake.Applicant(
                id_number=id_number(birth, seq, sex), name=name, phone=f"1390472{seq:04d}",
                address=f"固阳县金山镇{seq}号", bank_card=f"622202060300{seq:07d}",
            )
            materials = ["personal_archive", "id_card_hukou", "ssc_card"]
            if "health" in joint:
                materials.append("one_child_certificate")
            if target.startswith("draft_missing") or target == "awaiting":
                materials = ["id_card_hukou"]
            case = intake.open_case(db, actor, applicant, "normal", joint, materials, today=day)
            case_no = case["case_no"]
            prereview.record(
                db, actor, case_no,
                archive_records=[{"doc_kind": "recruitment_form", "doc_date": "1982-09-01", "birth_date_recorded": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"}],
                periods=[{"from_month": "1982-09", "to_month": "2024-02", "kind": "actual", "place": "固阳县"}],
                today=day,
            )
            if target in ("draft", "draft_missing"):
                continue
            if target == "awaiting":
                intake.request_correction(db, actor, case_no, today=day)
                continue
            prereview.confirm(db, actor, case_no)
            intake.accept_case(db, actor, case_no, today=day)
            if target == "accepted":
                continue
            shown = [x for x in _tasks(db, case_no)]
            if target == "in_progress":
                card = next(x for x in shown if x["item"] == "hrss.card")
                tasks.claim(db, actor, card["id"])
                continue
            for _ in range(3):
                for task in _tasks(db, case_no):
                    if task["status"] in ("open", "returned"):
                        tasks.claim(db, actor, task["id"])
                        tasks.complete(db, actor, task["id"], "已办结", today=day)
            if target == "delivered":
                delivery.send(db, actor, case_no, "EMS", f"EM{seq:09d}CN")
                delivery.delivered(db, actor, case_no)
    finally:
        db.close()


def _tasks(db, case_no: str) -> list[dict]:  # type: ignore[no-untyped-def]
    from db import tasks as tasks_db
    from db.case_numbers import case_id_by_no

    return tasks_db.for_case(db, case_id_by_no(db, case_no))


# -- fixtures shared by the TUI test modules (import them by name) -----------------

import shutil  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def hall_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo hall per test session; tests work on copies."""
    path = tmp_path_factory.mktemp("hall") / "hall.db"
    build_hall(path)
    return path


@pytest.fixture
def hall(hall_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo hall; zh UI; the cursor does not blink (stable snapshots)."""
    target = tmp_path / "hall.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(hall_template) + suffix)
        if source.exists():
            shutil.copy(source, str(target) + suffix)
    monkeypatch.setenv("RETIRE_LANG", "zh")
    monkeypatch.setenv("RETIRE_LOGIN", LOGIN)
    monkeypatch.setenv("RETIRE_DB", str(target))
    from console import i18n

    monkeypatch.setattr(i18n, "_current", "zh")
    from textual.widgets import Input

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    return target


def make_app(db_path: Path):  # type: ignore[no-untyped-def]
    from screens.app import RetireApp
    from screens.context import AppContext

    return RetireApp(AppContext(db_path=db_path, login=LOGIN, lang="zh", today_override=TODAY))


async def settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until workers are done and their messages are handled (twice: a handler may start another)."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def query_one_value(db_path: Path, sql: str, args: tuple = ()) -> object:  # type: ignore[type-arg]
    import sqlite3

    con = sqlite3.connect(db_path)
    try:
        row = con.execute(sql, args).fetchone()
        return row[0] if row else None
    finally:
        con.close()
