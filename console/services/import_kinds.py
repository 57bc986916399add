"""What each kind of import file holds, and how its rows are checked and turned into tuples.

A *plan* is the importer's knowledge of one kind (persons, employers,
archive, contributions, cases).  It is driven in passes over the file:

1. ``check(line, cells)`` for every row: per-cell parsing, per-row rules,
   and the keys needed across rows.  Each row's natural key goes, with its
   line, to a scratch table on disk (``db.imports.RowKeys``: a TEMP table of
   the import's own connection, written in batches); the persons (and, in a
   persons file, the employers) referred to are kept in memory, a small
   entry per distinct person (``PersonRefs``): a county has some 200,000
   people, so that is bounded by people, not by rows.  Nothing kept in
   memory grows with the number of rows, only with the number of people
   and of bad rows (``MAX_ERRORS`` at most).
2. ``finish(db)`` once: one ``GROUP BY`` on the scratch table finds every
   duplicated key, its first line and the later ones; references and ID
   numbers are settled against the database in chunked lookups (an ID number
   already registered was checked when it was stored, so only new numbers go
   through ``parse_id``).  Returns whether a *fix-up* pass is needed.
3. ``fixup(line, cells)`` (only when something in 2 failed, or a duplicate
   was found): reports every row that refers to a bad reference and every
   later row of a duplicated key (naming the first line), so the report
   names them all.
4. ``prepare(db, actor)`` inside the import transaction: parents the file
   defines (an employer named in a persons file, a person named in a
   contributions file) are written first, and keys become row ids.
5. ``convert(cells)`` for every good row -> a tuple for ``executemany``;
   ``write(db, batch)`` sends a batch.

References may point at rows that exist in the database OR that the same
file defines: in a contributions, archive or cases file a row that carries
the person's name (姓名) defines that person if they are not registered yet;
in a persons file a row carrying the employer's name (单位名称) defines the
employer.  Rows that only carry the ID number must find the person in one of
those two places.
"""
from __future__ import annotations

import hashlib
import json
import re
from array import array
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable

import sqlite_utils
from stdnum.cn import ric, uscc

from console import vocabulary
from console.errors import BadInput
from console.rules.birth_date import DOC_KINDS
from console.rules.idcard import parse_id
from console.rules.intervals import KINDS as PERIOD_KINDS
from console.rules.materials import CASE_KINDS, JOINT_ITEMS
from console.services import import_values as v
from console.services.import_readers import (
    JSON_FLAG,
    JSON_LIST,
    JSON_NUMBER,
    JSON_TEXT,
    JSON_WHEN,
    ImportLimits,
)
from console.services.import_values import Cached, Codes, FieldError, error
from console.text_policy import for_display
from db import imports as imports_db
from db.cases import OPEN_STATUSES
from db.clock import now_iso
from db.schema import CASE_STATUSES

KINDS = ("persons", "employers", "archive", "contributions", "cases")
FREE_TEXT_CACHE = 5_000
"""Names, phones, addresses are mostly unique: remembering them would cost memory for nothing."""
MAX_ERRORS = 100_000
"""More bad rows than this and the file is the wrong file: stop and say so (memory stays bounded)."""


@dataclass(frozen=True)
class Column:
    """One column of a kind: English field name, Chinese header, whether every row needs it."""

    name: str
    zh: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    json: tuple[type, ...] = JSON_TEXT
    """The JSON types a JSON Lines value of this column may have (anything else is a bad row)."""

    @property
    def header(self) -> str:
        """The template's header cell: Chinese first, the field name in brackets; '*' marks required."""
        return f"{'*' if self.required else ''}{self.zh}({self.name})"


_ID = Column("id_number", "身份证号码", True, ("身份证号", "公民身份号码", "证件号码", "身份证"))
_NAME_REF = Column("name", "姓名", False, ("人员姓名",))

COLUMNS: dict[str, tuple[Column, ...]] = {
    "employers": (
        Column("credit_code", "统一社会信用代码", True, ("信用代码", "社会信用代码", "单位统一社会信用代码")),
        Column("name", "单位名称", True, ("单位", "名称")),
        Column("address", "单位地址", False, ("地址",)),
        Column("phone", "联系电话", False, ("电话",)),
    ),
    "persons": (
        _ID,
        Column("name", "姓名", True),
        Column("sex", "性别"),
        Column("hukou", "户籍地", False, ("户籍", "户口所在地")),
        Column("phone", "联系电话", False, ("电话", "手机号码", "手机")),
        Column("address", "联系地址", False, ("地址", "通讯地址", "送达地址")),
        Column("staff_category", "人员身份", False, ("身份类别", "人员类别")),
        Column("female_group", "女职工类别", False, ("女性类别",)),
        Column("employer_code", "单位统一社会信用代码", False, ("单位信用代码", "统一社会信用代码")),
        Column("employer_name", "单位名称", False, ("单位",)),
        Column("archive_lost", "档案遗失", False, ("档案是否遗失",), json=JSON_FLAG),
        Column("insured_before_2011_07", "2011年7月前参保", False, json=JSON_FLAG),
        Column("bank_card", "银行卡号", False, ("银行账号",)),
        Column("average_index", "平均缴费指数", False, ("缴费指数",), json=JSON_NUMBER),
        Column("account_balance", "个人账户储存额", False, ("个人账户余额", "账户储存额"), json=JSON_NUMBER),
    ),
    "archive": (
        _ID,
        _NAME_REF,
        Column("doc_kind", "材料类型", True, ("档案材料", "材料名称")),
        Column("doc_date", "形成日期", False, ("材料日期",), json=JSON_WHEN),
        Column("birth_date_recorded", "记载出生日期", False, ("出生日期",), json=JSON_WHEN),
        Column("altered", "是否涂改", False, ("涂改",), json=JSON_FLAG),
        Column("altered_confirmed", "涂改已核实", False, json=JSON_FLAG),
        Column("note", "备注", False),
    ),
    "contributions": (
        _ID,
        _NAME_REF,
        Column("from_month", "起始年月", True, ("开始年月", "起始时间", "起"), json=JSON_WHEN),
        Column("to_month", "终止年月", True, ("截止年月", "结束年月", "终止时间", "止"), json=JSON_WHEN),
        Column("kind", "缴费类型", True, ("类型",)),
        Column("place", "缴费地", False, ("参保地", "缴费地区")),
        Column("base", "缴费基数", False, ("基数",), json=JSON_NUMBER),
        Column("evidence", "认定依据", False, ("依据",)),
    ),
    "cases": (
        Column("case_no", "办件编号", True, ("受理编号", "件号")),
        _ID,
        _NAME_REF,
        Column("kind", "办件类型", False, ("退休类型",)),
        Column("status", "办件状态", False, ("状态",)),
        Column("joint_items", "联办事项", False, json=JSON_LIST),
        Column("received_at", "收件时间", True, ("收件日期", "申请日期"), json=JSON_WHEN),
        Column("accepted_at", "受理时间", False, ("受理日期",), json=JSON_WHEN),
        Column("completed_at", "办结时间", False, ("办结日期",), json=JSON_WHEN),
        Column("chosen_month", "选择退休年月", False, ("退休年月",), json=JSON_WHEN),
        Column("due_date", "办结时限", False, ("到期日期",), json=JSON_WHEN),
        Column("acceptance_notice_no", "受理通知书编号", False, ("受理通知书号",)),
    ),
}

