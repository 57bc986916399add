"""Required materials per case kind and joint item (DOMAIN.md 3; county plan 三).

A checklist is data: each material names the kinds it applies to and, where it
applies only sometimes, the condition.  The codes are catalogue keys
(``materials.<code>``) so notices print them in Chinese or English.
"""
from __future__ import annotations

from dataclasses import dataclass

from console import vocabulary
from console.rules.policy import BAORENSHE_2018, COUNTY_PLAN_2022

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


MATERIALS: tuple[Material, ...] = (
    Material("personal_archive", tuple(k for k in CASE_KINDS if k != "lost_archive")),
    Material("id_card_hukou", CASE_KINDS),
    Material("ssc_card", CASE_KINDS),
    Material("lost_archive_application", ("lost_archive",), source=BAORENSHE_2018),
    Material("personal_commitment", ("lost_archive",), source=BAORENSHE_2018),
    Material("employer_loss_statement", ("lost_archive",), only_with_employer=True, source=BAORENSHE_2018),
    Material("contribution_certificate", ("lost_archive",), source=BAORENSHE_2018),
    Material("special_work_records", ("special_work",), source="国发〔1978〕104号"),
    Material("disability_appraisal", ("illness",), source="国发〔1978〕104号"),
    Material("work_injury_appraisal", ("work_injury",), source="工伤保险条例"),
    Material("one_child_certificate", CASE_KINDS, joint_item="health", source="独生子女父母退休奖励（卫健委）"),
)


def required_materials(kind: str, joint_items: tuple[str, ...] | list[str] = (), has_employer: bool = True) -> list[Material]:
    """Everything the applicant must bring for this kind and these joint items."""
    if kind not in CASE_KINDS:
        raise ValueError(f"unknown case kind {kind!r}")
    out = []
    for m in MATERIALS:
        if kind not in m.kinds:
            continue
        if m.joint_item is not None and m.joint_item not in joint_items:
            continue
        if m.only_with_employer and not has_employer:
            continue
        out.append(m)
    return out
