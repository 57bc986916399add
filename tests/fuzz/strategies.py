"""Hypothesis strategies shared by the fuzz tests: mostly-valid values with hostile mutations.

Every strategy draws a *valid* value most of the time (so the examples reach
the deep code: rules, storage, exports) and, often enough, a hostile one:
control characters, bidi and zero-width characters, lone surrogates, huge
fields, huge integers, other digit scripts, wrong types, truncated or
mis-encoded bytes.  The files built here are what a clerk's spreadsheet, a
night-shift script or an attacker could hand to ``retire import``.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, timedelta
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from hypothesis import strategies as st

from console.rules.birth_date import DOC_KINDS
from console.rules.idcard import make_id
from console.rules.intervals import KINDS as PERIOD_KINDS
from console.rules.materials import CASE_KINDS, JOINT_ITEMS
from console.services.import_kinds import COLUMNS
from db.schema import CASE_STATUSES
from fixtures import generate as gen

# --- characters ----------------------------------------------------------------------------

CONTROLS = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x80\x85\x9b\x9f"
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u180e\u200b\u200c\u200d\u2060\u2061\ufeff"
LINE_BREAKS = "\r\n\t\u2028\u2029"
SURROGATES = "\ud800\udbff\udc00\udfff"
ARGV_SURROGATES = "\udc80\udcc3\udcff"
"""What a lone surrogate looks like in real argv: undecodable bytes under surrogateescape."""
ODD = "\ufffd\ufdd0\uffff\U0001f600\U0010ffff\u0301e\u00a0\u3000\uff0c\u3001\"'`;=+-@|\\%$,<>&"
DIGIT_SCRIPTS = (
    "0123456789",  # (ASCII, for the round trip)
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",  # Arabic-Indic
    "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9",  # Extended Arabic-Indic
    "\u0966\u0967\u0968\u0969\u096a\u096b\u096c\u096d\u096e\u096f",  # Devanagari
    "\u0e50\u0e51\u0e52\u0e53\u0e54\u0e55\u0e56\u0e57\u0e58\u0e59",  # Thai
    "\u1810\u1811\u1812\u1813\u1814\u1815\u1816\u1817\u1818\u1819",  # Mongolian
    "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19",  # full-width (NFKC -> ASCII: allowed)
    "\U0001d7ce\U0001d7cf\U0001d7d0\U0001d7d1\U0001d7d2\U0001d7d3\U0001d7d4\U0001d7d5\U0001d7d6\U0001d7d7",  # math bold
    "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079",  # superscripts
    "\u24ea\u2460\u2461\u2462\u2463\u2464\u2465\u2466\u2467\u2468",  # circled
)


def hostile_chars(argv: bool = False) -> st.SearchStrategy[str]:
    """One troublesome character; for argv no NUL and only surrogateescape surrogates."""
    pool = CONTROLS + BIDI + ZERO_WIDTH + LINE_BREAKS + ODD
    if argv:
        pool = pool.replace("\x00", "") + ARGV_SURROGATES
    else:
        pool += SURROGATES + ARGV_SURROGATES
    return st.sampled_from(list(pool) + [d for s in DIGIT_SCRIPTS[1:] for d in s[:3]])


def _translate_digits(value: str, script: str) -> str:
    return value.translate({ord(str(i)): script[i] for i in range(10)})


HUGE_INTS = ("9" * 5000, "-" + "9" * 400, "1e309", "NaN", "inf", "-0", "0x1F", "1_000", "٣", "2**64", "18446744073709551616")


@st.composite
def mutate(draw: st.DrawFn, valid: str, argv: bool = False, huge: int = 200_000) -> str:
    """``valid`` most of the time; else one hostile change of it (or a hostile value)."""
    how = draw(st.sampled_from(
        ["keep"] * 6 + ["insert", "insert", "digits", "digits", "surround", "replace", "empty", "spaces",
                        "huge", "truncate", "int", "formula", "text", "case"]))
    if how == "keep":
        return valid
    if how == "insert":
        pos = draw(st.integers(0, len(valid)))
        return valid[:pos] + draw(hostile_chars(argv)) + valid[pos:]
    if how == "digits":
        return _translate_digits(valid, draw(st.sampled_from(DIGIT_SCRIPTS)))
    if how == "surround":
        return draw(st.sampled_from([" ", "\u3000", "\t", "\ufeff", "\u200b", "\u202e"])) + valid + draw(st.sampled_from(["", " ", "\u00a0"]))
    if how == "replace":
        return draw(st.text(st.characters(blacklist_categories=("Cs",) if argv else (), blacklist_characters="\x00" if argv else ""),
                            max_size=30))
    if how == "empty":
        return ""
    if how == "spaces":
        return draw(st.sampled_from([" ", "   ", "\u3000", "\t"]))
    if how == "huge":
        size = draw(st.sampled_from([201, 1000, 65_536, 131_073, huge]))
        return (valid or "x") * (size // max(len(valid), 1) + 1)
    if how == "truncate":
        return valid[: draw(st.integers(0, max(len(valid) - 1, 0)))]
    if how == "int":
        return draw(st.sampled_from(HUGE_INTS))
    if how == "formula":
        return draw(st.sampled_from(["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "=HYPERLINK(\"http://x\")"]))
    if how == "case":
        return valid.swapcase()
    return draw(st.text(max_size=20).filter(lambda s: not argv or ("\x00" not in s and not any(0xD800 <= ord(c) <= 0xDFFF for c in s))))


# --- valid values ----------------------------------------------------------------------------

FIRST, LAST = date(1950, 1, 1), date(1995, 12, 31)
births = st.dates(FIRST, LAST)


@st.composite
def id_numbers(draw: st.DrawFn, known: tuple[str, ...] = ()) -> str:
    """A valid 18-character ID (some of them already registered, when ``known`` is given)."""
    if known and draw(st.booleans()):
        return draw(st.sampled_from(known))
    place = draw(st.sampled_from(gen.PLACES))
    number = make_id(place, draw(births), draw(st.integers(0, 999)))
    return number.lower() if draw(st.integers(0, 9)) == 0 else number


names = st.builds(lambda a, b, c: a + b + c, st.sampled_from(gen.SURNAMES), st.sampled_from(gen.GIVEN),
                  st.sampled_from(["", *gen.GIVEN[:10]]))
phones = st.builds(lambda p, n: f"{p}{n:08d}", st.sampled_from(["138", "139", "150", "186", "0472-"]), st.integers(0, 99_999_999))
addresses = st.builds(lambda town, n: f"固阳县{town}{n}号", st.sampled_from(["金山镇", "西斗铺镇", "下湿壕镇", "银号镇", "兴顺西镇"]),
                      st.integers(1, 999))
months = st.builds(lambda d: d.strftime("%Y-%m"), st.dates(date(1970, 1, 1), date(2040, 12, 31)))
iso_dates = st.builds(lambda d: d.isoformat(), st.dates(date(1950, 1, 1), date(2040, 12, 31)))
month_or_date = st.one_of(months, iso_dates, st.builds(lambda d: d.strftime("%Y%m"), st.dates(date(1970, 1, 1), date(2040, 12, 31))),
                          st.builds(lambda d: d.strftime("%Y/%m/%d"), st.dates(date(1950, 1, 1), date(2040, 12, 31))))
money = st.one_of(st.integers(0, 99_999).map(str), st.decimals(0, 100_000, places=2, allow_nan=False).map(str))
index_values = st.decimals(0, 3, places=3, allow_nan=False).map(str)
bools = st.sampled_from(["是", "否", "true", "false", "1", "0", "Y", "N", "yes", "no", ""])
credit_codes = st.integers(0, gen.EMPLOYERS * 2).map(gen.credit_code)
bank_cards = st.integers(10**15, 10**19 - 1).map(str)


def valid_field(kind: str, name: str) -> st.SearchStrategy[str]:
    """A valid cell for column ``name`` of ``kind``."""
    by_name: dict[str, st.SearchStrategy[str]] = {
        "id_number": id_numbers(), "name": names, "sex": st.sampled_from(["男", "女", "M", "F", "male", "female"]),
        "hukou": addresses, "phone": phones, "address": addresses,
        "staff_category": st.sampled_from(["worker", "cadre", "flexible", "工人", "干部", "灵活就业"]),
        "female_group": st.sampled_from(["female50", "female55", ""]),
        "employer_code": credit_codes, "employer_name": st.builds(lambda n: f"固阳县第{n}机械厂", st.integers(1, 400)),
        "archive_lost": bools, "insured_before_2011_07": bools, "bank_card": bank_cards,
        "average_index": index_values, "account_balance": money,
        "credit_code": credit_codes, "doc_kind": st.sampled_from(list(DOC_KINDS)), "doc_date": iso_dates,
        "birth_date_recorded": iso_dates, "altered": bools, "altered_confirmed": bools, "note": addresses,
        "from_month": months, "to_month": months, "place": st.sampled_from(["固阳县", "包头市", "150222", "外省"]),
        "base": money, "evidence": st.sampled_from(["招工表", "工资表", "档案记载", ""]),
        "case_no": st.integers(1, 999_999).map(lambda n: f"GY-2026-{n:06d}"),
        "status": st.sampled_from(list(CASE_STATUSES)),
        "joint_items": st.lists(st.sampled_from(list(JOINT_ITEMS)), max_size=3).map(",".join),
        "received_at": iso_dates, "accepted_at": iso_dates, "completed_at": iso_dates, "chosen_month": months,
        "due_date": iso_dates, "acceptance_notice_no": st.integers(1, 9999).map(lambda n: f"固人社受〔2026〕{n}号"),
    }
    if kind == "employers" and name == "name":
        return st.builds(lambda n: f"固阳县第{n}机械厂", st.integers(1, 400))
    if kind == "contributions" and name == "kind":
        return st.sampled_from(list(PERIOD_KINDS))
    if kind == "cases" and name == "kind":
        return st.sampled_from(list(CASE_KINDS))
    return by_name[name]


# --- rows and files --------------------------------------------------------------------------

JSON_ODD_VALUES: tuple[Any, ...] = (None, True, False, 0, -1, 10**30, 1.5, float("1e308"), [], {}, ["a"], {"first": "张"}, [[[[[]]]]])


@st.composite
def rows(draw: st.DrawFn, kind: str, known_ids: tuple[str, ...] = ()) -> dict[str, str]:
    """One mostly-valid row: every required column, some optional ones, each perhaps mutated."""
    out: dict[str, str] = {}
    for col in COLUMNS[kind]:
        if not col.required and draw(st.integers(0, 2)) == 0:
            continue
        if col.required and draw(st.integers(0, 30)) == 0:
            continue  # a required cell missing
        strategy = id_numbers(known_ids) if col.name == "id_number" else valid_field(kind, col.name)
        out[col.name] = draw(mutate(draw(strategy)))
    return out


def header_for(kind: str, style: str, columns: list[str]) -> list[str]:
    by_name = {c.name: c for c in COLUMNS[kind]}
    if style == "zh":
        return [by_name[c].zh for c in columns]
    if style == "template":
        return [by_name[c].header for c in columns]
    return list(columns)


ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
FORMATS = ("csv", "jsonl", "xlsx")


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "gb18030":
        return text.encode("gb18030", errors="replace")  # GB18030 has no lone surrogates
    return text.encode(encoding, errors="surrogatepass")  # lone surrogates: bytes invalid in UTF-8


@st.composite
def byte_damage(draw: st.DrawFn, data: bytes) -> bytes:
    """Mostly nothing; else truncation, stray bytes invalid in the declared encoding, a foreign-encoded row."""
    how = draw(st.sampled_from(["none"] * 5 + ["truncate", "insert", "gbk_row", "nul", "crlf", "bom_mid", "empty"]))
    if how == "none" or not data:
        return data
    if how == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    pos = draw(st.integers(0, len(data)))
    if how == "insert":
        junk = draw(st.sampled_from([b"\xff", b"\x80", b"\xc3", b"\xed\xa0\x80", b"\xfe\xff", b"\x81\x30", b"\xa1"]))
        return data[:pos] + junk + data[pos:]
    if how == "gbk_row":
        return data + "\n150222196606150112,吴静,女\n".encode("gbk")
    if how == "nul":
        return data[:pos] + b"\x00" * draw(st.integers(1, 8)) + data[pos:]
    if how == "crlf":
        return data.replace(b"\n", b"\r\n") if draw(st.booleans()) else data.replace(b"\n", b"\r")
    if how == "bom_mid":
        return data[:pos] + b"\xef\xbb\xbf" + data[pos:]
    return b""


@st.composite
def csv_files(draw: st.DrawFn, kind: str, body: list[dict[str, str]]) -> tuple[bytes, str]:
    cols = list(dict.fromkeys(c for row in body for c in row)) or [c.name for c in COLUMNS[kind] if c.required]
    style = draw(st.sampled_from(["zh", "template", "en"]))
    header = header_for(kind, style, cols)
    if draw(st.integers(0, 15)) == 0:  # a wrong or hostile header
        header[draw(st.integers(0, len(header) - 1))] = draw(mutate("身份证号码"))
    if draw(st.integers(0, 25)) == 0:
        header = header + header[:1]  # a doubled column
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in body:
        cells = [row.get(c, "") for c in cols]
        if draw(st.integers(0, 30)) == 0:
            cells = cells + ["extra"]  # more cells than the header
        writer.writerow(cells)
    encoding = draw(st.sampled_from(ENCODINGS))
    data = draw(byte_damage(_encode(buf.getvalue(), encoding)))
    return data, encoding


def _odd_json(draw: st.DrawFn, value: str) -> Any:
    how = draw(st.sampled_from(["str"] * 8 + ["odd", "int", "deep", "float"]))
    if how == "str":
        return value
    if how == "odd":
        return draw(st.sampled_from(JSON_ODD_VALUES))
    if how == "int":
        return int(value) if value.isascii() and value.isdigit() and len(value) < 4000 else 10**draw(st.integers(18, 400))
    if how == "float":
        return draw(st.floats(allow_nan=False))
    depth = draw(st.integers(2, 60))
    nested: Any = value
    for _ in range(depth):
        nested = [nested]
    return nested


@st.composite
def jsonl_files(draw: st.DrawFn, kind: str, body: list[dict[str, str]]) -> tuple[bytes, str]:
    lines: list[str] = []
    for row in body:
        obj = {(draw(st.sampled_from(header_for(kind, "zh", [k]) + [k]))): _odd_json(draw, v) for k, v in row.items()}
        how = draw(st.sampled_from(["ok"] * 12 + ["array", "broken", "bigint", "deep", "scalar", "blank", "dupkey"]))
        if how == "ok":
            lines.append(json.dumps(obj, ensure_ascii=draw(st.booleans())))
        elif how == "array":
            lines.append(json.dumps(list(obj.values()), ensure_ascii=False))
        elif how == "broken":
            text = json.dumps(obj, ensure_ascii=False)
            lines.append(text[: draw(st.integers(0, max(len(text) - 1, 0)))])
        elif how == "bigint":
            lines.append('{"id_number": ' + "9" * draw(st.sampled_from([19, 400, 4301, 5000, 20000])) + "}")
        elif how == "deep":
            n = draw(st.sampled_from([100, 1000, 100_000]))
            lines.append('{"name": ' + "[" * n + "]" * n + "}")
        elif how == "scalar":
            lines.append(draw(st.sampled_from(["1", "null", '"x"', "true", "[]", "NaN", "Infinity", "-Infinity"])))
        elif how == "blank":
            lines.append(draw(st.sampled_from(["", "   ", "\t"])))
        else:
            text = json.dumps(obj, ensure_ascii=False)
            lines.append(text[:-1] + (", " if obj else "") + '"name": "李四"}')
    if draw(st.integers(0, 20)) == 0:
        lines.append('{"name": "\\ud800", "id_number": "\\udfff"}')  # lone surrogates through escapes
    encoding = draw(st.sampled_from(ENCODINGS))
    data = draw(byte_damage(_encode("\n".join(lines) + "\n", encoding)))
    return data, encoding


@lru_cache(maxsize=1)
def _xlsx_skeleton() -> dict[str, bytes]:
    """The parts of a real openpyxl workbook, so only the sheet XML needs writing per example."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    book.active["A1"] = "x"
    buf = io.BytesIO()
    book.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return {name: z.read(name) for name in z.namelist()}


