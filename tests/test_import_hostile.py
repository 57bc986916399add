"""Hostile import files (issue 12): every bad file is one line and exit 2, or a bad row; nothing changed.

Each case the issue lists as a crash or a silent loss is a test here, run
through the real CLI on real files and a real SQLite database:

* encodings: a UTF-8 roster with one GBK row after the first megabyte exits 2
  naming the line and the byte offset, and the database is unchanged (it was
  re-decoded as GB18030 and imported, 吴静 turned into 鍚撮潤 for everyone);
* limits: a CSV field over 131,072 characters, a JSON Lines line with a
  5,000-digit integer, 100,000 nested brackets or a lone ``\\ud800``, wrong
  JSON types (an object or a number for a name) are bad rows; an XLSX with
  broken sheet XML or an entity bomb, and a 1.5 MB zip bomb (refused from its
  zip directory before openpyxl opens it) are one line, exit 2;
* normalisation: ID numbers and dates in Arabic-Indic digits are refused,
  full-width ones are stored as ASCII (one person, one number); a control
  character in a name is a bad row;
* workflow: an imported case starts as a draft, a registered case keeps its
  status; counts are the rows the import changed, not what triggers did;
* leftovers: a killed run's temporary rejects files are removed by the next.
"""
from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from db.connection import open_database
from fixtures import generate as gen
from tests.test_import_cli import audit_rows, count, init_db, invoke

ROOT = Path(__file__).resolve().parents[1]
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@pytest.fixture
def app(env: dict[str, str], cli_app: Any) -> Any:
    init_db(env)
    return cli_app


def _db(env: dict[str, str]) -> Path:
    return Path(env["RETIRE_DB"])


def _snapshot(path: Path) -> dict[str, Any]:
    """Everything an import could have changed: the rows of its tables and the audit log."""
    db = open_database(path)
    try:
        out = {table: db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
               for table in ("persons", "employers", "cases", "archive_records", "contribution_periods", "audit")}
        out["integrity"] = db.execute("PRAGMA integrity_check").fetchone()[0]
        return out
    finally:
        db.close()


