"""Validation across rows: references, duplicates, the person's sex, one open case per person."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from db.connection import open_database
from fixtures import generate as gen
from tests.test_import_cli import count, init_db, invoke


@pytest.fixture
def app(env: dict[str, str], cli_app: Any) -> Any:
    init_db(env)
    return cli_app


def _report(app: Any, kind: str, path: Path, text: str, *extra: str) -> dict[str, Any]:
    path.write_text(text, encoding="utf-8")
    result = invoke(app, "import", kind, str(path), "--json", *extra)
    assert result.exit_code in (0, 2), result.output
    return json.loads(result.stdout)


def _errors(report: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(e["line"], e["field"], e["code"]) for e in report["errors"]]


def test_references_resolved_from_the_same_file(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    """A row carrying the name defines the person; rows before and after it may refer to them."""
    new, other = gen.id_number(500), gen.id_number(501)
    text = ("id_number,name,from_month,to_month,kind\n"
            f"{new},,1990-01,1990-12,actual\n"
            f"{new},{gen.name(500)},1991-01,1991-12,actual\n"
            f"{new},,1992-01,1992-12,actual\n"
            f"{other},,1990-01,1990-12,actual\n"
            f"{other},,1991-01,1991-12,actual\n")
    report = _report(app, "contributions", tmp_path / "c.csv", text)
    assert _errors(report) == [(5, "id_number", "importer.row.unknown_person"), (6, "id_number", "importer.row.unknown_person")]
    report = _report(app, "contributions", tmp_path / "c.csv", text, "--skip-invalid")
    assert report["tables"]["persons"]["inserted"] == 1
    assert report["tables"]["contribution_periods"]["inserted"] == 3
    db = open_database(Path(env["RETIRE_DB"]))
    sex, birth, initials = db.execute("SELECT sex, birth_date_id, name_initials FROM persons WHERE id_number = ?", [new]).fetchone()
    db.close()
    assert (sex, birth) == (gen.person_row(500)["sex"], f"{new[6:10]}-{new[10:12]}-{new[12:14]}") and initials


def test_names_must_agree_within_the_file_and_with_the_register(app: Any, tmp_path: Path) -> None:
    invoke(app, "import", "persons", "-", input=f"id_number,name\n{gen.id_number(1)},{gen.name(1)}\n")
    text = ("id_number,name,from_month,to_month,kind\n"
            f"{gen.id_number(1)},{gen.name(1)},1990-01,1990-12,actual\n"
            f"{gen.id_number(1)},王二麻,1991-01,1991-12,actual\n"
            f"{gen.id_number(2)},张三,1990-01,1990-12,actual\n"
            f"{gen.id_number(2)},李四,1991-01,1991-12,actual\n")
    report = _report(app, "contributions", tmp_path / "c.csv", text)
    assert _errors(report) == [(3, "name", "importer.row.name_conflict"), (5, "name", "importer.row.name_conflict")]
    assert report["errors"][0]["params"] == {"other": gen.name(1), "first": 2}


def test_duplicates_name_the_first_line(app: Any, tmp_path: Path) -> None:
    invoke(app, "import", "persons", "-", input=f"id_number,name\n{gen.id_number(1)},{gen.name(1)}\n")
    row = f"{gen.id_number(1)},1990-01,1990-12,actual"
    text = f"id_number,from_month,to_month,kind\n{row}\n{gen.id_number(1)},1991-01,1991-12,actual\n{row}\n" \
           f"{gen.id_number(1)},1990年1月,1990年12月,实际缴费\n"
    report = _report(app, "contributions", tmp_path / "c.csv", text)
    assert _errors(report) == [(4, "from_month", "importer.row.duplicate"), (5, "from_month", "importer.row.duplicate")]
    assert [e["params"]["first"] for e in report["errors"]] == [2, 2]
    report = _report(app, "persons", tmp_path / "p.csv",
                     f"id_number,name\n{gen.id_number(3)},A\n{gen.id_number(4)},B\n{gen.id_number(3)},A\n")
    assert _errors(report) == [(4, "id_number", "importer.row.duplicate")]


def test_every_bad_cell_of_a_row_is_listed(app: Any, tmp_path: Path) -> None:
    man = next(gen.id_number(i) for i in range(100) if int(gen.id_number(i)[16]) % 2)
    text = ("id_number,name,sex,staff_category,female_group,phone,employer_code,archive_lost\n"
            f"{man},A,女,boss,female55,12,91150222MA0000000X,maybe\n"
            f"150222196606150010,B,,,,,,\n"
            f"15022219660615,C,,,,,,\n")
    report = _report(app, "persons", tmp_path / "p.csv", text)
    assert _errors(report) == [
        (2, "sex", "importer.row.sex_mismatch"), (2, "staff_category", "importer.value.bad_code"),
        (2, "female_group", "importer.row.female_group_for_man"), (2, "phone", "importer.value.bad_phone"),
        (2, "employer_code", "importer.value.bad_credit_code"), (2, "archive_lost", "importer.value.bad_bool"),
        (3, "id_number", "rules.id.checksum"), (4, "id_number", "rules.id.length"),
    ]


def test_employers_from_the_register_or_named_in_the_file(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    known, named, unknown = gen.credit_code(1), gen.credit_code(2), gen.credit_code(3)
    invoke(app, "import", "employers", "-", input=f"统一社会信用代码,单位名称\n{known},甲公司\n")
    text = ("id_number,name,employer_code,employer_name\n"
            f"{gen.id_number(1)},A,{known},\n"
            f"{gen.id_number(2)},B,{named},\n"
            f"{gen.id_number(3)},C,{named},乙公司\n"
            f"{gen.id_number(4)},D,{unknown},\n")
    report = _report(app, "persons", tmp_path / "p.csv", text)
    assert _errors(report) == [(5, "employer_code", "importer.row.unknown_employer")]
    report = _report(app, "persons", tmp_path / "p.csv", text, "--skip-invalid")
    assert report["tables"]["employers"]["inserted"] == 1 and report["tables"]["persons"]["inserted"] == 3
    assert count(Path(env["RETIRE_DB"]), "employers") == 2


def test_periods_must_not_run_backwards(app: Any, tmp_path: Path) -> None:
    text = f"id_number,name,from_month,to_month,kind\n{gen.id_number(1)},A,1990-05,1990-04,actual\n"
    report = _report(app, "contributions", tmp_path / "c.csv", text)
    assert _errors(report) == [(2, "to_month", "importer.row.reversed")]


def test_archive_records(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    text = ("身份证号码,姓名,材料类型,形成日期,记载出生日期,是否涂改,涂改已核实\n"
            f"{gen.id_number(1)},{gen.name(1)},招工登记表,1982年9月1日,1966.06.15,否,\n"
            f"{gen.id_number(1)},,学籍档案,1975-09-01,19660615,是,是\n"
            f"{gen.id_number(1)},,school_record,1975.09.01,1966-06-15,,\n"
            f"{gen.id_number(1)},,diary,1975-02-30,,,是\n")
    report = _report(app, "archive", tmp_path / "a.csv", text)
    assert _errors(report) == [(4, "doc_kind", "importer.row.duplicate"), (5, "doc_kind", "importer.value.bad_code"),
                               (5, "doc_date", "importer.value.impossible_date")]
    report = _report(app, "archive", tmp_path / "a.csv", text, "--skip-invalid")
    assert report["tables"]["archive_records"] == {"inserted": 2, "updated": 0, "unchanged": 0}
    report = _report(app, "archive", tmp_path / "a.csv", text, "--skip-invalid")
    assert report["changed"] == 0
    db = open_database(Path(env["RETIRE_DB"]))
    rows = db.execute("SELECT doc_kind, doc_date, birth_date_recorded, altered, altered_confirmed FROM archive_records ORDER BY id").fetchall()
    db.close()
    assert rows == [("recruitment_form", "1982-09-01", "1966-06-15", 0, 0), ("school_record", "1975-09-01", "1966-06-15", 1, 1)]


def test_cases(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    text = ("办件编号,身份证号码,姓名,办件类型,办件状态,联办事项,收件时间\n"
            f"gy-2025-900,{gen.id_number(1)},{gen.name(1)},正常退休,待受理,医保、公积金,2025-03-02 09:30\n"
            f"GY-2025-000901,{gen.id_number(1)},,normal,accepted,,2025-03-03\n"
            f"GY-2025-000902,{gen.id_number(2)},{gen.name(2)},illness,待受理,,2025年1月5日\n"
            f"GY-2025-000902,{gen.id_number(2)},,illness,completed,,2025-01-05\n")
    report = _report(app, "cases", tmp_path / "k.csv", text)
    # a new case is imported as a draft only (tests/test_import_hostile.py: the workflow's statuses)
    assert _errors(report) == [(3, "case_no", "importer.row.second_open_case"), (3, "status", "importer.row.status_new_case"),
                               (5, "case_no", "importer.row.duplicate")]
    report = _report(app, "cases", tmp_path / "k.csv", text, "--skip-invalid")
    assert report["tables"]["cases"]["inserted"] == 2
    path = Path(env["RETIRE_DB"])
    db = open_database(path)
    row = db.execute("SELECT case_no, status, joint_items, received_at, due_date FROM cases ORDER BY id").fetchone()
    last = db.execute("SELECT last FROM case_counters WHERE prefix = 'GY' AND year = 2025").fetchone()
    db.close()
    assert row[:4] == ("GY-2025-000900", "draft", '["housing_fund", "medical"]', "2025-03-02T09:30:00")
    assert row[4] is not None  # an open case gets its statutory due date
    assert last == (902,)  # the next case opened at the window will not reuse an imported number
    other = _report(app, "cases", tmp_path / "k2.csv",
                    f"case_no,id_number,name,status,received_at\nGY-2025-000900,{gen.id_number(3)},{gen.name(3)},draft,2025-03-02\n")
    assert [e["code"] for e in other["errors"]] == ["importer.row.case_other_person"]
