"""Intake at the window (受理): one keyboard flow from ID number to decision.

The form is read into plain data on every change and the rules run on it in
the UI thread (they are pure and fast), so the panel on the right always shows
the statutory month, the flexible window and EVERY unmet condition and missing
material.  Database work (looking the person up, opening and deciding the
case, rendering the notice) runs through the screen base's ``call``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import (
    Checkbox,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
)
from textual.widgets.selection_list import Selection

from console.i18n import t
from console.rules.eligibility import Assessment, assess
from console.rules.explain import Finding
from console.rules.idcard import IdCard, parse_id
from console.rules.materials import CASE_KINDS, JOINT_ITEMS, required_materials
from console.rules.months import BadMonth, Month
from console.rules.record_checks import record_checks
from console.rules.retirement_facts import PersonFacts, RetirementFacts, compute_facts
from console.rules.retirement_kinds import KindDetails
from console.services.intake import STAFF_CATEGORIES, TO_CHECK, Applicant, mark_unchecked
from console.services.person_facts import build_person_facts
from console.services.promises import promise_offer
from console.settings import load_parameters
from console.vocabulary import AGE_GROUP, CASE_KIND, CASE_STATUS, SEX, SPECIAL_WORK, STAFF_CATEGORY
from screens.context import AppContext
from screens.widgets.base import RetireScreen
from screens.widgets.facts_panel import FactsPanel, build_fact_rows
from screens.widgets.findings import FindingsList, render_findings, sort_findings
from screens.widgets.notice_preview import (
    ListConfirmModal,
    NoticePreview,
    render_notice,
)

LIVE_FACTS = ("group", "kind", "statutory_age", "retire_month", "window", "benefit", "total", "extension", "one_off", "completeness")
BLOCKING = ("unmet", "missing")
AUTO_GROUP = "auto"
WIDE = 120
KIND_FIELDS = {"special_work": ("special_work", "special_years"), "illness": ("appraisal_ref",), "work_injury": ("determination_ref",)}
"""The retirement type's own fields, shown only for a case of that kind (issue 15)."""


def _or_none(text: str) -> str | None:
    """A form field as stored: an empty or blank answer is no answer (NULL), not ''."""
    return text.strip() or None


@dataclass(frozen=True)
class FormData:
    """What the clerk has typed and ticked, as plain values."""

    id_number: str = ""
    name: str = ""
    phone: str = ""
    address: str = ""
    bank_card: str = ""
    hukou: str = ""
    category: str = "worker"
    female_group: str = AUTO_GROUP
    employer_code: str = ""
    employer_name: str = ""
    kind: str = "normal"
    chosen_month: str = ""
    joint_items: tuple[str, ...] = ()
    received: tuple[str, ...] = ()
    special_work: str = ""
    special_years: str = ""
    appraisal_ref: str = ""
    determination_ref: str = ""

    def details(self) -> dict[str, str]:
        """The kind's own fields as typed, for ``open_case(details=...)`` (the service checks them)."""
        return {f: getattr(self, f) for f in KIND_FIELDS.get(self.kind, ())}

    def applicant(self) -> Applicant:
        return Applicant(
            id_number=self.id_number,
            name=self.name.strip(),
            phone=_or_none(self.phone),
            address=_or_none(self.address),
            bank_card=_or_none(self.bank_card),
            hukou=_or_none(self.hukou),
            staff_category=self.category,
            female_group=None if self.female_group == AUTO_GROUP else self.female_group,
            employer_code=_or_none(self.employer_code),
            employer_name=_or_none(self.employer_name),
            archive_lost=self.kind == "lost_archive",
        )


@dataclass
class Live:
    """The rules' view of the form right now."""

    card: IdCard | None = None
    person: PersonFacts | None = None
    facts: RetirementFacts | None = None
    assessment: Assessment | None = None
    month_error: str | None = None
    details_error: str | None = None
    findings: list[Finding] = field(default_factory=list)


def kind_details_of(form: FormData) -> tuple[KindDetails, str | None]:
    """The kind's details as the service would read them, or empty details and why the typing is refused."""
    from console.errors import BadInput
    from console.services.case_kinds import kind_details

    try:
        return kind_details(form.kind, form.details()), None
    except BadInput as error:
        return KindDetails(), error.text()


