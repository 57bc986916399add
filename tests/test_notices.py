"""Notices and forms as documents (issue #6): content, numbering, byte-for-byte reprints, templates, CLI."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from docx import Document
from docx.oxml.ns import qn
from typer.testing import CliRunner

from console import i18n
from console.cli_support import OPTIONS
from console.errors import BadInput, Refused
from console.i18n import t
from console.rules.idcard import make_id
from console.services import intake, notices, prereview
from console.services.identity import Actor
from console.services.intake import Applicant
from db import notices as notices_db
from db import staff as staff_db
from db.case_numbers import case_id_by_no
from db.connection import open_database, transaction
from db.schema import migrate

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 2)  # a man born 1966-06-15 retires 2026-11 (60y5m): he may apply now
BORN = date(1966, 6, 15)
ARCHIVE = [
    {"doc_kind": "school_record", "doc_date": "1980-09-01", "birth_date_recorded": "1966-06-15"},
    {"doc_kind": "recruitment_form", "doc_date": "1985-01-01", "birth_date_recorded": "1966-06-15"},
]
PERIODS = [
    {"from": "1985-01", "to": "1995-12", "kind": "deemed", "place": "固阳县"},
    {"from": "1996-01", "to": "2026-10", "kind": "actual", "place": "固阳县"},
]
SHORT_PERIODS = [  # 10 years in the county, 8 more outside: short, transfer needed
    {"from": "2016-11", "to": "2026-10", "kind": "actual", "place": "固阳县"},
    {"from": "2008-01", "to": "2015-12", "kind": "actual", "place": "北京市"},
]
ALL_MATERIALS = ["id_card_hukou", "personal_archive", "ssc_card"]


@pytest.fixture(autouse=True)
def _zh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETIRE_LANG", "zh")
    monkeypatch.delenv("RETIRE_TEMPLATES", raising=False)
    from console import i18n

    monkeypatch.setattr(i18n, "_current", None)


@pytest.fixture
def clerk(staff: Any) -> Actor:
    return staff("clerk", "clerk")


@pytest.fixture
def reviewer(staff: Any) -> Actor:
    return staff("rev", "hrss_reviewer", name="李审核")


def new_case(db: sqlite_utils.Database, clerk: Actor, seq: int = 11, name: str = "张建国", born: date = BORN,
             received: list[str] | None = None, periods: list[dict[str, str]] | None = None, joint: tuple[str, ...] = ("medical", "housing_fund")) -> str:
    applicant = Applicant(id_number=make_id("150222", born, seq), name=name, phone="13800000000", address="固阳县金山镇1号",
                          bank_card="6222020200000000001")
    case = intake.open_case(db, clerk, applicant, "normal", list(joint), ALL_MATERIALS if received is None else received, today=TODAY)
    archive = [{**r, "birth_date_recorded": born.isoformat()} for r in ARCHIVE]
    prereview.record(db, clerk, case["case_no"], archive, periods or PERIODS, today=TODAY)
    return str(case["case_no"])


def accepted_case(db: sqlite_utils.Database, clerk: Actor, reviewer: Actor, **kw: Any) -> str:
    case_no = new_case(db, clerk, **kw)
    prereview.confirm(db, reviewer, case_no)
    intake.accept_case(db, clerk, case_no, today=TODAY)
    return case_no


def docx_text(path_or_bytes: Path | bytes) -> tuple[list[str], list[list[list[str]]]]:
    """(paragraph texts, tables as rows of cell texts) of a DOCX."""
    import io

    doc = Document(io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes))
    paras = [p.text for p in doc.paragraphs]
    tables = [[[c.text for c in row.cells] for row in table.rows] for table in doc.tables]
    return paras, tables


def all_text(paras: list[str], tables: list[list[list[str]]]) -> str:
    return "\n".join(paras + ["\t".join(r) for tbl in tables for r in tbl])


# ---------------------------------------------------------------- content

def test_acceptance_notice_docx(db: sqlite_utils.Database, clerk: Actor, reviewer: Actor, tmp_path: Path) -> None:
    case_no = accepted_case(db, clerk, reviewer)
    path = notices.write_docx(db, clerk, case_no, "acceptance", tmp_path / "a.docx", lang="zh")
    paras, tables = docx_text(path)
    number = next(n["number"] for n in notices.list_notices(db, clerk, case_no) if n["kind"] == "acceptance")
    assert re.fullmatch(r"固人社受〔2026〕\d+号", number)
    assert "退休“一件事”受理通知单" in paras
    assert number in paras
    text = all_text(paras, tables)
    assert "张建国" in text and case_no in text
    items = [row[1] for row in tables[0][1:]]
    assert items == [t("items.hrss.card", "zh"), t("items.hrss.approval", "zh"), t("items.hrss.benefit", "zh"),
                     t("items.hrss.social_management", "zh"), t("joint_items.medical", "zh"), t("joint_items.housing_fund", "zh")]
    case = intake.load_case(db, case_no)
    due = date.fromisoformat(case["due_date"])
    assert f"{due.year}年{due.month}月{due.day}日" in text
    assert "20个工作日" in text and "快递送达" in text and "0472-8121234" in text
    assert paras[-1] == "2026年11月2日" and paras[-2] == "固阳县人力资源和社会保障局（印章）"

    doc = Document(str(path))
    section = doc.sections[0]
    assert abs(section.page_width.cm - 21.0) < 0.01 and abs(section.page_height.cm - 29.7) < 0.01
    assert abs(section.left_margin.cm - 2.5) < 0.01
    title = next(p for p in doc.paragraphs if p.text == "退休“一件事”受理通知单")
    run = title.runs[0]
    assert run.bold and run.font.size.pt >= 18
    assert run._element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    assert title.alignment == 1  # centred


def test_correction_notice_lists_exactly_what_the_rules_found(db: sqlite_utils.Database, clerk: Actor, tmp_path: Path) -> None:
    case_no = new_case(db, clerk, received=["id_card_hukou"], periods=SHORT_PERIODS)
    case = intake.load_case(db, case_no)
    _, _, expected_assessment = intake.assessment_for(db, case, TODAY)
    expected = [f for f in expected_assessment.findings if f.severity in ("unmet", "missing")]
    assert {f.severity for f in expected} == {"unmet", "missing"}

    decision = intake.request_correction(db, clerk, case_no, today=TODAY)
    paras, tables = docx_text(notices.docx_bytes(db, clerk, case_no, "correction", lang="zh"))
    assert "退休“一件事”一次性告知书" in paras and decision.notice_number in paras
    rows = tables[0][1:]
    assert [r[2] for r in rows] == [t(f.code, "zh", **f.params) for f in expected]
    assert [r[3] for r in rows] == [f.source or "—" for f in expected]
    assert [r[1] for r in rows] == [t(f"notices.severity.{f.severity}", "zh") for f in expected]
    text = all_text(paras, tables)
    assert "恢复计算" in text and "综合柜员制" in text  # the clock restarts; where to bring them
    body = notices.render_text(db, clerk, case_no, "correction", lang="zh")
    for f in expected:
        assert t(f.code, "zh", **f.params)[:8] in body.replace("\n", "").replace(" ", "")


def test_refusal_notice_gives_reasons_and_remedies(db: sqlite_utils.Database, clerk: Actor, tmp_path: Path) -> None:
    case_no = new_case(db, clerk, born=date(1970, 3, 1), seq=13, name="王五")
    intake.refuse_case(db, clerk, case_no, reason="未达到退休年龄", today=TODAY)
    paras, tables = docx_text(notices.docx_bytes(db, clerk, case_no, "refusal", lang="zh"))
    text = all_text(paras, tables)
    assert "退休“一件事”不予受理通知书" in paras and "王五" in text
    assert any("退休时间为" in r[1] for r in tables[0][1:])
    assert "审查意见：未达到退休年龄" in text
    assert "行政复议" in text and "六十日" in text and "行政诉讼" in text and "六个月" in text
    assert "《中华人民共和国行政复议法》" in text and "《中华人民共和国行政诉讼法》" in text
    en = " ".join(notices.render_text(db, clerk, case_no, "refusal", lang="en").split())
    assert "administrative review" in en and "60 days" in en and "6 months" in en


def test_body_is_stored_at_issue_time(db: sqlite_utils.Database, clerk: Actor, reviewer: Actor) -> None:
    case_no = accepted_case(db, clerk, reviewer)
    row = notices_db.for_case(db, case_id_by_no(db, case_no))[0]
    assert row["body"] and "受理通知单" in row["body"] and row["number"] in row["body"]
    assert set(row["data"]["document"]) == {"zh", "en"}
    assert row["data"]["subject"]["person"]["name"] == "张建国"
    assert notices.render_text(db, clerk, case_no, "acceptance", lang="zh") == row["body"]


def test_forms_are_issued_once_on_demand(db: sqlite_utils.Database, clerk: Actor, reviewer: Actor, staff: Any) -> None:
    case_no = new_case(db, clerk)
    with pytest.raises(Refused):  # not accepted yet
        notices.render_text(db, clerk, case_no, "joint-form")
    prereview.confirm(db, reviewer, case_no)
    intake.accept_case(db, clerk, case_no, today=TODAY)

    first = notices.render_text(db, clerk, case_no, "joint-form", lang="zh")
    again = notices.render_text(db, clerk, case_no, "joint_form", lang="zh")
    assert first == again
    forms = [n for n in notices.list_notices(db, clerk, case_no) if n["kind"] == "joint_form"]
    assert len(forms) == 1 and re.fullmatch(r"固联办〔\d{4}〕\d+号", forms[0]["number"])
    for needle in ("张建国", make_id("150222", BORN, 11), "13800000000", "6222020200000000001", "1966年6月15日",
                   t("joint_items.medical", "zh"), t("joint_items.housing_fund", "zh"), "李审核"):
        assert needle in first.replace("\n", "").replace(" ", "") or needle in first, needle
    notices.render_text(db, clerk, case_no, "joint-form", reissue=True)
    forms = [n for n in notices.list_notices(db, clerk, case_no) if n["kind"] == "joint_form"]
    assert len(forms) == 2 and forms[0]["number"] != forms[1]["number"]
    assert notices.render_text(db, clerk, case_no, "joint-form", number=forms[0]["number"], lang="zh") == first

    paras, tables = docx_text(notices.docx_bytes(db, clerk, case_no, "approval-form", lang="zh"))
    text = all_text(paras, tables)
    facts = notices.get_notice(db, clerk, case_no, "approval_form")["data"]["facts"]
    for reason in facts["reasons"].values():
        if reason["source"]:
            assert reason["source"] in text
    assert "企业职工基本养老保险退休审批表" in paras and "尚未测算" in text
    with pytest.raises(Refused):  # decision notices are not re-issued on demand
        notices.render_text(db, clerk, case_no, "acceptance", reissue=True)


def test_an_admin_may_reprint_but_not_issue(db: sqlite_utils.Database, clerk: Actor, reviewer: Actor, staff: Any) -> None:
    case_no = accepted_case(db, clerk, reviewer)
    admin = staff("boss", "admin")
    from console.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        notices.render_text(db, admin, case_no, "approval-form")
    notices.render_text(db, clerk, case_no, "approval-form")
    assert "退休审批表" in notices.render_text(db, admin, case_no, "approval-form")


def test_english_documents(db: sqlite_utils.Database, clerk: Actor, reviewer: Actor) -> None:
    case_no = accepted_case(db, clerk, reviewer)
    paras, tables = docx_text(notices.docx_bytes(db, clerk, case_no, "acceptance", lang="en"))
    assert "Acceptance Notice (retirement one-window service)" in paras
    assert "Guyang County Human Resources and Social Security Bureau (seal)" in paras
    assert "张建国" in all_text(paras, tables)


# ---------------------------------------------------------------- reprints

def test_reprint_is_byte_for_byte(db: sqlite_utils.Database, clerk: Actor, reviewer: Actor, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    case_no = accepted_case(db, clerk, reviewer)
    kinds = ("acceptance", "joint_form", "approval_form")
    first = {k: notices.docx_bytes(db, clerk, case_no, k, lang="zh") for k in kinds}
    texts = {k: notices.render_text(db, clerk, case_no, k, lang="en") for k in kinds}
    time.sleep(1.1)  # the zip and the core properties would show a new wall-clock time
    for k in kinds:
        assert notices.docx_bytes(db, clerk, case_no, k, lang="zh") == first[k]
        assert notices.render_text(db, clerk, case_no, k, lang="en") == texts[k]
    core = zipfile.ZipFile(__import__("io").BytesIO(first["acceptance"])).read("docProps/core.xml").decode()
    issued_at = notices.get_notice(db, clerk, case_no, "acceptance")["issued_at"]
    doc = Document(__import__("io").BytesIO(first["acceptance"]))
    assert doc.core_properties.created == doc.core_properties.modified
    assert "python-docx" not in core

    # a template edited afterwards changes new notices, never a reprint
    override = tmp_path / "tpl"
    override.mkdir()
    shipped = (ROOT / "console" / "templates" / "joint_form.toml").read_text(encoding="utf-8")
    (override / "joint_form.toml").write_text(shipped.replace('title = "联办一张表"', 'title = "联办一张表（修订）"'), encoding="utf-8")
    monkeypatch.setenv("RETIRE_TEMPLATES", str(override))
    for k in kinds:
        assert notices.docx_bytes(db, clerk, case_no, k, lang="zh") == first[k]
    new_text = notices.render_text(db, clerk, case_no, "joint_form", reissue=True, lang="zh")
    assert "联办一张表（修订）" in new_text
    assert issued_at


# ---------------------------------------------------------------- templates

def test_broken_template_is_one_clear_error(db: sqlite_utils.Database, clerk: Actor, reviewer: Actor, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    case_no = accepted_case(db, clerk, reviewer)
    override = tmp_path / "tpl"
    override.mkdir()
    monkeypatch.setenv("RETIRE_TEMPLATES", str(override))
    bad = override / "joint_form.toml"
    bad.write_text('[zh\ntitle = "x"\n', encoding="utf-8")
    with pytest.raises(BadInput) as err:
        notices.render_text(db, clerk, case_no, "joint-form")
    assert str(bad) in err.value.text() and "TOML" in err.value.text()

    shipped = (ROOT / "console" / "templates" / "joint_form.toml").read_text(encoding="utf-8")
    bad.write_text(shipped.replace("{person.name}", "{person.nmae}", 1), encoding="utf-8")
    with pytest.raises(BadInput) as err:
        notices.render_text(db, clerk, case_no, "joint-form")
    assert str(bad) in err.value.text() and "{person.nmae}" in err.value.text()
    assert not [n for n in notices.list_notices(db, clerk, case_no) if n["kind"] == "joint_form"]  # rolled back

    bad.write_text(shipped.replace('title = "Joint-handling Form"', 'title = "Joint {form"'), encoding="utf-8")
    with pytest.raises(BadInput) as err:
        notices.render_text(db, clerk, case_no, "joint-form")
    assert "en.title" in err.value.text()

    monkeypatch.setenv("RETIRE_TEMPLATES", str(tmp_path / "nowhere"))
    with pytest.raises(BadInput) as err:
        notices.render_text(db, clerk, case_no, "joint-form")
    assert "nowhere" in err.value.text()


def test_every_shipped_template_loads() -> None:
    from console.documents.template import load_template

    for kind in notices.KINDS:
        load_template(ROOT / "console" / "templates" / f"{kind}.toml", ("zh", "en"))


# ---------------------------------------------------------------- numbering under concurrency

WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from console.services import notices
    from console.services.identity import resolve_actor
    from db.connection import open_database
    db = open_database(Path(sys.argv[1]), create=False)
    actor = resolve_actor(db, sys.argv[4])
    start = float(sys.argv[3])
    while time.time() < start:
        time.sleep(0.005)
    for _ in range(50):
        notices.issue_document(db, actor, sys.argv[2], "joint_form", reissue=True)
        time.sleep(0.002)  # let the other window in (SQLite's busy wait is not fair to a tight loop)
    db.close()
""")


