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
import random
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from hypothesis import strategies as st

from console.rules.birth_date import DOC_KINDS
from console.rules.idcard import make_id
from console.rules.intervals import KINDS as PERIOD_KINDS
from console.rules.materials import CASE_KINDS, JOINT_ITEMS
from console.services.importing.columns import COLUMNS
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


def _hostile_pool(argv: bool) -> list[str]:
    pool = CONTROLS + BIDI + ZERO_WIDTH + LINE_BREAKS + ODD
    if argv:
        pool = pool.replace("\x00", "") + ARGV_SURROGATES
    else:
        pool += SURROGATES + ARGV_SURROGATES
    return list(pool) + [d for s in DIGIT_SCRIPTS[1:] for d in s[:3]]


# Strategies are built once here: building them inside every draw made generation, not the
# program under test, most of an example's time.
_HOSTILE = {False: st.sampled_from(_hostile_pool(False)), True: st.sampled_from(_hostile_pool(True))}


def hostile_chars(argv: bool = False) -> st.SearchStrategy[str]:
    """One troublesome character; for argv no NUL and only surrogateescape surrogates."""
    return _HOSTILE[argv]


def _translate_digits(value: str, script: str) -> str:
    return value.translate({ord(str(i)): script[i] for i in range(10)})


def _argv_safe(s: str) -> bool:
    return "\x00" not in s and not any(0xD800 <= ord(c) <= 0xDFFF for c in s)


HUGE_INTS = ("9" * 5000, "-" + "9" * 400, "1e309", "NaN", "inf", "-0", "0x1F", "1_000", "٣", "2**64", "18446744073709551616")
_HOW = st.sampled_from(["keep"] * 6 + ["insert", "insert", "digits", "digits", "surround", "replace", "empty", "spaces",
                                       "huge", "truncate", "int", "formula", "text", "case"])
_POS = st.integers(0, 1 << 20)
_SCRIPT = st.sampled_from(DIGIT_SCRIPTS)
_LEFT = st.sampled_from([" ", "\u3000", "\t", "\ufeff", "\u200b", "\u202e"])
_RIGHT = st.sampled_from(["", " ", "\u00a0"])
_REPLACE = {False: st.text(st.characters(), max_size=30),
            True: st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)}
