"""Which department tasks a retirement case holds, and their order (county plan 四).

HRSS does the basic items first; the pension approval gates the rest, and
once it is done the joint departments work in parallel (并联办理).

The plan's 四(三) also has HRSS handle, as the case needs (内部轮转), the
arrears back-payment declaration, the pension relationship transfer, the
benefit account maintenance and the labour employment filing: each row below
names the condition (``when``) under which the case's own data adds it, and
``plan`` says why each task was added (a ``Reason`` stored on the task).

The benefit claim (职工养老保险待遇申领) the plan also names is not a second
row: the applicant's claim is what HRSS handles as the benefit determination
(``hrss.benefit``, 基本养老保险待遇核定), one task under its existing code so
stored tasks keep their item.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from console.rules.explain import Reason
from console.rules.parameters import LocalParameters
from console.rules.policy import COUNTY_PLAN_2022

COUNTY_PLAN_HRSS = f"{COUNTY_PLAN_2022} 四（三）内部轮转"
TRANSFER_2009 = "城镇企业职工基本养老保险关系转移接续暂行办法（国办发〔2009〕66号）"
ARREARS_LAW = "中华人民共和国社会保险法 第六十三条、第八十六条（用人单位未按时足额缴纳）"
LABOUR_FILING_2006 = "劳动和社会保障部关于建立劳动用工备案制度的通知（劳社部发〔2006〕46号）；劳动合同法 第四十四条"

# The conditions of the items HRSS handles only as the case needs.
WHEN_ARREARS = "arrears"
WHEN_OUTSIDE = "outside_periods"
WHEN_BANK = "bank_account"
WHEN_EMPLOYER = "employer"


@dataclass(frozen=True)
class TaskSpec:
    department: str
    item: str
    after: str | None  # the item that must be done before this one opens
    joint_item: str | None = None  # opted into by the applicant; None = basic item
    reviewer_only: bool = False  # completing it needs the hrss_reviewer role
    needs_confirmed_prereview: bool = False
    source: str = COUNTY_PLAN_2022
    when: str | None = None  # None: every case (or every case choosing the joint item); else a WHEN_* condition


APPROVAL = "hrss.approval"

TASK_PLAN: tuple[TaskSpec, ...] = (
    TaskSpec("hrss", "hrss.card", None),
    TaskSpec("hrss", APPROVAL, None, reviewer_only=True, needs_confirmed_prereview=True),
    TaskSpec("hrss", "hrss.benefit", APPROVAL, reviewer_only=True),
    TaskSpec("hrss", "hrss.social_management", APPROVAL),
    TaskSpec("medical", "medical.transfer", APPROVAL, joint_item="medical"),
    TaskSpec("housing_fund", "housing_fund.withdrawal", APPROVAL, joint_item="housing_fund"),
    TaskSpec("health", "health.reward", APPROVAL, joint_item="health"),
    # 四（三）: handled inside HRSS as the case needs.  Arrears and transfer bring
    # months into the record, so they start at acceptance; the account and the
    # labour filing follow the approval that ends the working life.
    TaskSpec("hrss", "hrss.arrears", None, source=f"{COUNTY_PLAN_HRSS}；{ARREARS_LAW}", when=WHEN_ARREARS),
    TaskSpec("hrss", "hrss.transfer", None, source=f"{COUNTY_PLAN_HRSS}；{TRANSFER_2009}", when=WHEN_OUTSIDE),
    TaskSpec("hrss", "hrss.bank_account", APPROVAL, source=COUNTY_PLAN_HRSS, when=WHEN_BANK),
    TaskSpec("hrss", "hrss.labour_filing", APPROVAL, source=f"{COUNTY_PLAN_HRSS}；{LABOUR_FILING_2006}", when=WHEN_EMPLOYER),
)
SPECS = {s.item: s for s in TASK_PLAN}


@dataclass(frozen=True)
class CaseNeeds:
    """What the case's own data says about the items HRSS handles as the case needs.

    ``outside_places``: the places of contribution periods outside the county
    (sorted, once each); ``outside_province``: whether one of them lies outside
    the province too.  ``arrears_periods``: ``(from, to)`` months of periods
    imported or marked as owed (欠费).  ``card_bank``: True when the benefit
    account is the social security card's bank, False when it is another
    bank, None when it cannot be told (no card, or the hall has not entered its
    card bank's number prefixes).  ``has_employer``: an employer applies.
    """

    outside_places: tuple[str, ...] = ()
    outside_province: bool = False
    arrears_periods: tuple[tuple[str, str], ...] = ()
    card_bank: bool | None = None
    has_employer: bool = False


@dataclass(frozen=True)
class PlannedTask:
    """One task of a case's plan and why the case holds it."""

    spec: TaskSpec
    reason: Reason

    def reason_json(self) -> str:
        """The reason as the task row stores it (the services and the demo's bulk writer alike)."""
        return json.dumps(self.reason.as_dict(), ensure_ascii=False)


def _is_in(place: str, prefixes: Sequence[str]) -> bool:
    return any(place.startswith(p) for p in prefixes if p)


def case_needs(
    periods: Iterable[tuple[str, str, str, bool]], county_places: Sequence[str], province_places: Sequence[str],
    bank_card: str | None, card_prefixes: Sequence[str], has_employer: bool,
) -> CaseNeeds:
    """Read the conditions from plain data: periods as ``(from, to, place, owed)``.

    A period with no place is the county's own record (as in
    ``console.rules.intervals.is_in_county``).  A card number whose prefix
    (its bank's BIN) is among ``card_prefixes`` is the social security card's
    bank account; with no prefixes entered the rule cannot tell (None).
    """
    outside: set[str] = set()
    owed: list[tuple[str, str]] = []
    for start, end, place, arrears in periods:
        place = (place or "").strip()
        if place and not _is_in(place, county_places):
            outside.add(place)
        if arrears:
            owed.append((start, end))
    card = (bank_card or "").strip()
    prefixes = tuple(p for p in card_prefixes if p)
    card_bank = None if not card or not prefixes else _is_in(card, prefixes)
    return CaseNeeds(
        outside_places=tuple(sorted(outside)),
        outside_province=any(not _is_in(p, province_places) for p in outside) if province_places else False,
        arrears_periods=tuple(sorted(owed)),
        card_bank=card_bank,
        has_employer=has_employer,
    )


def _listed(params: LocalParameters, name: str) -> tuple[str, ...]:
    """A list parameter; a hall file written before it existed has none (the rule then cannot tell)."""
    entry = params.items.get(name)
    return tuple(str(v) for v in (entry.value or ())) if entry is not None else ()


def needs_for(period_rows: Iterable[Mapping[str, Any]], bank_card: str | None, has_employer: bool,
              params: LocalParameters) -> CaseNeeds:
    """``case_needs`` from stored rows (``contribution_periods`` columns) and the hall's parameters."""
    periods = [(str(p["from_month"]), str(p["to_month"]), str(p.get("place") or ""), bool(p.get("arrears")))
               for p in period_rows]
    return case_needs(periods, params.county_places, _listed(params, "province_places"), bank_card,
                      _listed(params, "card_bank_prefixes"), has_employer)


def _why(spec: TaskSpec, needs: CaseNeeds) -> Reason | None:
    """The reason ``spec`` belongs to a case with these needs; None: it does not."""
    if spec.when is None:
        code = "task_plan.why.joint" if spec.joint_item else "task_plan.why.basic"
        return Reason(code, {"item": spec.item}, spec.source)
    if spec.when == WHEN_ARREARS and needs.arrears_periods:
        spans = "、".join(f"{a}–{b}" for a, b in needs.arrears_periods)
        return Reason("task_plan.why.as_needed.arrears", {"count": len(needs.arrears_periods), "periods": spans}, spec.source)
    if spec.when == WHEN_OUTSIDE and needs.outside_places:
        code = "task_plan.why.as_needed.transfer_province" if needs.outside_province else "task_plan.why.as_needed.transfer_county"
        return Reason(code, {"places": "、".join(needs.outside_places)}, spec.source)
    if spec.when == WHEN_BANK and needs.card_bank is False:
        return Reason("task_plan.why.as_needed.bank_account", {}, spec.source)
    if spec.when == WHEN_EMPLOYER and needs.has_employer:
        return Reason("task_plan.why.as_needed.labour_filing", {}, spec.source)
    return None


def plan(joint_items: list[str] | tuple[str, ...], needs: CaseNeeds) -> list[PlannedTask]:
    """The tasks of a case with why each is there: basic items, the joint items chosen, and the
    HRSS items the case's data calls for."""
    out = []
    for spec in TASK_PLAN:
        if spec.joint_item is not None and spec.joint_item not in joint_items:
            continue
        reason = _why(spec, needs)
        if reason is not None:
            out.append(PlannedTask(spec, reason))
    return out


def tasks_for(joint_items: list[str] | tuple[str, ...], needs: CaseNeeds | None = None) -> list[TaskSpec]:
    """The tasks of a case: every basic item, the joint items chosen, and (given ``needs``) the
    HRSS items its data calls for; without ``needs`` none of those."""
    return [p.spec for p in plan(joint_items, needs or CaseNeeds())]


def opening_status(spec: TaskSpec) -> str:
    """The status a task takes when the case is accepted: open, or waiting for the item it follows."""
    return "open" if spec.after is None else "waiting"


def opens_when_done(item: str, done_item: str) -> bool:
    """Whether the waiting task ``item`` opens once ``done_item`` is done."""
    spec = SPECS.get(item)
    return spec is not None and spec.after == done_item


def case_completed(task_statuses: Iterable[str]) -> bool:
    """Whether a case with tasks in these statuses is complete: every task is done."""
    return all(status == "done" for status in task_statuses)