IGNORED_HEADERS = ("line", "行号", "行号(line)", "reason", "错误原因", "错误原因(reason)", "reasons")
"""The two columns a rejects file adds: a corrected rejects file can be imported as it is."""

_BRACKETED = re.compile(r"^(.*?)\(([a-z0-9_]+)\)$")


def _fold_header(text: str) -> str:
    return v.half_width(str(text)).replace("\ufeff", "").strip().lstrip("*").strip().lower().replace(" ", "")


def json_types(kind: str) -> dict[str, tuple[type, ...]]:
    """field -> the JSON types its values may have, for the JSON Lines reader."""
    return {c.name: c.json for c in COLUMNS[kind]}


def header_resolver(kind: str) -> Callable[[str], str | None]:
    """header text -> field name; None for a column to ignore; KeyError for an unknown one.

    Accepts the template's ``身份证号码(id_number)``, the Chinese header alone,
    the English field name alone, and a few usual synonyms.
    """
    table: dict[str, str] = {}
    for col in COLUMNS[kind]:
        for text in (col.zh, *col.aliases):
            table.setdefault(_fold_header(text), col.name)
    for col in COLUMNS[kind]:  # field names win over synonyms
        table[_fold_header(col.name)] = col.name
        table[_fold_header(col.header)] = col.name
    ignored = {_fold_header(h) for h in IGNORED_HEADERS}

    def resolve(text: str) -> str | None:
        folded = _fold_header(text)
        if not folded or folded in ignored:
            return None
        found = table.get(folded)
        if found:
            return found
        m = _BRACKETED.match(folded)
        if m:
            found = table.get(m.group(2)) or table.get(m.group(1))
            if found:
                return found
        raise KeyError(text)

    return resolve


def map_header(kind: str, header: list[str]) -> dict[str, int]:
    """field -> column index; BadInput naming every unknown, doubled or missing column at once."""
    resolve = header_resolver(kind)
    fields: dict[str, int] = {}
    unknown: list[str] = []
    doubled: list[str] = []
    for i, text in enumerate(header):
        try:
            name = resolve(text)
        except KeyError:
            unknown.append(for_display(text)[:80])
            continue
        if name is None:
            continue
        if name in fields:
            doubled.append(for_display(text)[:80])
        fields.setdefault(name, i)
    missing = [c.header for c in COLUMNS[kind] if c.required and c.name not in fields]
    if not header:
        raise BadInput("importer.empty_file")
    if unknown or doubled or missing:
        raise BadInput(
            "importer.bad_header",
            unknown=", ".join(unknown) or "-",
            doubled=", ".join(doubled) or "-",
            missing=", ".join(missing) or "-",
            expected=", ".join(c.header for c in COLUMNS[kind]),
        )
    return fields


class TooManyErrors(Exception):
    pass


BAD: Any = object()
"""What ``Plan._opt`` / ``_req`` return for a cell they refused (the error is already recorded)."""


def usable(value: Any) -> bool:
    return value is not None and value is not BAD


class Errors:
    """Every bad cell of the file: [line, field, value, code, params]; the lines, as a set."""

    def __init__(self, limit: int = MAX_ERRORS) -> None:
        self.items: list[list[Any]] = []
        self.lines: set[int] = set()
        self.limit = limit
        self.order: dict[str, int] = {}

    def add(self, line: int, field: str, raw: Any, err: FieldError, /) -> list[Any]:
        return self.add_code(line, field, raw, err.code, **err.params_dict())

    def add_code(self, line: int, field: str, raw: Any, code: str, /, **params: Any) -> list[Any]:
        """(Positional: a text-policy error's own parameters include one called ``field``.)"""
        item = [line, for_display(field)[:80], "" if raw is None else for_display(v.clean(raw) or "")[:100], code, params]
        self.items.append(item)
        self.lines.add(line)
        if len(self.lines) > self.limit:
            raise TooManyErrors()
        return item

    def sorted(self) -> list[list[Any]]:
        """By line, then by the column's place in the template."""
        order = self.order
        return sorted(self.items, key=lambda e: (e[0], order.get(e[1], 99)))

    def __len__(self) -> int:
        return len(self.lines)


def _compact_id(raw: Any) -> str | FieldError:
    """The ID number of a cell: ASCII digits (full-width and superscript folded, other scripts refused)."""
    text = raw if isinstance(raw, str) else (v.clean(raw) or "")
    number = v.digits(text, "id_number")
    if number.__class__ is FieldError:
        return number
    return number.replace(" ", "").replace("-", "").strip().upper()  # type: ignore[union-attr]


def _well_formed(number: str) -> bool:
    return len(number) == 18 and number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")


def _id_format_error(number: str, today: date) -> FieldError:
    """Why a number that is not 17 digits and a check character is refused (never an exception)."""
    try:
        card = parse_id(number, today=today)
    except Exception:  # stdnum on a character it does not expect (the '²'): still just a bad number
        return error("rules.id.format")
    return error(card.error or "rules.id.format")


def id_problem(number: str, today: date) -> str | None:
    """None for a valid ID number, else ``parse_id``'s error code (the place lookup is skipped)."""
    card = parse_id(number, today=today)
    return None if card.valid else (card.error or "rules.id.format")


