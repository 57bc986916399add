"""Reading cases: show (everything), list (filters, clocks and colours), search (number, ID, name, pinyin)."""
from __future__ import annotations

import json
from datetime import date

import pytest

from console.rules.workdays import WorkCalendar
from console.services import case_queries, intake, tasks
from console.services.case_queries import build_filter, list_cases, show
from console.services.clocks import calendar_for, queue_clock
from tests.workflow_helpers import (
    TODAY,
    accepted_case,
    applicant,
    id_number,
    open_case,
    task_ids,
)

D = date.fromisoformat


@pytest.fixture
def carol(staff):
    return staff("carol", "clerk", "hrss_reviewer")


@pytest.fixture
def festival_case(db, carol):
    """Received Tue 2026-02-10, correction notice Thu 02-12, papers back Wed 02-25 (Spring Festival between)."""
    case_no = open_case(db, carol, received=["id_card_hukou"], today=D("2026-02-10"))
    intake.request_correction(db, carol, case_no, today=D("2026-02-12"))
    intake.resume_case(db, carol, case_no, ["personal_archive", "ssc_card"], today=D("2026-02-25"))
    return case_no


# -- clocks and colours ------------------------------------------------------------------


def test_festival_case_due_date_and_show_clock(db, carol, festival_case) -> None:
    cal = WorkCalendar()
    plain = cal.add_working_days(D("2026-02-10"), 20)[0]
    assert plain == D("2026-03-16")
    assert cal.working_days_between(D("2026-02-12"), D("2026-02-25")) == 4
    data = show(db, carol, festival_case, today=D("2026-03-02"))
    assert data["clock"]["due_date"] == "2026-03-20"
    assert data["clock"]["paused_days"] == 4
    assert data["clock"]["state"] == "ok" and data["clock"]["colour"] == ""
    row = list_cases(db, carol, build_filter(), today=D("2026-03-02"))[0]
    assert row["due_date"] == "2026-03-20"


def test_paused_case_shows_paused(db, carol) -> None:
    case_no = open_case(db, carol, received=["id_card_hukou"], today=D("2026-02-10"))
    intake.request_correction(db, carol, case_no, today=D("2026-02-12"))
    row = list_cases(db, carol, build_filter(), today=D("2026-02-20"))[0]
    assert (row["clock"], row["colour"], row["working_days_left"], row["due_date"]) == ("paused", "", None, None)
    data = show(db, carol, case_no, today=D("2026-02-20"))
    assert data["clock"]["state"] == "paused" and data["clock"]["due_date"] is None
    # paused cases are never overdue or due soon
    assert list_cases(db, carol, build_filter(overdue=True, today=D("2026-06-01")), today=D("2026-06-01")) == []


@pytest.mark.parametrize(
    "today, state, colour, left",
    [
        ("2026-03-10", "ok", "", 8),
        ("2026-03-17", "due_soon", "yellow", 3),
        ("2026-03-20", "due_soon", "yellow", 0),
        ("2026-03-23", "overdue", "red", -1),
        ("2026-03-25", "overdue", "red", -3),
    ],
)
def test_queue_colours(db, carol, festival_case, today, state, colour, left) -> None:
    row = list_cases(db, carol, build_filter(), today=D(today))[0]
    assert (row["clock"], row["colour"], row["working_days_left"]) == (state, colour, left)
    direct = queue_clock({"status": "draft", "due_date": "2026-03-20", "paused_since": None}, D(today), calendar_for(db))
    assert direct == (left, state, colour)
    shown = show(db, carol, festival_case, today=D(today))["clock"]
    assert (shown["state"], shown["colour"]) == (state, colour)


def test_done_cases_have_no_colour(db) -> None:
    assert queue_clock({"status": "delivered", "due_date": "2020-01-02"}, TODAY, WorkCalendar()) == (None, "done", "")


@pytest.mark.parametrize(
    "today, overdue, due_soon",
    [("2026-03-10", False, False), ("2026-03-17", False, True), ("2026-03-20", False, True), ("2026-03-23", True, False)],
)
def test_overdue_and_due_soon_filters(db, carol, festival_case, today, overdue, due_soon) -> None:
    other = open_case(db, carol, seq=13, name="李四", today=D("2026-03-09"))  # due far later
    t = D(today)
    found_overdue = [r["case_no"] for r in list_cases(db, carol, build_filter(overdue=True, today=t, db=db), today=t)]
    found_soon = [r["case_no"] for r in list_cases(db, carol, build_filter(due_soon=True, today=t, db=db), today=t)]
    assert (festival_case in found_overdue) is overdue
    assert (festival_case in found_soon) is due_soon
    assert other not in found_overdue and other not in found_soon
    assert case_queries.count(db, build_filter(overdue=True, today=t, db=db)) == len(found_overdue)


# -- show ------------------------------------------------------------------------------