def live_assessment(form: FormData, known: dict[str, Any] | None, today: date) -> Live:
    """Run the rules over the unsaved form (and the stored archive/periods of a known person)."""
    live = Live()
    text = form.id_number.strip()
    if not text:
        return live
    card = parse_id(text, today=today, with_place=True)  # the place name is shown to the clerk
    live.card = card
    chosen: Month | None = None
    if form.chosen_month.strip():
        try:
            chosen = Month.parse(form.chosen_month.strip())
        except BadMonth:
            live.month_error = t("tui.intake.bad_month", value=form.chosen_month.strip())
    details, live.details_error = kind_details_of(form)
    if not card.valid:
        return live
    stored = known or {}
    typed = {  # the stored person (imported figures included), with what the form says over it
        **(stored.get("person") or {}),
        "sex": card.sex or "M",
        "birth_date_id": card.birth_date.isoformat() if card.birth_date else None,
        "staff_category": form.category,
        "female_group": None if form.female_group == AUTO_GROUP or card.sex != "F" else form.female_group,
        "archive_lost": form.kind == "lost_archive",
    }
    person = replace(build_person_facts(typed, stored.get("archive_records", []), stored.get("periods", [])),
                     has_employer=bool(form.employer_code.strip()))
    facts = compute_facts(person, load_parameters(), chosen_month=chosen, decided_on=Month.from_date(today),
                          kind=form.kind, kind_details=details)
    result = assess(person, facts, form.kind, Month.from_date(today), form.received, form.joint_items)
    live.person, live.facts, live.assessment = person, facts, result
    # no case yet, so no pre-review: what the archive and periods would say reads "to be checked", not unmet
    live.findings = sort_findings(mark_unchecked([*result.findings, *record_checks(facts, Month.from_date(today))],
                                                 reviewed=False, has_periods=bool(person.periods),
                                                 has_records=bool(person.archive_records)))
    return live


def _field_problem(form: FormData) -> tuple[str, str] | None:
    """The name and phone through the service door's own rules, so the field is named and focused before saving."""
    from console.errors import BadInput
    from console.services import door

    for wid, check in (("name", door.person_name), ("phone", door.phone), ("bank_card", door.bank_card)):
        try:
            check(getattr(form, wid))
        except BadInput as error:
            return wid, error.text()
    return None


@dataclass(frozen=True)
class Decided:
    """A case opened and decided at the window, with the notice to show (kind None: a draft, no notice)."""

    case_no: str
    status: str
    kind: str | None
    number: str | None
    text: str


def _row(label: str, widget: Any, row_id: str | None = None) -> Horizontal:
    return Horizontal(Label(label, classes="label"), widget, classes="row", id=row_id)


def _material_label(code: str) -> str:
    text = t(f"materials.{code}")
    return text.split("：", 1)[0]


