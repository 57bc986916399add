"""好差评: a rating per finished case, the follow-up a bad one opens, the device import, the figures."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from console.errors import BadInput, PermissionDenied, Refused
from console.services import ratings, stats, tasks
from console.services.importing import run as importer
from db.clock import simulated
from tests.workflow_helpers import TODAY, accepted_case, audit_actions, task_ids


def _complete(db: Any, actor: Any, case_no: str) -> None:
    ids = task_ids(db, case_no)
    for item in ("hrss.card", "hrss.approval", "hrss.benefit", "hrss.social_management"):
        tasks.claim(db, actor, ids[item])
        tasks.complete(db, actor, ids[item], "ok", today=TODAY)


@pytest.fixture
def carol(staff: Any) -> Any:
    return staff("carol", "clerk", "hrss_reviewer")


@pytest.fixture
def boss(staff: Any) -> Any:
    return staff("boss", "supervisor")


@pytest.fixture
def finished(db: Any, carol: Any) -> list[str]:
    """Three completed cases (HRSS tasks only) and one still in progress, last."""
    out = []
    for seq in (11, 13, 15):
        case_no, _ = accepted_case(db, carol, seq=seq, joint=())
        _complete(db, carol, case_no)
        out.append(case_no)
    running, _ = accepted_case(db, carol, seq=17, joint=())
    out.append(running)
    return out


def test_a_level_2_rating_opens_a_followup_due_in_15_working_days(db: Any, carol: Any, boss: Any, finished: list[str]) -> None:
    with simulated() as clock:
        clock[0] = datetime(2026, 12, 1, 10, 0).astimezone()  # a Tuesday; no holiday before the 22nd
        rating = ratings.add(db, carol, finished[0], "2", "window", "等了很久")
    follow = rating["followup"]
    assert follow["status"] == "open"
    assert follow["opened_on"] == "2026-12-01" and follow["due_date"] == "2026-12-22"
    assert [f["case_no"] for f in ratings.followups(db, boss)] == [finished[0]]
    assert ratings.followups(db, boss, today=date(2026, 12, 1))[0]["days_left"] == 15
    assert ratings.followups(db, boss, today=date(2026, 12, 23))[0]["days_left"] == -1  # overdue from the day after
    assert audit_actions(db, finished[0])[-2:] == ["rating.add", "rating.followup_open"]
    # closing needs the callback first, then the remedy
    with pytest.raises(Refused):
        ratings.close(db, boss, follow["id"], "窗口增设引导")
    ratings.callback(db, boss, follow["id"], "申请人说排队太久")
    closed = ratings.close(db, boss, follow["id"], "窗口增设引导员")
    assert closed["status"] == "closed" and closed["remedy"] == "窗口增设引导员"
    assert ratings.followups(db, boss) == []
    with pytest.raises(PermissionDenied):
        ratings.followups(db, carol)


def test_good_ratings_open_nothing_and_a_case_is_rated_once_and_only_when_finished(db: Any, carol: Any, boss: Any,
                                                                                   finished: list[str]) -> None:
    assert ratings.add(db, carol, finished[0], 5)["followup"] is None
    with pytest.raises(Refused):
        ratings.add(db, carol, finished[0], 4, "phone")
    with pytest.raises(Refused):
        ratings.add(db, carol, finished[3], 4)  # still in progress
    with pytest.raises(BadInput):
        ratings.add(db, carol, finished[1], 6)
    with pytest.raises(BadInput):
        ratings.add(db, carol, finished[1], 3, "fax")
    assert ratings.followups(db, boss, include_closed=True) == []


def test_the_dashboard_figure_agrees_with_the_ratings(db: Any, carol: Any, boss: Any, finished: list[str]) -> None:
    for case_no, level in zip(finished[:3], (5, 4, 1), strict=True):
        ratings.add(db, carol, case_no, level)
    figures = stats.dashboard(db, boss).ratings
    assert figures is not None
    assert (figures.total.ratings, figures.total.satisfied, figures.total.bad_open, figures.bad_closed) == (3, 2, 1, 0)
    assert figures.total.rate == pytest.approx(2 / 3)
    assert figures.by_department["hrss"].ratings == 3 and "medical" not in figures.by_department
    month = figures.by_month[-1][1]
    assert (month.ratings, month.satisfied, month.bad, month.bad_open) == (3, 2, 1, 1)


RATED_BY = date(2026, 11, 25)
"""The day the device files are imported: after the ratings they hold."""


def _device_csv(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    lines = ["办件编号,评价时间,评价等级,评价意见"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_device_csv_with_one_bad_row_imports_nothing(db: Any, carol: Any, boss: Any, finished: list[str], tmp_path: Path) -> None:
    good = [(finished[0], "2026-11-20 09:15:00", "5", "很好"), (finished[1], "2026-11-20 10:02:00", "不满意", "")]
    bad_file = _device_csv(tmp_path / "bad.csv", [*good, (finished[3], "2026-11-20 11:00:00", "4", "")])
    report = importer.run_import(db, boss, "ratings", bad_file, today=RATED_BY)
    assert not report.written and report.invalid == 1
    assert report.errors[0]["line"] == 4 and report.errors[0]["field"] == "case_no"
    assert db.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM rating_followups").fetchone()[0] == 0
    # the corrected file imports, the 不满意 row opens its follow-up, and a second run changes nothing
    ok_file = _device_csv(tmp_path / "ok.csv", good)
    report = importer.run_import(db, boss, "ratings", ok_file, today=RATED_BY)
    assert report.written and report.tables["ratings"]["inserted"] == 2
    [follow] = ratings.followups(db, boss)
    assert follow["case_no"] == finished[1] and follow["channel"] == "device" and follow["opened_on"] == "2026-11-20"
    again = importer.run_import(db, boss, "ratings", ok_file, today=RATED_BY)
    assert again.written and again.changed == 0 and len(ratings.followups(db, boss)) == 1
    # a different rating for a rated case is a bad row
    clash = _device_csv(tmp_path / "clash.csv", [(finished[0], "2026-11-21 09:00:00", "1", "")])
    assert importer.run_import(db, boss, "ratings", clash, today=RATED_BY).invalid == 1
    # a device whose clock runs ahead: the row is named, nothing written
    ahead = _device_csv(tmp_path / "ahead.csv", [(finished[2], "2026-11-26 09:00:00", "5", "")])
    report = importer.run_import(db, boss, "ratings", ahead, today=RATED_BY)
    assert not report.written and report.errors[0]["field"] == "rated_at"


def test_cli_rating_add_followups_and_stats_json(db: Any, carol: Any, boss: Any, finished: list[str], db_path: Path,
                                                 cli_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETIRE_DB", str(db_path))
    monkeypatch.setenv("RETIRE_LANG", "en")
    runner = CliRunner()
    monkeypatch.setenv("RETIRE_LOGIN", "carol")
    result = runner.invoke(cli_app, ["rating", "add", finished[0], "--level", "1", "--comment", "rude"])
    assert result.exit_code == 0, result.output
    assert "follow-up #1" in result.output
    assert runner.invoke(cli_app, ["rating", "add", finished[0], "--level", "5"]).exit_code == 1
    assert runner.invoke(cli_app, ["rating", "add", finished[1], "--level", "9"]).exit_code == 2
    assert runner.invoke(cli_app, ["rating", "followups"]).exit_code == 1  # a clerk is not the supervisor
    monkeypatch.setenv("RETIRE_LOGIN", "boss")
    listed = runner.invoke(cli_app, ["rating", "followups", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output)[0]["case_no"] == finished[0]
    assert runner.invoke(cli_app, ["rating", "close", "1", "--remedy", "x"]).exit_code == 1
    assert runner.invoke(cli_app, ["rating", "callback", "1", "--note", "called"]).exit_code == 0
    assert runner.invoke(cli_app, ["rating", "close", "1", "--remedy", "apologised"]).exit_code == 0
    figures = json.loads(runner.invoke(cli_app, ["stats", "--json"]).output)["ratings"]
    assert figures["ratings"] == 1 and figures["satisfaction_rate"] == 0 and figures["bad_closed"] == 1
    assert figures["bad_open"] == 0