_SHEET = "xl/worksheets/sheet1.xml"


@lru_cache(maxsize=2)
def _xlsx_bomb(spaces: int) -> bytes:
    """A workbook whose sheet inflates to ``spaces`` bytes of whitespace (a few KB zipped; built once)."""
    parts = dict(_xlsx_skeleton())
    parts[_SHEET] = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                     b'spreadsheetml/2006/main"><sheetData>' + b" " * spaces + b"</sheetData></worksheet>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def _cell_xml(ref: str, value: Any) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def _col(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


@st.composite
def xlsx_files(draw: st.DrawFn, kind: str, body: list[dict[str, str]]) -> tuple[bytes, str]:
    cols = list(dict.fromkeys(c for row in body for c in row)) or [c.name for c in COLUMNS[kind] if c.required]
    header = header_for(kind, draw(st.sampled_from(["zh", "template", "en"])), cols)
    xml_rows = ["<row r=\"1\">" + "".join(_cell_xml(f"{_col(i)}1", h) for i, h in enumerate(header)) + "</row>"]
    for n, row in enumerate(body, start=2):
        cells = []
        for i, c in enumerate(cols):
            value: Any = row.get(c, "")
            if value and value.isascii() and value.isdigit() and len(value) < 300 and draw(st.integers(0, 4)) == 0:
                value = int(value)  # Excel turned the ID number into a number
            cells.append(_cell_xml(f"{_col(i)}{n}", value))
        xml_rows.append(f'<row r="{n}">' + "".join(cells) + "</row>")
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    how = draw(st.sampled_from(["ok"] * 10 + ["entities", "malformed", "truncated_zip", "bomb", "no_sheet", "garbage", "external"]))
    if how == "entities":
        head += ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                 '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n')
        xml_rows.append('<row r="999"><c r="A999" t="inlineStr"><is><t>&d;</t></is></c></row>')
    if how == "external":
        head += '<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        xml_rows.append('<row r="999"><c r="A999" t="inlineStr"><is><t>&x;</t></is></c></row>')
    sheet = (head + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + "".join(xml_rows) + "</sheetData></worksheet>")
    sheet_bytes = sheet.encode("utf-8", errors="surrogatepass")
    if how == "malformed":
        sheet_bytes = sheet_bytes[: draw(st.integers(0, len(sheet_bytes) - 1))]
    if how == "bomb":
        return _xlsx_bomb(draw(st.sampled_from([10_000_000, 60_000_000]))), "xlsx"
    parts = dict(_xlsx_skeleton())
    parts[_SHEET] = sheet_bytes
    if how == "no_sheet":
        del parts[_SHEET]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    data = buf.getvalue()
    if how == "truncated_zip":
        data = data[: draw(st.integers(0, len(data) - 1))]
    if how == "garbage":
        data = b"PK\x03\x04" + draw(st.binary(max_size=200))
    return data, "xlsx"


