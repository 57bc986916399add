"""``retire import`` from the shell: all-or-nothing, --skip-invalid, --dry-run, re-import, roles.

The headline contract of issue #4: a file with 3 bad rows among 10,000
writes nothing, exits 2 and names the 3 rows; with --skip-invalid it writes
9,997 and a rejects file of 3.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from db import staff as staff_db
from db.connection import open_database, transaction
from fixtures import generate as gen

runner = CliRunner()


# --- helpers (imported by the other test_import_* files) ---------------------------

def init_db(env: dict[str, str]) -> Path:
    """The env database, initialised: alice (RETIRE_LOGIN) is its admin."""
    from console.services.staff import init_database

    path = Path(env["RETIRE_DB"])
    init_database(path)
    return path


def add_staff(path: Path, login: str, *roles: str) -> None:
    db = open_database(path)
    try:
        with transaction(db):
            staff_db.insert(db, login, login.title(), list(roles))
    finally:
        db.close()


def count(path: Path, table: str) -> int:
    db = open_database(path)
    try:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        db.close()


def audit_rows(path: Path, action_prefix: str) -> list[dict[str, Any]]:
    db = open_database(path)
    try:
        rows = db.execute("SELECT action, actor, detail FROM audit WHERE action LIKE ? ORDER BY id", [action_prefix + "%"]).fetchall()
        return [{"action": a, "actor": b, "detail": json.loads(c) if c else None} for a, b, c in rows]
    finally:
        db.close()


def write_file(path: Path, kind: str, rows: int, **kwargs: Any) -> Path:
    with path.open("w", encoding=kwargs.pop("encoding", "utf-8"), newline="") as fh:
        gen.write(kind, rows, fh, **kwargs)
    return path


def invoke(app: Any, *args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


@pytest.fixture
def ready(env: dict[str, str], cli_app: Any, tmp_path: Path) -> dict[str, Any]:
    """An initialised database holding 2,000 persons (and their employers), and their files."""
    path = init_db(env)
    employers = write_file(tmp_path / "employers.csv", "employers", gen.EMPLOYERS)
    persons = write_file(tmp_path / "persons.csv", "persons", 2000)
    assert invoke(cli_app, "import", "employers", str(employers)).exit_code == 0
    result = invoke(cli_app, "import", "persons", str(persons))
    assert result.exit_code == 0, result.output
    return {"db": path, "app": cli_app, "dir": tmp_path, "persons": persons}


# --- the headline test ------------------------------------------------------------

def test_three_bad_rows_among_10000_write_nothing_then_skip_invalid_writes_9997(ready: dict[str, Any]) -> None:
    app, path, tmp = ready["app"], ready["db"], ready["dir"]
    good = write_file(tmp / "good.csv", "contributions", 10_000)
    with good.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    # data row k is file line k + 1 (the header is line 1)
    rows[100][1] = "1985-13"            # line 101: no such month
    rows[5000][0] = rows[5000][0][:-1] + ("0" if rows[5000][0][-1] != "0" else "1")  # line 5001: checksum
    rows[9000][3] = "paid"              # line 9001: unknown kind
    bad = tmp / "contributions.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    before = count(path, "contribution_periods")
    audits = len(audit_rows(path, "import."))

    result = invoke(app, "import", "contributions", str(bad))
    assert result.exit_code == 2, result.output
    for line in ("101", "5001", "9001"):
        assert any(row.split()[0] == line for row in result.stdout.splitlines() if row.strip()), (line, result.stdout)
    assert "3 of 10000 rows are bad" in result.stderr
    assert count(path, "contribution_periods") == before
    assert len(audit_rows(path, "import.")) == audits

    report = json.loads(invoke(app, "import", "contributions", str(bad), "--json").stdout)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(101, "from_month"), (5001, "id_number"), (9001, "kind")]
    assert report["errors"][1]["code"] == "rules.id.checksum"

    result = invoke(app, "import", "contributions", str(bad), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert count(path, "contribution_periods") == before + 9997
    rejects = tmp / "contributions.csv.rejects.csv"
    assert rejects.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    with rejects.open(encoding="utf-8-sig", newline="") as fh:
        rejected = list(csv.DictReader(fh))
    assert [r["行号(line)"] for r in rejected] == ["101", "5001", "9001"]
    assert all(r["错误原因(reason)"] for r in rejected)
    assert rejected[0]["from_month"] == "1985-13"
    entry = audit_rows(path, "import.contributions")[-1]
    assert entry["actor"] == "alice"
    assert entry["detail"]["rejected"] == 3 and entry["detail"]["valid"] == 9997
    assert entry["detail"]["tables"]["contribution_periods"]["inserted"] == 9997
    assert len(entry["detail"]["sha256"]) == 64 and entry["detail"]["file"].endswith("contributions.csv")


def test_corrected_rejects_file_imports_as_it_is(ready: dict[str, Any]) -> None:
    """The rejects file keeps the input's header plus line/reason columns, which an import ignores."""
    app, path, tmp = ready["app"], ready["db"], ready["dir"]
    source = write_file(tmp / "c.csv", "contributions", 50)
    with source.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[10][2] = "1900-00"
    with source.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert invoke(app, "import", "contributions", str(source), "--skip-invalid").exit_code == 0
    rejects = tmp / "c.csv.rejects.csv"
    text = rejects.read_text(encoding="utf-8-sig").replace("1900-00", "2030-01")
    rejects.write_text(text, encoding="utf-8-sig")
    result = invoke(app, "import", "contributions", str(rejects))
    assert result.exit_code == 0, result.output
    assert count(path, "contribution_periods") == 50