class IntakeScreen(RetireScreen):
    """Register an applicant and decide at the window; dismisses with the case number (None if left)."""

    CSS_PATH = "intake.tcss"
    NAME_KEY = "tui.app.intake"
    LEAVE_KEY = "tui.intake.confirm_leave"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2,ctrl+s", "save_draft", t("tui.intake.key.draft"), id="save-draft"),
        Binding("f3", "accept", t("tui.intake.key.accept"), id="accept"),
        Binding("f4", "correction", t("tui.intake.key.correction"), id="correction"),
        Binding("f6", "promise", t("tui.intake.key.promise"), id="promise", show=False),
        Binding("escape", "back", t("tui.intake.key.leave"), id="back"),
    ]

    def __init__(self, ctx: AppContext | None = None) -> None:
        super().__init__(ctx)
        self.known: dict[str, Any] | None = None
        self.known_for: str | None = None
        self.live = Live()
        self.pristine = FormData()
        self.material_codes: tuple[str, ...] = ()
        self.group_touched = False
        self.filling = False
        self.lookup_error: str | None = None
        """Why the lookup of ``known_for`` failed (no role to read persons...), shown in place of the wait."""

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """The form's own title line instead of the console header, so the form fits 80x24."""
        yield Static(t("tui.intake.title", today=self.ctx.today.isoformat()), id="intake-title", markup=False)
        with Horizontal(id="intake-body"):
            with VerticalScroll(id="form"):
                yield _row(t("tui.intake.field.id_number"),
                           Input(id="id_number", placeholder=t("tui.intake.placeholder.id_number"), restrict=r"[0-9Xx \-]*",
                                 max_length=22, compact=True))
                yield Static(t("tui.intake.id_hint"), id="id-info", classes="note", markup=False)
                yield _row(t("tui.intake.field.name"), Input(id="name", compact=True, max_length=40))
                yield _row(t("tui.intake.field.phone"), Input(id="phone", compact=True, max_length=20, restrict=r"[0-9 \-+]*"))
                yield _row(t("tui.intake.field.address"), Input(id="address", compact=True, placeholder=t("tui.intake.placeholder.address")))
                yield _row(t("tui.intake.field.bank_card"),
                           Input(id="bank_card", compact=True, max_length=23, restrict=r"[0-9 \-]*",
                                 placeholder=t("tui.intake.placeholder.bank_card")))
                yield _row(t("tui.intake.field.hukou"), Input(id="hukou", compact=True))
                yield _row(t("tui.intake.field.category"),
                           Select([(t(STAFF_CATEGORY.key(c)), c) for c in STAFF_CATEGORIES], value="worker",
                                  allow_blank=False, id="category", compact=True))
                yield _row(t("tui.intake.field.female_group"),
                           Select([(t("tui.intake.group_auto"), AUTO_GROUP),
                                   (t(AGE_GROUP.short_key("female50")), "female50"),
                                   (t(AGE_GROUP.short_key("female55")), "female55")],
                                  value=AUTO_GROUP, allow_blank=False, id="female_group", compact=True),
                           row_id="female-row")
                yield Static("", id="group-note", classes="note", markup=False)
                yield _row(t("tui.intake.field.employer_code"),
                           Input(id="employer_code", compact=True, max_length=18, placeholder=t("tui.intake.placeholder.employer_code")))
                yield _row(t("tui.intake.field.employer_name"), Input(id="employer_name", compact=True))
                yield _row(t("tui.intake.field.kind"),
                           Select([(t(CASE_KIND.key(k)), k) for k in CASE_KINDS], value="normal", allow_blank=False, id="kind", compact=True))
                yield from self._kind_rows()
                yield _row(t("tui.intake.field.chosen_month"),
                           Input(id="chosen_month", compact=True, max_length=7, restrict=r"[0-9\-]*",
                                 placeholder=t("tui.intake.placeholder.chosen_month")))
                yield Static("", id="month-note", classes="note", markup=False)
                yield Static(t("tui.intake.section.joint"), classes="section", markup=False)
                for item in JOINT_ITEMS:
                    yield Checkbox(t(f"tui.intake.joint.{item}"), id=f"joint-{item}", compact=True)
                yield Static(t("tui.intake.section.materials"), classes="section", markup=False)
                yield SelectionList[str](id="materials", compact=True)
            with VerticalScroll(id="live"):
                yield Static("", id="verdict", markup=False)
                yield FactsPanel(LIVE_FACTS, id="live-facts")
                yield Static(t("tui.intake.findings_title"), id="findings-title", markup=False)
                yield FindingsList(id="findings")
        yield from self.bottom()

    def _kind_rows(self) -> ComposeResult:
        """The retirement type's fields (special work and its years, the appraisal, the determination), hidden until chosen."""
        works = [(t(SPECIAL_WORK.key(w)), w) for w in SPECIAL_WORK.codes]
        yield _row(t("tui.intake.field.special_work"),
                   Select(works, prompt=t("tui.intake.placeholder.special_work"), id="special_work", compact=True),
                   row_id="special_work-row")
        yield _row(t("tui.intake.field.special_years"),
                   Input(id="special_years", compact=True, max_length=5, restrict=r"[0-9.]*",
                         placeholder=t("tui.intake.placeholder.special_years")), row_id="special_years-row")
        yield _row(t("tui.intake.field.appraisal_ref"), Input(id="appraisal_ref", compact=True, max_length=40,
                   placeholder=t("tui.intake.placeholder.appraisal_ref")), row_id="appraisal_ref-row")
        yield _row(t("tui.intake.field.determination_ref"), Input(id="determination_ref", compact=True, max_length=40,
                   placeholder=t("tui.intake.placeholder.determination_ref")), row_id="determination_ref-row")
        yield Static("", id="kind-note", classes="note -error", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self._sync_materials()
        self.recompute()
        self.pristine = self.read_form()
        self.query_one("#id_number", Input).focus()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "-wide")

    # -- reading the form -----------------------------------------------------------------

    def _value(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value

    def _select(self, wid: str) -> str:
        value = self.query_one(f"#{wid}", Select).value
        return value if isinstance(value, str) else ""

    def read_form(self) -> FormData:
        return FormData(
            id_number=self._value("id_number"),
            name=self._value("name"),
            phone=self._value("phone"),
            address=self._value("address"),
            bank_card=self._value("bank_card"),
            hukou=self._value("hukou"),
            category=self._select("category") or "worker",
            female_group=self._select("female_group") or AUTO_GROUP,
            employer_code=self._value("employer_code"),
            employer_name=self._value("employer_name"),
            kind=self._select("kind") or "normal",
            chosen_month=self._value("chosen_month"),
            joint_items=tuple(i for i in JOINT_ITEMS if self.query_one(f"#joint-{i}", Checkbox).value),
            received=tuple(sorted(self.query_one("#materials", SelectionList).selected)),
            special_work=self._select("special_work"),
            special_years=self._value("special_years"),
            appraisal_ref=self._value("appraisal_ref"),
            determination_ref=self._value("determination_ref"),
        )

    def has_unsaved(self) -> bool:
        return self.read_form() != self.pristine

    # -- live recomputation -----------------------------------------------------------------

    def _sync_materials(self) -> None:
        form = self.read_form()
        codes = tuple(m.code for m in required_materials(form.kind, form.joint_items, bool(form.employer_code.strip())))
        if codes == self.material_codes:
            return
        ticked = set(form.received)
        widget = self.query_one("#materials", SelectionList)
        widget.clear_options()
        widget.add_options([Selection(_material_label(c), c, c in ticked) for c in codes])
        if codes:
            widget.highlighted = 0
        self.material_codes = codes

    def recompute(self) -> None:
        form = self.read_form()
        known = self.known if self.known_for == parse_id(form.id_number).number else None
        self.live = live = live_assessment(form, known, self.ctx.today)
        self._show_id(live.card, known)
        self._show_kind_fields(form, live)
        female = live.card is not None and live.card.valid and live.card.sex == "F"
        self.query_one("#female-row").set_class(not female, "-hidden")
        note = self.query_one("#group-note", Static)
        note.set_class(not female, "-hidden")
        if female and live.facts is not None:
            text = t("tui.intake.group_effective", group=t(AGE_GROUP.key(live.facts.group)))
            if form.category == "flexible" and form.female_group == AUTO_GROUP:
                p = load_parameters().get("flexible_worker_female_group")
                status = t("tui.facts.param_unconfirmed") if p.unconfirmed else t("tui.facts.param_confirmed")
                text += "\n" + t("tui.intake.group_param", name="flexible_worker_female_group", value=p.value, status=status)
            note.update(text)
        month_note = self.query_one("#month-note", Static)
        month_note.remove_class("-error")
        if live.month_error:
            month_note.update(live.month_error)
            month_note.add_class("-error")
        elif live.facts is not None and live.facts.window is not None:
            w = live.facts.window
            month_note.update(t("tui.intake.month_hint", statutory=live.facts.statutory.statutory_month if live.facts.statutory else "—",
                                earliest=w.earliest, latest=w.latest))
        else:
            month_note.update(t("tui.intake.month_hint_none"))
        self._show_verdict(live)

    def _show_kind_fields(self, form: FormData, live: Live) -> None:
        """Only the chosen kind's own fields show; a refused entry is said under them."""
        shown = KIND_FIELDS.get(form.kind, ())
        for fields in KIND_FIELDS.values():
            for name in fields:
                self.query_one(f"#{name}-row").set_class(name not in shown, "-hidden")
        note = self.query_one("#kind-note", Static)
        note.update(live.details_error or "")
        note.set_class(live.details_error is None, "-hidden")

    def _show_id(self, card: IdCard | None, known: dict[str, Any] | None) -> None:
        info = self.query_one("#id-info", Static)
        info.remove_class("-error", "-ok")
        if card is None:
            info.update(t("tui.intake.id_hint"))
            return
        if len(card.number) < 18 and card.error == "rules.id.length":
            info.update(t("tui.intake.id_progress", n=len(card.number)))
            return
        if not card.valid:
            info.update(t(card.error or "rules.id.format"))
            info.add_class("-error")
            return
        text = t("tui.intake.id_read", sex=t(SEX.key(card.sex or "M")), birth=card.birth_date, place=card.place or card.place_code or "")
        if known is not None:
            person = known["person"]
            text += "\n" + t("tui.intake.person_known", name=person["name"], records=len(known["archive_records"]),
                              periods=len(known["periods"]))
            if known.get("open_case_no"):
                text += "\n" + t("tui.intake.open_case", case_no=known["open_case_no"])
            retired = known.get("retired_case")
            if retired:
                text += "\n" + t("tui.intake.retired_case", case_no=retired["case_no"], status=t(CASE_STATUS.key(retired["status"])))
        elif self.known_for != card.number:
            text += "\n" + t("tui.intake.looking_up")
        elif self.lookup_error is not None:
            text += "\n" + t("tui.intake.lookup_failed", reason=self.lookup_error)
        else:
            text += "\n" + t("tui.intake.person_new")
        info.update(text)
        info.add_class("-ok")

    def _show_verdict(self, live: Live) -> None:
        verdict = self.query_one("#verdict", Static)
        verdict.remove_class("-accept", "-correct", "-review")
        facts_panel = self.query_one("#live-facts", FactsPanel)
        findings = self.query_one("#findings", FindingsList)
        if live.assessment is None or live.facts is None or live.person is None:
            verdict.update(t("tui.intake.verdict.waiting"))
            facts_panel.show([])
            findings.blank()
            return
        a = live.assessment
        blocking = [f for f in live.findings if f.severity in BLOCKING]
        if a.decision == "accept":
            verdict.update(t("tui.intake.verdict.accept"))
            verdict.add_class("-accept")
        elif live.facts.manual_review:
            verdict.update(t("tui.intake.verdict.kind_manual"))
            verdict.add_class("-review")
        elif a.decision == "manual_review":
            verdict.update(t("tui.intake.verdict.review", n=len(blocking)))
            verdict.add_class("-review")
        elif not blocking and any(f.severity == TO_CHECK for f in live.findings):
            verdict.update(t("tui.intake.verdict.to_check"))
            verdict.add_class("-review")
        elif promise_offer(self.read_form().kind, a):
            verdict.update(t("tui.intake.verdict.promise", n=len(blocking)))
            verdict.add_class("-correct")
        else:
            verdict.update(t("tui.intake.verdict.correct", n=len(blocking)))
            verdict.add_class("-correct")
        facts_panel.show(build_fact_rows(live.facts, live.person, a, LIVE_FACTS))
        findings.show(live.findings)

    # -- events -------------------------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    def _form_changed(self, event: Message) -> None:
        if not self.is_mounted:
            return
        if isinstance(event, Select.Changed) and event.select.id == "female_group" and not self.filling:
            self.group_touched = True
        if isinstance(event, Input.Changed) and event.input.id == "id_number":
            card = parse_id(event.value)
            if card.valid and self.known_for != card.number:
                self.lookup_person(card.number)
        self._sync_materials()
        self.recompute()

    def lookup_person(self, id_number: str) -> None:
        from console.services.person_records import person_by_id_number

        self.call(lambda db, actor: person_by_id_number(db, actor, id_number), lambda data: self._person_found(id_number, data),
                  group="lookup", exclusive=True, on_error=lambda error: self._lookup_failed(id_number, error))

    def _lookup_failed(self, id_number: str, error: BaseException) -> bool:
        """The lookup was refused or failed: end the wait and say why under the ID number (the form stays usable)."""
        from screens.widgets.base import error_text

        if parse_id(self._value("id_number")).number != id_number:
            return True
        self.known_for, self.known = id_number, None
        self.lookup_error = error_text(error)
        self.recompute()
        return False

    def _person_found(self, id_number: str, data: dict[str, Any] | None) -> None:
        if parse_id(self._value("id_number")).number != id_number:
            return
        self.known_for = id_number
        self.known = data
        self.lookup_error = None
        if data is not None:
            self._fill(data)
        self.recompute()

    def _fill(self, data: dict[str, Any]) -> None:
        """Fill the form from the registered person (the clerk can still edit every field)."""
        person = data["person"]
        self.filling = True
        try:
            for wid in ("name", "phone", "address", "bank_card", "hukou"):
                if person.get(wid):
                    self.query_one(f"#{wid}", Input).value = str(person[wid])
            if person.get("staff_category") in STAFF_CATEGORIES:
                self.query_one("#category", Select).value = person["staff_category"]
            if person.get("female_group") in ("female50", "female55"):
                self.query_one("#female_group", Select).value = person["female_group"]
            employer = data.get("employer")
            if employer:
                self.query_one("#employer_code", Input).value = employer.get("credit_code") or ""
                self.query_one("#employer_name", Input).value = employer.get("name") or ""
            if person.get("archive_lost"):
                self.query_one("#kind", Select).value = "lost_archive"
        finally:
            self.call_after_refresh(setattr, self, "filling", False)

    # -- actions ---------------------------------------------------------------------------------

    def _check_form(self) -> FormData | None:
        form = self.read_form()
        card = parse_id(form.id_number)
        problem: tuple[str, str] | None = None
        if not card.valid:
            problem = ("id_number", t(card.error or "rules.id.format"))
        elif not form.name.strip():
            problem = ("name", t("intake.no_name"))
        elif self.live.month_error:
            problem = ("chosen_month", self.live.month_error)
        elif self.live.details_error:
            problem = ("special_years", self.live.details_error)
        else:
            problem = _field_problem(form)
        if problem is not None:
            self.notify(problem[1], severity="error", markup=False)
            self.query_one(f"#{problem[0]}", Input).focus()
            return None
        return form

    def action_save_draft(self) -> None:
        form = self._check_form()
        if form is not None and not self.busy:
            self._decide(form, None)

    def action_accept(self) -> None:
        form = self._check_form()
        if form is not None and not self.busy:
            self._decide(form, "accept")

    def action_correction(self) -> None:
        form = self._check_form()
        if form is None or self.busy:
            return
        items = [f for f in self.live.findings if f.severity in (*BLOCKING, TO_CHECK)]
        if not any(f.severity in BLOCKING for f in items):
            key = "tui.intake.prereview_first" if items else "tui.intake.nothing_to_correct"
            self.notify(t(key), severity="warning", markup=False)
            return
        heading = t("tui.intake.confirm_correction", n=len(items))

        def answered(yes: bool | None) -> None:
            if yes:
                self._decide(form, "correction")

        self.app.push_screen(ListConfirmModal(heading, render_findings(items, numbered=True),
                                              yes=t("tui.intake.issue_notice")), answered)

    def action_promise(self) -> None:
        """Accept on a written promise (容缺受理), after a confirmation naming each paper, its deadline and its rule."""
        form = self._check_form()
        if form is None or self.busy:
            return
        a = self.live.assessment
        offered = promise_offer(form.kind, a) if a is not None else []
        if not offered:
            self.notify(t("tui.intake.promise_not_offered"), severity="warning", markup=False)
            return
        from console.rules.materials import promise_rule
        from console.vocabulary import PROMISE_ACTION

        lines = []
        for n, code in enumerate(offered, start=1):
            rule = promise_rule(form.kind, code)
            assert rule is not None
            lines.append(t("tui.intake.promise_line", n=n, material=_material_label(code), days=rule.deadline_days,
                           action=t(PROMISE_ACTION.key(rule.on_expiry))))

        def answered(yes: bool | None) -> None:
            if yes:
                self._decide(form, "promise")

        self.app.push_screen(ListConfirmModal(t("tui.intake.confirm_promise", n=len(offered)), "\n".join(lines),
                                              yes=t("tui.intake.issue_promise")), answered)

    def _decide(self, form: FormData, decide: str | None) -> None:
        from console.services.window_intake import open_and_decide

        today = self.ctx.today

        def decide_and_render(db: Any, actor: Any) -> Decided:
            result = open_and_decide(db, actor, form.applicant(), form.kind, form.joint_items, form.received,
                                     form.chosen_month.strip() or None, decide, today, form.details())
            if result.decision is None:
                return Decided(result.case_no, result.status, None, None, "")
            kind = {"accept": "acceptance", "promise": "promise"}.get(decide or "", "correction")
            number = result.letter_number if decide == "promise" else result.decision.notice_number
            text = render_notice(db, actor, result.case_no, kind, number, form.name.strip(),
                                 result.decision.assessment.findings, today.isoformat())
            return Decided(result.case_no, result.status, kind, number, text)

        self.notify(t("tui.intake.working"), timeout=2, markup=False)
        self.call(decide_and_render, self._decided, group="decide", holds=True)

    def _decided(self, message: Decided) -> None:
        status = t(CASE_STATUS.key(message.status))
        self.notify(t("tui.intake.done", case_no=message.case_no, status=status), markup=False)
        self.pristine = self.read_form()
        if message.kind is None:
            self.dismiss(message.case_no)
            return
        title = t(f"tui.notice.title.{message.kind}")

        def closed(_: None) -> None:
            self.dismiss(message.case_no)

        self.app.push_screen(NoticePreview(title, message.number, message.text), closed)
