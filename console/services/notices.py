"""Notices and forms as printable documents: render at issue, store, reprint as issued.

Five kinds, each numbered per kind and year from ``console/hall.toml``
``[notice_numbers]``:

- ``acceptance`` (受理通知单), ``correction`` (一次性告知书), ``refusal``
  (不予受理通知书): issued by the intake decisions (``console.services.intake``
  calls ``issue_notice`` inside the decision's transaction);
- ``joint_form`` (联办一张表), ``approval_form`` (退休审批表): issued on demand
  from the confirmed pre-review (``issue_document``); a later request
  reprints the stored one unless ``reissue`` is asked for.

At issue time the template (``console/templates/<kind>.toml``, or the same
name under ``$RETIRE_TEMPLATES``) is filled for zh and en; the notice row
stores the zh plain text as ``body`` and, in ``data``, the facts it was made
from plus both document models.  A reprint renders the stored model, never
the current template or case, so the text and the DOCX bytes are the same
every time.

Public API (the CLI and the TUI call these):

- ``render_text(db, actor, case_no, kind, lang=None, number=None, reissue=False) -> str``
- ``docx_bytes(db, actor, case_no, kind, lang=None, number=None, reissue=False) -> bytes``
- ``write_docx(db, actor, case_no, kind, path, lang=None, number=None, reissue=False) -> Path``
- ``list_notices(db, actor, case_no) -> list[dict]``
- ``issue_document(db, actor, case_no, kind, reissue=False, today=None) -> dict`` (forms only)
- ``issue_notice(db, case, kind, today, data, actor) -> dict`` (inside the caller's transaction)
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.documents.template import Template, TemplateError, fill, load_template
from console.documents.text_writer import render_text as text_of_model
from console.errors import BadInput, Refused
from console.i18n import LANGS, current_lang, normalise_lang, t
from console.rules.materials import task_materials
from console.rules.task_plan import SPECS, TaskSpec, plan, tasks_for
from console.rules.time_limits import limit_for
from console.services.identity import Actor, require_role
from console.services.role_matrix import BY_CODE, CASE_READERS
from console.settings import load_hall
from console.vocabulary import (
    AGE_GROUP,
    CASE_KIND,
    CASE_STATUS,
    DEPARTMENT,
    FINISHED_STATUSES,
    PROMISE_ACTION,
    SEX,
    STAFF_CATEGORY,
    WORKING_STATUSES,
)
from db import audit
from db import cases as cases_db
from db import facts as facts_db
from db import notices as notices_db
from db import persons as persons_db
from db import staff as staff_db
from db import tasks as tasks_db
from db.case_numbers import case_id_by_no
from db.connection import transaction

if TYPE_CHECKING:
    from db.engine import Database

KINDS = ("acceptance", "correction", "refusal", "promise", "joint_form", "approval_form")
DECISION_KINDS = ("acceptance", "correction", "refusal", "promise")
FORM_KINDS = ("joint_form", "approval_form")
ISSUE_ROLES = BY_CODE["notice.issue"].roles
FORM_STATUSES = (*WORKING_STATUSES, *FINISHED_STATUSES)
SHIPPED_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
TEMPLATES_ENV = "RETIRE_TEMPLATES"

_FACT_ORDER: tuple[tuple[str, str | None], ...] = (
    # (fact, the key of its reason in facts["reasons"])
    ("group", "group"),
    ("birth_date", "birth_date"),
    ("statutory_age", "statutory_month"),
    ("statutory_month", "statutory_month"),
    ("window", "window"),
    ("retire_month", None),
    ("min_contribution_months", "min_contribution_months"),
    ("total_months", "total_months"),
    ("deemed_spans", None),
    ("service_start", None),
    ("contribution_start", None),
    ("benefit_start_month", "benefit_start_month"),
    ("divisor_months", "divisor_months"),
)


# ---------------------------------------------------------------- kinds and templates

def normalise_kind(kind: str) -> str:
    """'joint-form' and 'joint_form' are the same kind; anything else unknown is bad input."""
    k = (kind or "").strip().lower().replace("-", "_")
    if k not in KINDS:
        raise BadInput("notices.bad_kind", value=kind, allowed=", ".join(x.replace("_", "-") for x in KINDS))
    return k


def template_path(kind: str) -> Path:
    """The template file in force for ``kind``: $RETIRE_TEMPLATES/<kind>.toml if present, else the shipped one."""
    override = os.environ.get(TEMPLATES_ENV)
    if override:
        directory = Path(override).expanduser()
        if not directory.is_dir():
            raise BadInput("notices.template_error", path=str(directory), problem=t("notices.not_a_directory"))
        candidate = directory / f"{kind}.toml"
        if candidate.exists():
            return candidate
    return SHIPPED_TEMPLATES / f"{kind}.toml"


def load_kind_template(kind: str) -> Template:
    path = template_path(kind)
    try:
        return load_template(path, LANGS)
    except TemplateError as err:
        raise BadInput("notices.template_error", path=err.path, problem=err.problem) from None


# ---------------------------------------------------------------- formatting per language

def _blank(lang: str) -> str:
    return t("notices.blank", lang)


def fmt_date(value: str | date | None, lang: str) -> str | None:
    if not value:
        return None
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return t("notices.fmt.date", lang, y=d.year, m=d.month, d=d.day, month_name=d.strftime("%B"))


def fmt_month(value: str | None, lang: str) -> str | None:
    if not value:
        return None
    y, m = str(value).split("-")[:2]
    return t("notices.fmt.month", lang, y=int(y), m=int(m), iso=f"{y}-{m}")


def fmt_age(value: str | None, lang: str) -> str | None:
    """'60y5m' -> 60周岁5个月 / 60 years 5 months."""
    if not value:
        return None
    text = str(value)
    try:
        years, months = text.rstrip("m").split("y")
        y, m = int(years), int(months or 0)
    except ValueError:
        return text
    return t("notices.fmt.age", lang, y=y, m=m) if m else t("notices.fmt.age_years", lang, y=y)


def fmt_months(value: Any, lang: str) -> str | None:
    """487 -> 40年7个月（487个月）."""
    if value is None or value == "":
        return None
    n = int(value)
    return t("notices.fmt.span", lang, y=n // 12, m=n % 12, n=n)


def _money(value: Any, lang: str) -> str | None:
    if value is None or value == "":
        return None
    return t("notices.fmt.money", lang, v=value)


def _hall_context(hall: Mapping[str, Any], lang: str) -> dict[str, Any]:
    out = {k: v for k, v in hall.items() if not k.endswith("_en")}
    if lang != "zh":
        for k in list(out):
            if f"{k}_en" in hall:
                out[k] = hall[f"{k}_en"]
        if "seal_en" not in hall and "department_en" in hall:
            out["seal"] = t("notices.seal_en", lang, department=hall["department_en"])
    return out


hall_context = _hall_context
"""The hall's names in ``lang`` as templates name them (``{hall.*}``); the reminder letter uses it too."""


