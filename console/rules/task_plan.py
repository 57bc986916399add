"""Which department tasks a retirement case holds, and their order (county plan 四).

HRSS does the basic items first; the pension approval gates the rest, and
once it is done the joint departments work in parallel (并联办理).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from console.rules.policy import COUNTY_PLAN_2022


@dataclass(frozen=True)
class TaskSpec:
    department: str
    item: str
    after: str | None  # the item that must be done before this one opens
    joint_item: str | None = None  # opted into by the applicant; None = basic item
    reviewer_only: bool = False  # completing it needs the hrss_reviewer role
    needs_confirmed_prereview: bool = False
    source: str = COUNTY_PLAN_2022


APPROVAL = "hrss.approval"

TASK_PLAN: tuple[TaskSpec, ...] = (
    TaskSpec("hrss", "hrss.card", None),
    TaskSpec("hrss", APPROVAL, None, reviewer_only=True, needs_confirmed_prereview=True),
    TaskSpec("hrss", "hrss.benefit", APPROVAL, reviewer_only=True),
    TaskSpec("hrss", "hrss.social_management", APPROVAL),
    TaskSpec("medical", "medical.transfer", APPROVAL, joint_item="medical"),
    TaskSpec("housing_fund", "housing_fund.withdrawal", APPROVAL, joint_item="housing_fund"),
    TaskSpec("health", "health.reward", APPROVAL, joint_item="health"),
)
SPECS = {s.item: s for s in TASK_PLAN}


def tasks_for(joint_items: list[str] | tuple[str, ...]) -> list[TaskSpec]:
    """The tasks of a case: every basic item plus the joint items chosen."""
    return [s for s in TASK_PLAN if s.joint_item is None or s.joint_item in joint_items]


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