@st.composite
def import_files(draw: st.DrawFn, kind: str, known_ids: tuple[str, ...] = ()) -> tuple[str, bytes, str]:
    """(format, file bytes, encoding or 'xlsx') for ``retire import KIND``."""
    body = draw(st.lists(rows(kind, known_ids), min_size=0, max_size=8))
    fmt = draw(st.sampled_from(FORMATS))
    maker = {"csv": csv_files, "jsonl": jsonl_files, "xlsx": xlsx_files}[fmt]
    data, encoding = draw(maker(kind, body))
    return fmt, data, encoding


# --- CLI arguments ---------------------------------------------------------------------------

def arg_text(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A command-line text argument: valid, or mutated as argv allows (no NUL; surrogateescape only)."""
    return valid.flatmap(lambda v: mutate(v, argv=True, huge=70_000))


def arg_int(low: int, high: int) -> st.SearchStrategy[str]:
    return st.one_of(st.integers(low, high).map(str), st.integers(low, high).map(str).flatmap(lambda v: mutate(v, argv=True, huge=5000)))


def arg_decimal(low: float, high: float, places: int = 2) -> st.SearchStrategy[str]:
    valid = st.decimals(low, high, places=places, allow_nan=False).map(str)
    return st.one_of(valid, valid.flatmap(lambda v: mutate(v, argv=True, huge=5000)),
                     st.sampled_from(["-1", "1e9999", "NaN", "sNaN", "Infinity", "-0", "1" * 400, "0.0000000001", "1,5"]))


ages = st.builds(lambda y, m: f"{y}y{m}m", st.integers(40, 70), st.integers(0, 11))
period_csv_lines = st.lists(
    st.tuples(months, months, st.sampled_from(["actual", "deemed"]), st.sampled_from(["", "固阳县"])).map(
        lambda t: ",".join(t).rstrip(",")),
    max_size=6)