def fill_template(kind: str, lang: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """Fill the template ``kind`` (console/templates, or $RETIRE_TEMPLATES) for ``lang``; a broken one is BadInput."""
    try:
        model = fill(load_kind_template(kind), lang, context, blank=_blank(lang))
    except TemplateError as err:
        raise BadInput("notices.template_error", path=err.path, problem=err.problem) from None
    model["kind"] = kind
    return model


# ---------------------------------------------------------------- the snapshot and the context

def _promised_date(db: Database, case: Mapping[str, Any], today: date) -> str | None:
    """The case's due date; when none is stored (e.g. right after a correction pause) ask the clock."""
    if case.get("due_date"):
        return str(case["due_date"])
    from console.services.clocks import calendar_for, case_clock

    try:
        state = case_clock(dict(case), today, calendar_for(db))
    except Exception:
        return None
    if state is None or state.due_date is None or state.state == "paused":
        return None
    return state.due_date.isoformat()


def _subject(db: Database, case: Mapping[str, Any], today: date) -> dict[str, Any]:
    """Case and applicant as they stand at issue time (stored with the notice)."""
    person = persons_db.get(db, case["person_id"]) or {}
    employer = persons_db.get_employer(db, person["employer_id"]) if person.get("employer_id") else None
    return {
        "case": {
            "case_no": case["case_no"], "kind": case["kind"], "received_at": case.get("received_at"),
            "due_date": _promised_date(db, case, today), "joint_items": list(case.get("joint_items") or []),
            "chosen_month": case.get("chosen_month"), "tasks": _case_tasks(db, case),
        },
        "person": {
            "name": person.get("name"), "id_number": person.get("id_number"), "sex": person.get("sex"),
            "birth_date_id": person.get("birth_date_id"), "phone": person.get("phone"), "address": person.get("address"),
            "hukou": person.get("hukou"), "staff_category": person.get("staff_category"), "bank_card": person.get("bank_card"),
            "employer": employer["name"] if employer else None, "employer_code": employer["credit_code"] if employer else None,
        },
    }


def _case_tasks(db: Database, case: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The case's tasks and why each is there: the stored ones once accepted, else the plan its data gives."""
    from console.services.tasks import needs_of

    stored = tasks_db.for_case(db, case["id"])
    if stored:
        return [{"item": x["item"], "reason": json.loads(x["reason"]) if x.get("reason") else None} for x in stored]
    return [{"item": p.spec.item, "reason": p.reason.as_dict()} for p in plan(list(case.get("joint_items") or []), needs_of(db, dict(case)))]


def _planned_specs(case: Mapping[str, Any], joint: list[str]) -> list[tuple[TaskSpec, dict[str, Any] | None]]:
    """The items a document lists: the case's tasks stored with the notice, or (older notices) the basic and joint items."""
    tasks = case.get("tasks")
    if tasks is None:
        return [(spec, None) for spec in tasks_for(joint)]
    return [(SPECS[x["item"]], x.get("reason")) for x in tasks if x.get("item") in SPECS]


def _hrss_item(spec: TaskSpec, reason: Mapping[str, Any] | None, lang: str) -> dict[str, Any]:
    """A row of the one form's HRSS items: what, why, with which papers, in how many working days."""
    sep = t("notices.fmt.list_sep", lang)
    return {"name": t(f"items.{spec.item}", lang), "why": _reason_text(reason, lang) if reason else None,
            "materials": sep.join(t(f"materials.{m.code}", lang) for m in task_materials(spec.item)) or None,
            "limit_days": limit_for(spec.item).working_days, "basis": (reason or {}).get("source") or spec.source}


def _fact_value(key: str, facts: Mapping[str, Any], lang: str) -> str | None:
    sep = t("notices.fmt.list_sep", lang)
    if key == "group":
        return t(AGE_GROUP.key(facts['group']), lang) if facts.get("group") else None
    if key in ("birth_date",):
        return fmt_date(facts.get(key), lang)
    if key == "statutory_age":
        return fmt_age(facts.get(key), lang)
    if key in ("statutory_month", "retire_month", "service_start", "contribution_start", "benefit_start_month"):
        value = fmt_month(facts.get(key), lang)
        if key == "retire_month" and value and facts.get("retire_kind"):
            value += t("notices.fmt.paren", lang, text=t(f"notices.retire_kind.{facts['retire_kind']}", lang))
        return value
    if key == "window":
        if not facts.get("earliest_month"):
            return None
        return t("notices.fmt.range", lang, a=fmt_month(facts["earliest_month"], lang), b=fmt_month(facts.get("latest_month"), lang))
    if key in ("min_contribution_months", "total_months", "deemed_months", "actual_months", "county_months"):
        return fmt_months(facts.get(key), lang)
    if key == "deemed_spans":
        spans = facts.get("deemed_spans") or []
        return sep.join(
            t("notices.fmt.range", lang, a=fmt_month(s.get("from"), lang), b=fmt_month(s.get("to"), lang))
            + t("notices.fmt.paren", lang, text=fmt_months(s.get("months"), lang)) for s in spans
        ) or None
    if key == "divisor_months":
        return str(facts["divisor_months"]) if facts.get("divisor_months") else None
    value = facts.get(key)
    return None if value is None else str(value)


def _reason_text(reason: Mapping[str, Any] | None, lang: str) -> str | None:
    if not reason or not reason.get("code"):
        return None
    return t(reason["code"], lang, **(reason.get("params") or {}))


def _facts_context(facts: Mapping[str, Any], lang: str) -> dict[str, Any]:
    reasons: Mapping[str, Any] = facts.get("reasons") or {}
    values = {key: _fact_value(key, facts, lang) for key, _ in _FACT_ORDER}
    for extra in ("deemed_months", "actual_months", "county_months"):
        values[extra] = _fact_value(extra, facts, lang)
    why = {key: _reason_text(r, lang) for key, r in reasons.items()}
    basis = {key: (r.get("source") or None) for key, r in reasons.items()}
    rows = []
    used: set[str] = set()
    for key, reason_key in _FACT_ORDER:
        r = reasons.get(reason_key) if reason_key else None
        if reason_key:
            used.add(reason_key)
        rows.append({"label": t(f"notices.fact.{key}", lang), "value": values[key], "why": _reason_text(r, lang),
                     "basis": (r or {}).get("source") or None})
    for key, r in reasons.items():  # every reason the rules gave, even one this list does not know yet
        if key not in used:
            label = t(f"notices.fact.{key}", lang)
            rows.append({"label": key if label == f"notices.fact.{key}" else label, "value": _fact_value(key, facts, lang),
                         "why": _reason_text(r, lang), "basis": r.get("source") or None})
    for n, row in enumerate(rows, start=1):
        row["n"] = n
    for key in ("why", "basis"):
        for name, _ in _FACT_ORDER:
            (why if key == "why" else basis).setdefault(name, None)
    return {"facts": values, "why": why, "basis": basis, "fact_rows": rows}


def _pension(data: Mapping[str, Any], lang: str) -> dict[str, Any] | None:
    raw = data.get("pension") or (data.get("facts") or {}).get("pension") or (data.get("facts") or {}).get("pension_estimate")
    if not raw:
        return None
    return {k: _money(raw.get(k), lang) for k in ("basic", "account", "transitional", "total")} | {
        "divisor_months": raw.get("divisor_months")}


def build_context(kind: str, number: str, data: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Everything a template may name, in ``lang``, from the stored snapshot only (pure)."""
    subject = data.get("subject") or {}
    case, person = subject.get("case") or {}, subject.get("person") or {}
    joint = list(case.get("joint_items") or data.get("joint_items") or [])
    items: list[dict[str, Any]] = []
    departments: list[dict[str, Any]] = []
    hrss_items: list[dict[str, Any]] = []
    for spec, reason in _planned_specs(case, joint):
        if spec.when is not None:
            hrss_items.append(_hrss_item(spec, reason, lang))
        is_joint = spec.joint_item is not None
        name = t(f"joint_items.{spec.joint_item}", lang) if is_joint else t(f"items.{spec.item}", lang)
        entry: dict[str, Any] = {"name": name, "department": t(DEPARTMENT.key(spec.department), lang),
                 "category": t("notices.joint_item" if is_joint else "notices.basic_item", lang)}
        items.append(entry)
        if is_joint:
            departments.append(dict(entry))
    for seq in (items, departments, hrss_items):
        for n, entry in enumerate(seq, start=1):
            entry["n"] = n
    findings = []
    # what the applicant must supply first; what the window checks itself at pre-review last (issue 14)
    listed = sorted(data.get("findings") or [], key=lambda f: f.get("severity") == "to_check")
    for n, f in enumerate(listed, start=1):
        findings.append({
            "n": n, "code": f.get("code"), "text": f.get(lang) or t(f["code"], lang, **(f.get("params") or {})),
            "basis": f.get("source") or None, "category": t(f"notices.severity.{f.get('severity')}", lang),
        })
    sep = t("notices.fmt.list_sep", lang)
    facts = data.get("facts") or {}
    prereview = data.get("prereview") or {}
    ctx: dict[str, Any] = {
        "kind": t(f"notices.kind.{kind}", lang),
        "number": number,
        "issued_date": fmt_date(data.get("issued_on"), lang),
        "hall": _hall_context(data.get("hall") or {}, lang),
        "case": {
            "case_no": case.get("case_no"),
            "kind": t(CASE_KIND.key(case['kind']), lang) if case.get("kind") else None,
            "received_date": fmt_date(case.get("received_at"), lang),
            "due_date": fmt_date(case.get("due_date"), lang),
            "limit_days": data.get("limit_days"),
            "joint_items": sep.join(t(f"joint_items.{j}", lang) for j in joint) or None,
        },
        "person": {
            **{k: person.get(k) for k in ("name", "id_number", "phone", "address", "hukou", "bank_card", "employer", "employer_code")},
            "sex": t(SEX.key(person['sex']), lang) if person.get("sex") else None,
            "birth_date_id": fmt_date(person.get("birth_date_id"), lang),
            "staff_category": t(STAFF_CATEGORY.key(person['staff_category']), lang) if person.get("staff_category") else None,
        },
        "items": items,
        "joint": departments,
        "hrss_items": hrss_items,
        "findings": findings,
        "count": len(findings),
        "missing_count": sum(1 for f in data.get("findings") or [] if f.get("severity") == "missing"),
        "unmet_count": sum(1 for f in data.get("findings") or [] if f.get("severity") == "unmet"),
        "to_check_count": sum(1 for f in data.get("findings") or [] if f.get("severity") == "to_check") or None,
        "reason": data.get("reason") or None,
        "pension": _pension(data, lang),
        "prereview": {
            "confirmed_by": prereview.get("confirmed_by_name") or prereview.get("confirmed_by"),
            "confirmed_date": fmt_date(prereview.get("confirmed_at"), lang),
            "policy_version": prereview.get("policy_version") or facts.get("policy_version"),
            "unconfirmed": sep.join(facts.get("unconfirmed_parameters") or []) or None,
        },
    }
    ctx["promises"] = [
        {"n": n, "material": t(f"materials.{p['code']}", lang), "deadline": fmt_date(p.get("deadline"), lang),
         "days": p.get("days"), "action": t(PROMISE_ACTION.key(p["on_expiry"]), lang), "basis": p.get("source") or None}
        for n, p in enumerate(data.get("promises") or [], start=1)
    ]
    ctx["acceptance_notice_no"] = data.get("acceptance_notice_no") or None
    ctx.update(_facts_context(facts, lang))
    return ctx


def build_documents(kind: str, number: str, data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The document model in every language (what the notice stores)."""
    template = load_kind_template(kind)
    out = {}
    for lang in LANGS:
        try:
            model = fill(template, lang, build_context(kind, number, data, lang), blank=_blank(lang))
        except TemplateError as err:
            raise BadInput("notices.template_error", path=err.path, problem=err.problem) from None
        model["kind"] = kind
        out[lang] = model
    return out


# ---------------------------------------------------------------- issuing

def _store_rendering(db: Database, notice_id: int, body: str, data: Mapping[str, Any]) -> None:
    notices_db.store_rendering(db, notice_id, body, dict(data))


def _complete(db: Database, case: Mapping[str, Any], kind: str, number: str, issued_on: date, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Add the snapshot and the rendered documents to ``data``; returns (zh body, data)."""
    data = dict(data)
    data.setdefault("issued_on", issued_on.isoformat())
    data.setdefault("subject", _subject(db, case, issued_on))
    data.setdefault("hall", dict(load_hall()["hall"]))
    data.setdefault("limit_days", limit_for("case").working_days)
    data["document"] = build_documents(kind, number, data)
    return text_of_model(data["document"]["zh"]), data


complete_data = _complete
"""The rendered documents for ``data`` as issuing would make them (the preview's path: console.services.previews)."""


def issue_notice(
    db: Database, case: Mapping[str, Any], kind: str, today: date, data: dict[str, Any], actor: Actor
) -> dict[str, Any]:
    """Number, render and store one notice; must run inside the caller's transaction.

    Returns ``{"id", "number", "kind", "body"}``.  A broken template raises
    ``BadInput`` and so rolls the whole decision back.
    """
    formats = load_hall().get("notice_numbers", {})
    if kind not in formats:
        raise BadInput("notices.no_number_format", kind=kind)
    notice = notices_db.issue(db, case["id"], kind, today.year, formats[kind], "", data, actor.login)
    body, full = _complete(db, case, kind, str(notice["number"]), today, data)
    _store_rendering(db, notice["id"], body, full)
    return {**notice, "body": body}


def _load_case(db: Database, case_no: str) -> dict[str, Any]:
    """The case by number, straight from db/ (not through intake: intake issues notices, so that would be a cycle)."""
    return cases_db.load(db, case_no)


def _form_data(db: Database, case: Mapping[str, Any]) -> dict[str, Any]:
    stored = facts_db.get(db, case["id"])
    if stored is None or not stored.get("confirmed_at"):
        raise Refused("notices.prereview_unconfirmed", case_no=case["case_no"])
    who = staff_db.get_by_login(db, stored["confirmed_by"]) if stored.get("confirmed_by") else None
    return {
        "facts": stored["data"],
        "joint_items": list(case.get("joint_items") or []),
        "prereview": {
            "confirmed_by": stored["confirmed_by"], "confirmed_by_name": who["name"] if who else None,
            "confirmed_at": stored["confirmed_at"], "policy_version": stored["policy_version"],
        },
    }


form_data = _form_data
"""A form's data from the confirmed pre-review (refused in words while it is unconfirmed); previews use it too."""


def _latest(db: Database, case_id: int, kind: str, number: str | None = None) -> dict[str, Any] | None:
    rows = [n for n in notices_db.for_case(db, case_id) if n["kind"] == kind and (number is None or n["number"] == number)]
    return rows[-1] if rows else None


def issue_document(
    db: Database, actor: Actor, case_no: str, kind: str, reissue: bool = False, today: date | None = None
) -> dict[str, Any]:
    """Issue a form (joint_form / approval_form) from the confirmed pre-review, or return the stored one.

    The first request numbers it; later requests return the stored notice
    unless ``reissue`` (then a new number, the old one stays on record).
    """
    kind = normalise_kind(kind)
    if kind not in FORM_KINDS:
        raise Refused("notices.not_on_demand", kind=t(f"notices.kind.{kind}"))
    today = today or date.today()
    with transaction(db):
        case = _load_case(db, case_no)
        existing = _latest(db, case["id"], kind)
        if existing is not None and not reissue:
            return existing
        require_role(actor, *ISSUE_ROLES)
        if case["status"] not in FORM_STATUSES:
            raise Refused("notices.case_not_accepted", case_no=case["case_no"], status=t(CASE_STATUS.key(case['status'])))
        notice = issue_notice(db, case, kind, today, _form_data(db, case), actor)
        audit.append(db, actor.audit_name, "notice.reissue" if existing else "notice.issue", case_id=case["id"], entity="notice",
                     entity_id=notice["number"], detail={"kind": kind, "replaces": existing["number"] if existing else None})
        row = notices_db.get(db, notice["id"])
    assert row is not None
    return row


# ---------------------------------------------------------------- reading and printing

def list_notices(db: Database, actor: Actor, case_no: str) -> list[dict[str, Any]]:
    """Every notice of the case, oldest first (no bodies)."""
    require_role(actor, *CASE_READERS)  # every role but the auditor (docs/roles.md)
    case = _load_case(db, case_no)
    return [
        {"id": n["id"], "kind": n["kind"], "number": n["number"], "year": n["year"], "issued_at": n["issued_at"],
         "issued_by": n["issued_by"], "rendered": bool(n["body"])}
        for n in notices_db.for_case(db, case["id"])
    ]


def _backfill(db: Database, actor: Actor, notice: dict[str, Any]) -> dict[str, Any]:
    """A notice stored before rendering existed (empty body): render it once from its data and keep that."""
    with transaction(db):
        case = cases_db.get(db, notice["case_id"])
        assert case is not None
        issued_on = date.fromisoformat(str(notice["issued_at"])[:10])
        body, data = _complete(db, case, notice["kind"], notice["number"], issued_on, notice["data"] or {})
        _store_rendering(db, notice["id"], body, data)
        audit.append(db, actor.audit_name, "notice.render_stored", case_id=case["id"], entity="notice", entity_id=notice["number"],
                     detail={"kind": notice["kind"]})
    row = notices_db.get(db, notice["id"])
    assert row is not None
    return row


def get_notice(
    db: Database, actor: Actor, case_no: str, kind: str, number: str | None = None, reissue: bool = False
) -> dict[str, Any]:
    """The stored notice to print: the latest of ``kind`` (or the one numbered ``number``).

    Forms are issued on first request (or again with ``reissue``); decision
    notices exist only once the decision was taken.
    """
    require_role(actor, *CASE_READERS)
    kind = normalise_kind(kind)
    case_id = case_id_by_no(db, case_no)
    if case_id is None:
        _load_case(db, case_no)  # raises the usual NotFound
    if kind in FORM_KINDS and number is None and (reissue or _latest(db, case_id, kind) is None):
        notice = issue_document(db, actor, case_no, kind, reissue=reissue)
    else:
        if reissue:
            raise Refused("notices.not_on_demand", kind=t(f"notices.kind.{kind}"))
        latest = _latest(db, case_id, kind, number)
        if latest is None:
            if number is not None:
                raise Refused("notices.number_not_found", case_no=case_no, number=number, kind=t(f"notices.kind.{kind}"))
            raise Refused("notices.not_issued", case_no=case_no, kind=t(f"notices.kind.{kind}"))
        notice = latest
    if not (notice.get("data") or {}).get("document"):
        notice = _backfill(db, actor, notice)
    return notice


def _model(notice: Mapping[str, Any], lang: str | None) -> dict[str, Any]:
    docs = (notice.get("data") or {}).get("document") or {}
    lang = normalise_lang(lang) if lang else current_lang()
    if lang not in docs:
        raise Refused("notices.no_language", number=notice["number"], lang=lang)
    model: dict[str, Any] = docs[lang]
    return model


def notice_text(notice: Mapping[str, Any], lang: str | None = None) -> str:
    """Plain text of a stored notice; for zh it is exactly the stored body."""
    lang = normalise_lang(lang) if lang else current_lang()
    if lang == "zh" and notice.get("body"):
        return str(notice["body"])
    return text_of_model(_model(notice, lang))


def notice_docx(notice: Mapping[str, Any], lang: str | None = None) -> bytes:
    """DOCX bytes of a stored notice (the same bytes on every call)."""
    from console.documents.docx_writer import render_docx

    model = _model(notice, lang)
    hall = (notice.get("data") or {}).get("hall") or {}
    author = hall.get("department" if model.get("lang") == "zh" else "department_en") or hall.get("department", "")
    return render_docx(model, datetime.fromisoformat(str(notice["issued_at"])), author=author)


def render_text(
    db: Database, actor: Actor, case_no: str, kind: str, lang: str | None = None, number: str | None = None,
    reissue: bool = False,
) -> str:
    """The notice as plain text (zh default follows the current language)."""
    return notice_text(get_notice(db, actor, case_no, kind, number, reissue), lang)


def docx_bytes(
    db: Database, actor: Actor, case_no: str, kind: str, lang: str | None = None, number: str | None = None,
    reissue: bool = False,
) -> bytes:
    return notice_docx(get_notice(db, actor, case_no, kind, number, reissue), lang)


def write_docx(
    db: Database, actor: Actor, case_no: str, kind: str, path: Path | str, lang: str | None = None,
    number: str | None = None, reissue: bool = False, force: bool = False,
) -> Path:
    """Write the notice as DOCX to ``path``; returns the path.  An existing file needs ``force``."""
    from console.safe_files import check_target, is_stdout

    if not is_stdout(path):
        check_target(Path(path).expanduser(), force=force)  # before a form is issued for nothing
    data = docx_bytes(db, actor, case_no, kind, lang, number, reissue)
    return write_file(Path(path), data, force=force)


def write_file(path: Path, data: bytes, force: bool = False) -> Path:
    """Write a rendered notice through ``console.safe_files`` (private temporary file, renamed when whole).

    A target that exists needs ``force``; a symlink, a device or a FIFO is
    refused (``BadInput``); ``-`` is standard output.
    """
    from console.safe_files import is_stdout, write_bytes
    from console.settings import documents_folder, ensure_folder

    if not is_stdout(path) and Path(path).expanduser().parent == documents_folder():
        ensure_folder(Path(path).expanduser())  # the hall's documents folder is made on its first save
    write_bytes(path, data, force=force)
    return path