_SPACES = st.sampled_from([" ", "   ", "\u3000", "\t"])
_HUGE_SIZE = st.sampled_from([201, 1000, 65_536, 131_073, 0])
_HUGE_INT = st.sampled_from(HUGE_INTS)
_FORMULA = st.sampled_from(["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "=HYPERLINK(\"http://x\")"])
_TEXT = {False: st.text(max_size=20), True: st.text(max_size=20).filter(_argv_safe)}


def mutated(draw: st.DrawFn, valid: str, argv: bool = False, huge: int = 200_000) -> str:
    """``valid`` most of the time; else one hostile change of it (or a hostile value)."""
    how = draw(_HOW)
    if how == "keep":
        return valid
    if how == "insert":
        pos = draw(_POS) % (len(valid) + 1)
        return valid[:pos] + draw(_HOSTILE[argv]) + valid[pos:]
    if how == "digits":
        return _translate_digits(valid, draw(_SCRIPT))
    if how == "surround":
        return draw(_LEFT) + valid + draw(_RIGHT)
    if how == "replace":
        return draw(_REPLACE[argv])
    if how == "empty":
        return ""
    if how == "spaces":
        return draw(_SPACES)
    if how == "huge":
        size = draw(_HUGE_SIZE) or huge
        return (valid or "x") * (size // max(len(valid), 1) + 1)
    if how == "truncate":
        return valid[: draw(_POS) % max(len(valid), 1)]
    if how == "int":
        return draw(_HUGE_INT)
    if how == "formula":
        return draw(_FORMULA)
    if how == "case":
        return valid.swapcase()
    return draw(_TEXT[argv])


@st.composite
def mutate(draw: st.DrawFn, valid: str, argv: bool = False, huge: int = 200_000) -> str:
    """The strategy form of ``mutated``."""
    return mutated(draw, valid, argv, huge)


# --- valid values ----------------------------------------------------------------------------

FIRST, LAST = date(1950, 1, 1), date(1995, 12, 31)
births = st.dates(FIRST, LAST)


_COIN = st.booleans()
_SEQ = st.integers(0, 999)


@st.composite
def id_numbers(draw: st.DrawFn, known: tuple[str, ...] = ()) -> str:
    """A valid 18-character ID (some of them already registered, when ``known`` is given)."""
    if known and draw(_COIN):
        return known[draw(_SEQ) % len(known)]
    place = gen.PLACES[draw(_SEQ) % len(gen.PLACES)]
    number = make_id(place, draw(births), draw(_SEQ))
    return number.lower() if draw(_SEQ) % 10 == 0 else number


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


_BY_NAME: dict[str, st.SearchStrategy[str]] = {
    "id_number": st.nothing(), "name": names, "sex": st.sampled_from(["男", "女", "M", "F", "male", "female"]),
    "hukou": addresses, "phone": phones, "address": addresses,
    "staff_category": st.sampled_from(["worker", "cadre", "flexible", "工人", "干部", "灵活就业"]),
    "female_group": st.sampled_from(["female50", "female55", ""]),
    "employer_code": credit_codes, "employer_name": st.builds(lambda n: f"固阳县第{n}机械厂", st.integers(1, 400)),
    "archive_lost": bools, "insured_before_2011_07": bools, "arrears": bools, "bank_card": bank_cards,
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
    "rated_at": iso_dates, "level": st.sampled_from(["1", "2", "3", "4", "5", "非常满意", "不满意"]), "comment": addresses,
}
_SPECIAL: dict[tuple[str, str], st.SearchStrategy[str]] = {
    ("employers", "name"): st.builds(lambda n: f"固阳县第{n}机械厂", st.integers(1, 400)),
    ("contributions", "kind"): st.sampled_from(list(PERIOD_KINDS)),
    ("cases", "kind"): st.sampled_from(list(CASE_KINDS)),
    ("ratings", "case_no"): st.sampled_from(["GY-2026-000001", "GY-2026-000002", "GY-2026-000003"]),
}


def valid_field(kind: str, name: str) -> st.SearchStrategy[str]:
    """A valid cell for column ``name`` of ``kind`` (id_number: see ``id_numbers``)."""
    return _SPECIAL.get((kind, name)) or _BY_NAME[name]


# --- rows and files --------------------------------------------------------------------------

_FLOATS = st.floats(allow_nan=False)
JSON_ODD_VALUES: tuple[Any, ...] = (None, True, False, 0, -1, 10**30, 1.5, float("1e308"), [], {}, ["a"], {"first": "张"}, [[[[[]]]]])


_D = st.integers(0, 1 << 16)
"""A die: ``draw(_D) % n == 0`` is a 1-in-n event, without building a strategy per draw."""
_ID_STRATEGIES: dict[tuple[str, ...], st.SearchStrategy[str]] = {}


def one_in(draw: st.DrawFn, n: int) -> bool:
    return draw(_D) % n == 0


def _py_date(r: random.Random, first: date = date(1950, 1, 1), days: int = 33_000) -> date:
    return first + timedelta(days=r.randrange(days))


_BOOLS = ("是", "否", "true", "false", "1", "0", "Y", "N", "yes", "no", "")
_PY_VALID: dict[str, Callable[[random.Random], str]] = {
    "name": lambda r: r.choice(gen.SURNAMES) + r.choice(gen.GIVEN) + r.choice(["", *gen.GIVEN[:10]]),
    "sex": lambda r: r.choice(["男", "女", "M", "F", "male", "female"]),
    "hukou": lambda r: f"固阳县{r.choice(['金山镇', '西斗铺镇', '银号镇'])}{r.randint(1, 999)}号",
    "address": lambda r: f"固阳县{r.choice(['金山镇', '下湿壕镇', '兴顺西镇'])}{r.randint(1, 999)}号",
    "phone": lambda r: f"{r.choice(['138', '139', '150', '186', '0472-'])}{r.randrange(10**8):08d}",
    "staff_category": lambda r: r.choice(["worker", "cadre", "flexible", "工人", "干部", "灵活就业"]),
    "female_group": lambda r: r.choice(["female50", "female55", ""]),
    "employer_code": lambda r: gen.credit_code(r.randrange(gen.EMPLOYERS * 2)),
    "employer_name": lambda r: f"固阳县第{r.randint(1, 400)}机械厂",
    "archive_lost": lambda r: r.choice(_BOOLS), "insured_before_2011_07": lambda r: r.choice(_BOOLS),
    "arrears": lambda r: r.choice(_BOOLS),
    "altered": lambda r: r.choice(_BOOLS), "altered_confirmed": lambda r: r.choice(_BOOLS),
    "bank_card": lambda r: str(r.randrange(10**15, 10**19)),
    "average_index": lambda r: f"{r.uniform(0, 3):.3f}",
    "account_balance": lambda r: r.choice([str(r.randrange(100_000)), f"{r.uniform(0, 100_000):.2f}"]),
    "base": lambda r: r.choice([str(r.randrange(100_000)), f"{r.uniform(0, 20_000):.2f}"]),
    "credit_code": lambda r: gen.credit_code(r.randrange(gen.EMPLOYERS * 2)),
    "doc_kind": lambda r: r.choice(list(DOC_KINDS)),
    "doc_date": lambda r: _py_date(r).isoformat(), "birth_date_recorded": lambda r: _py_date(r).isoformat(),
    "note": lambda r: r.choice(["", "原件已核", "复印件", "涂改处已盖章"]),
    "from_month": lambda r: _py_date(r, date(1970, 1, 1), 25_000).strftime(r.choice(["%Y-%m", "%Y-%m", "%Y%m", "%Y/%m"])),
    "to_month": lambda r: _py_date(r, date(1970, 1, 1), 25_000).strftime(r.choice(["%Y-%m", "%Y-%m", "%Y%m", "%Y.%m"])),
    "place": lambda r: r.choice(["固阳县", "包头市", "150222", "外省"]),
    "evidence": lambda r: r.choice(["招工表", "工资表", "档案记载", ""]),
    "case_no": lambda r: f"GY-{r.choice([2025, 2026])}-{r.randint(1, 999_999):06d}",
    "status": lambda r: r.choice(list(CASE_STATUSES)),
    "joint_items": lambda r: ",".join(r.sample(list(JOINT_ITEMS), r.randint(0, 3))),
    "received_at": lambda r: _py_date(r, date(2020, 1, 1), 3000).isoformat(),
    "accepted_at": lambda r: _py_date(r, date(2020, 1, 1), 3000).isoformat(),
    "completed_at": lambda r: _py_date(r, date(2020, 1, 1), 3000).isoformat(),
    "chosen_month": lambda r: _py_date(r, date(2020, 1, 1), 6000).strftime("%Y-%m"),
    "due_date": lambda r: _py_date(r, date(2020, 1, 1), 3000).isoformat(),
    "acceptance_notice_no": lambda r: f"固人社受〔2026〕{r.randint(1, 9999)}号",
    "rated_at": lambda r: f"{_py_date(r, date(2026, 1, 1), 300).isoformat()} {r.randint(8, 17):02d}:{r.randint(0, 59):02d}",
    "level": lambda r: r.choice(["1", "2", "3", "4", "5", "非常满意", "满意", "不满意", "very dissatisfied"]),
    "comment": lambda r: r.choice(["", "服务热情", "等待时间长", "一次办好"]),
}
_PY_SPECIAL: dict[tuple[str, str], Callable[[random.Random], str]] = {
    ("employers", "name"): lambda r: f"固阳县第{r.randint(1, 400)}机械厂",
    ("contributions", "kind"): lambda r: r.choice(list(PERIOD_KINDS)),
    ("cases", "kind"): lambda r: r.choice(list(CASE_KINDS)),
    ("ratings", "case_no"): lambda r: r.choice(["GY-2026-000001", "GY-2026-000002", "GY-2026-000003",
                                                f"GY-2026-{r.randint(4, 999_999):06d}"]),
}
_SEED = st.integers(0, 2**32 - 1)
_MUTATIONS = st.sampled_from([0] * 5 + [1, 1, 1, 2, 2, 3])
_ROWS: dict[tuple[str, tuple[str, ...]], st.SearchStrategy[dict[str, str]]] = {}


def rows(kind: str, known_ids: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, str]]:
    """One mostly-valid row: every required column, some optional ones, a few cells mutated.

    The valid values come from a seeded ``random.Random`` (one Hypothesis draw
    for the whole row: generation stays cheap); which cells are mutated, and
    how, are Hypothesis draws, so failures shrink to the hostile part.
    """
    key = (kind, known_ids)
    if key in _ROWS:
        return _ROWS[key]
    columns = list(COLUMNS[kind])

    def valid(r: random.Random, name: str) -> str:
        if name == "id_number":
            if known_ids and r.random() < 0.5:
                return r.choice(known_ids)
            number = make_id(r.choice(gen.PLACES), _py_date(r, FIRST, (LAST - FIRST).days), r.randrange(1000))
            return number.lower() if r.random() < 0.1 else number
        return (_PY_SPECIAL.get((kind, name)) or _PY_VALID[name])(r)

    @st.composite
    def row(draw: st.DrawFn) -> dict[str, str]:
        r = random.Random(draw(_SEED))
        out: dict[str, str] = {}
        for col in columns:
            if (not col.required and r.random() < 0.33) or (col.required and r.random() < 0.03):
                continue  # an optional column left out; now and then a required cell missing
            out[col.name] = valid(r, col.name)
        for _ in range(draw(_MUTATIONS)):
            if out:
                name = pick(draw, sorted(out))
                out[name] = mutated(draw, out[name])
        return out

    _ROWS[key] = row()
    return _ROWS[key]


def pick(draw: st.DrawFn, options: Any) -> Any:
    """One of ``options`` (a die roll: no strategy is built per draw)."""
    options = tuple(options)
    return options[draw(_D) % len(options)]


def between(draw: st.DrawFn, low: int, high: int) -> int:
    if high - low < (1 << 16):
        return low + draw(_D) % (high - low + 1)
    return low + draw(_POS) % (high - low + 1)


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


_DAMAGE = st.sampled_from(["none"] * 5 + ["truncate", "insert", "gbk_row", "nul", "crlf", "bom_mid", "empty"])
_JUNK = st.sampled_from([b"\xff", b"\x80", b"\xc3", b"\xed\xa0\x80", b"\xfe\xff", b"\x81\x30", b"\xa1"])


@st.composite
def byte_damage(draw: st.DrawFn, data: bytes) -> bytes:
    """Mostly nothing; else truncation, stray bytes invalid in the declared encoding, a foreign-encoded row."""
    how = draw(_DAMAGE)
    if how == "none" or not data:
        return data
    if how == "truncate":
        return data[: draw(_POS) % len(data)]
    pos = draw(_POS) % (len(data) + 1)
    if how == "insert":
        return data[:pos] + draw(_JUNK) + data[pos:]
    if how == "gbk_row":
        return data + "\n150222196606150112,吴静,女\n".encode("gbk")
    if how == "nul":
        return data[:pos] + b"\x00" * (1 + draw(_D) % 8) + data[pos:]
    if how == "crlf":
        return data.replace(b"\n", b"\r\n") if one_in(draw, 2) else data.replace(b"\n", b"\r")
    if how == "bom_mid":
        return data[:pos] + b"\xef\xbb\xbf" + data[pos:]
    return b""


@st.composite
def csv_files(draw: st.DrawFn, kind: str, body: list[dict[str, str]]) -> tuple[bytes, str]:
    cols = list(dict.fromkeys(c for row in body for c in row)) or [c.name for c in COLUMNS[kind] if c.required]
    style = pick(draw, ["zh", "template", "en"])
    header = header_for(kind, style, cols)
    if between(draw, 0, 15) == 0:  # a wrong or hostile header
        header[between(draw, 0, len(header) - 1)] = mutated(draw, "身份证号码")
    if between(draw, 0, 25) == 0:
        header = header + header[:1]  # a doubled column
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in body:
        cells = [row.get(c, "") for c in cols]
        if between(draw, 0, 30) == 0:
            cells = cells + ["extra"]  # more cells than the header
        writer.writerow(cells)
    encoding = pick(draw, ENCODINGS)
    data = draw(byte_damage(_encode(buf.getvalue(), encoding)))
    return data, encoding


def _odd_json(draw: st.DrawFn, value: str) -> Any:
    how = pick(draw, ["str"] * 8 + ["odd", "int", "deep", "float"])
    if how == "str":
        return value
    if how == "odd":
        return pick(draw, JSON_ODD_VALUES)
    if how == "int":
        return int(value) if value.isascii() and value.isdigit() and len(value) < 4000 else 10**between(draw, 18, 400)
    if how == "float":
        return draw(_FLOATS)
    depth = between(draw, 2, 60)
    nested: Any = value
    for _ in range(depth):
        nested = [nested]
    return nested


@st.composite
def jsonl_files(draw: st.DrawFn, kind: str, body: list[dict[str, str]]) -> tuple[bytes, str]:
    lines: list[str] = []
    for row in body:
        obj = {(pick(draw, header_for(kind, "zh", [k]) + [k])): _odd_json(draw, v) for k, v in row.items()}
        how = pick(draw, ["ok"] * 12 + ["array", "broken", "bigint", "deep", "scalar", "blank", "dupkey"])
        if how == "ok":
            lines.append(json.dumps(obj, ensure_ascii=one_in(draw, 2)))
        elif how == "array":
            lines.append(json.dumps(list(obj.values()), ensure_ascii=False))
        elif how == "broken":
            text = json.dumps(obj, ensure_ascii=False)
            lines.append(text[: between(draw, 0, max(len(text) - 1, 0))])
        elif how == "bigint":
            lines.append('{"id_number": ' + "9" * pick(draw, [19, 400, 4301, 5000, 20000]) + "}")
        elif how == "deep":
            n = pick(draw, [100, 1000, 100_000])
            lines.append('{"name": ' + "[" * n + "]" * n + "}")
        elif how == "scalar":
            lines.append(pick(draw, ["1", "null", '"x"', "true", "[]", "NaN", "Infinity", "-Infinity"]))
        elif how == "blank":
            lines.append(pick(draw, ["", "   ", "\t"]))
        else:
            text = json.dumps(obj, ensure_ascii=False)
            lines.append(text[:-1] + (", " if obj else "") + '"name": "李四"}')
    if between(draw, 0, 20) == 0:
        lines.append('{"name": "\\ud800", "id_number": "\\udfff"}')  # lone surrogates through escapes
    encoding = pick(draw, ENCODINGS)
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
    header = header_for(kind, pick(draw, ["zh", "template", "en"]), cols)
    xml_rows = ["<row r=\"1\">" + "".join(_cell_xml(f"{_col(i)}1", h) for i, h in enumerate(header)) + "</row>"]
    for n, row in enumerate(body, start=2):
        cells = []
        for i, c in enumerate(cols):
            value: Any = row.get(c, "")
            if value and value.isascii() and value.isdigit() and len(value) < 300 and between(draw, 0, 4) == 0:
                value = int(value)  # Excel turned the ID number into a number
            cells.append(_cell_xml(f"{_col(i)}{n}", value))
        xml_rows.append(f'<row r="{n}">' + "".join(cells) + "</row>")
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    how = pick(draw, ["ok"] * 10 + ["entities", "malformed", "truncated_zip", "bomb", "no_sheet", "garbage", "external"])
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
        sheet_bytes = sheet_bytes[: between(draw, 0, len(sheet_bytes) - 1)]
    if how == "bomb":
        return _xlsx_bomb(pick(draw, [10_000_000, 60_000_000])), "xlsx"
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
        data = data[: between(draw, 0, len(data) - 1)]
    if how == "garbage":
        data = b"PK\x03\x04" + draw(st.binary(max_size=200))
    return data, "xlsx"


_BODIES: dict[tuple[str, tuple[str, ...]], st.SearchStrategy[list[dict[str, str]]]] = {}


@st.composite
def import_files(draw: st.DrawFn, kind: str, known_ids: tuple[str, ...] = ()) -> tuple[str, bytes, str]:
    """(format, file bytes, encoding or 'xlsx') for ``retire import KIND``."""
    key = (kind, known_ids)
    if key not in _BODIES:
        _BODIES[key] = st.lists(rows(kind, known_ids), min_size=0, max_size=8)
    body = draw(_BODIES[key])
    fmt = pick(draw, FORMATS)
    maker = {"csv": csv_files, "jsonl": jsonl_files, "xlsx": xlsx_files}[fmt]
    data, encoding = draw(maker(kind, body))
    return fmt, data, encoding


# --- CLI arguments ---------------------------------------------------------------------------

@st.composite
def _mutated_from(draw: st.DrawFn, valid: st.SearchStrategy[str], huge: int) -> str:
    return mutated(draw, draw(valid), argv=True, huge=huge)


def arg_text(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A command-line text argument: valid, or mutated as argv allows (no NUL; surrogateescape only)."""
    return _mutated_from(valid, 70_000)


def arg_int(low: int, high: int) -> st.SearchStrategy[str]:
    valid = st.integers(low, high).map(str)
    return st.one_of(valid, _mutated_from(valid, 5000))


def arg_decimal(low: float, high: float, places: int = 2) -> st.SearchStrategy[str]:
    valid = st.decimals(low, high, places=places, allow_nan=False).map(str)
    return st.one_of(valid, _mutated_from(valid, 5000),
                     st.sampled_from(["-1", "1e9999", "NaN", "sNaN", "Infinity", "-0", "1" * 400, "0.0000000001", "1,5"]))


ages = st.builds(lambda y, m: f"{y}y{m}m", st.integers(40, 70), st.integers(0, 11))
period_csv_lines = st.lists(
    st.tuples(months, months, st.sampled_from(["actual", "deemed"]), st.sampled_from(["", "固阳县"])).map(
        lambda t: ",".join(t).rstrip(",")),
    max_size=6)