def _one_line_exit_2(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _json_report(app: Any, kind: str, path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = invoke(app, "import", kind, str(path), "--json", *extra)
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def _codes(report: dict[str, Any]) -> list[tuple[int, str]]:
    return [(e["line"], e["code"]) for e in report["errors"]]


def _persons_header() -> str:
    return "id_number,name,address\n"


def _person_line(i: int, name: str | None = None, address: str = "固阳县金山镇") -> str:
    return f"{gen.id_number(i)},{name or gen.name(i)},{address}\n"


# --- encodings ----------------------------------------------------------------------------

def _gbk_roster(tmp_path: Path) -> tuple[Path, int, int]:
    """A UTF-8 roster of 16,000 people whose row 16,002 alone is GBK: (file, that line, its byte offset)."""
    head = _persons_header() + "".join(_person_line(i, address=f"固阳县金山镇{i}号院{'x' * 20}") for i in range(16_000))
    body = head.encode("utf-8")
    assert len(body) > 1 << 20  # past the sniffed sample
    bad = _person_line(16_000, "吴静").encode("gbk")
    offset = len(body) + bad.index("吴静".encode("gbk"))
    source = tmp_path / "roster.csv"
    source.write_bytes(body + bad + _person_line(16_001).encode("utf-8"))
    return source, 16_002, offset


def test_gbk_row_in_a_utf8_roster_exits_2_naming_the_line_and_changes_nothing(app: Any, env: dict[str, str],
                                                                             tmp_path: Path) -> None:
    existing = tmp_path / "existing.csv"
    existing.write_text(_persons_header() + "".join(_person_line(i) for i in range(3)), encoding="utf-8")
    assert invoke(app, "import", "persons", str(existing)).exit_code == 0
    before = _snapshot(_db(env))
    source, line, offset = _gbk_roster(tmp_path)

    message = _one_line_exit_2(invoke(app, "import", "persons", str(source)))
    assert f"Line {line} " in message and f"byte {offset}" in message and "utf-8" in message
    assert _snapshot(_db(env)) == before
    assert "鍚撮潤" not in str(before)

    message = _one_line_exit_2(invoke(app, "--lang", "zh", "import", "persons", str(source), "--json"))
    assert f"第 {line} 行" in message and f"第 {offset} 字节" in message
    assert _snapshot(_db(env)) == before


def test_a_late_undecodable_byte_of_a_given_encoding_also_names_its_place(app: Any, env: dict[str, str],
                                                                          tmp_path: Path) -> None:
    """--encoding gb18030 on a file with a byte GB18030 cannot decode: the same one line, no guessing."""
    body = (_persons_header() + "".join(_person_line(i) for i in range(20))).encode("gb18030")
    source = tmp_path / "g.csv"
    source.write_bytes(body + b"\x81\x20broken\n")
    message = _one_line_exit_2(invoke(app, "import", "persons", str(source), "--encoding", "gb18030"))
    assert "Line 22 " in message and f"byte {len(body)}" in message and "gb18030" in message
    assert count(_db(env), "persons") == 0


def test_the_report_and_the_audit_row_say_which_encoding(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_bytes((_persons_header() + _person_line(1)).encode("gb18030"))
    result = invoke(app, "import", "persons", str(source))
    assert result.exit_code == 0, result.output
    assert "Read as gb18030 (detected" in result.stderr
    code, report = _json_report(app, "persons", source, "--encoding", "GB18030")
    assert code == 0 and report["encoding"] == "gb18030" and report["encoding_source"] == "given"
    detail = audit_rows(_db(env), "import.persons")[0]["detail"]
    assert detail["encoding"] == "gb18030" and detail["encoding_source"] == "detected"
    result = invoke(app, "--lang", "zh", "import", "persons", str(source))
    assert "按 gb18030 编码读取" in result.stderr


# --- CSV limits --------------------------------------------------------------------------

def test_a_csv_field_over_131072_characters_is_a_bad_row(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "big.csv"
    source.write_text(_persons_header() + _person_line(1) + _person_line(2, address="x" * 140_000)
                      + _person_line(3, address="y" * 600) + _person_line(4), encoding="utf-8")
    code, report = _json_report(app, "persons", source)
    assert code == 2
    assert _codes(report) == [(3, "importer.row.field_too_long"), (4, "text.too_long")]
    assert count(_db(env), "persons") == 0
    code, report = _json_report(app, "persons", source, "--skip-invalid")
    assert code == 0 and report["tables"]["persons"]["inserted"] == 2
    rejects = tmp_path / "big.csv.rejects.csv"
    assert rejects.stat().st_size < 10_000  # the over-long field is not copied into the rejects file


def test_a_line_longer_than_line_chars_is_a_bad_row_never_read_whole(app: Any, env: dict[str, str],
                                                                      tmp_path: Path) -> None:
    """2 MB without a newline (or a separator): skipped as it is read, one bad row; the next lines import."""
    source = tmp_path / "long.csv"
    source.write_text(_persons_header() + _person_line(1) + "z" * 2_000_000 + "\n" + _person_line(2), encoding="utf-8")
    code, report = _json_report(app, "persons", source)
    assert code == 2 and _codes(report) == [(3, "importer.row.line_too_long")]
    code, report = _json_report(app, "persons", source, "--skip-invalid")
    assert code == 0 and report["tables"]["persons"]["inserted"] == 2
    header_only = tmp_path / "nolines.csv"
    header_only.write_text("x" * 2_000_000, encoding="utf-8")
    assert "1048576" in _one_line_exit_2(invoke(app, "import", "persons", str(header_only)))


# --- JSON Lines -------------------------------------------------------------------------

def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _person_json(i: int, **extra: Any) -> str:
    return json.dumps({"id_number": gen.id_number(i), "name": gen.name(i), **extra}, ensure_ascii=False)


def test_json_lines_with_a_huge_integer_deep_brackets_and_a_lone_surrogate(app: Any, env: dict[str, str],
                                                                           tmp_path: Path) -> None:
    deep = f'{{"id_number": "{gen.id_number(3)}", "name": "x", "address": {"[" * 100_000}{"]" * 100_000}}}'
    source = _jsonl(tmp_path / "p.jsonl", [
        _person_json(1),
        f'{{"id_number": "{gen.id_number(2)}", "name": "x", "average_index": {"9" * 5000}}}',
        deep,
        f'{{"id_number": "{gen.id_number(4)}", "name": "\\ud800"}}',
        f'{{"id_number": "{gen.id_number(5)}", "name": "x", "account_balance": NaN}}',
        _person_json(6),
    ])
    code, report = _json_report(app, "persons", source)
    assert code == 2
    assert _codes(report) == [(2, "importer.row.number_too_long"), (3, "importer.row.too_deep"),
                              (4, "importer.row.bad_unicode"), (5, "importer.row.bad_number")]
    assert count(_db(env), "persons") == 0
    code, report = _json_report(app, "persons", source, "--skip-invalid")
    assert code == 0 and report["tables"]["persons"]["inserted"] == 2
    assert (tmp_path / "p.jsonl.rejects.csv").read_text(encoding="utf-8-sig").count("\n") == 5


def test_json_values_must_have_their_columns_type(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "t.jsonl", [
        json.dumps({"id_number": gen.id_number(1), "name": {"first": "静", "last": "吴"}}, ensure_ascii=False),
        json.dumps({"id_number": gen.id_number(2), "name": 123}),
        json.dumps({"id_number": int(gen.id_number(3)[:17] + "0"), "name": "x"}),
        json.dumps({"id_number": gen.id_number(4), "name": "x", "archive_lost": True, "average_index": 1.05}),
        json.dumps({"id_number": gen.id_number(5), "name": "x", "phone": ["1", "2"]}),
    ])
    code, report = _json_report(app, "persons", source)
    assert code == 2
    assert _codes(report) == [(1, "importer.row.bad_type"), (2, "importer.row.bad_type"), (3, "importer.row.bad_type"),
                              (5, "importer.row.bad_type")]
    assert report["errors"][0]["column"] == "name" and "object" in report["errors"][0]["reason"]
    assert "integer" in report["errors"][1]["reason"]
    code, report = _json_report(app, "persons", source, "--skip-invalid")
    assert code == 0
    db = open_database(_db(env))
    rows = db.execute("SELECT name, archive_lost, average_index FROM persons").fetchall()
    db.close()
    assert rows == [("x", 1, "1.05")]  # nothing stored as a JSON string in a name


def test_limits_come_from_the_parameters_file(app: Any, env: dict[str, str], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    source = _jsonl(tmp_path / "p.jsonl", [_person_json(1, average_index=1.0235)])
    assert _json_report(app, "persons", source)[0] == 0
    params = tmp_path / "hall-parameters.toml"
    params.write_text('[import]\nstatus = "default"\nvalue = { json_number_chars = 3 }\n', encoding="utf-8")
    monkeypatch.setenv("RETIRE_PARAMETERS", str(params))
    code, report = _json_report(app, "persons", source)
    assert code == 2 and _codes(report) == [(1, "importer.row.number_too_long")]
    params.write_text('[import]\nvalue = { line_chars = 60 }\n', encoding="utf-8")
    longer = _jsonl(tmp_path / "long.jsonl", [_person_json(1, address="固阳县" * 30), _person_json(2)])
    code, report = _json_report(app, "persons", longer)
    assert code == 2 and _codes(report) == [(1, "importer.row.line_too_long")]
    params.write_text('[import]\nvalue = { json_depth = "deep" }\n', encoding="utf-8")
    message = _one_line_exit_2(invoke(app, "import", "persons", str(source)))
    assert "json_depth" in message


# --- XLSX --------------------------------------------------------------------------------

def _workbook_members() -> dict[str, bytes]:
    """The parts of a real one-sheet workbook with a persons header and one row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["id_number", "name"])
    sheet.append([gen.id_number(1), gen.name(1)])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


SHEET = "xl/worksheets/sheet1.xml"
SHEET_NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _xlsx_with_sheet(path: Path, sheet_xml: bytes) -> Path:
    members = _workbook_members()
    members[SHEET] = sheet_xml
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_xlsx_with_broken_sheet_xml_is_one_line(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    broken = _xlsx_with_sheet(tmp_path / "broken.xlsx", b'<?xml version="1.0"?>' + SHEET_NS
                              + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id_number</t></is></c><c')
    message = _one_line_exit_2(invoke(app, "import", "persons", str(broken)))
    assert "not a readable Excel workbook" in message and "unclosed token" in message
    not_zip = tmp_path / "fake.xlsx"
    not_zip.write_bytes(b"PK\x03\x04 not really a zip")
    assert "not a readable Excel workbook" in _one_line_exit_2(invoke(app, "import", "persons", str(not_zip)))
    message = _one_line_exit_2(invoke(app, "--lang", "zh", "import", "persons", str(broken)))
    assert "不是可读取的 Excel 工作簿" in message
    assert count(_db(env), "persons") == 0


def test_an_old_binary_xls_is_one_line_not_read_as_gb18030_text(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    old = tmp_path / "roster.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 40)
    assert ".xlsx" in _one_line_exit_2(invoke(app, "import", "persons", str(old)))
    assert count(_db(env), "persons") == 0


def test_xlsx_entity_expansion_is_refused_by_defusedxml(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML  # openpyxl really parses through defusedxml here
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
           + b"]>" + SHEET_NS + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
           + b"</sheetData></worksheet>")
    bomb = _xlsx_with_sheet(tmp_path / "lol.xlsx", lol)
    message = _one_line_exit_2(invoke(app, "import", "persons", str(bomb)))
    assert "EntitiesForbidden" in message
    assert count(_db(env), "persons") == 0


def test_without_defusedxml_excel_is_not_read(env: dict[str, str], tmp_path: Path) -> None:
    """OPENPYXL_DEFUSEDXML=False turns openpyxl's protection off: the importer refuses, exit 3 (the setup)."""
    init_db(env)
    source = _xlsx_with_sheet(tmp_path / "ok.xlsx", _workbook_members()[SHEET])
    child_env = {**os.environ, **env, "PYTHONPATH": str(ROOT), "OPENPYXL_DEFUSEDXML": "False"}
    code = "import sys; sys.argv[0] = 'retire'; from console.cli import main; main()"
    proc = subprocess.run([sys.executable, "-c", code, "import", "persons", str(source)], capture_output=True,
                          text=True, env=child_env, cwd=ROOT, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "defusedxml" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert count(_db(env), "persons") == 0


def _raw_deflate(data: bytes) -> bytes:
    """``data`` as a byte-aligned, self-contained run of deflate blocks (concatenable)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def _zip_bomb(path: Path, megabytes: int = 1450) -> tuple[int, int]:
    """A workbook whose sheet inflates 1 MiB of 'A' ``megabytes`` times: built from one compressed block.

    Written by hand (local headers, central directory) because no library
    would compress 1.5 GB in a test's time; the CRC is the true one, so it is
    a valid zip that openpyxl would inflate in full.  Returns (file size, the
    sheet's uncompressed size).
    """
    block = b"A" * (1 << 20)
    head = b'<?xml version="1.0"?>' + SHEET_NS + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
    foot = b"</t></is></c></row></sheetData></worksheet>"
    crc = zlib.crc32(head)
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(foot, crc)
    sheet = (_raw_deflate(head) + _raw_deflate(block) * megabytes + _raw_deflate(foot) + b"\x03\x00",
             crc, len(head) + len(block) * megabytes + len(foot))
    members = {name: (_raw_deflate(data) + b"\x03\x00", zlib.crc32(data), len(data))
               for name, data in _workbook_members().items() if name != SHEET}
    members[SHEET] = sheet
    out = io.BytesIO()
    central = io.BytesIO()
    for name, (data, crc32, size) in members.items():
        raw_name = name.encode()
        offset = out.tell()
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc32, len(data), size,
                              len(raw_name), 0) + raw_name + data)
        central.write(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc32, len(data), size,
                                  len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name)
    start = out.tell()
    out.write(central.getvalue())
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central.getvalue()),
                          start, 0))
    path.write_bytes(out.getvalue())
    return path.stat().st_size, sheet[2]


def test_a_1_5_mb_xlsx_bomb_is_refused_before_parsing(app: Any, env: dict[str, str], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = tmp_path / "bomb.xlsx"
    size, inflated = _zip_bomb(bomb)
    assert 1_400_000 < size < 1_600_000 and inflated > 1_500_000_000
    with zipfile.ZipFile(bomb) as archive:  # a valid zip: the directory tells the truth
        assert archive.getinfo(SHEET).file_size == inflated
    before = _snapshot(_db(env))
    started = time.monotonic()
    message = _one_line_exit_2(invoke(app, "import", "persons", str(bomb)))
    assert time.monotonic() - started < 5  # openpyxl took 10.8 s and 1.66 GB on such a file
    assert "zip bomb" in message and SHEET in message and "xlsx_ratio" in message
    assert _snapshot(_db(env)) == before
    assert "压缩炸弹" in _one_line_exit_2(invoke(app, "--lang", "zh", "import", "persons", str(bomb)))
    # the total, from the [import] parameters, stops it even where the ratio is allowed
    params = tmp_path / "params.toml"
    params.write_text("[import]\nvalue = { xlsx_ratio = 100000 }\n", encoding="utf-8")
    monkeypatch.setenv("RETIRE_PARAMETERS", str(params))
    message = _one_line_exit_2(invoke(app, "--lang", "en", "import", "persons", str(bomb)))
    assert f"{inflated + sum(len(d) for n, d in _workbook_members().items() if n != SHEET)} bytes" in message
    assert "xlsx_uncompressed_bytes" in message
    assert _snapshot(_db(env)) == before


# --- normalised at the door ----------------------------------------------------------------

def test_arabic_indic_digits_are_refused_full_width_stored_as_ascii(app: Any, env: dict[str, str],
                                                                   tmp_path: Path) -> None:
    arabic, wide, plain = gen.id_number(1), gen.id_number(2), gen.id_number(3)
    source = tmp_path / "p.csv"
    source.write_text(_persons_header() + f"{arabic.translate(ARABIC_INDIC)},{gen.name(1)},x\n"
                      + f"{wide.translate(FULL_WIDTH)},{gen.name(2)},x\n" + f"{plain},{gen.name(3)},x\n",
                      encoding="utf-8")
    code, report = _json_report(app, "persons", source)
    assert code == 2 and _codes(report) == [(2, "text.foreign_digit")]
    code, report = _json_report(app, "persons", source, "--skip-invalid")
    assert code == 0 and report["tables"]["persons"]["inserted"] == 2
    db = open_database(_db(env))
    numbers = [r[0] for r in db.execute("SELECT id_number FROM persons ORDER BY id_number").fetchall()]
    db.close()
    assert numbers == sorted([wide, plain])  # ASCII, whatever digits the file used
    assert all(n.isascii() for n in numbers)
    # the same person in the other digit script is the same person, never a second one
    again = tmp_path / "again.csv"
    again.write_text(_persons_header() + f"{wide},{gen.name(2)},x\n" + f"{plain.translate(FULL_WIDTH)},{gen.name(3)},x\n",
                     encoding="utf-8")
    code, report = _json_report(app, "persons", again)
    assert code == 0 and report["changed"] == 0
    both = tmp_path / "both.csv"
    both.write_text(_persons_header() + f"{gen.id_number(4)},{gen.name(4)},x\n"
                    + f"{gen.id_number(4).translate(FULL_WIDTH)},{gen.name(4)},x\n", encoding="utf-8")
    code, report = _json_report(app, "persons", both)
    assert code == 2 and _codes(report) == [(3, "importer.row.duplicate")]
    assert count(_db(env), "persons") == 2


def test_a_superscript_digit_in_an_id_number_is_normalised_or_a_bad_row(app: Any, env: dict[str, str],
                                                                       tmp_path: Path) -> None:
    """'²' (a ValueError from stdnum before): NFKC makes it '2', then the number is checked as any other."""
    number = gen.id_number(7)
    assert number[3] == "2" and number[5] != "2"
    source = tmp_path / "p.csv"
    source.write_text(_persons_header() + f"{number[:3]}²{number[4:]},{gen.name(7)},x\n"  # the real number
                      + f"{number[:3]}²{number[4:-1]},{gen.name(8)},x\n"                  # one character short
                      + f"{number[:5]}²{number[6:]},{gen.name(9)},x\n", encoding="utf-8")  # wrong check digit
    code, report = _json_report(app, "persons", source)
    assert code == 2 and _codes(report) == [(3, "rules.id.length"), (4, "rules.id.checksum")]
    assert _json_report(app, "persons", source, "--skip-invalid")[0] == 0
    db = open_database(_db(env))
    assert db.execute("SELECT id_number FROM persons").fetchall() == [(number,)]
    db.close()


def test_dates_and_months_in_other_digit_scripts(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    persons = tmp_path / "p.csv"
    persons.write_text(_persons_header() + _person_line(1), encoding="utf-8")
    assert invoke(app, "import", "persons", str(persons)).exit_code == 0
    source = tmp_path / "a.csv"
    source.write_text("id_number,doc_kind,doc_date,birth_date_recorded\n"
                      f"{gen.id_number(1)},school_record,1975-09-01,{'1966-06-15'.translate(ARABIC_INDIC)}\n"
                      f"{gen.id_number(1)},recruitment_form,１９８２年９月１日,1966-06-15\n", encoding="utf-8")
    code, report = _json_report(app, "archive", source)
    assert code == 2 and _codes(report) == [(2, "text.foreign_digit")]
    assert report["errors"][0]["field"] == "birth_date_recorded"
    assert _json_report(app, "archive", source, "--skip-invalid")[0] == 0
    db = open_database(_db(env))
    rows = db.execute("SELECT doc_kind, doc_date, birth_date_recorded FROM archive_records").fetchall()
    db.close()
    assert rows == [("recruitment_form", "1982-09-01", "1966-06-15")]
    periods = tmp_path / "c.csv"
    periods.write_text("id_number,from_month,to_month,kind\n"
                       f"{gen.id_number(1)},{'1985-07'.translate(ARABIC_INDIC)},1990-06,actual\n", encoding="utf-8")
    code, report = _json_report(app, "contributions", periods)
    assert code == 2 and _codes(report) == [(2, "text.foreign_digit")]


def test_a_control_character_in_a_name_is_a_bad_row(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text(_persons_header() + _person_line(1, "张\x1b]0;pwned\x07三") + _person_line(2, "李\u202e四")
                      + _person_line(3), encoding="utf-8")
    result = invoke(app, "import", "persons", str(source))
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\u202e" not in result.output  # the report shows the cell without them
    code, report = _json_report(app, "persons", source)
    assert _codes(report) == [(2, "text.forbidden_char"), (3, "text.forbidden_char")]
    code, report = _json_report(app, "persons", source, "--skip-invalid")
    assert code == 0 and report["tables"]["persons"]["inserted"] == 1
    db = open_database(_db(env))
    assert db.execute("SELECT name FROM persons").fetchall() == [(gen.name(3),)]
    db.close()


# --- workflow and counts -------------------------------------------------------------------

def test_imported_cases_start_as_drafts_and_keep_their_status(app: Any, env: dict[str, str], tmp_path: Path) -> None:
    persons = tmp_path / "p.csv"
    persons.write_text(_persons_header() + "".join(_person_line(i) for i in range(1, 5)), encoding="utf-8")
    assert invoke(app, "import", "persons", str(persons)).exit_code == 0
    source = tmp_path / "k.csv"
    source.write_text("case_no,id_number,status,received_at\n"
                      f"GY-2025-000001,{gen.id_number(1)},draft,2025-03-02\n"
                      f"GY-2025-000002,{gen.id_number(2)},,2025-03-02\n"
                      f"GY-2025-000003,{gen.id_number(3)},accepted,2025-03-02\n"
                      f"GY-2025-000004,{gen.id_number(4)},completed,2025-03-02\n", encoding="utf-8")
    code, report = _json_report(app, "cases", source)
    assert code == 2 and _codes(report) == [(4, "importer.row.status_new_case"), (5, "importer.row.status_new_case")]
    assert count(_db(env), "cases") == 0
    code, report = _json_report(app, "cases", source, "--skip-invalid")
    assert code == 0 and report["tables"]["cases"]["inserted"] == 2
    # a registered case: the same status (or none) is fine, another one is refused
    change = tmp_path / "change.csv"
    change.write_text("case_no,id_number,status,received_at\n"
                      f"GY-2025-000001,{gen.id_number(1)},draft,2025-03-02\n"
                      f"GY-2025-000002,{gen.id_number(2)},in_progress,2025-03-02\n", encoding="utf-8")
    code, report = _json_report(app, "cases", change)
    assert code == 2 and _codes(report) == [(3, "importer.row.status_change")]
    assert "draft" in report["errors"][0]["reason"] and "in_progress" in report["errors"][0]["reason"]
    db = open_database(_db(env))
    assert db.execute("SELECT status FROM cases ORDER BY case_no").fetchall() == [("draft",), ("draft",)]
    db.close()
    help_text = invoke(app, "import", "cases", "--help").stdout
    assert "draft" in help_text


def test_counts_are_rows_the_import_changed_not_trigger_side_effects(app: Any, env: dict[str, str],
                                                                     tmp_path: Path) -> None:
    persons = tmp_path / "p.csv"
    persons.write_text(_persons_header() + _person_line(1), encoding="utf-8")
    assert invoke(app, "import", "persons", str(persons)).exit_code == 0
    db = open_database(_db(env))
    with db.conn:
        pid = db.execute("SELECT id FROM persons").fetchone()[0]
        db.execute("INSERT INTO person_status (person_id, grp, policy_version, computed_at) VALUES (?, 'male', 'test', '2026-01-01')",
                   [pid])  # the pre-review's cache
    db.close()
    periods = tmp_path / "c.csv"
    periods.write_text(f"id_number,from_month,to_month,kind,place\n{gen.id_number(1)},1990-01,1990-12,actual,固阳县\n",
                       encoding="utf-8")
    code, report = _json_report(app, "contributions", periods)
    assert code == 0
    assert report["changed"] == 1  # the trigger's DELETE of the cached row is not a change of the import
    assert report["tables"]["contribution_periods"] == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert count(_db(env), "person_status") == 0  # (the trigger did run)


# --- leftovers ---------------------------------------------------------------------------

def test_a_killed_imports_temporary_rejects_files_are_removed_by_the_next_run(app: Any, env: dict[str, str],
                                                                             tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text(_persons_header() + _person_line(1) + "bad,x,y\n", encoding="utf-8")
    target = tmp_path / "p.csv.rejects.csv"
    stale = tmp_path / ".p.csv.rejects.csv.0123456789ab.part"
    legacy = tmp_path / "p.csv.rejects.csv.part"
    for leftover in (stale, legacy):
        leftover.write_text("half a rejects file", encoding="utf-8")
    elsewhere = tmp_path / "keep.txt"
    elsewhere.write_text("not ours to delete", encoding="utf-8")
    planted = tmp_path / ".p.csv.rejects.csv.ba9876543210.part"
    planted.symlink_to(elsewhere)
    code, _report = _json_report(app, "persons", source, "--dry-run")
    assert not stale.exists() and not legacy.exists()
    assert planted.is_symlink() and elsewhere.read_text(encoding="utf-8") == "not ours to delete"
    code, _report = _json_report(app, "persons", source, "--skip-invalid")
    assert code == 0 and target.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".part")) == [planted.name]