class PersonRefs:
    """The persons a file names, by ID number: a small index per distinct person.

    ``index`` maps the raw cell to the person's index (or to the FieldError of
    a malformed number), so a million rows about 200,000 people cost 200,000
    parses, and the second pass is a dictionary lookup.
    """

    def __init__(self, today: date) -> None:
        self.today = today
        self.index: dict[Any, int | FieldError] = {}
        self.by_number: dict[str, int] = {}
        self.numbers: list[str] = []
        self.first_line = array("q")
        self.names: dict[int, tuple[str, int]] = {}
        self.registered = bytearray()
        self.db_names: dict[int, str] = {}
        self.bad: dict[int, FieldError] = {}
        self.name_mismatch: set[int] = set()
        self.person_ids: list[int] = []
        self.canonical = True  # every ID cell was already the bare 18-character number

    def register(self, raw: Any, line: int) -> int | FieldError:
        """The index for this cell, registering a new number (checked later, in ``finish``)."""
        try:
            found = self.index.get(raw)
        except TypeError:
            found = None
            raw = str(raw)
        if found is not None:
            return found
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return error("importer.value.required")
        number = _compact_id(raw)
        result: int | FieldError
        if number.__class__ is FieldError:
            self.canonical = False
            result = number  # type: ignore[assignment]
        else:
            if number == raw:
                number = raw  # one string object for the cell, the index and the list
            else:
                self.canonical = False
            if not _well_formed(number):  # type: ignore[arg-type]
                result = _id_format_error(number, self.today)  # type: ignore[arg-type]
            else:
                idx = self.by_number.get(number)  # type: ignore[arg-type]
                if idx is None:
                    idx = len(self.numbers)
                    self.by_number[number] = idx  # type: ignore[index]
                    self.numbers.append(number)  # type: ignore[arg-type]
                    self.first_line.append(line)
                result = idx
        if len(self.index) < 2_000_000:
            self.index[raw] = result
        return result

    def lookup(self, raw: Any) -> int | FieldError:
        """Second pass: the index of a cell seen in the first pass."""
        try:
            found = self.index.get(raw)
        except TypeError:
            found = None
        if found is not None:
            return found
        number = _compact_id(raw)
        if number.__class__ is FieldError:
            return number  # type: ignore[return-value]
        idx = self.by_number.get(number)  # type: ignore[arg-type]
        return idx if idx is not None else error("rules.id.format")

    def define(self, idx: int, name: str, line: int) -> FieldError | None:
        """A row gives the person's name: the first one stands; a different later one is an error."""
        seen = self.names.get(idx)
        if seen is None:
            self.names[idx] = (name, line)
            return None
        if seen[0] != name:
            return error("importer.row.name_conflict", other=seen[0], first=seen[1])
        return None

    def finish(self, db: sqlite_utils.Database, *, defined_by_rows: bool) -> None:
        """Settle every number: registered (fine), new and valid (needs a defining row), or invalid.

        Only a flag per person is kept (and the registered name where the
        file gave one to compare): a million-row file about 200,000 people
        must not hold 200,000 database rows.
        """
        registered = bytearray(len(self.numbers))
        by_number, names = self.by_number, self.names
        for number, _pid, name in imports_db.iter_persons_by_number(db, self.numbers):
            idx = by_number[number]
            registered[idx] = 1
            given = names.get(idx)
            if given is not None:
                self.db_names[idx] = name
                if given[0] != name and not defined_by_rows:
                    self.name_mismatch.add(idx)
        self.registered = registered
        for idx, number in enumerate(self.numbers):
            if registered[idx]:
                continue
            problem = id_problem(number, self.today)
            if problem is not None:
                self.bad[idx] = error(problem)
            elif not defined_by_rows and idx not in names:
                self.bad[idx] = error("importer.row.unknown_person")

    def sex(self, idx: int) -> str:
        return "M" if int(self.numbers[idx][16]) % 2 == 1 else "F"

    def birth_date(self, idx: int) -> str:
        n = self.numbers[idx]
        return f"{n[6:10]}-{n[10:12]}-{n[12:14]}"

    def write_new(self, db: sqlite_utils.Database, actor: str, initials: Callable[[str], str]) -> int:
        """Insert the persons only this file knows (from rows carrying a name); then map index -> id."""
        now = now_iso()
        batch: list[tuple[Any, ...]] = []
        created = 0
        for idx, (name, _line) in self.names.items():
            if self.registered[idx] or idx in self.bad:
                continue
            batch.append((self.numbers[idx], name, initials(name), self.sex(idx), self.birth_date(idx), now, actor))
            if len(batch) >= 5000:
                created += imports_db.insert_new_persons(db, batch)
                batch = []
        if batch:
            created += imports_db.insert_new_persons(db, batch)
        return created

    def map_ids(self, db: sqlite_utils.Database) -> None:
        """index -> person id, for ``convert`` (an array: 8 bytes a person)."""
        ids = array("q", bytes(8 * len(self.numbers)))
        by_number = self.by_number
        for number, pid, _name in imports_db.iter_persons_by_number(db, self.numbers):
            ids[by_number[number]] = pid
        self.person_ids = ids  # type: ignore[assignment]


def _initials_cache() -> Callable[[str], str]:
    from console.names import initials

    cache = Cached(lambda name: initials(name), limit=500_000)
    return cache.get  # type: ignore[return-value]


SEX = Codes(vocabulary.SEX.codes, {"男": "M", "女": "F", "male": "M", "female": "F", "1": "M", "2": "F"}, vocabulary.SEX.terms)
STAFF_CATEGORY = Codes(vocabulary.STAFF_CATEGORY.codes, {"工人": "worker", "干部": "cadre", "灵活就业": "flexible",
                                                         "灵活就业人员": "flexible", "个体": "flexible"}, vocabulary.STAFF_CATEGORY.terms)
FEMALE_GROUP = Codes(vocabulary.FEMALE_GROUP.codes, {"50": "female50", "55": "female55", "女工人": "female50",
                                                "女干部": "female55"}, vocabulary.AGE_GROUP.terms)
PERIOD_KIND = Codes(PERIOD_KINDS, {"实际缴费": "actual", "实缴": "actual", "缴费": "actual",
                                   "视同缴费": "deemed", "视同": "deemed"}, vocabulary.PERIOD_KIND.terms)
DOC_KIND = Codes(DOC_KINDS, {}, "importer.doc_kind")
_DOC_KIND_NUMBER = {kind: i + 1 for i, kind in enumerate(DOC_KINDS)}
assert len(_DOC_KIND_NUMBER) < 256  # eight bits of the archive key
CASE_KIND = Codes(CASE_KINDS, {}, vocabulary.CASE_KIND.terms)
CASE_STATUS = Codes(CASE_STATUSES, {}, vocabulary.CASE_STATUS.terms)
JOINT_ITEM = Codes(JOINT_ITEMS, {"医保": "medical", "公积金": "housing_fund", "卫健": "health",
                                 "独生子女": "health"}, "joint_items")
_LIST_SPLIT = re.compile(r"[,;，；、/|\s]+")


def parse_joint(raw: Any) -> str | FieldError:
    text = v.clean(raw)
    if text is None:
        return "[]"
    if isinstance(raw, list):
        parts = [str(p) for p in raw]
    else:
        if text.startswith("["):
            try:
                parts = [str(p) for p in json.loads(text)]
            except (ValueError, TypeError):
                return error("importer.value.bad_list")
        else:
            parts = [p for p in _LIST_SPLIT.split(text) if p]
    out = set()
    for part in parts:
        code = JOINT_ITEM.parse(part)
        if isinstance(code, FieldError):
            return code
        out.add(code)
    return json.dumps(sorted(out))


def parse_credit_code(raw: Any) -> str | FieldError:
    text = v.clean(raw)
    if text is None:
        return error("importer.value.required")
    folded = v.digits(text, "credit_code")
    if folded.__class__ is FieldError:
        return folded
    code = uscc.compact(folded)  # type: ignore[arg-type]
    if not uscc.is_valid(code):
        return error("importer.value.bad_credit_code")
    return code


