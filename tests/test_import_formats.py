"""Files as they reach the hall: GB18030 and BOM CSV, Excel with Chinese headers, JSON Lines."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from fixtures import generate as gen
from tests.test_import_cli import count, init_db, invoke


def _persons_csv(rows: int) -> str:
    lines = ["身份证号码,姓名,性别,人员身份,联系地址"]
    for i in range(rows):
        p = gen.person_row(i)
        lines.append(f"{p['id_number']},{p['name']},{'男' if p['sex'] == 'M' else '女'},干部,固阳县金山镇{i}号")
    return "\n".join(lines) + "\n"


def _names(path: Path) -> list[str]:
    from db.connection import open_database

    db = open_database(path)
    try:
        return [r[0] for r in db.execute("SELECT name FROM persons ORDER BY id").fetchall()]
    finally:
        db.close()


def test_gb18030_csv_is_detected(env: dict[str, str], cli_app: Any, tmp_path: Path) -> None:
    path = init_db(env)
    source = tmp_path / "persons-gbk.csv"
    source.write_bytes(_persons_csv(30).encode("gb18030"))
    result = invoke(cli_app, "import", "persons", str(source), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["encoding"] == "gb18030"
    assert _names(path)[:3] == [gen.name(0), gen.name(1), gen.name(2)]


def test_gbk_text_after_a_megabyte_of_ascii(env: dict[str, str], cli_app: Any, tmp_path: Path) -> None:
    """The sniffed sample looks like UTF-8: a GBK byte later is an error naming its line, never a silent
    re-decoding of the whole file; with --encoding gb18030 the same file imports."""
    path = init_db(env)
    lines = ["id_number,name,address"]
    lines += [f"{gen.id_number(i)},N{i},{'x' * 60}" for i in range(16000)]
    lines.append(f"{gen.id_number(16000)},{gen.name(16000)},固阳县")
    source = tmp_path / "late-gbk.csv"
    source.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    assert source.stat().st_size > 1 << 20
    result = invoke(cli_app, "import", "persons", str(source), "--json")
    assert result.exit_code == 2, result.output
    assert "Line 16002" in result.stderr and "utf-8" in result.stderr and "Traceback" not in result.output
    assert count(path, "persons") == 0
    result = invoke(cli_app, "import", "persons", str(source), "--json", "--encoding", "gb18030")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["encoding"] == "gb18030" and report["encoding_source"] == "given"
    assert _names(path)[-1] == gen.name(16000)


def test_utf8_with_bom(env: dict[str, str], cli_app: Any, tmp_path: Path) -> None:
    path = init_db(env)
    source = tmp_path / "persons-bom.csv"
    source.write_bytes(b"\xef\xbb\xbf" + _persons_csv(5).encode("utf-8"))
    result = invoke(cli_app, "import", "persons", str(source), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["encoding"] == "utf-8-sig"
    assert count(path, "persons") == 5


def test_xlsx_with_chinese_headers_and_excel_cells(env: dict[str, str], cli_app: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook

    path = init_db(env)
    assert invoke(cli_app, "import", "persons", "-", input=_persons_csv(3)).exit_code == 0
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号码", "起始年月", "终止年月", "缴费类型", "缴费地", "缴费基数"])
    sheet.append([gen.id_number(0), datetime(1985, 7, 1), "1990年6月", "实际缴费", "固阳县", 3500])
    sheet.append([gen.id_number(1), "１９８０－０１", 198512, "视同缴费", None, None])
    sheet.append([None, None, None, None, None, None])  # Excel's trailing blank rows
    sheet.append([gen.id_number(2), "1980.01", "1980.12", "deemed", " ", "2000.5"])
    source = tmp_path / "periods.xlsx"
    book.save(source)
    result = invoke(cli_app, "import", "contributions", str(source), "--json")
    assert result.exit_code == 0, result.output
    from db.connection import open_database

    db = open_database(path)
    rows = db.execute("SELECT from_month, to_month, kind, place, base FROM contribution_periods ORDER BY id").fetchall()
    db.close()
    assert rows == [("1985-07", "1990-06", "actual", "固阳县", "3500.00"), ("1980-01", "1985-12", "deemed", None, None),
                    ("1980-01", "1980-12", "deemed", None, "2000.50")]


def test_xlsx_bad_rows_name_excel_row_numbers(env: dict[str, str], cli_app: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook

    init_db(env)
    book = Workbook()
    sheet = book.active
    sheet.append(["*身份证号码(id_number)", "*姓名(name)"])
    sheet.append([gen.id_number(0), gen.name(0)])
    sheet.append([int(gen.id_number(1)[:17]) * 10, gen.name(1)])  # Excel turned it into a number: checksum gone
    source = tmp_path / "p.xlsx"
    book.save(source)
    report = json.loads(invoke(cli_app, "import", "persons", str(source), "--json").stdout)
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(3, "*身份证号码(id_number)")]


def test_json_lines(env: dict[str, str], cli_app: Any, tmp_path: Path) -> None:
    path = init_db(env)
    lines = [json.dumps({"id_number": gen.id_number(i), "姓名": gen.name(i), "archive_lost": i == 1}, ensure_ascii=False)
             for i in range(3)]
    lines.insert(1, "")
    lines.append("{not json")
    lines.append(json.dumps({"id_number": gen.id_number(9), "name": "X", "colour": "red"}))
    source = tmp_path / "p.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = json.loads(invoke(cli_app, "import", "persons", str(source), "--json").stdout)
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(5, "importer.row.bad_json"), (6, "importer.row.unknown_key")]
    result = invoke(cli_app, "import", "persons", str(source), "--skip-invalid")
    assert result.exit_code == 0
    assert count(path, "persons") == 3
    assert (tmp_path / "p.jsonl.rejects.csv").exists()
