"""``retire calc``: the rules engine from the shell, no database needed.

Each command prints a readable table, or with ``--json`` stable keys (listed
in README).  An unconfirmed local parameter that a result used is named on
stderr, so a script's stdout stays pure data.
"""
from __future__ import annotations

import csv
import io
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from console.cli_support import RetireTyper, print_fields, print_json, read_text_file, warn
from console.errors import BadInput, Refused
from console.i18n import t
from console.rules.benefit_start import benefit_start
from console.rules.contribution_minimum import minimum_contribution
from console.rules.flexible import flexible_window
from console.rules.idcard import parse_id
from console.rules.intervals import Period, summarise
from console.rules.months import BadMonth, Month, format_age, parse_age
from console.rules.parameters import LocalParameters
from console.rules.pension import MAX_AMOUNT, MAX_INDEX, MAX_MONTHS, divisor_months, estimate_pension
from console.rules.policy import GROUPS, SPECIAL_WORK_YEARS
from console.rules.retirement_age import group_for, statutory_retirement
from console.rules.retirement_facts import PersonFacts, RetirementFacts, as_statutory, compute_facts
from console.rules.retirement_kinds import KINDS, KindDetails, kind_retirement
from console.settings import load_parameters
from console.text_policy import ascii_digits
from console.vocabulary import SEX, STAFF_CATEGORY

app = RetireTyper(help="退休规则计算器（无需数据库）/ The rules engine from the shell.", json_errors=True)
"""With --json a refusal is JSON on stdout too ({"valid": false, "reason", "reason_code"}), exit status unchanged."""

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (stable keys) instead of a table.")]


def _month(value: str) -> Month:
    value = ascii_digits(value, "month")
    try:
        return Month.parse(value)
    except BadMonth:
        raise BadInput("cli.bad_month", value=value) from None


