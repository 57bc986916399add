"""All retirement facts of one person, computed together (the pre-review).

This is what the archive pre-review stores on the case and what eligibility
reads: birth date and its record, statutory age and month, flexible window,
chosen month, minimum contribution, contribution totals, benefit start,
divisor months, archive completeness — each with its reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from console.rules.archive_completeness import check_archive
from console.rules.benefit_start import BenefitStart, benefit_start
from console.rules.birth_date import ArchiveRecord, BirthDecision, decide_birth_date
from console.rules.contribution_minimum import (
    ExtendedContribution,
    MinimumContribution,
    extended_contribution,
    minimum_contribution,
)
from console.rules.explain import Finding, Reason
from console.rules.flexible import ChoiceCheck, FlexibleWindow, check_choice, flexible_window
from console.rules.intervals import ContributionSummary, Period, months_covered_until, summarise
from console.rules.months import Month
from console.rules.parameters import LocalParameters, Parameter, policy_version
from console.rules.pension import Divisor, PensionEstimate, divisor_months, estimate_pension
from console.rules.retirement_age import StatutoryRetirement, group_for, statutory_retirement
from console.rules.retirement_kinds import KINDS, KindDetails, KindRetirement, kind_retirement


@dataclass(frozen=True)
class PersonFacts:
    """What is known of a person before the rules run (plain data from the store)."""

    sex: str
    id_birth: date | None
    staff_category: str = "worker"
    female_group: str | None = None
    archive_records: tuple[ArchiveRecord, ...] = ()
    periods: tuple[Period, ...] = ()
    archive_lost: bool = False
    has_employer: bool = True
    insured_before_2011_07: bool | None = None
    average_index: Decimal | None = None
    account_balance: Decimal | None = None


@dataclass(frozen=True)
class RetirementFacts:
    group: str
    birth: BirthDecision
    statutory: StatutoryRetirement | None
    window: FlexibleWindow | None
    retire_month: Month | None
    choice: ChoiceCheck | None
    minimum: MinimumContribution | None
    contributions: ContributionSummary
    benefit: BenefitStart | None
    divisor: Divisor | None
    completeness: list[Finding]
    policy_version: str
    unconfirmed: list[str] = field(default_factory=list)
    group_reason: Reason | None = None
    pension: PensionEstimate | None = None
    pension_missing: list[str] = field(default_factory=list)
    group_parameter: Parameter | None = None
    kind: str = "normal"
    kind_rule: KindRetirement | None = None
    kind_details: KindDetails | None = None
    extension: ExtendedContribution | None = None

    @property
    def findings(self) -> list[Finding]:
        out = list(self.birth.findings) + list(self.contributions.findings)
        if self.choice is not None:
            out += self.choice.findings
        if self.kind_rule is not None:
            out += self.kind_rule.findings
        return out + list(self.completeness)

    @property
    def manual_review(self) -> bool:
        """The case's kind has no confirmed rule: the reviewer decides (the facts and the JSON say so)."""
        return self.kind_rule is not None and self.kind_rule.manual_review

    def kind_dict(self) -> dict[str, Any]:
        """The retirement type and the extended contribution, as stable JSON keys (README lists them)."""
        k, e = self.kind_rule, self.extension
        return {
            "kind": self.kind,
            "kind_rule_status": k.status if k else None,
            "kind_rule_source": k.source if k else None,
            "kind_details": self.kind_details.as_dict() if self.kind_details else {},
            "special_work_months_required": k.required_special_months if k else None,
            "manual_review": self.manual_review,
            "short_at_statutory_months": e.short_months if e else 0,
            "extended_contribution_month": str(e.met_month) if e else None,
            "one_off_payment_open": e.one_off_open if e else None,
        }

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (stored with the case; keys are stable)."""
        s, w, c = self.statutory, self.window, self.contributions
        return {
            "policy_version": self.policy_version,
            "group": self.group,
            "group_parameter": None if self.group_parameter is None else {
                "name": self.group_parameter.name, "value": str(self.group_parameter.value),
                "status": self.group_parameter.status, "source": self.group_parameter.source,
            },
            "birth_date": self.birth.birth_date.isoformat() if self.birth.birth_date else None,
            "birth_source": self.birth.source,
            "birth_record": None if self.birth.record_index is None else self.birth.record_index + 1,
            "original_age_months": s.original_age_months if s else None,
            "delay_months": s.delay_months if s else None,
            "statutory_age_months": s.statutory_age_months if s else None,
            "statutory_age": s.statutory_age if s else None,
            "statutory_month": str(s.statutory_month) if s else None,
            "earliest_month": str(w.earliest) if w else None,
            "latest_month": str(w.latest) if w else None,
            "retire_month": str(self.retire_month) if self.retire_month else None,
            "retire_kind": self.choice.kind if self.choice else (self.kind if self.kind_rule else None),
            "min_contribution_months": self.minimum.months if self.minimum else None,
            "min_contribution_year": self.minimum.year if self.minimum else None,
            "total_months": c.total_months,
            "actual_months": c.actual_months,
            "deemed_months": c.deemed_months,
            "county_months": c.county_months,
            "county_actual_months": c.county_actual_months,
            "contribution_start": str(c.first_actual_month) if c.first_actual_month else None,
            "service_start": str(c.first_month) if c.first_month else None,
            "deemed_spans": [x.as_dict() for x in c.deemed_spans],
            "gaps": [x.as_dict() for x in c.gaps],
            "overlaps": [x.as_dict() for x in c.overlaps],
            "benefit_start_month": str(self.benefit.month) if self.benefit else None,
            "divisor_months": str(self.divisor.months) if self.divisor else None,
            "pension": None if self.pension is None else {
                "basic": str(self.pension.basic),
                "account": str(self.pension.account),
                "transitional": str(self.pension.transitional),
                "total": str(self.pension.total),
                "divisor_months": str(self.pension.divisor_months),
                "formula": self.pension.formula.parameter,
                "formula_source": self.pension.formula.source,
                "explanation": [r.as_dict() for r in self.pension.reasons],
            },
            "pension_missing": self.pension_missing,
            "findings": [f.as_dict() for f in self.findings],
            "reasons": {k: r.as_dict() for k, r in self.reasons().items()},
            "unconfirmed_parameters": self.unconfirmed,
        } | self.kind_dict()

    def reasons(self) -> dict[str, Reason]:
        """Each fact's explanation, by fact name ("why?" at the counter)."""
        out: dict[str, Reason] = {"birth_date": self.birth.reason}
        if self.group_reason:
            out["group"] = self.group_reason
        if self.statutory:
            out["statutory_month"] = self.statutory.reason
        if self.window:
            out["window"] = self.window.reason
        if self.minimum:
            out["min_contribution_months"] = self.minimum.reason
        if self.contributions.reason:
            out["total_months"] = self.contributions.reason
        if self.benefit:
            out["benefit_start_month"] = self.benefit.reason
        if self.divisor:
            out["divisor_months"] = self.divisor.reason
        if self.kind_rule:
            out["kind"] = self.kind_rule.reason
        if self.extension:
            out["extended_contribution_month"] = self.extension.reason
        return out


