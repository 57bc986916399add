"""The computed retirement facts, one per line, each able to say why (Enter or ?)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.i18n import t
from console.rules.eligibility import Assessment
from console.rules.explain import Finding, Reason
from console.rules.intervals import Span
from console.rules.retirement_facts import PersonFacts, RetirementFacts
from console.settings import load_parameters
from console.vocabulary import AGE_GROUP

LABEL_CELLS = 9
BAR_CELLS = 10
ALL_FACTS = (
    "birth", "id_check", "group", "statutory_age", "retire_month", "benefit", "window",
    "kind", "service_start", "contribution_start", "deemed", "total", "extension", "one_off", "gaps", "overlaps", "completeness",
    "divisor", "pension",
)
"""A key names a row only when the case has it: "kind" for a retirement type with its own rule,
"extension" and "one_off" when the minimum is not met by the statutory month."""


@dataclass(frozen=True)
class FactRow:
    """One fact as shown: its value and, on demand, why it is so and on what basis."""

    key: str
    label: str
    value: Text
    explanation: str
    source: str = ""


def _reason(reason: Reason | None) -> tuple[str, str]:
    if reason is None:
        return "", ""
    return t(reason.code, **reason.params), reason.source


def age_text(months: int) -> str:
    return t("tui.facts.age", years=months // 12, months=months % 12)


def contribution_bar(have: int, need: int | None, cells: int = BAR_CELLS) -> Text:
    """``████████░░ 152/180``: green when the minimum is met, red when short."""
    if not need:
        return Text(t("tui.facts.months", n=have))
    filled = min(cells, round(cells * have / need)) if need else 0
    ok = have >= need
    out = Text()
    out.append("█" * filled, style="green" if ok else "red")
    out.append("░" * (cells - filled), style="dim")
    out.append(f" {have}/{need}", style="bold green" if ok else "bold red")
    return out


def _spans_text(spans: Sequence[Span]) -> str:
    return "；".join(t("tui.facts.span", start=s.start, end=s.end, n=s.months) for s in spans)


def _param_note(name: str) -> str:
    p = load_parameters().get(name)
    status = t("tui.facts.param_unconfirmed") if p.unconfirmed else t("tui.facts.param_confirmed")
    return t("tui.facts.param_note", name=name, value=p.value, status=status, source=p.source)


def _plain(text: str, style: str = "") -> Text:
    return Text(text, style=style)


def build_fact_rows(
    facts: RetirementFacts,
    person: PersonFacts,
    assessment: Assessment | None = None,
    keys: Sequence[str] = ALL_FACTS,
) -> list[FactRow]:
    """The facts named by ``keys``, in that order, each with its explanation."""
    dash = "—"
    rows: dict[str, FactRow] = {}
    b = facts.birth
    why, src = _reason(b.reason)
    if b.birth_date is None:
        value = _plain(dash)
    elif b.source == "archive" and b.record_index is not None:
        value = _plain(t("tui.facts.birth_archive", date=b.birth_date, record=b.record_index + 1))
    else:
        value = _plain(t("tui.facts.birth_id", date=b.birth_date), "yellow")
    rows["birth"] = FactRow("birth", t("tui.facts.label.birth"), value, why, src)

    mismatch = [f for f in b.findings if f.code == "rules.birth.id_mismatch"]
    if mismatch:
        f = mismatch[0]
        rows["id_check"] = FactRow("id_check", t("tui.facts.label.id_check"), _plain(t("tui.facts.id_mismatch"), "bold red"),
                                   t(f.code, **f.params), f.source)
    elif b.source == "archive" and person.id_birth is not None:
        rows["id_check"] = FactRow("id_check", t("tui.facts.label.id_check"), _plain(t("tui.facts.id_match"), "green"),
                                   t("tui.facts.id_match_why", date=person.id_birth), "")
    else:
        rows["id_check"] = FactRow("id_check", t("tui.facts.label.id_check"), _plain(dash), t("tui.facts.id_unchecked"), "")

    why, src = _reason(facts.group_reason)
    if facts.group_reason is not None and facts.group_reason.source:
        why += "\n" + _param_note(facts.group_reason.source)
    rows["group"] = FactRow("group", t("tui.facts.label.group"), _plain(t(AGE_GROUP.short_key(facts.group))), why, src)

    s = facts.statutory
    why, src = _reason(s.reason if s else None)
    rows["statutory_age"] = FactRow("statutory_age", t("tui.facts.label.statutory_age"),
                                    _plain(age_text(s.statutory_age_months) if s else dash), why, src)

    if facts.retire_month is not None and s is not None:
        kind = facts.choice.kind if facts.choice else "statutory"
        bad = facts.choice is not None and not facts.choice.allowed
        value = Text(str(facts.retire_month))
        value.append(" " + t(f"tui.facts.retire_kind.{kind}"), style="bold red" if bad else "dim")
        lines = [t("tui.facts.statutory_month_is", month=s.statutory_month)]
        if facts.choice is not None:
            lines += [t(f.code, **f.params) for f in facts.choice.findings]
        rows["retire_month"] = FactRow("retire_month", t("tui.facts.label.retire_month"), value, "\n".join(lines), src)
    else:
        rows["retire_month"] = FactRow("retire_month", t("tui.facts.label.retire_month"), _plain(dash), t("rules.birth.unknown"), "")

    why, src = _reason(facts.benefit.reason if facts.benefit else None)
    if facts.benefit is not None:
        why += "\n" + _param_note("benefit_start_rule")
    rows["benefit"] = FactRow("benefit", t("tui.facts.label.benefit"),
                              _plain(str(facts.benefit.month) if facts.benefit else dash), why, src)

    w = facts.window
    why, src = _reason(w.reason if w else None)
    rows["window"] = FactRow("window", t("tui.facts.label.window"),
                             _plain(t("tui.facts.range", start=w.earliest, end=w.latest) if w else dash), why, src)

    c = facts.contributions
    summary, csrc = _reason(c.reason)
    rows["service_start"] = FactRow("service_start", t("tui.facts.label.service_start"),
                                    _plain(str(c.first_month) if c.first_month else dash),
                                    t("tui.facts.service_start_why") + ("\n" + summary if summary else ""), csrc)
    rows["contribution_start"] = FactRow("contribution_start", t("tui.facts.label.contribution_start"),
                                         _plain(str(c.first_actual_month) if c.first_actual_month else dash),
                                         t("tui.facts.contribution_start_why") + ("\n" + summary if summary else ""), csrc)
    deemed_value = t("tui.facts.deemed_value", spans=len(c.deemed_spans), n=c.deemed_months) if c.deemed_spans else t("tui.facts.none")
    deemed_why = (_spans_text(c.deemed_spans) + "\n" if c.deemed_spans else "") + _param_note("personal_contribution_start")
    rows["deemed"] = FactRow("deemed", t("tui.facts.label.deemed"), _plain(deemed_value), deemed_why, csrc)

    need = facts.minimum.months if facts.minimum else None
    have = assessment.counted_months if assessment is not None and assessment.kind in ("normal", "lost_archive") else c.county_months
    why, src = _reason(facts.minimum.reason if facts.minimum else None)
    lines = [why] if why else []
    lines.append(t("tui.facts.total_why", total=c.total_months, actual=c.actual_months, deemed=c.deemed_months,
                   county=c.county_months, counted=have))
    if need is not None and have < need:
        lines.append(t("tui.facts.short_by", n=need - have))
    if summary:
        lines.append(summary)
    rows["total"] = FactRow("total", t("tui.facts.label.total"), contribution_bar(have, need), "\n".join(lines), src)

    rows["gaps"] = FactRow("gaps", t("tui.facts.label.gaps"),
                           _plain(t("tui.facts.spans_value", spans=len(c.gaps), n=sum(g.months for g in c.gaps)), "yellow")
                           if c.gaps else _plain(t("tui.facts.none"), "green"),
                           _spans_text(c.gaps) or t("tui.facts.no_gaps"), csrc)
    rows["overlaps"] = FactRow("overlaps", t("tui.facts.label.overlaps"),
                               _plain(t("tui.facts.spans_value", spans=len(c.overlaps), n=sum(g.months for g in c.overlaps)), "yellow")
                               if c.overlaps else _plain(t("tui.facts.none"), "green"),
                               (_spans_text(c.overlaps) + "\n" + t("tui.facts.overlap_why")) if c.overlaps else t("tui.facts.no_overlaps"), csrc)

    missing: list[Finding] = list(facts.completeness)
    if person.archive_lost:
        comp_value, comp_why = _plain(t("tui.facts.archive_lost"), "magenta"), t("rules.birth.lost_archive")
    elif missing:
        comp_value = _plain(t("tui.facts.incomplete", n=len(missing)), "bold red")
        comp_why = "\n".join(f"{n}. {t(f.code, **f.params)}" for n, f in enumerate(missing, start=1))
    else:
        comp_value, comp_why = _plain(t("tui.facts.complete"), "green"), t("tui.facts.complete_why")
    rows["completeness"] = FactRow("completeness", t("tui.facts.label.completeness"), comp_value, comp_why,
                                   missing[0].source if missing else "")

    d = facts.divisor
    why, src = _reason(d.reason if d else None)
    rows["divisor"] = FactRow("divisor", t("tui.facts.label.divisor"), _plain(str(d.months) if d else dash), why, src)

    p = facts.pension
    if p is not None:
        p_why = "\n".join(t(r.code, **r.params) for r in p.reasons)
        rows["pension"] = FactRow("pension", t("tui.facts.label.pension"), _plain(t("tui.facts.pension_value", total=p.total)), p_why,
                                  t("tui.facts.pension_source"))
    else:
        lacking = t("tui.app.list_sep").join(t(f"tui.facts.pension_input.{name}") for name in facts.pension_missing)
        rows["pension"] = FactRow("pension", t("tui.facts.label.pension"), _plain(t("tui.facts.pension_none"), "dim"),
                                  t("tui.facts.pension_missing", inputs=lacking), t("tui.facts.pension_source"))
    rows.update(_kind_rows(facts))
    return [rows[k] for k in keys if k in rows]


def _kind_rows(facts: RetirementFacts) -> dict[str, FactRow]:
    """The retirement type's rule (its status and source; unconfirmed: manual review) and the extended contribution."""
    rows: dict[str, FactRow] = {}
    k = facts.kind_rule
    if k is not None:
        why, _ = _reason(k.reason)
        lines = [why, t("tui.facts.kind_manual_review") if k.manual_review else t("tui.facts.kind_reported_why")]
        if k.required_special_months is not None:
            lines.append(t("tui.facts.kind_special_need", years=k.required_special_months // 12))
        lines += [t(f.code, **f.params) for f in k.findings]
        value = _plain(t(f"tui.facts.kind_status.{k.status}"), "bold yellow" if k.manual_review else "cyan")
        rows["kind"] = FactRow("kind", t("tui.facts.label.kind"), value, "\n".join(lines), k.source)
    e = facts.extension
    if e is not None:
        why, src = _reason(e.reason)
        rows["extension"] = FactRow("extension", t("tui.facts.label.extension"),
                                    _plain(t("tui.facts.extension_value", short=e.short_months, met=e.met_month), "yellow"), why, src)
        state = {None: "unknown", True: "open", False: "closed"}[e.one_off_open]
        rows["one_off"] = FactRow("one_off", t("tui.facts.label.one_off"), _plain(t(f"tui.facts.one_off.{state}")), why, src)
    return rows


def _prompt(row: FactRow) -> Text:
    label = row.label
    pad = max(1, LABEL_CELLS - cell_len(label))
    out = Text(label, style="bold")
    out.append(" " * pad)
    out.append_text(row.value)
    return out


class ExplainModal(ModalScreen[None]):
    """Why a fact is what it is: the rule's text and its legal source."""

    DEFAULT_CSS = """
    ExplainModal { align: center middle; }
    ExplainModal > VerticalScroll { width: 70; max-width: 100%; height: auto; max-height: 90%; border: thick $accent; background: $panel; padding: 0 1; }
    ExplainModal Static { width: 100%; }
    ExplainModal #explain-title { text-style: bold; }
    ExplainModal #explain-source { color: $text-muted; margin-top: 1; }
    ExplainModal #explain-hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,enter,q,question_mark", "close", t("tui.common.cancel"), show=False),
    ]

    def __init__(self, row: FactRow) -> None:
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        title = Text(t("tui.app.label", label=self.row.label), style="bold")
        title.append_text(self.row.value)
        with VerticalScroll():
            yield Static(title, id="explain-title")
            yield Static(self.row.explanation or t("tui.facts.no_explanation"), id="explain-body", markup=False)
            yield Static(t("tui.facts.source", source=self.row.source or t("tui.facts.source_rules")), id="explain-source", markup=False)
            yield Static(t("tui.facts.close_hint"), id="explain-hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


class FactsPanel(OptionList):
    """The facts as a list; Enter or ? on a line opens its explanation."""

    DEFAULT_CSS = """
    FactsPanel { height: auto; max-height: 100%; border: none; padding: 0; }
    FactsPanel:blur > .option-list--option-highlighted { background: transparent; color: $foreground; text-style: none; }
    """
    BINDINGS = [Binding("question_mark", "explain", t("tui.facts.key_explain"), id="facts-explain")]

    def __init__(self, keys: Sequence[str] = ALL_FACTS, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, compact=True)
        self.keys = tuple(keys)
        self.rows: list[FactRow] = []

    def show(self, rows: list[FactRow]) -> None:
        """Replace the facts, keeping the highlighted line."""
        keep = self.highlighted
        self.rows = rows
        self.clear_options()
        self.add_options([Option(_prompt(r), id=r.key) for r in rows])
        if rows:
            self.highlighted = 0 if keep is None else min(keep, len(rows) - 1)

    def row(self, key: str) -> FactRow | None:
        return next((r for r in self.rows if r.key == key), None)

    def action_explain(self) -> None:
        if self.highlighted is None or not self.rows:
            return
        self.app.push_screen(ExplainModal(self.rows[self.highlighted]))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self.rows):
            self.app.push_screen(ExplainModal(self.rows[event.option_index]))