def test_reimport_is_a_no_op(ready: dict[str, Any]) -> None:
    app, path, tmp = ready["app"], ready["db"], ready["dir"]
    source = write_file(tmp / "c.csv", "contributions", 3000)
    first = json.loads(invoke(app, "import", "contributions", str(source), "--json").stdout)
    assert first["tables"]["contribution_periods"]["inserted"] == 3000
    again = invoke(app, "import", "contributions", str(source), "--json")
    assert again.exit_code == 0
    report = json.loads(again.stdout)
    assert report["changed"] == 0
    assert report["tables"]["contribution_periods"] == {"inserted": 0, "updated": 0, "unchanged": 3000}
    assert count(path, "contribution_periods") == 3000
    assert audit_rows(path, "import.contributions")[-1]["detail"]["changed"] == 0
    persons = json.loads(invoke(app, "import", "persons", str(ready["persons"]), "--json").stdout)
    assert persons["changed"] == 0 and persons["tables"]["persons"]["unchanged"] == 2000


def test_a_changed_cell_is_an_update_and_an_empty_cell_keeps_the_value(ready: dict[str, Any]) -> None:
    app, path, tmp = ready["app"], ready["db"], ready["dir"]
    source = tmp / "p.csv"
    source.write_text(
        "id_number,name,phone,address\n"
        f"{gen.id_number(0)},{gen.name(0)},13900000000,\n", encoding="utf-8")
    report = json.loads(invoke(app, "import", "persons", str(source), "--json").stdout)
    assert report["tables"]["persons"] == {"inserted": 0, "updated": 1, "unchanged": 0}
    db = open_database(path)
    phone, address, version = db.execute(
        "SELECT phone, address, version FROM persons WHERE id_number = ?", [gen.id_number(0)]).fetchone()
    db.close()
    assert phone == "13900000000" and address == gen.person_row(0)["address"] and version == 2