def _decimal(value: str) -> Decimal:
    value = ascii_digits(value, "text")  # Decimal() itself would read Arabic-Indic digits
    try:
        number = Decimal(value.strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        raise BadInput("cli.bad_number", value=value) from None
    if not number.is_finite() or number < 0:
        raise BadInput("cli.bad_number", value=value)
    return number


def _warn_unconfirmed(params: LocalParameters, names: list[str]) -> None:
    for name in names:
        p = params.get(name)
        warn(t("cli.warning_unconfirmed", name=name, value=p.value, note=p.note))


def _show(data: dict[str, Any], as_json: bool, explain: list[str] | None = None) -> None:
    if as_json:
        print_json(data)
        return
    print_fields((k, v) for k, v in data.items() if not isinstance(v, (list, dict)))
    for line in explain or []:
        typer.echo(f"  · {line}")


CLI_KINDS = {"normal": "normal", "special_work": "special_work", "illness": "illness", "injury": "work_injury"}
"""The words ``--kind`` takes, and the case kind each stands for."""


def _kind_details(kind: str, special_years: str | None, work: str | None) -> KindDetails:
    """The retirement type's details from the options; a special-work case needs its years (exit 2 otherwise)."""
    if work is not None and work not in SPECIAL_WORK_YEARS:
        raise BadInput("rules.kind.cli_bad_work", value=work, allowed=", ".join(SPECIAL_WORK_YEARS))
    if kind != "special_work":
        return KindDetails()
    if special_years is None:
        raise BadInput("rules.kind.cli_needs_years")
    years = _decimal(special_years)
    if years > 80:
        raise BadInput("cli.bad_number", value=special_years)
    return KindDetails(special_work=work, special_work_months=int(years * 12))


def _retirement_facts(born: Month, group: str, kind: str, details: KindDetails, contributed: int | None,
                      insured_before: bool | None, chosen: Month | None) -> RetirementFacts:
    """The rules engine's facts for the options: one period of ``contributed`` months ending at the statutory month."""
    sex = "M" if group == "male" else "F"
    person = PersonFacts(sex=sex, id_birth=born.first_day(), female_group=None if sex == "M" else group,
                         insured_before_2011_07=insured_before)
    if contributed:
        end = statutory_retirement(born, group)
        if kind in KINDS:
            end = as_statutory(end, kind_retirement(kind, sex, born, details))
        last = end.statutory_month
        person = replace(person, periods=(Period(last.minus(contributed - 1), last, "actual", ""),))
    return compute_facts(person, load_parameters(), chosen_month=chosen, kind=kind, kind_details=details)


NEED_MONTHS = ("short_at_statutory_months", "extended_contribution_month", "one_off_payment_open")
"""Keys that say nothing (null) without ``--contribution-months``."""
UNKNOWN_WITHOUT_MONTHS = ("rules.periods.", "rules.flex.early_needs_minimum")
"""Findings about contributions, which say nothing when ``--contribution-months`` was not given."""


def _refusals(facts: RetirementFacts, chosen: Month, months_given: bool) -> list[str]:
    """Every reason the chosen month cannot be a retirement month (the kind's own conditions included)."""
    found = facts.findings if facts.kind_rule is not None else (facts.choice.findings if facts.choice else [])
    ignore = UNKNOWN_WITHOUT_MONTHS[:1] if months_given else UNKNOWN_WITHOUT_MONTHS
    out = [t(f.code, **f.params) for f in found if f.severity == "unmet" and not f.code.startswith(ignore)]
    s = facts.statutory
    if facts.kind_rule is not None and not facts.manual_review and s is not None and chosen < s.statutory_month:
        out.append(t("rules.kind.before_age", chosen=chosen, month=s.statutory_month))
    return out


@app.command("retirement")
def retirement(
    birth: Annotated[str, typer.Option("--birth", help="Birth month YYYY-MM (or date YYYY-MM-DD).")],
    group: Annotated[str, typer.Option("--group", help="male | female55 | female50")],
    retire_at: Annotated[str | None, typer.Option(
        "--retire-at", help="Chosen retirement month YYYY-MM (flexible retirement, or the month extended contribution meets the minimum).")] = None,
    kind: Annotated[str, typer.Option("--kind", help="normal | special_work | illness | injury")] = "normal",
    special_years: Annotated[str | None, typer.Option("--special-years", help="Years in special (arduous) work, for --kind special_work.")] = None,
    work: Annotated[str | None, typer.Option("--work", help="Kind of special work: " + " | ".join(SPECIAL_WORK_YEARS) + " (default: the strictest).")] = None,
    contribution_months: Annotated[int | None, typer.Option(
        "--contribution-months", min=0, max=1200,
        help="Contribution months (deemed included) by the statutory month: shows any shortfall and the extended-contribution month.")] = None,
    insured_before: Annotated[bool | None, typer.Option(
        "--insured-before-2011-07/--insured-since-2011-07", help="Insured before 2011-07-01 (one-off payment open)?")] = None,
    as_json: JsonOpt = False,
) -> None:
    """法定退休年龄、退休时间与弹性区间 / Statutory age, retirement month, flexible window."""
    if group not in GROUPS:
        raise BadInput("cli.bad_group", value=group)
    if kind not in CLI_KINDS:
        raise BadInput("rules.kind.cli_bad_kind", value=kind, allowed=", ".join(CLI_KINDS))
    born = _month(birth)
    case_kind = CLI_KINDS[kind]
    details = _kind_details(case_kind, special_years, work)
    params = load_parameters()
    facts = _retirement_facts(born, group, case_kind, details, contribution_months, insured_before, _month(retire_at) if retire_at else None)
    s = facts.statutory
    assert s is not None and facts.retire_month is not None  # the birth month is given
    window = flexible_window(statutory_retirement(born, group))
    chosen = facts.retire_month
    refusals = _refusals(facts, chosen, contribution_months is not None)
    if refusals:
        raise Refused("; ".join(refusals))
    minimum = minimum_contribution(s.statutory_month, chosen)
    benefit = benefit_start(chosen, rule=params.benefit_start_rule)
    divisor = divisor_months(chosen.months_since(born), chosen)
    unconfirmed = ["benefit_start_rule"] if params.get("benefit_start_rule").unconfirmed else []
    reasons = [s.reason] + ([] if facts.kind_rule else [window.reason]) + [minimum.reason, benefit.reason, divisor.reason]
    reasons += [facts.extension.reason] if facts.extension and contribution_months is not None else []
    data: dict[str, Any] = {
        "group": group,
        "birth_month": str(born),
        "original_age_months": s.original_age_months,
        "delay_months": s.delay_months,
        "statutory_age_months": s.statutory_age_months,
        "statutory_age": s.statutory_age,
        "statutory_month": str(s.statutory_month),
        "earliest_month": None if facts.kind_rule else str(window.earliest),
        "latest_month": None if facts.kind_rule else str(window.latest),
        "chosen_month": str(chosen),
        "retire_kind": facts.choice.kind if facts.choice else case_kind,
        "retire_age": format_age(chosen.months_since(born)),
        "min_contribution_months": minimum.months,
        "min_contribution_year": minimum.year,
        "benefit_start_month": str(benefit.month),
        "divisor_months": str(divisor.months),
        "policy_source": s.reason.source,
        "explanation": [t(r.code, **r.params) for r in reasons] + _kind_notes(facts),
        "unconfirmed_parameters": unconfirmed,
    } | facts.kind_dict() | ({} if contribution_months is not None else dict.fromkeys(NEED_MONTHS))
    _warn_unconfirmed(params, unconfirmed)
    _show(data, as_json, data["explanation"])


def _kind_notes(facts: RetirementFacts) -> list[str]:
    """The retirement type's findings that do not refuse (review, warnings) and the manual-review flag, in words."""
    notes = [t(f.code, **f.params) for f in (facts.kind_rule.findings if facts.kind_rule else []) if f.severity != "unmet"]
    if facts.manual_review:
        notes.append(t("rules.kind.manual_review", kind=facts.kind))
    return notes


@app.command("pension")
def pension(
    base: Annotated[str, typer.Option("--base", help="Provincial pension base C for the retirement year (yuan).")],
    index: Annotated[str, typer.Option("--index", help="Average indexed contribution wage index I.")],
    months: Annotated[int, typer.Option("--months", min=0, help="Contribution months N, deemed included.")],
    balance: Annotated[str, typer.Option("--balance", help="Personal account balance (yuan).")],
    age: Annotated[str, typer.Option("--age", help="Age at retirement, e.g. 60y5m.")],
    transition_months: Annotated[int, typer.Option(
        "--transition-months", min=0, help="Months the transitional pension counts (deemed, or all before accounts: see the formula).")] = 0,
    retire_month: Annotated[str | None, typer.Option(
        "--retire-month", help="Retirement month YYYY-MM: before 2025-01 the whole-year divisor applies (default: current law).")] = None,
    transition_index: Annotated[str | None, typer.Option(
        "--transition-index", help="The separate transitional index, for a formula that has one.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """养老金测算 / Pension estimate: basic + personal account + transitional, by the province's formula."""
    try:
        age_months = parse_age(age)
    except BadMonth:
        raise BadInput("cli.bad_age", value=age) from None
    month = _month(retire_month) if retire_month else None
    params = load_parameters()
    formula = params.pension_formula()
    values = (_decimal(base), _decimal(index), _decimal(balance))
    separate = _decimal(transition_index) if transition_index is not None else None
    if values[0] > MAX_AMOUNT or values[2] > MAX_AMOUNT or max(values[1], separate or 0) > MAX_INDEX or max(months, transition_months) > MAX_MONTHS:
        raise BadInput("calc.out_of_range", max_amount=MAX_AMOUNT, max_index=MAX_INDEX, max_months=MAX_MONTHS)
    if formula.transitional_index == "separate" and transition_months and separate is None:
        raise BadInput("calc.needs_transition_index", formula=formula.parameter)
    est = estimate_pension(values[0], values[1], months, values[2], age_months, transition_months, formula, month, separate)
    data: dict[str, Any] = {
        "basic": str(est.basic),
        "account": str(est.account),
        "transitional": str(est.transitional),
        "total": str(est.total),
        "divisor_months": str(est.divisor_months),
        "age": format_age(age_months),
        "retire_month": str(month) if month else None,
        "pension_formula": formula.parameter,
        "pension_formula_status": formula.status,
        "pension_formula_source": formula.source,
        "explanation": [t(r.code, **r.params) for r in est.reasons],
        "unconfirmed_parameters": est.unconfirmed,
    }
    _warn_unconfirmed(params, est.unconfirmed)
    _show(data, as_json, data["explanation"])


@app.command("group")
def group(
    sex: Annotated[str, typer.Option("--sex", help="M | F")],
    category: Annotated[str, typer.Option("--category", help="worker | cadre | flexible")] = "worker",
    female_group: Annotated[str | None, typer.Option("--female-group", help="An explicit female50 | female55 on the case.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """改革人员类别及其依据 / A person's reform group, and the rule and parameter that decided it."""
    if sex not in SEX.codes:
        raise BadInput("calc.bad_choice", option="--sex", value=sex, allowed=", ".join(SEX.codes))
    if category not in STAFF_CATEGORY.codes:
        raise BadInput("calc.bad_choice", option="--category", value=category, allowed=", ".join(STAFF_CATEGORY.codes))
    if female_group is not None and female_group not in ("female50", "female55"):
        raise BadInput("calc.bad_choice", option="--female-group", value=female_group, allowed="female50, female55")
    params = load_parameters()
    chosen = group_for(sex, category, female_group, params.flexible_worker_female_group)
    p = params.group_parameter(sex, category, female_group)
    data: dict[str, Any] = {
        "group": chosen,
        "sex": sex,
        "staff_category": category,
        "female_group": female_group,
        "group_parameter": p.name if p else None,
        "group_parameter_value": str(p.value) if p else None,
        "group_parameter_status": p.status if p else None,
        "group_parameter_source": p.source if p else None,
        "unconfirmed_parameters": [p.name] if p and p.unconfirmed else [],
    }
    _warn_unconfirmed(params, data["unconfirmed_parameters"])
    _show(data, as_json)


def _read_periods(path: Path) -> list[Period]:
    text = read_text_file(path)
    if "\x00" in text:
        raise BadInput("cli.not_csv", path=str(path), reason="binary data")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise BadInput("cli.not_csv", path=str(path), reason=str(exc)) from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise BadInput("cli.not_csv", path=str(path), reason=t("calc.empty"))
    header = [c.strip().lower() for c in rows[0]]
    if header[:3] == ["from", "to", "kind"]:
        rows = rows[1:]
    periods = []
    for line, row in enumerate(rows, start=2 if header[:3] == ["from", "to", "kind"] else 1):
        if len(row) < 3 or len(row) > 4:
            raise BadInput("calc.bad_row", path=str(path), line=line, reason=t("calc.columns"))
        try:
            start, end = Month.parse(row[0]), Month.parse(row[1])
        except BadMonth:
            raise BadInput("calc.bad_row", path=str(path), line=line, reason=t("cli.bad_month", value=f"{row[0]},{row[1]}")) from None
        kind = row[2].strip().lower()
        periods.append(Period(start, end, kind, row[3].strip() if len(row) > 3 else ""))
    return periods


@app.command("contributions")
def contributions(
    file: Annotated[Path, typer.Argument(help="CSV: from,to,kind[,place]; kind is actual or deemed.")],
    as_json: JsonOpt = False,
) -> None:
    """缴费年限合并计算 / Merge contribution periods: totals, gaps, overlaps."""
    params = load_parameters()
    periods = _read_periods(file)
    s = summarise(periods, params.county_places, params.personal_contribution_start)
    if s.findings:
        raise BadInput("; ".join(t(f.code, **f.params) for f in s.findings), reason_code=s.findings[0].code)
    unconfirmed = ["personal_contribution_start"] if any(p.kind == "deemed" for p in periods) and params.get("personal_contribution_start").unconfirmed else []
    data: dict[str, Any] = {
        "total_months": s.total_months,
        "actual_months": s.actual_months,
        "deemed_months": s.deemed_months,
        "county_months": s.county_months,
        "first_month": str(s.first_month) if s.first_month else None,
        "last_month": str(s.last_month) if s.last_month else None,
        "gaps": [g.as_dict() for g in s.gaps],
        "overlaps": [o.as_dict() for o in s.overlaps],
        "unconfirmed_parameters": unconfirmed,
    }
    _warn_unconfirmed(params, unconfirmed)
    if as_json:
        print_json(data)
        return
    _show(data, False)
    for label, spans in ((t("calc.gaps"), s.gaps), (t("calc.overlaps"), s.overlaps)):
        typer.echo(f"{label}: " + (", ".join(f"{x.start}..{x.end} ({x.months})" for x in spans) or "-"))


@app.command("idcard")
def idcard(
    number: Annotated[str, typer.Argument(help="18-character resident ID number.")],
    as_json: JsonOpt = False,
) -> None:
    """身份证号码校验 / Check an ID number; print birth date and sex."""
    number = ascii_digits(number, "id_number")  # ² and full-width digits become ASCII; other scripts exit 2
    card = parse_id(number, with_place=True)
    if not card.valid:
        code = card.error or "rules.id.format"
        raise BadInput("calc.id_invalid", number=number, reason=t(code), reason_code=code, json_fields={"number": number})
    data: dict[str, Any] = {
        "number": card.number,
        "valid": True,
        "birth_date": card.birth_date.isoformat() if card.birth_date else None,
        "sex": card.sex,
        "place_code": card.place_code,
        "place": card.place,
    }
    _show(data, as_json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="calc")
