"""The column catalogue: what each kind of import file holds, column by column.

A kind's columns are its template's header (``中文(field)``, '*' on required
ones), the synonyms a clerk's own sheet may use instead, and the JSON types a
JSON Lines value may have.  Adding a column to a kind starts here; its
parsing goes into the kind's module (``kinds/<kind>.py``).  A leaf (it imports
nothing of ours): the CLI reads ``KINDS`` from it without loading the importer.
"""
from __future__ import annotations

from dataclasses import dataclass

KINDS = ("persons", "employers", "archive", "contributions", "cases", "ratings")
"""Every import kind, in the order the CLI lists them; each has a plan in ``kinds/``."""

JSON_TEXT = (str,)
JSON_NUMBER = (str, int, float)
JSON_FLAG = (str, int, bool)
JSON_WHEN = (str, int)
JSON_LIST = (str, list)
"""The JSON types a JSON Lines value of a column may have, by what the column holds."""


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
        Column("arrears", "是否欠费", False, ("欠费", "欠费标志"), json=JSON_FLAG),
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
    "ratings": (
        Column("case_no", "办件编号", True, ("受理编号", "件号", "业务编号", "办件号")),
        Column("rated_at", "评价时间", True, ("时间", "评价日期"), json=JSON_WHEN),
        Column("level", "评价等级", True, ("等级", "评价", "满意度"), json=JSON_NUMBER),
        Column("comment", "评价意见", False, ("意见", "留言", "备注")),
    ),
}

IGNORED_HEADERS = ("line", "行号", "行号(line)", "reason", "错误原因", "错误原因(reason)", "reasons")
"""The two columns a rejects file adds: a corrected rejects file can be imported as it is."""


def json_types(kind: str) -> dict[str, tuple[type, ...]]:
    """field -> the JSON types its values may have, for the JSON Lines reader."""
    return {c.name: c.json for c in COLUMNS[kind]}


def template_headers(kind: str) -> list[str]:
    """The template's header row (also the rejects file's header for a JSON Lines input)."""
    return [c.header for c in COLUMNS[kind]]


def field_names(kind: str) -> list[str]:
    return [c.name for c in COLUMNS[kind]]