def test_numbers_never_repeat_under_concurrent_issue(db: sqlite_utils.Database, db_path: Path, clerk: Actor, reviewer: Actor,
                                                     staff: Any) -> None:
    case_no = accepted_case(db, clerk, reviewer)
    staff("clerk2", "clerk")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETIRE_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    start = str(time.time() + 2.0)
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(db_path), case_no, start, login], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for login in ("clerk", "clerk2")]
    for p in procs:
        _, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
    rows = [r for r in notices_db.for_case(db, case_id_by_no(db, case_no)) if r["kind"] == "joint_form"]
    numbers = [r["number"] for r in rows]
    assert len(numbers) == 100 and len(set(numbers)) == 100
    seqs = sorted(int(re.search(r"〕(\d+)号", n).group(1)) for n in numbers)  # type: ignore[union-attr]
    assert seqs == list(range(seqs[0], seqs[0] + 100))
    assert all(r["body"] and r["number"] in r["body"] for r in rows)
    assert sorted(r["issued_by"] for r in rows) == ["clerk"] * 50 + ["clerk2"] * 50


# ---------------------------------------------------------------- CLI

def _cli_db(path: Path) -> None:
    database = open_database(path)
    migrate(database)
    with transaction(database):
        staff_db.insert(database, "alice", "Alice", ["clerk"])
        staff_db.insert(database, "rev", "李审核", ["hrss_reviewer"])
    from console.services.identity import resolve_actor

    clerk, rev = resolve_actor(database, "alice"), resolve_actor(database, "rev")
    accepted_case(database, clerk, rev)
    case_no = new_case(database, clerk, seq=13, name="王五", born=date(1970, 3, 1))
    intake.refuse_case(database, clerk, case_no, reason="未达到退休年龄", today=TODAY)
    case_no = new_case(database, clerk, seq=15, name="赵六", received=["id_card_hukou"])
    intake.request_correction(database, clerk, case_no, today=TODAY)
    database.close()


