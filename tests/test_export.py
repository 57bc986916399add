"""``retire export``: masked by default, unmasked only for supervisors/admins and audited; pipes and files."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from console.rules.idcard import mask_id
from fixtures import generate as gen
from tests.test_import_cli import add_staff, audit_rows, init_db, invoke


@pytest.fixture
def loaded(env: dict[str, str], cli_app: Any, tmp_path: Path) -> dict[str, Any]:
    path = init_db(env)
    persons = "id_number,name,bank_card\n" + "".join(f"{gen.id_number(i)},{gen.name(i)},62284800{i:011d}\n" for i in range(4))
    assert invoke(cli_app, "import", "persons", "-", input=persons).exit_code == 0
    periods = "id_number,from_month,to_month,kind\n" + "".join(
        f"{gen.id_number(i)},199{i}-01,199{i}-12,actual\n" for i in range(4))
    assert invoke(cli_app, "import", "contributions", "-", input=periods).exit_code == 0
    cases = ("case_no,id_number,status,received_at\n"
             f"GY-2026-000001,{gen.id_number(0)},draft,2026-03-02\n"
             f"GY-2026-000002,{gen.id_number(1)},completed,2026-03-05\n"
             f"GY-2026-000003,{gen.id_number(2)},accepted,2026-04-01\n")
    assert invoke(cli_app, "import", "cases", "-", input=cases).exit_code == 0
    return {"db": path, "app": cli_app, "dir": tmp_path}


def test_masked_by_default_to_stdout_without_bom(loaded: dict[str, Any]) -> None:
    result = invoke(loaded["app"], "export", "persons")
    assert result.exit_code == 0, result.output
    assert not result.stdout.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id_number"] for r in rows] == [mask_id(gen.id_number(i)) for i in range(4)]
    assert rows[0]["id_number"].startswith(gen.id_number(0)[:6] + "********")
    assert rows[1]["bank_card"].endswith("0001") and rows[1]["bank_card"].startswith("*")
    assert audit_rows(loaded["db"], "export.") == []


def test_unmasked_needs_a_supervisor_and_is_audited(loaded: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    app, path = loaded["app"], loaded["db"]
    add_staff(path, "carl", "clerk")
    add_staff(path, "sue", "supervisor")
    monkeypatch.setenv("RETIRE_LOGIN", "carl")
    refused = invoke(app, "export", "cases", "--unmasked")
    assert refused.exit_code == 1 and "supervisor" in refused.stderr
    assert audit_rows(path, "export.") == []
    monkeypatch.setenv("RETIRE_LOGIN", "sue")
    result = invoke(app, "export", "cases", "--unmasked", "--format", "jsonl", "--status", "draft", "--status", "accepted")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["case_no"] for r in rows] == ["GY-2026-000001", "GY-2026-000003"]
    assert rows[0]["id_number"] == gen.id_number(0)
    entry = audit_rows(path, "export.unmasked")[-1]
    assert entry["actor"] == "sue"
    assert entry["detail"]["kind"] == "cases" and entry["detail"]["filters"]["statuses"] == ["draft", "accepted"]


def test_csv_file_has_bom_and_bilingual_header_and_round_trips(loaded: dict[str, Any]) -> None:
    app, tmp = loaded["app"], loaded["dir"]
    out = tmp / "periods.csv"
    result = invoke(app, "export", "contributions", "--out", str(out), "--unmasked")
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("身份证号码(id_number),姓名(name),起始年月(from_month)")
    again = json.loads(invoke(app, "import", "contributions", str(out), "--json").stdout)
    assert again["written"] and again["changed"] == 0


def test_filters_like_case_list(loaded: dict[str, Any]) -> None:
    app = loaded["app"]
    result = invoke(app, "export", "cases", "--from", "2026-03-03", "--to", "2026-03-31")
    assert [r["case_no"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["GY-2026-000002"]
    persons = invoke(app, "export", "persons", "--status", "completed")
    assert len(list(csv.DictReader(io.StringIO(persons.stdout)))) == 1
    assert invoke(app, "export", "cases", "--status", "lost").exit_code == 2
    assert invoke(app, "export", "cases", "--from", "2026-13-01").exit_code == 2


def test_xlsx_export(loaded: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    app, tmp = loaded["app"], loaded["dir"]
    out = tmp / "cases.xlsx"
    assert invoke(app, "export", "cases", "--format", "xlsx", "--out", str(out)).exit_code == 0
    book = load_workbook(out, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert rows[0][0] == "办件编号(case_no)" and len(rows) == 4
    assert rows[1][2] == mask_id(gen.id_number(0))
    assert invoke(app, "export", "cases", "--format", "xlsx").exit_code == 2
    tasks = invoke(app, "export", "tasks", "--format", "jsonl")
    assert tasks.exit_code == 0
