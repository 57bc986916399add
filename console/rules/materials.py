"""Required materials per case kind and joint item (DOMAIN.md 3; county plan 三).

A checklist is data: each material names the kinds it applies to and, where it
applies only sometimes, the condition.  The codes are catalogue keys
(``materials.<code>``) so notices print them in Chinese or English.
"""
from __future__ import annotations

from dataclasses import dataclass

from console import vocabulary
from console.rules.policy import (
    BAORENSHE_2018,
    COUNTY_PLAN_2022,
    GUOFA_1978_ILLNESS,
    GUOFA_1978_INJURY,
    GUOFA_1978_SPECIAL,
    TIANJIN_2016_31,
)

# The vocabulary's lists, under the names the intake, the importer and the tests know them by.
CASE_KINDS: tuple[str, ...] = vocabulary.CASE_KIND.codes
JOINT_ITEMS: tuple[str, ...] = vocabulary.JOINT_ITEMS


@dataclass(frozen=True)
class Material:
    code: str
    kinds: tuple[str, ...]
    joint_item: str | None = None
    only_with_employer: bool = False
    source: str = COUNTY_PLAN_2022
    task_item: str | None = None  # needed only by a case holding this task (task_plan: as the case needs)


MATERIALS: tuple[Material, ...] = (
    Material("personal_archive", tuple(k for k in CASE_KINDS if k != "lost_archive")),
    Material("id_card_hukou", CASE_KINDS),
    Material("ssc_card", CASE_KINDS),
    Material("lost_archive_application", ("lost_archive",), source=BAORENSHE_2018),
    Material("personal_commitment", ("lost_archive",), source=BAORENSHE_2018),
    Material("employer_loss_statement", ("lost_archive",), only_with_employer=True, source=BAORENSHE_2018),
    Material("contribution_certificate", ("lost_archive",), source=BAORENSHE_2018),
    Material("special_work_records", ("special_work",), source=GUOFA_1978_SPECIAL + "；" + TIANJIN_2016_31),
    Material("disability_appraisal", ("illness",), source=GUOFA_1978_ILLNESS),
    Material("work_injury_appraisal", ("work_injury",), source=GUOFA_1978_INJURY),
    Material("one_child_certificate", CASE_KINDS, joint_item="health", source="独生子女父母退休奖励（卫健委）"),
    # The HRSS items of the county plan 四（三）, each needed only when the case holds the task.
    Material("arrears_declaration_form", CASE_KINDS, task_item="hrss.arrears",
             source="中华人民共和国社会保险法 第六十三条、第八十六条；固阳县实施方案 四（三）"),
    Material("transfer_certificate", CASE_KINDS, task_item="hrss.transfer",
             source="国办发〔2009〕66号 第八条（原参保地出具的参保缴费凭证）"),
    Material("benefit_account_form", CASE_KINDS, task_item="hrss.bank_account", source="固阳县实施方案 四（三）"),
    Material("contract_end_certificate", CASE_KINDS, task_item="hrss.labour_filing", only_with_employer=True,
             source="劳动合同法 第五十条（终止劳动合同的证明）；劳社部发〔2006〕46号"),
)


def required_materials(kind: str, joint_items: tuple[str, ...] | list[str] = (), has_employer: bool = True) -> list[Material]:
    """Everything the applicant must bring for this kind and these joint items."""
    if kind not in CASE_KINDS:
        raise ValueError(f"unknown case kind {kind!r}")
    out = []
    for m in MATERIALS:
        if kind not in m.kinds or m.task_item is not None:
            continue
        if m.joint_item is not None and m.joint_item not in joint_items:
            continue
        if m.only_with_employer and not has_employer:
            continue
        out.append(m)
    return out


def task_materials(item: str) -> list[Material]:
    """What the applicant or employer brings for a task HRSS handles as the case needs.

    Not part of the intake checklist (``required_materials``): whether the case
    holds the task is known only from its data, and the window collects these
    with the one form once the plan names the task.
    """
    return [m for m in MATERIALS if m.task_item == item]


# --- acceptance on a written promise (容缺受理 / 承诺办) -------------------------

GUOFA_2024_3 = "国务院关于进一步优化政务服务提升行政效能推动“高效办成一件事”的指导意见（国发〔2024〕3号）"
GUOBAN_2025_24 = "国务院办公厅关于健全“高效办成一件事”重点事项常态化推进机制的意见（国办发〔2025〕24号）"
PROMISE_EFFECTIVE = "2024-01-31"

HOLD = "hold"
"""An unmet promise holds the tasks of the material's joint item; the rest of the case goes on."""
WITHDRAW = "withdraw"
"""An unmet promise withdraws the acceptance: the whole case rests on the paper."""


@dataclass(frozen=True)
class PromiseRule:
    """Whether a material may be promised instead of handed in, by when, and what an unmet promise does.

    Key items (the personal archive, the ID card and household register, the
    appraisals the decision rests on) are absent from the table: they can never
    be promised, because the acceptance itself depends on them.
    """

    code: str
    kinds: tuple[str, ...]
    deadline_days: int
    on_expiry: str
    source: str
    effective: str = PROMISE_EFFECTIVE


PROMISE_RULES: tuple[PromiseRule, ...] = (
    # Ya'an replaces the only-child certificate with a signed promise; the health
    # commission's reward waits for it, nothing else does.  Source in full:
    # GUOFA_2024_3 and GUOBAN_2025_24 above (the letter prints the short form).
    PromiseRule("one_child_certificate", CASE_KINDS, 20, HOLD, "国发〔2024〕3号；国办发〔2025〕24号"),
)


def promise_rule(kind: str, code: str) -> PromiseRule | None:
    """The rule under which ``code`` may be promised on a case of ``kind``; None: it never may."""
    for rule in PROMISE_RULES:
        if rule.code == code and kind in rule.kinds:
            return rule
    return None


def material_of(code: str) -> Material | None:
    """The material with this code, or None."""
    return next((m for m in MATERIALS if m.code == code), None)