def test_cli_prints_every_notice_in_both_formats(cli_app: Any, env: dict[str, str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _cli_db(Path(env["RETIRE_DB"]))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    cases = {"acceptance": "GY-2026-000001", "joint-form": "GY-2026-000001", "approval-form": "GY-2026-000001",
             "refusal": "GY-2026-000002", "correction": "GY-2026-000003"}
    titles = {"acceptance": "受理通知单", "joint-form": "联办一张表", "approval-form": "退休审批表",
              "refusal": "不予受理通知书", "correction": "一次性告知书"}
    english = {"acceptance": "Acceptance Notice", "joint-form": "Joint-handling Form", "approval-form": "Retirement Approval Form",
               "refusal": "Refusal Notice", "correction": "One-time Correction Notice"}
    for kind, case_no in cases.items():
        r = runner.invoke(cli_app, ["notice", case_no, "--kind", kind, "--format", "txt", "--lang", "zh"])
        assert r.exit_code == 0, (r.stdout, r.stderr)
        assert titles[kind] in r.stdout
        r = runner.invoke(cli_app, ["notice", case_no, "--kind", kind, "--format", "txt"])  # $RETIRE_LANG=en
        assert r.exit_code == 0 and english[kind] in r.stdout, (r.stdout, r.stderr)
        r = runner.invoke(cli_app, ["notice", case_no, "--kind", kind, "--format", "docx"])
        assert r.exit_code == 0, (r.stdout, r.stderr)
        path = Path(r.stdout.strip())
        assert path == tmp_path / f"{case_no}-{kind}.docx" and path.exists()
        assert any(english[kind] in p for p in docx_text(path)[0])
        out = tmp_path / f"{kind}.docx"
        r = runner.invoke(cli_app, ["notice", case_no, "--kind", kind, "--format", "docx", "--out", str(out), "--lang", "zh"])
        assert r.exit_code == 0 and r.stdout.strip() == str(out)
        assert any(titles[kind] in p for p in docx_text(out)[0])
        r = runner.invoke(cli_app, ["--lang", "zh", "notice", case_no, "--kind", kind, "--format", "docx", "--out", str(out) + "2"])
        assert r.exit_code == 0 and Path(str(out) + "2").read_bytes() == out.read_bytes()
        monkeypatch.setattr(i18n, "_current", None)  # the global --lang is process-wide: undo it
        monkeypatch.setattr(OPTIONS, "lang", None)
    r = runner.invoke(cli_app, ["notice", "list", "GY-2026-000001", "--json"])
    assert r.exit_code == 0
    import json

    listed = json.loads(r.stdout)
    assert [n["kind"] for n in listed] == ["acceptance", "joint_form", "approval_form"]
    r = runner.invoke(cli_app, ["notice", "list", "GY-2026-000001"])
    assert r.exit_code == 0 and "固人社受〔2026〕1号" in r.stdout


def test_cli_errors(cli_app: Any, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _cli_db(Path(env["RETIRE_DB"]))
    runner = CliRunner()
    r = runner.invoke(cli_app, ["notice", "GY-2026-000001", "--kind", "memo"])
    assert r.exit_code == 2 and "memo" in r.stderr
    r = runner.invoke(cli_app, ["notice", "GY-2026-000002", "--kind", "acceptance"])
    assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "approval_form.toml").write_text("oops = [", encoding="utf-8")
    monkeypatch.setenv("RETIRE_TEMPLATES", str(tmp_path / "tpl"))
    r = runner.invoke(cli_app, ["notice", "GY-2026-000001", "--kind", "approval-form", "--reissue"])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "approval_form.toml" in lines[0] and "Traceback" not in r.stderr


def test_correction_before_prereview_lists_what_to_bring_first_and_says_the_rest_is_the_windows(
        db: sqlite_utils.Database, clerk: Actor) -> None:
    """Issue 14: a notice issued before the pre-review lists the papers the applicant must bring first;
    the conditions the window checks itself at pre-review come last, and the notice says they need nothing
    from the applicant."""
    applicant = Applicant(id_number=make_id("150222", BORN, 21), name="周明", phone="13800000000",
                          address="固阳县金山镇1号", bank_card="6222020200000000001")
    case = intake.open_case(db, clerk, applicant, "normal", [], ["id_card_hukou"], today=TODAY)
    intake.request_correction(db, clerk, case["case_no"], today=TODAY)
    paras, tables = docx_text(notices.docx_bytes(db, clerk, case["case_no"], "correction", lang="zh"))
    kinds = [r[1] for r in tables[0][1:]]
    to_check = t("notices.severity.to_check", "zh")
    assert to_check in kinds and kinds[0] != to_check
    assert kinds == sorted(kinds, key=lambda k: k == to_check)  # every to-check row after every other row
    assert any("由窗口在档案初审时核实，您无需另行提供" in p for p in paras)