def test_dry_run_writes_nothing(ready: dict[str, Any]) -> None:
    app, path, tmp = ready["app"], ready["db"], ready["dir"]
    source = write_file(tmp / "c.csv", "contributions", 500)
    audits = len(audit_rows(path, ""))
    result = invoke(app, "import", "contributions", str(source), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run" in result.stderr
    assert count(path, "contribution_periods") == 0
    assert len(audit_rows(path, "")) == audits
    with source.open("a", encoding="utf-8") as fh:
        fh.write(f"{gen.id_number(1)},2001-01,2000-12,actual,,,\n")
    result = invoke(app, "import", "contributions", str(source), "--dry-run", "--skip-invalid")
    assert result.exit_code == 0
    assert not (tmp / "c.csv.rejects.csv").exists()
    assert invoke(app, "import", "contributions", str(source), "--dry-run").exit_code == 2
    assert count(path, "contribution_periods") == 0


def test_standard_input_and_json_report(ready: dict[str, Any]) -> None:
    app, path, tmp = ready["app"], ready["db"], ready["dir"]
    source = write_file(tmp / "c.csv", "contributions", 20)
    result = invoke(app, "import", "contributions", "-", "--json", input=source.read_text(encoding="utf-8"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["file"] == "<stdin>" and report["rows"] == 20 and report["written"]
    assert count(path, "contribution_periods") == 20


def test_roles_unknown_login_and_bad_kind(ready: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    app, path, tmp = ready["app"], ready["db"], ready["dir"]
    source = write_file(tmp / "c.csv", "contributions", 5)
    add_staff(path, "mei", "medical")
    add_staff(path, "carl", "clerk")
    monkeypatch.setenv("RETIRE_LOGIN", "mei")
    result = invoke(app, "import", "contributions", str(source))
    assert result.exit_code == 1 and "clerk" in result.stderr
    monkeypatch.setenv("RETIRE_LOGIN", "carl")
    assert invoke(app, "import", "contributions", str(source)).exit_code == 0
    assert audit_rows(path, "import.contributions")[-1]["actor"] == "carl"
    monkeypatch.setenv("RETIRE_LOGIN", "nobody")
    assert invoke(app, "import", "contributions", str(source)).exit_code == 1
    missing = invoke(app, "import", "contributions", str(tmp / "missing.csv"))
    assert missing.exit_code in (1, 2)


def test_wrong_columns_are_named_at_once(ready: dict[str, Any]) -> None:
    app, tmp = ready["app"], ready["dir"]
    source = tmp / "c.csv"
    source.write_text("身份证号码,起始年月,结束时候,缴费类型,颜色\n", encoding="utf-8")
    result = invoke(app, "import", "contributions", str(source))
    assert result.exit_code == 2
    assert "结束时候" in result.stderr and "颜色" in result.stderr and "to_month" in result.stderr


def test_templates(env: dict[str, str], cli_app: Any, tmp_path: Path) -> None:
    init_db(env)
    result = invoke(cli_app, "import", "template", "contributions")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("*身份证号码(id_number),姓名(name),*起始年月(from_month)")
    out = tmp_path / "t.csv"
    assert invoke(cli_app, "import", "template", "persons", "--out", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf*\xe8")
    xlsx = tmp_path / "t.xlsx"
    assert invoke(cli_app, "import", "template", "cases", "--format", "xlsx", "--out", str(xlsx)).exit_code == 0
    from openpyxl import load_workbook

    book = load_workbook(xlsx, read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert header[0] == "*办件编号(case_no)" and len(book.sheetnames) == 2
    book.close()
    assert invoke(cli_app, "import", "template", "cases", "--format", "xlsx").exit_code == 2
    # a filled-in template imports
    filled = tmp_path / "filled.csv"
    filled.write_text(out.read_text(encoding="utf-8-sig") + f"{gen.id_number(7)},{gen.name(7)}\n", encoding="utf-8-sig")
    assert invoke(cli_app, "import", "persons", str(filled)).exit_code == 0


def test_rejects_file_cells_never_run_as_formulas(ready: dict[str, Any]) -> None:
    """A rejects file is opened in a spreadsheet to be fixed: a rejected =HYPERLINK must stay text there."""
    app, tmp = ready["app"], ready["dir"]
    source = tmp / "p.csv"
    source.write_text('id_number,name\n150222196606151230,"=HYPERLINK(""http://x"")"\n'
                      f"{gen.id_number(1)},@SUM(A1)\n", encoding="utf-8")
    result = invoke(app, "import", "persons", str(source), "--skip-invalid")
    assert result.exit_code == 0, result.output
    with (tmp / "p.csv.rejects.csv").open(encoding="utf-8-sig", newline="") as fh:
        rejected = list(csv.DictReader(fh))
    assert [r["name"] for r in rejected] == ["'=HYPERLINK(\"http://x\")"]
