"""Retirement types other than the normal one (DOMAIN.md 6.8): their ages and conditions.

Special (arduous) work, illness with total loss of working capacity, and work
injury each have an original age (国发〔1978〕104号) and a condition (years in
special work, the appraisal, the injury determination).  Their treatment
under the 2025 law is a table in ``policy.KIND_AGE_RULES`` with its status:
"reported" rows are computed as the published notices do; "unconfirmed" rows
show the original age and send the case to the reviewer, saying so.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from console.rules.explain import Finding, Reason
from console.rules.months import Month, format_age
from console.rules.policy import KIND_AGE_RULES, SPECIAL_WORK_YEARS, UNCONFIRMED, KindAgeRule
from console.rules.retirement_age import delay_months

KINDS = tuple(dict.fromkeys(r.kind for r in KIND_AGE_RULES))
"""The case kinds with a rule here (the others follow the statutory age)."""


@dataclass(frozen=True)
class KindDetails:
    """What the case records of its kind: the special work and its years, the appraisal, the determination."""

    special_work: str | None = None
    special_work_months: int | None = None
    appraisal_ref: str | None = None
    determination_ref: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class KindRetirement:
    """The age and month of one retirement type for one person, its conditions, and how sure the rule is."""

    kind: str
    sex: str
    original_age_months: int | None
    delay_months: int
    age_months: int | None
    month: Month | None
    status: str
    source: str
    reason: Reason
    required_special_months: int | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def age(self) -> str | None:
        return None if self.age_months is None else format_age(self.age_months)

    @property
    def manual_review(self) -> bool:
        """An unconfirmed rule is the reviewer's to decide; the facts say so."""
        return self.status == UNCONFIRMED


def rule_for(kind: str, sex: str) -> KindAgeRule:
    for rule in KIND_AGE_RULES:
        if rule.kind == kind and rule.sex == sex:
            return rule
    raise ValueError(f"no retirement-type rule for {kind!r} / {sex!r}")


def required_special_months(work: str | None) -> int:
    """Months in special work the kind of work needs; not known: the strictest kind (10 years)."""
    if work is None:
        return max(r.years for r in SPECIAL_WORK_YEARS.values()) * 12
    return SPECIAL_WORK_YEARS[work].years * 12


def _age(rule: KindAgeRule, birth: Month) -> tuple[int, int | None, Reason]:
    """(delay, age in months or None, reason) under the rule's post-2025 treatment."""
    if rule.original_age_months is None:
        return 0, None, Reason("rules.kind.no_age", {"kind": rule.kind}, rule.source)
    original = format_age(rule.original_age_months)
    if rule.band is None:
        return 0, rule.original_age_months, Reason("rules.kind.unconfirmed", {"kind": rule.kind, "age": original}, rule.source)
    delay = delay_months(birth, rule.band)
    age = rule.original_age_months + delay
    params = {"kind": rule.kind, "birth": birth, "first": rule.band.first_delayed_birth, "step": rule.band.step_months,
              "delay": delay, "original": original, "age": format_age(age)}
    return delay, age, Reason("rules.kind.reported_delay", params, rule.source)


def _conditions(kind: str, details: KindDetails) -> tuple[int | None, list[Finding]]:
    """(special months needed, findings) of the kind's own condition."""
    if kind == "special_work":
        need = required_special_months(details.special_work)
        source = SPECIAL_WORK_YEARS[details.special_work].source if details.special_work else next(iter(SPECIAL_WORK_YEARS.values())).source
        work = details.special_work or "-"
        if details.special_work_months is None:
            return need, [Finding("rules.kind.special_years_unknown", "review", {"need": need // 12, "work": work}, source)]
        if details.special_work_months < need:
            have = f"{details.special_work_months / 12:.1f}".removesuffix(".0")
            return need, [Finding("rules.kind.special_years_short", "unmet", {"have": have, "need": need // 12, "work": work}, source)]
        return need, []
    if kind == "illness" and not details.appraisal_ref:
        return None, [Finding("rules.kind.appraisal_missing", "review", {}, rule_for(kind, "M").source)]
    if kind == "work_injury" and not details.determination_ref:
        return None, [Finding("rules.kind.determination_missing", "review", {}, rule_for(kind, "M").source)]
    return None, []


def kind_retirement(kind: str, sex: str, birth: Month, details: KindDetails) -> KindRetirement:
    """The retirement age and month of a case of ``kind``, its conditions and the status of its rule."""
    rule = rule_for(kind, sex)
    delay, age, reason = _age(rule, birth)
    need, findings = _conditions(kind, details)
    return KindRetirement(
        kind=kind, sex=sex, original_age_months=rule.original_age_months, delay_months=delay, age_months=age,
        month=None if age is None else birth + age, status=rule.status, source=rule.source, reason=reason,
        required_special_months=need, findings=findings,
    )
