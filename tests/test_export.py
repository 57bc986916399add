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
from tests.test_import_cli import add_staff, audit_rows, invoke


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
    assert entry["actor"] in ("sue", "root for sue")  # tests run RETIRE_LOGIN=sue as root: the audit names both
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


# --- safe cells: a formula stored by SQL leaves as text ------------------------------

FORMULA = '=HYPERLINK("http://x")'


def _set_name(path: Path, id_number: str, name: str) -> None:
    """Store ``name`` by SQL, around the intake's text policy (as an insider with sqlite3 would)."""
    import sqlite3

    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE persons SET name = ? WHERE id_number = ?", (name, id_number))
    conn.close()


def test_formula_name_is_exported_as_text_in_csv(loaded: dict[str, Any]) -> None:
    app, path, tmp = loaded["app"], loaded["db"], loaded["dir"]
    _set_name(path, gen.id_number(0), FORMULA)
    _set_name(path, gen.id_number(1), "+cmd|' /C calc'!A0")
    _set_name(path, gen.id_number(2), "@SUM(1+1)")
    out = tmp / "cases.csv"
    result = invoke(app, "export", "cases", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    names = {r[0]: r[1] for r in rows[1:]}
    assert names["GY-2026-000001"] == "'" + FORMULA
    assert names["GY-2026-000002"] == "'+cmd|' /C calc'!A0"
    assert names["GY-2026-000003"] == "'@SUM(1+1)"
    # numbers stay numbers: the days-left column is never quoted, even when negative
    days = [r[9] for r in rows[1:] if r[9]]
    assert days and all(not d.startswith("'") and int(d) == int(d) for d in days)
    assert any(d.startswith("-") for d in days), days  # an overdue case: a negative number, left as it is
    numbers = {r[9] for r in rows[1:]} | {r[16] for r in rows[1:]}
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row if cell not in numbers)
    # standard output is neutralised the same way
    piped = invoke(app, "export", "cases", "--status", "draft")
    assert next(csv.DictReader(io.StringIO(piped.stdout)))["name"] == "'" + FORMULA


def test_formula_name_is_a_string_cell_in_xlsx(loaded: dict[str, Any]) -> None:
    import zipfile

    from openpyxl import load_workbook

    app, path, tmp = loaded["app"], loaded["db"], loaded["dir"]
    _set_name(path, gen.id_number(0), FORMULA)
    _set_name(path, gen.id_number(1), "-2+3")
    out = tmp / "cases.xlsx"
    assert invoke(app, "export", "cases", "--format", "xlsx", "--out", str(out)).exit_code == 0
    with zipfile.ZipFile(out) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        xml = "".join(book.read(n).decode("utf-8") for n in sheets)
    assert "<f>" not in xml and "<f " not in xml  # no formula element anywhere
    assert "HYPERLINK" in xml
    rows = list(load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[1][1] == FORMULA and rows[2][1] == "-2+3"  # the text as stored, no quote needed


def test_raw_keeps_formulas_and_is_audited(loaded: dict[str, Any]) -> None:
    import zipfile

    app, path, tmp = loaded["app"], loaded["db"], loaded["dir"]
    _set_name(path, gen.id_number(0), FORMULA)
    assert audit_rows(path, "export.") == []
    out = tmp / "raw.csv"
    result = invoke(app, "export", "cases", "--out", str(out), "--raw", "--status", "draft")
    assert result.exit_code == 0, result.output
    assert "--raw" in result.stderr and "formula" in result.stderr  # the clerk is told what it means
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[1][1] == FORMULA
    entries = audit_rows(path, "export.")
    assert [e["action"] for e in entries] == ["export.raw"]
    assert entries[0]["detail"]["out"] == str(out.resolve()) and entries[0]["detail"]["filters"]["statuses"] == ["draft"]
    book = tmp / "raw.xlsx"
    assert invoke(app, "export", "cases", "--format", "xlsx", "--out", str(book), "--raw").exit_code == 0
    with zipfile.ZipFile(book) as z:
        assert "<f>" in z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert [e["action"] for e in audit_rows(path, "export.")] == ["export.raw", "export.raw"]


def test_control_characters_stored_by_sql_do_not_reach_csv_or_xlsx(loaded: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    app, path, tmp = loaded["app"], loaded["db"], loaded["dir"]
    _set_name(path, gen.id_number(0), "\x1b]0;pwned\x07王芳\x1b[2J")
    result = invoke(app, "export", "cases", "--status", "draft")
    assert result.exit_code == 0 and "\x1b" not in result.stdout
    assert next(csv.DictReader(io.StringIO(result.stdout)))["name"] == "]0;pwned王芳[2J"
    out = tmp / "c.xlsx"
    assert invoke(app, "export", "cases", "--format", "xlsx", "--out", str(out)).exit_code == 0, "an XLSX cannot hold ESC: it must not crash"
    rows = list(load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[1][1] == "]0;pwned王芳[2J"
    # JSON Lines keeps the stored text, escaped by JSON
    lines = invoke(app, "export", "cases", "--format", "jsonl", "--status", "draft").stdout
    assert "\x1b" not in lines and "\\u001b" in lines
    assert json.loads(lines.splitlines()[0])["name"] == "\x1b]0;pwned\x07王芳\x1b[2J"