def parse_case_no(raw: Any) -> str | FieldError:
    from db.case_numbers import normalise_case_no

    text = v.clean(raw)
    if text is None:
        return error("importer.value.required")
    folded = v.digits(text, "case_no")
    if folded.__class__ is FieldError:
        return folded
    try:
        return normalise_case_no(folded)  # type: ignore[arg-type]
    except BadInput:
        return error("importer.value.bad_case_no")


class Plan:
    """The common frame of a kind; see the module docstring for the passes."""

    kind = ""
    table = ""
    uses_persons = False
    dup_field = ""
    """The column a duplicate row is reported on (its cell is the error's value)."""
    key_columns: tuple[str, ...] = ()
    """Integer columns the scratch key table carries besides (key, line)."""

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        self.fields = fields
        self.errors = errors
        self.today = today
        self.limits = limits or ImportLimits()
        self.name_text = _cached(v.text_parser("name", self.limits.text_chars), FREE_TEXT_CACHE)
        self.refs = PersonRefs(today)
        self.keys = imports_db.RowKeys(self.key_columns)
        self.dup_later: dict[int, int] = {}
        """Later line -> first line of a duplicated key; each entry is a bad row (bounded by MAX_ERRORS)."""
        self.counts: dict[str, dict[str, int]] = {}
        self.actor = ""
        self.now = ""

    def open(self, db: sqlite_utils.Database) -> None:
        """Before pass 1: the scratch table for the rows' keys (``close`` drops it)."""
        self.keys.open(db)

    def close(self) -> None:
        self.keys.close()

    def col(self, name: str) -> int | None:
        return self.fields.get(name)

    # pass 1 -------------------------------------------------------------
    def check(self, line: int, cells: list[Any]) -> None:
        raise NotImplementedError

    def finish(self, db: sqlite_utils.Database) -> bool:
        return self._find_duplicates()

    def fixup(self, line: int, cells: list[Any]) -> None:
        pass

    def _find_duplicates(self) -> bool:
        """After pass 1: every later row of a duplicated key, with the key's first line (one GROUP BY)."""
        later = self.dup_later
        limit = self.errors.limit
        with closing(self.keys.duplicates()) as rows:
            for _key, first, line in rows:
                later[line] = first
                if len(later) > limit:  # each is a bad line: the file is the wrong file
                    raise TooManyErrors()
        return bool(later)

    def _dup_fixup(self, line: int, cells: list[Any]) -> None:
        """Fix-up: a later row of a duplicated key names the line it repeats."""
        first = self.dup_later.get(line)
        if first is not None:
            field = self.dup_field
            self.errors.add_code(line, field, cells[self.fields[field]], "importer.row.duplicate", first=first)

    # pass 2 -------------------------------------------------------------
    def prepare(self, db: sqlite_utils.Database, actor: str, *, convert: bool = True) -> None:
        """Write what must exist first; ``convert`` False: rows go in raw (``raw_cells_sql``), no id maps needed."""
        self.actor = actor
        self.now = now_iso()

    def convert(self, cells: list[Any]) -> tuple[Any, ...]:
        raise NotImplementedError

    def write(self, db: sqlite_utils.Database, batch: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def raw_cells_sql(self, width: int) -> str | None:
        """An upsert taking the file's cells unconverted, when that is safe (see ContributionsPlan)."""
        return None

    def write_raw(self, db: sqlite_utils.Database, sql: str, batch: list[list[str]]) -> None:
        self._count(self.table, updated=imports_db.write_batch(db, sql, batch))

    # helpers --------------------------------------------------------------
    def _person_ref(self, line: int, cells: list[Any]) -> int | None:
        """Check the ID number cell and the optional name that defines the person."""
        i = self.fields["id_number"]
        raw = cells[i]
        idx = self.refs.register(raw, line)
        if type(idx) is FieldError:
            self.errors.add(line, "id_number", raw, idx)
            return None
        ni = self.fields.get("name")
        if ni is not None:
            name_raw = cells[ni]
            if name_raw is not None and name_raw != "":
                name = self.name_text.get(name_raw)
                if type(name) is FieldError:
                    if name.code != "importer.value.required":
                        self.errors.add(line, "name", name_raw, name)
                else:
                    problem = self.refs.define(idx, name, line)  # type: ignore[arg-type]
                    if problem is not None:
                        self.errors.add(line, "name", name_raw, problem)
        return idx  # type: ignore[return-value]

    def _ref_fixup(self, line: int, cells: list[Any]) -> int | None:
        """Fix-up: report this row if its person turned out invalid, unknown, or named differently."""
        raw = cells[self.fields["id_number"]]
        idx = self.refs.lookup(raw)
        if type(idx) is FieldError:
            return None
        bad = self.refs.bad.get(idx)  # type: ignore[arg-type]
        if bad is not None:
            self.errors.add(line, "id_number", raw, bad)
        elif idx in self.refs.name_mismatch:
            ni = self.fields.get("name")
            given = v.clean(cells[ni]) if ni is not None else None
            registered = self.refs.db_names[idx]  # type: ignore[index]
            if given is not None and given != registered:
                self.errors.add_code(line, "name", given, "importer.row.name_differs", registered=registered)
        return idx  # type: ignore[return-value]

    def _opt(self, line: int, cells: list[Any], name: str, parser: Cached[Any]) -> Any:
        """An optional cell: None when empty or absent, the parsed value, or BAD after recording an error."""
        i = self.fields.get(name)
        if i is None:
            return None
        raw = cells[i]
        if raw is None or raw == "":
            return None
        value = parser.get(raw)
        if type(value) is FieldError:
            if value.code == "importer.value.required":
                return None  # whitespace only: empty
            self.errors.add(line, name, raw, value)
            return BAD
        return value

    def _req(self, line: int, cells: list[Any], name: str, parser: Cached[Any]) -> Any:
        """A required cell: the parsed value, or BAD after recording an error."""
        raw = cells[self.fields[name]]
        value = parser.get(raw)
        if type(value) is FieldError:
            self.errors.add(line, name, raw, value)
            return BAD
        return value

    def _val(self, cells: list[Any], name: str, parser: Cached[Any]) -> Any:
        """Second pass: the parsed value (the row was valid), None when empty."""
        i = self.fields.get(name)
        if i is None:
            return None
        raw = cells[i]
        if raw is None or raw == "":
            return None
        value = parser.get(raw)
        return None if type(value) is FieldError else value

    def _count(self, table: str, inserted: int = 0, updated: int = 0) -> None:
        c = self.counts.setdefault(table, {"inserted": 0, "updated": 0})
        c["inserted"] += inserted
        c["updated"] += updated


def _cached(parse: Callable[[Any], Any], limit: int = 200_000) -> Cached[Any]:
    return Cached(parse, limit)


class EmployersPlan(Plan):
    kind = "employers"
    table = "employers"
    dup_field = "credit_code"

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        super().__init__(fields, errors, today, limits)
        self.code = _cached(parse_credit_code)
        self.text = _cached(v.text_parser("text", self.limits.text_chars), FREE_TEXT_CACHE)
        self.phone = _cached(v.parse_phone, FREE_TEXT_CACHE)

    def check(self, line: int, cells: list[Any]) -> None:
        code = self._req(line, cells, "credit_code", self.code)
        self._req(line, cells, "name", self.text)
        self._opt(line, cells, "address", self.text)
        self._opt(line, cells, "phone", self.phone)
        if code is not BAD:
            self.keys.add(code, line)

    def fixup(self, line: int, cells: list[Any]) -> None:
        self._dup_fixup(line, cells)

    def convert(self, cells: list[Any]) -> tuple[Any, ...]:
        return (self._val(cells, "credit_code", self.code), self._val(cells, "name", self.text),
                self._val(cells, "address", self.text), self._val(cells, "phone", self.phone))

    def write(self, db: sqlite_utils.Database, batch: list[tuple[Any, ...]]) -> None:
        self._count("employers", updated=imports_db.upsert_employers(db, batch))


class PersonsPlan(Plan):
    kind = "persons"
    table = "persons"

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        super().__init__(fields, errors, today, limits)
        self.text = _cached(v.text_parser("text", self.limits.text_chars), FREE_TEXT_CACHE)
        self.phone = _cached(v.parse_phone, FREE_TEXT_CACHE)
        self.card = _cached(v.parse_bank_card, FREE_TEXT_CACHE)
        self.index = _cached(v.parse_index, FREE_TEXT_CACHE)
        self.balance = _cached(v.parse_amount, FREE_TEXT_CACHE)
        self.sex = _cached(SEX.parse)
        self.category = _cached(STAFF_CATEGORY.parse)
        self.group = _cached(FEMALE_GROUP.parse)
        self.flag = _cached(v.parse_bool)
        self.code = _cached(parse_credit_code)
        self.keyed = bytearray()
        self.employers: dict[str, tuple[str, int] | None] = {}
        self.employer_bad: set[str] = set()
        self.employer_ids: dict[str, int] = {}
        self.initials: Callable[[str], str] = lambda s: s

    def check(self, line: int, cells: list[Any]) -> None:
        raw = cells[self.fields["id_number"]]
        idx = self.refs.register(raw, line)
        if type(idx) is FieldError:
            self.errors.add(line, "id_number", raw, idx)
            idx = None
        else:
            if len(self.keyed) <= idx:  # type: ignore[operator]
                self.keyed.extend(b"\0" * (idx + 1 - len(self.keyed)))  # type: ignore[operator]
            if self.keyed[idx]:  # type: ignore[index]
                self.errors.add_code(line, "id_number", raw, "importer.row.duplicate", first=self.refs.first_line[idx])  # type: ignore[index]
            self.keyed[idx] = 1  # type: ignore[index]
        self._req(line, cells, "name", self.name_text)
        sex = self._opt(line, cells, "sex", self.sex)
        if idx is not None and usable(sex) and sex != self.refs.sex(idx):
            self.errors.add_code(line, "sex", cells[self.fields["sex"]], "importer.row.sex_mismatch",
                                 id_sex=self.refs.sex(idx))
        for name in ("hukou", "address"):
            self._opt(line, cells, name, self.text)
        self._opt(line, cells, "phone", self.phone)
        self._opt(line, cells, "bank_card", self.card)
        self._opt(line, cells, "average_index", self.index)
        self._opt(line, cells, "account_balance", self.balance)
        self._opt(line, cells, "staff_category", self.category)
        group = self._opt(line, cells, "female_group", self.group)
        if usable(group) and idx is not None and self.refs.sex(idx) == "M":
            self.errors.add_code(line, "female_group", cells[self.fields["female_group"]], "importer.row.female_group_for_man")
        self._opt(line, cells, "archive_lost", self.flag)
        self._opt(line, cells, "insured_before_2011_07", self.flag)
        code = self._opt(line, cells, "employer_code", self.code)
        employer_name = self._opt(line, cells, "employer_name", self.text)
        if code is BAD:
            return
        if code is not None:
            known = self.employers.get(code)
            if usable(employer_name):
                if known is None:
                    self.employers[code] = (employer_name, line)
                elif known[0] != employer_name:
                    self.errors.add_code(line, "employer_name", employer_name, "importer.row.employer_conflict",
                                         other=known[0], first=known[1])
            elif code not in self.employers:
                self.employers[code] = None
        elif usable(employer_name):
            self.errors.add_code(line, "employer_name", employer_name, "importer.row.employer_name_without_code")

    def finish(self, db: sqlite_utils.Database) -> bool:
        self.refs.finish(db, defined_by_rows=True)
        for idx, problem in self.refs.bad.items():
            self.errors.add(self.refs.first_line[idx], "id_number", self.refs.numbers[idx], problem)
        registered = imports_db.employers_by_code(db, list(self.employers))
        self.employer_bad = {c for c, named in self.employers.items() if named is None and c not in registered}
        return bool(self.employer_bad)

    def fixup(self, line: int, cells: list[Any]) -> None:
        i = self.fields.get("employer_code")
        if i is None:
            return
        code = self._val(cells, "employer_code", self.code)
        if code in self.employer_bad:
            self.errors.add_code(line, "employer_code", cells[i], "importer.row.unknown_employer")

    def prepare(self, db: sqlite_utils.Database, actor: str, *, convert: bool = True) -> None:
        super().prepare(db, actor)
        self.initials = _initials_cache()
        new = [(code, named[0]) for code, named in self.employers.items() if named is not None]
        if new:
            self._count("employers", inserted=imports_db.insert_new_employers(db, new))
        self.employer_ids = {c: hit[0] for c, hit in imports_db.employers_by_code(db, list(self.employers)).items()}

    def convert(self, cells: list[Any]) -> tuple[Any, ...]:
        idx: int = self.refs.lookup(cells[self.fields["id_number"]])  # type: ignore[assignment]
        name = self._val(cells, "name", self.name_text)
        code = self._val(cells, "employer_code", self.code)
        return (
            self.refs.numbers[idx], name, self.initials(name), self.refs.sex(idx), self.refs.birth_date(idx),
            self._val(cells, "hukou", self.text), self._val(cells, "phone", self.phone), self._val(cells, "address", self.text),
            self._val(cells, "staff_category", self.category), self._val(cells, "female_group", self.group),
            self.employer_ids.get(code) if code else None,
            self._val(cells, "archive_lost", self.flag), self._val(cells, "insured_before_2011_07", self.flag),
            self._val(cells, "bank_card", self.card),
            self._val(cells, "average_index", self.index), self._val(cells, "account_balance", self.balance),
            self.now, self.actor,
        )

    def write(self, db: sqlite_utils.Database, batch: list[tuple[Any, ...]]) -> None:
        self._count("persons", updated=imports_db.upsert_persons(db, batch))


class ReferringPlan(Plan):
    """A kind whose rows refer to a person (archive, contributions, cases)."""

    uses_persons = True

    def finish(self, db: sqlite_utils.Database) -> bool:
        self.refs.finish(db, defined_by_rows=False)
        duplicates = self._find_duplicates()
        return bool(self.refs.bad or self.refs.name_mismatch or duplicates)

    def prepare(self, db: sqlite_utils.Database, actor: str, *, convert: bool = True) -> None:
        super().prepare(db, actor)
        if self.refs.names:
            created = self.refs.write_new(db, actor, _initials_cache())
            if created:
                self._count("persons", inserted=created)
        if convert:
            self.refs.map_ids(db)


class ContributionsPlan(ReferringPlan):
    """The hot path of a nightly import: kept to dictionary lookups per row."""

    kind = "contributions"
    table = "contribution_periods"
    dup_field = "from_month"

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        super().__init__(fields, errors, today, limits)
        self.month = Cached(v.parse_month, text_of=lambda m: m[1])
        self.kind_code = _cached(PERIOD_KIND.parse)
        self.text = _cached(v.text_parser("text", self.limits.text_chars), FREE_TEXT_CACHE)
        self.amount = _cached(v.parse_amount)
        self.i_id = fields["id_number"]
        self.i_from = fields["from_month"]
        self.i_to = fields["to_month"]
        self.i_kind = fields["kind"]
        self.i_name = fields.get("name")
        self.check = self._make_check()  # type: ignore[method-assign]

    def _make_check(self) -> Callable[[int, list[Any]], None]:
        """The per-row check with everything it needs bound to locals (it runs a million times).

        Cells are always hashable (readers see to it), so every lookup is one
        ``dict.get``; an optional cell costs one set membership test once its
        value has been seen valid.  The row's key (person, from, to, kind packed
        into one integer, in that order of significance, so that a file sorted
        by person and period has ever-growing keys) goes to the scratch tables:
        a key above every earlier one cannot be a duplicate and is only
        appended to an array (``RowKeys`` ordered keys), any other one is
        written with its line for the ``GROUP BY``.
        """
        index_get = self.refs.index.get
        person_ref = self._person_ref
        add = self.errors.add
        mcache_get, mget = self.month.cache.get, self.month.get
        kcache_get, kget = self.kind_code.cache.get, self.kind_code.get
        i_id, i_from, i_to, i_kind, i_name = self.i_id, self.i_from, self.i_to, self.i_kind, self.i_name
        has_name = i_name is not None
        optional = [(i, self._optional_check(name, parser)) for name, i, parser in self._optional_parsers()]
        keys = self.keys
        run_keys = keys.run_keys  # flush_run() empties these very arrays
        run_keys_append, run_lines_append = run_keys.append, keys.run_lines.append
        flush_run, run_size, unordered = keys.flush_run, keys.run_size, keys.unordered
        top = -1  # the greatest key so far
        slow = self._check_slow
        fe = FieldError

        def check(line: int, cells: list[Any]) -> None:
            nonlocal top
            raw = cells[i_id]
            idx = index_get(raw)
            if idx is None or (has_name and cells[i_name]):
                idx = person_ref(line, cells)
            elif idx.__class__ is fe:
                add(line, "id_number", raw, idx)
                idx = None
            raw_f = cells[i_from]
            f = mcache_get(raw_f) or mget(raw_f)
            raw_t = cells[i_to]
            t = mcache_get(raw_t) or mget(raw_t)
            raw_k = cells[i_kind]
            k = kcache_get(raw_k) or kget(raw_k)
            for i, (good, slow_optional) in optional:
                raw = cells[i]
                if raw and raw not in good:
                    slow_optional(line, raw)
            if idx is None or f.__class__ is fe or t.__class__ is fe or k.__class__ is fe:
                slow(line, cells, f, t, k)
                return
            start, end = f[0], t[0]
            if start > end:
                slow(line, cells, f, t, k)
                return
            key = (idx << 37) | (start << 19) | (end << 1) | (k == "deemed")
            if key > top:
                top = key
                run_keys_append(key)
                run_lines_append(line)
                if len(run_keys) >= run_size:
                    flush_run()
            else:
                unordered(key, line)

        return check

    def _optional_parsers(self) -> list[tuple[str, int, Cached[Any]]]:
        out = []
        for name, parser in (("place", self.text), ("base", self.amount), ("evidence", self.text)):
            i = self.fields.get(name)
            if i is not None:
                out.append((name, i, parser))
        return out

    def _optional_check(self, name: str, parser: Cached[Any]) -> tuple[set[Any], Callable[[int, Any], None]]:
        """(values known good, the check for any other value): good values are remembered up to a limit."""
        good: set[Any] = set()

        def check(line: int, raw: Any) -> None:
            value = parser.get(raw)
            if value.__class__ is FieldError:
                if value.code != "importer.value.required":
                    self.errors.add(line, name, raw, value)
            elif len(good) < 200_000:
                good.add(raw)

        return good, check

    def _check_slow(self, line: int, cells: list[Any], f: Any, t: Any, k: Any) -> None:
        """A row with a bad cell: record each (the person reference is already recorded)."""
        if type(f) is FieldError:
            self.errors.add(line, "from_month", cells[self.i_from], f)
        if type(t) is FieldError:
            self.errors.add(line, "to_month", cells[self.i_to], t)
        elif type(f) is not FieldError and f[0] > t[0]:
            self.errors.add_code(line, "to_month", cells[self.i_to], "importer.row.reversed", start=f[1])
        if type(k) is FieldError:
            self.errors.add(line, "kind", cells[self.i_kind], k)

    def raw_cells_sql(self, width: int) -> str | None:
        """The upsert that binds this file's cells as they are, when pass 1 proved them canonical.

        A nightly export from the social-insurance system already has bare ID
        numbers, ISO months and the English kinds: converting each cell in
        Python would only copy it.  Then the second pass hands the rows to
        SQLite untouched (the person found by a sub-select on the unique
        ID-number index), which makes the write pass cost what a plain load
        costs.  Any other file goes through ``convert``.
        """
        parsers = [self.refs, self.month, self.kind_code, self.text, self.amount]
        if not all(p.canonical for p in parsers):
            return None
        return imports_db.period_upsert_by_number_sql(
            {name: self.fields.get(name) for name in ("id_number", "from_month", "to_month", "kind", "place", "base", "evidence")},
            width,
        )

    def fixup(self, line: int, cells: list[Any]) -> None:
        self._ref_fixup(line, cells)
        self._dup_fixup(line, cells)

    def _make_convert(self) -> Callable[[list[Any]], tuple[Any, ...]]:
        """Second pass: cells -> (person_id, from, to, kind, place, base, evidence), all from the caches."""
        index_get, lookup = self.refs.index.get, self.refs.lookup
        pids = self.refs.person_ids
        mcache_get, mget = self.month.cache.get, self.month.get
        kcache_get, kget = self.kind_code.cache.get, self.kind_code.get
        i_id, i_from, i_to, i_kind = self.i_id, self.i_from, self.i_to, self.i_kind
        slots = {name: (i, parser) for name, i, parser in self._optional_parsers()}
        fe = FieldError

        def optional(name: str) -> Callable[[list[Any]], Any]:
            if name not in slots:
                return lambda cells: None
            i, parser = slots[name]
            cache_get, get = parser.cache.get, parser.get

            def value(cells: list[Any]) -> Any:
                raw = cells[i]
                if not raw:
                    return None
                v = cache_get(raw) or get(raw)
                return None if v.__class__ is fe else v

            return value

        place, base, evidence = optional("place"), optional("base"), optional("evidence")

        def convert(cells: list[Any]) -> tuple[Any, ...]:
            raw = cells[i_id]
            idx = index_get(raw)
            if idx is None:
                idx = lookup(raw)
            raw_f = cells[i_from]
            f = mcache_get(raw_f) or mget(raw_f)
            raw_t = cells[i_to]
            t = mcache_get(raw_t) or mget(raw_t)
            raw_k = cells[i_kind]
            return (pids[idx], f[1], t[1], kcache_get(raw_k) or kget(raw_k), place(cells), base(cells), evidence(cells))

        return convert

    def prepare(self, db: sqlite_utils.Database, actor: str, *, convert: bool = True) -> None:
        super().prepare(db, actor, convert=convert)
        if convert:
            self.convert = self._make_convert()  # type: ignore[method-assign]

    def write(self, db: sqlite_utils.Database, batch: list[tuple[Any, ...]]) -> None:
        self._count("contribution_periods", updated=imports_db.upsert_periods(db, batch))


class ArchivePlan(ReferringPlan):
    kind = "archive"
    table = "archive_records"
    dup_field = "doc_kind"

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        super().__init__(fields, errors, today, limits)
        self.doc_kind = _cached(DOC_KIND.parse)
        self.date = _cached(v.parse_date)
        self.flag = _cached(v.parse_bool)
        self.text = _cached(v.text_parser("text", self.limits.text_chars), FREE_TEXT_CACHE)

    def check(self, line: int, cells: list[Any]) -> None:
        idx = self._person_ref(line, cells)
        kind = self._req(line, cells, "doc_kind", self.doc_kind)
        doc_date = self._opt(line, cells, "doc_date", self.date)
        self._opt(line, cells, "birth_date_recorded", self.date)
        altered = self._opt(line, cells, "altered", self.flag)
        confirmed = self._opt(line, cells, "altered_confirmed", self.flag)
        if confirmed == 1 and altered == 0:
            self.errors.add_code(line, "altered_confirmed", cells[self.fields["altered_confirmed"]], "importer.row.confirmed_not_altered")
        self._opt(line, cells, "note", self.text)
        if idx is not None and kind is not BAD and doc_date is not BAD:
            # (person, document kind, date or none) as one integer: YYYYMMDD < 2**27
            self.keys.add(((idx << 8 | _DOC_KIND_NUMBER[kind]) << 27) | (int(doc_date.replace("-", "")) if doc_date else 0),
                          line)

    def fixup(self, line: int, cells: list[Any]) -> None:
        self._ref_fixup(line, cells)
        self._dup_fixup(line, cells)

    def convert(self, cells: list[Any]) -> tuple[Any, ...]:
        idx: int = self.refs.lookup(cells[self.fields["id_number"]])  # type: ignore[assignment]
        return (
            self.refs.person_ids[idx], self._val(cells, "doc_kind", self.doc_kind), self._val(cells, "doc_date", self.date),
            self._val(cells, "birth_date_recorded", self.date), self._val(cells, "altered", self.flag),
            self._val(cells, "altered_confirmed", self.flag), self._val(cells, "note", self.text),
        )

    def write(self, db: sqlite_utils.Database, batch: list[tuple[Any, ...]]) -> None:
        inserted, updated = imports_db.upsert_archive_records(db, batch)
        self._count("archive_records", inserted, updated)


WORKFLOW_FIELDS = ("accepted_at", "completed_at", "acceptance_notice_no")
"""Written by acceptance and completion only: an import may repeat the stored value, never set or change it."""


def _mark(value: Any) -> int:
    """A 63-bit fingerprint of a parsed cell for the scratch table; 0 for an empty (or bad) cell."""
    if value is None or value is BAD:
        return 0
    digest = hashlib.blake2b(str(value).encode("utf-8"), digest_size=8).digest()
    return (int.from_bytes(digest, "big") >> 1) or 1


def _stored(parser: Cached[Any], value: Any) -> Any:
    """A stored value as the import's parser would give it (so a re-imported export matches)."""
    parsed = parser.get(value)
    return value if type(parsed) is FieldError else parsed


IMPORT_STATUSES = ("draft",)
"""The statuses an imported NEW case may have.

A case reaches every later status only through the workflow, which writes
what that status stands for: the correction notice and its pause
(awaiting_correction), the acceptance notice and the department tasks
(accepted, in_progress), the tasks' results (completed), the delivery
(delivered), the refusal notice (refused).  An import writes none of these,
so it may register a case only as a draft, and a case already registered
keeps its status: a status cell must then be empty or equal to the stored
one.  Anything else is a bad row."""


class CasesPlan(ReferringPlan):
    kind = "cases"
    table = "cases"
    dup_field = "case_no"
    key_columns = ("ref", "open", "status", *WORKFLOW_FIELDS)
    """The scratch table keeps, per row, the person's index, whether the case is open, the status
    the row gives (its index in CASE_STATUSES, -1 when the cell is empty) and a fingerprint of each
    field only the workflow writes (``_mark``: 0 when the cell is empty)."""

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        super().__init__(fields, errors, today, limits)
        self.case_no = _cached(parse_case_no)
        self.case_kind = _cached(CASE_KIND.parse)
        self.status = _cached(CASE_STATUS.parse)
        self.joint = _cached(parse_joint)
        self.stamp = _cached(v.parse_timestamp)
        self.month = _cached(v.parse_month)
        self.date = _cached(v.parse_date)
        self.text = _cached(v.text_parser("text", self.limits.text_chars), FREE_TEXT_CACHE)
        self.open_by_person: dict[int, tuple[str, int]] = {}
        self.series: dict[tuple[str, int], int] = {}
        self.conflicts: dict[str, tuple[int, FieldError]] = {}
        """Case number -> (its first line, the error): a case registered for another person."""
        self.db_open: dict[str, list[str]] = {}
        self.calendar: Any = None
        self.due_cache: dict[str, str | None] = {}

    def check(self, line: int, cells: list[Any]) -> None:
        case_no = self._req(line, cells, "case_no", self.case_no)
        idx = self._person_ref(line, cells)
        self._opt(line, cells, "kind", self.case_kind)
        given = self._opt(line, cells, "status", self.status)
        status = given or "draft"
        self._opt(line, cells, "joint_items", self.joint)
        self._req(line, cells, "received_at", self.stamp)
        marks = [_mark(self._opt(line, cells, name, self.stamp)) for name in ("accepted_at", "completed_at")]
        self._opt(line, cells, "chosen_month", self.month)
        self._opt(line, cells, "due_date", self.date)
        marks.append(_mark(self._opt(line, cells, "acceptance_notice_no", self.text)))
        if case_no is BAD:
            return
        prefix, year, number = case_no.split("-")
        series = (prefix, int(year))
        self.series[series] = max(self.series.get(series, 0), int(number))  # a repeated number changes nothing
        self.keys.add(case_no, line, idx, 1 if idx is not None and status in OPEN_STATUSES else 0,
                      CASE_STATUSES.index(given) if isinstance(given, str) else -1, *marks)

    def finish(self, db: sqlite_utils.Database) -> bool:
        """Duplicates, then the rules on each case number's FIRST row, in file order (a repeat is only a repeat)."""
        self.refs.finish(db, defined_by_rows=False)
        add = self.errors.add_code
        with closing(self.keys.duplicates()) as rows:
            for case_no, first, line in rows:
                add(line, "case_no", case_no, "importer.row.duplicate", first=first)
        firsts: list[tuple[Any, ...]] = []
        with closing(self.keys.firsts()) as rows:
            for case_no, line, idx, is_open, status, *marks in rows:
                if is_open:
                    other = self.open_by_person.get(idx)
                    if other is not None:
                        add(line, "case_no", case_no, "importer.row.second_open_case", other=other[0], first=other[1])
                    else:
                        self.open_by_person[idx] = (case_no, line)
                if idx is not None:
                    firsts.append((case_no, line, idx, status, *marks))
                    if len(firsts) >= imports_db.LOOKUP_CHUNK:
                        self._other_person(db, firsts)
                        firsts.clear()
        self._other_person(db, firsts)
        numbers = [self.refs.numbers[i] for i in self.open_by_person]
        self.db_open = imports_db.open_cases_by_person(db, numbers, OPEN_STATUSES)
        in_file = self.keys.present({other for others in self.db_open.values() for other in others})
        for idx, (case_no, line) in self.open_by_person.items():
            for other in self.db_open.get(self.refs.numbers[idx], []):
                if other != case_no and other not in in_file:
                    add(line, "case_no", case_no, "importer.row.open_case_in_db", other=other)
        return bool(self.refs.bad or self.refs.name_mismatch or self.conflicts)

    def _other_person(self, db: sqlite_utils.Database, firsts: list[tuple[Any, ...]]) -> None:
        """A case number already registered for somebody else than the person of its first row;
        a status the workflow would not have reached (see ``IMPORT_STATUSES``); an acceptance or
        completion date or an acceptance notice number the workflow did not write."""
        if not firsts:
            return
        existing = imports_db.cases_by_number(db, [first[0] for first in firsts])
        add = self.errors.add_code
        for case_no, line, idx, status_code, *marks in firsts:
            hit = existing.get(case_no)
            if hit is not None and self.refs.numbers[idx] != hit[0]:
                self.conflicts[case_no] = (line, error("importer.row.case_other_person"))
            for name, mark, parser, stored in zip(WORKFLOW_FIELDS, marks, (self.stamp, self.stamp, self.text),
                                                  hit[2:] if hit is not None else (None, None, None)):
                if not mark:
                    continue  # an empty cell changes nothing
                if hit is None:
                    add(line, name, "", "importer.row.workflow_new_case", field=name)
                elif stored is None or mark != _mark(_stored(parser, stored)):
                    add(line, name, "", "importer.row.workflow_change", field=name, stored=stored or "-")
            if status_code < 0:
                continue  # no status given: a new case is a draft, a registered one keeps its own
            status = CASE_STATUSES[status_code]
            if hit is None and status not in IMPORT_STATUSES:
                add(line, "status", status, "importer.row.status_new_case", status=status,
                    allowed=", ".join(IMPORT_STATUSES))
            elif hit is not None and status != hit[1]:
                add(line, "status", status, "importer.row.status_change", status=status, stored=hit[1])

    def fixup(self, line: int, cells: list[Any]) -> None:
        self._ref_fixup(line, cells)
        case_no = self._val(cells, "case_no", self.case_no)
        hit = self.conflicts.get(case_no) if case_no else None
        if hit is not None and hit[0] == line:
            self.errors.add(line, "case_no", case_no, hit[1])

    def prepare(self, db: sqlite_utils.Database, actor: str, *, convert: bool = True) -> None:
        from console.services.clocks import calendar_for

        super().prepare(db, actor, convert=convert)
        self.calendar = calendar_for(db)
        imports_db.bump_case_counters(db, [(p, y, n) for (p, y), n in self.series.items()])

    def _due(self, received: str, status: str) -> str | None:
        """An open case imported without a due date gets the statutory one (queues filter on it)."""
        from console.services.clocks import due_date

        if status not in OPEN_STATUSES or status == "awaiting_correction":
            return None
        day = received[:10]
        if day not in self.due_cache:
            self.due_cache[day] = due_date("case", date.fromisoformat(day), self.calendar)
        return self.due_cache[day]

    def convert(self, cells: list[Any]) -> tuple[Any, ...]:
        idx: int = self.refs.lookup(cells[self.fields["id_number"]])  # type: ignore[assignment]
        status = self._val(cells, "status", self.status)
        received = self._val(cells, "received_at", self.stamp)
        due = self._val(cells, "due_date", self.date)
        if due is None and received:
            due = self._due(received, status or "draft")
        joint = self._val(cells, "joint_items", self.joint)
        chosen = self._val(cells, "chosen_month", self.month)
        return (
            self._val(cells, "case_no", self.case_no), self.refs.person_ids[idx], self._val(cells, "kind", self.case_kind),
            status, joint, received,
            self._val(cells, "accepted_at", self.stamp), self._val(cells, "completed_at", self.stamp),
            chosen[1] if chosen else None,
            due, self._val(cells, "acceptance_notice_no", self.text), self.now, self.actor,
        )

    def write(self, db: sqlite_utils.Database, batch: list[tuple[Any, ...]]) -> None:
        self._count("cases", updated=imports_db.upsert_cases(db, batch))


PLANS: dict[str, type[Plan]] = {
    "persons": PersonsPlan,
    "employers": EmployersPlan,
    "archive": ArchivePlan,
    "contributions": ContributionsPlan,
    "cases": CasesPlan,
}


def new_plan(kind: str, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> Plan:
    return PLANS[kind](fields, errors, today, limits)  # type: ignore[call-arg]


def template_headers(kind: str) -> list[str]:
    return [c.header for c in COLUMNS[kind]]


def field_names(kind: str) -> list[str]:
    return [c.name for c in COLUMNS[kind]]


def iter_kinds() -> Iterable[str]:
    return iter(KINDS)