def compute_facts(
    person: PersonFacts,
    params: LocalParameters,
    chosen_month: Month | None = None,
    approval_month: Month | None = None,
    delay_cause: str = "none",
    decided_on: Month | None = None,
    kind: str = "normal",
    kind_details: KindDetails | None = None,
) -> RetirementFacts:
    """Run every rule over one person's data (for a case of ``kind``, with its details)."""
    group = group_for(person.sex, person.staff_category, person.female_group, params.flexible_worker_female_group)
    group_reason = Reason(
        "rules.group.chosen",
        {"group": group, "sex": person.sex, "category": person.staff_category, "explicit": person.female_group or "-"},
        "flexible_worker_female_group" if person.staff_category == "flexible" and person.sex == "F" and not person.female_group else "",
    )
    unconfirmed: list[str] = []
    birth = decide_birth_date(person.archive_records, person.id_birth, person.archive_lost)
    contributions = summarise(person.periods, params.county_places, params.personal_contribution_start)
    if params.get("personal_contribution_start").unconfirmed and any(p.kind == "deemed" for p in person.periods):
        unconfirmed.append("personal_contribution_start")
    statutory = window = choice = minimum = benefit = divisor = kind_rule = extension = None
    retire_month = None
    if birth.birth_date is not None:
        statutory = statutory_retirement(Month.from_date(birth.birth_date), group)
        if kind in KINDS:
            kind_rule = kind_retirement(kind, person.sex, statutory.birth, kind_details or KindDetails())
            statutory = as_statutory(statutory, kind_rule)
        extension = _extension(person, statutory)
        retire_month = chosen_month or statutory.statutory_month
        if kind_rule is None:  # the flexible window is the normal retirement's; the other types retire on their condition
            window = flexible_window(statutory)
            by_then = months_covered_until(list(person.periods), retire_month, actual_only=person.archive_lost)
            choice = check_choice(statutory, retire_month, by_then, decided_on, extension.met_month if extension else None)
        minimum = minimum_contribution(statutory.statutory_month, retire_month)
        benefit = benefit_start(retire_month, approval_month, delay_cause, params.benefit_start_rule)
        if params.get("benefit_start_rule").unconfirmed:
            unconfirmed.append("benefit_start_rule")
        divisor = divisor_months(retire_month.months_since(statutory.birth), retire_month)
    pension, missing = _pension(person, params, contributions, retire_month, statutory)
    if pension is not None:
        base_flag = ["pension_base"] if params.get("pension_base").unconfirmed else []
        unconfirmed += [n for n in (*base_flag, *pension.unconfirmed) if n not in unconfirmed]
    completeness: list[Finding] = []
    if not person.archive_lost:
        completeness = check_archive(person.archive_records, contributions.deemed_recorded_spans)
    return RetirementFacts(
        group=group,
        birth=birth,
        statutory=statutory,
        window=window,
        retire_month=retire_month,
        choice=choice,
        minimum=minimum,
        contributions=contributions,
        benefit=benefit,
        divisor=divisor,
        completeness=completeness,
        policy_version=policy_version(params),
        unconfirmed=unconfirmed,
        group_reason=group_reason,
        pension=pension,
        pension_missing=missing,
        group_parameter=params.group_parameter(person.sex, person.staff_category, person.female_group),
        kind=kind,
        kind_rule=kind_rule,
        kind_details=kind_details,
        extension=extension,
    )