def test_show_holds_everything(db, carol, staff) -> None:
    case_no, decision = accepted_case(db, carol, joint=("medical",))
    ids = task_ids(db, case_no)
    tasks.claim(db, carol, ids["hrss.card"])
    data = show(db, carol, case_no, today=TODAY)
    json.dumps(data, ensure_ascii=False)  # JSON-serialisable as the CLI prints it
    assert data["case_no"] == case_no and data["status"] == "in_progress"
    assert data["acceptance_notice_no"] == decision.notice_number
    assert data["person"]["name"] == "张三" and data["person"]["id_number"] == id_number()
    assert {m["code"]: m["received"] for m in data["materials"]} == {"id_card_hukou": True, "personal_archive": True, "ssc_card": True}
    assert data["prereview"]["confirmed_by"] == "carol"
    assert data["prereview"]["facts"]["statutory_month"] == "2026-11"
    assert len(data["archive_records"]) == 2 and len(data["contribution_periods"]) == 2
    by_item = {t["item"]: t for t in data["tasks"]}
    assert set(by_item) == {"hrss.card", "hrss.approval", "hrss.benefit", "hrss.social_management", "medical.transfer"}
    assert by_item["hrss.card"]["status"] == "claimed" and by_item["hrss.card"]["assignee"] == "carol"
    for item in ("hrss.card", "hrss.approval"):
        clock = by_item[item]["clock"]
        assert set(clock) == {"due_date", "working_days_left", "state", "colour", "provisional", "paused_days"}
    assert by_item["medical.transfer"]["clock"] is None  # waiting for the approval
    assert [n["kind"] for n in data["notices"]] == ["acceptance"]
    assert data["deliveries"] == []
    actions = [a["action"] for a in data["audit"]]
    assert actions == ["case.open", "prereview.compute", "prereview.confirm", "case.accept", "task.claim"]
    assert isinstance(data["audit"][0]["detail"], dict)


def test_show_task_clock_follows_the_day_the_task_opened(db, carol) -> None:
    """With ``today`` given (back-office entry of an earlier day), the task clock in show and
    the task's stored due date must agree."""
    day = D("2026-11-02")
    case_no, _ = accepted_case(db, carol, joint=(), today=day)
    stored = dict(db.execute("SELECT item, due_date FROM tasks WHERE due_date IS NOT NULL").fetchall())
    data = show(db, carol, case_no, today=day)
    shown = {t["item"]: t["clock"]["due_date"] for t in data["tasks"] if t["clock"]}
    # Task clocks start on the day the use-case was recorded for, like their due dates.
    assert shown == stored


# -- list filters ------------------------------------------------------------------------


@pytest.fixture
def three_cases(db, carol):
    a, _ = accepted_case(db, carol, seq=11, name="张三", joint=("medical",), today=D("2026-11-02"))
    b = open_case(db, carol, seq=13, name="李四", today=D("2026-11-04"))
    c = open_case(db, carol, seq=15, name="张伟", received=["id_card_hukou"], today=D("2026-11-06"))
    intake.request_correction(db, carol, c, today=D("2026-11-06"))
    return a, b, c


def test_list_by_status(db, carol, three_cases) -> None:
    a, b, c = three_cases
    rows = list_cases(db, carol, build_filter(), today=TODAY)
    assert [r["case_no"] for r in rows] == [c, b, a]  # newest first
    assert [r["case_no"] for r in list_cases(db, carol, build_filter(statuses=["draft"]), today=TODAY)] == [b]
    both = list_cases(db, carol, build_filter(statuses=["accepted", "awaiting_correction"]), today=TODAY)
    assert {r["case_no"] for r in both} == {a, c}
    assert case_queries.count(db, build_filter(statuses=["draft"])) == 1


def test_list_by_department(db, carol, three_cases) -> None:
    a, _, _ = three_cases
    assert [r["case_no"] for r in list_cases(db, carol, build_filter(department="medical"), today=TODAY)] == [a]
    assert [r["case_no"] for r in list_cases(db, carol, build_filter(department="housing_fund"), today=TODAY)] == []
    row = list_cases(db, carol, build_filter(department="hrss"), today=TODAY)[0]
    # the most urgent state shows: HRSS has open tasks (card, approval); medical waits for the approval
    assert row["progress"] == {"hrss": "open", "medical": "waiting"}


def test_list_by_received_range(db, carol, three_cases) -> None:
    a, b, c = three_cases
    got = lambda **kw: [r["case_no"] for r in list_cases(db, carol, build_filter(**kw), today=TODAY)]  # noqa: E731
    assert got(received_from="2026-11-04") == [c, b]
    assert got(received_to="2026-11-04") == [b, a]
    assert got(received_from="2026-11-03", received_to="2026-11-05") == [b]
    assert got(received_from="2026-11-02", received_to="2026-11-02") == [a]


def test_list_masks_id_numbers(db, carol, three_cases) -> None:
    row = list_cases(db, carol, build_filter(statuses=["draft"]), today=TODAY, masked=True)[0]
    assert row["id_number"].startswith("150222") and "*" in row["id_number"]
    assert row["id_number"] != id_number(13)


@pytest.mark.parametrize(
    "text, names",
    [
        ("zs", ["张三"]),
        ("ZS", ["张三"]),
        ("张", ["张伟", "张三"]),
        ("张三", ["张三"]),
        ("李", ["李四"]),
        ("zw", ["张伟"]),
        ("z", ["张伟", "张三"]),
        ("xyz", []),
    ],
)
def test_search_by_name_and_pinyin(db, carol, three_cases, text, names) -> None:
    rows = list_cases(db, carol, build_filter(text=text), today=TODAY)
    assert [r["name"] for r in rows] == names


def test_search_by_case_number_and_id_number(db, carol, three_cases) -> None:
    a, b, c = three_cases
    find = lambda text: [r["case_no"] for r in list_cases(db, carol, build_filter(text=text), today=TODAY)]  # noqa: E731
    assert find(b) == [b]
    assert find(b.lower()) == [b]
    assert find(id_number(15)) == [c]
    assert find(id_number(13)[:14]) == [c, b, a]  # same place and birth date: all three
    assert find(id_number(13)[-6:]) == [b]
    assert case_queries.count(db, build_filter(text="zs")) == 1


def test_search_id_with_x_check_digit(db, carol) -> None:
    seq = next(s for s in range(11, 999, 2) if id_number(s).endswith("X"))
    case = intake.open_case(db, carol, applicant(seq, "王五"), today=TODAY)
    number = id_number(seq)
    found = list_cases(db, carol, build_filter(text=number.lower()), today=TODAY)
    assert [r["case_no"] for r in found] == [case["case_no"]]
