"""Is the application acceptable, and if not, EVERYTHING that stands in the way.

The list returned here is the one-time correction notice (一次性告知): every
unmet condition and every missing material at once, so that the applicant
never makes a second trip for something the first notice forgot.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from console.rules.explain import Finding
from console.rules.materials import required_materials
from console.rules.months import Month
from console.rules.policy import BAORENSHE_2018, COUNTY_PLAN_2022, GUOFA_1978
from console.rules.retirement_facts import PersonFacts, RetirementFacts
from console.vocabulary import CASE_KIND

LUMP_SUM_CUTOFF = "2011-07-01"
APPLY_MONTHS_AHEAD = 1
"""An application may be taken in the month before the retirement month."""
RULES_READY_KINDS = ("normal", "lost_archive")


@dataclass(frozen=True)
class Assessment:
    """The decision on an application: eligible, complete, and why not."""

    kind: str
    eligible: bool
    complete: bool
    needs_review: bool
    decision: str  # "accept", "correct" (missing/unmet), "manual_review"
    findings: list[Finding] = field(default_factory=list)
    counted_months: int = 0
    required_months: int | None = None

    @property
    def unmet(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "unmet"]

    @property
    def missing(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "missing"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "eligible": self.eligible,
            "complete": self.complete,
            "needs_review": self.needs_review,
            "decision": self.decision,
            "counted_months": self.counted_months,
            "required_months": self.required_months,
            "findings": [f.as_dict() for f in self.findings],
        }


def _contribution_findings(person: PersonFacts, facts: RetirementFacts, kind: str) -> tuple[list[Finding], int]:
    c = facts.contributions
    counted = c.county_actual_months if kind == "lost_archive" else c.county_months
    if facts.minimum is None:
        return [], counted
    need = facts.minimum.months
    if counted >= need:
        return [], counted
    findings = [Finding("rules.elig.short_contribution", "unmet", {"have": counted, "need": need, "short": need - counted}, COUNTY_PLAN_2022)]
    everywhere = c.actual_months if kind == "lost_archive" else c.total_months
    if everywhere >= need:
        findings.append(Finding("rules.elig.transfer_needed", "unmet", {"outside": everywhere - counted}, COUNTY_PLAN_2022))
    elif person.insured_before_2011_07:
        findings.append(Finding("rules.elig.lump_sum_possible", "warning", {"short": need - counted, "cutoff": LUMP_SUM_CUTOFF}))
    else:
        findings.append(Finding("rules.elig.extend_contribution", "warning", {"short": need - counted}))
    return findings, counted


def _kind_finding(facts: RetirementFacts, kind: str) -> Finding:
    """Why a case of another retirement type goes to the reviewer: its rule unconfirmed, or its condition to confirm."""
    rule = facts.kind_rule
    if rule is None:
        return Finding("rules.elig.kind_manual", "review", {"kind": kind}, GUOFA_1978)
    code = "rules.elig.kind_unconfirmed" if rule.manual_review else "rules.elig.kind_reported"
    return Finding(code, "review", {"kind": kind, "status": rule.status}, rule.source)


def assess(
    person: PersonFacts,
    facts: RetirementFacts,
    kind: str,
    application_month: Month,
    received: Iterable[str] = (),
    joint_items: Iterable[str] = (),
) -> Assessment:
    """Check every condition of the case kind and every material, all at once."""
    if kind not in CASE_KIND:
        raise ValueError(f"unknown case kind {kind!r}")
    joint = tuple(joint_items)
    got = set(received)
    findings: list[Finding] = []
    if kind not in RULES_READY_KINDS:
        findings.append(_kind_finding(facts, kind))
    if facts.retire_month is None:
        findings.append(Finding("rules.elig.birth_unknown", "unmet", {}))
    elif facts.retire_month > application_month + APPLY_MONTHS_AHEAD and kind in RULES_READY_KINDS:
        findings.append(
            Finding("rules.elig.age_not_reached", "unmet", {"month": facts.retire_month, "applied": application_month}, COUNTY_PLAN_2022)
        )
    if kind == "lost_archive" and person.staff_category != "flexible":
        findings.append(Finding("rules.elig.lost_archive_flexible_only", "unmet", {}, BAORENSHE_2018))
    if kind == "normal" and person.archive_lost:
        findings.append(Finding("rules.elig.archive_lost_use_kind", "unmet", {}, BAORENSHE_2018))
    contribution, counted = _contribution_findings(person, facts, kind) if kind in RULES_READY_KINDS else ([], 0)
    findings += contribution
    findings += facts.findings
    for material in required_materials(kind, joint, person.has_employer):
        if material.code not in got:
            findings.append(Finding(f"materials.{material.code}", "missing", {"code": material.code}, material.source))
    eligible = not any(f.severity == "unmet" for f in findings)
    complete = not any(f.severity == "missing" for f in findings)
    needs_review = any(f.severity == "review" for f in findings)
    if kind not in RULES_READY_KINDS:
        decision = "manual_review"
    elif eligible and complete:
        decision = "accept"
    else:
        decision = "correct"
    return Assessment(
        kind=kind,
        eligible=eligible,
        complete=complete,
        needs_review=needs_review,
        decision=decision,
        findings=findings,
        counted_months=counted,
        required_months=facts.minimum.months if facts.minimum else None,
    )