def as_statutory(normal: StatutoryRetirement, rule: KindRetirement) -> StatutoryRetirement:
    """The retirement type's age in the place of the statutory one (a type with no age keeps the statutory)."""
    if rule.age_months is None or rule.month is None or rule.original_age_months is None:
        return normal
    return StatutoryRetirement(
        group=normal.group, birth=normal.birth, original_age_months=rule.original_age_months, delay_months=rule.delay_months,
        statutory_age_months=rule.age_months, statutory_month=rule.month, original_month=normal.birth + rule.original_age_months,
        reason=rule.reason,
    )


def _extension(person: PersonFacts, statutory: StatutoryRetirement) -> ExtendedContribution | None:
    """Short of the minimum at the statutory month (every place counted: transfers bring the rest)?"""
    need = minimum_contribution(statutory.statutory_month, statutory.statutory_month).months
    counted = months_covered_until(list(person.periods), statutory.statutory_month, actual_only=person.archive_lost)
    return extended_contribution(statutory.statutory_month, need, counted, person.insured_before_2011_07)


def _pension(
    person: PersonFacts,
    params: LocalParameters,
    contributions: ContributionSummary,
    retire_month: Month | None,
    statutory: StatutoryRetirement | None,
) -> tuple[PensionEstimate | None, list[str]]:
    """The monthly pension estimate, or the inputs it still lacks (named, never guessed).

    C is the province's base for the year of retirement (a parameter); the
    formula row is the hall's province's; the index and the account balance
    come from the social-insurance system.  A lost archive counts actual
    years only (the applicant's commitment).
    """
    base = params.pension_base(retire_month.year) if retire_month is not None else None
    missing = [name for name, value in (("retire_month", retire_month), ("pension_base", base),
               ("average_index", person.average_index), ("account_balance", person.account_balance)) if value is None]
    if missing or statutory is None:
        return None, missing
    assert retire_month is not None and base is not None
    assert person.average_index is not None and person.account_balance is not None
    months = contributions.actual_months if person.archive_lost else contributions.total_months
    formula = params.pension_formula()
    transition = 0 if person.archive_lost else _transition_months(person, params, contributions, formula.transitional_months)
    estimate = estimate_pension(
        base, person.average_index, months, person.account_balance, retire_month.months_since(statutory.birth),
        transition, formula, retire_month,
    )
    return estimate, []



def _transition_months(person: PersonFacts, params: LocalParameters, contributions: ContributionSummary, rule: str) -> int:
    """The months the province's transitional pension counts: deemed ones, or every month before personal accounts."""
    if rule == "before_accounts":
        return months_covered_until(list(person.periods), params.personal_contribution_start - 1)
    return contributions.deemed_months
