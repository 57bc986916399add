"""Archive pre-review (档案初审): edit the archive records and contribution periods, see the facts live.

The rows live in the screen until ``s`` saves them (prereview.record through
prereview_edits.save_prereview, which refuses when someone else saved since this
screen loaded).  Every edit reruns the pure rules in the UI thread, so the
facts panel and the findings always describe the rows on screen.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from console.errors import RetireError, StaleVersion
from console.human_time import human_time
from console.i18n import t
from console.rules.birth_date import DOC_KINDS
from console.rules.eligibility import Assessment, assess
from console.rules.intervals import KINDS
from console.rules.months import BadMonth, Month, parse_date
from console.rules.record_checks import place_name, record_checks
from console.rules.retirement_facts import PersonFacts, RetirementFacts, compute_facts
from console.rules.retirement_kinds import KindDetails
from console.services.person_facts import build_person_facts
from console.settings import load_parameters
from console.vocabulary import CASE_KIND, CASE_STATUS, DRAFT_STATUSES, PERIOD_KIND, SEX, SPECIAL_WORK
from screens.context import AppContext
from screens.widgets.base import RetireScreen, error_text
from screens.widgets.cell_edit import CellEditModal
from screens.widgets.choice import ChoiceModal
from screens.widgets.confirm import ConfirmModal
from screens.widgets.facts_panel import FactsPanel, build_fact_rows
from screens.widgets.findings import FindingsList
from screens.widgets.prompt import TextPrompt

WIDE = 120
DETAIL_KINDS = {"special_work": "special_work", "illness": "appraisal_ref", "work_injury": "determination_ref"}
"""The kinds whose details the reviewer may correct on a draft, and the field a one-field kind asks for."""
RECORD_COLUMNS = ("doc_kind", "doc_date", "birth_date_recorded", "altered", "altered_confirmed")
PERIOD_COLUMNS = ("from_month", "to_month", "kind", "place", "months")
COLUMN_CELLS = {"doc_kind": 8, "doc_date": 10, "birth_date_recorded": 10, "altered": 4, "altered_confirmed": 4,
                "from_month": 7, "to_month": 7, "kind": 4, "place": 10, "months": 4}
BOOL_COLUMNS = ("altered", "altered_confirmed")


# -- validation ---------------------------------------------------------------------------------


def check_date(value: str, required: bool = False) -> str | None:
    if not value:
        return t("tui.prereview.required") if required else None
    try:
        parsed = parse_date(value)
    except BadMonth:
        return t("tui.prereview.bad_date", value=value)
    if parsed.year < 1900:
        return t("tui.prereview.bad_date", value=value)
    return None


def check_month(value: str, lower: str | None = None, upper: str | None = None) -> str | None:
    try:
        month = Month.parse(value)
    except BadMonth:
        return t("tui.prereview.bad_month", value=value)
    if value.count("-") != 1:
        return t("tui.prereview.bad_month", value=value)
    if lower and month < Month.parse(lower):
        return t("tui.prereview.month_before", value=month, other=lower)
    if upper and month > Month.parse(upper):
        return t("tui.prereview.month_after", value=month, other=upper)
    return None


def period_months(row: dict[str, Any]) -> int:
    return Month.parse(row["to_month"]).months_since(Month.parse(row["from_month"])) + 1


def live_facts(state: dict[str, Any], records: list[dict[str, Any]], periods: list[dict[str, Any]],
               today: date) -> tuple[PersonFacts, RetirementFacts, Assessment]:
    """The rules over the rows on screen (nothing is read from or written to the database)."""
    case = state["case"]
    pf = build_person_facts(state["person"], records, periods)
    chosen = Month.parse(case["chosen_month"]) if case.get("chosen_month") else None
    from console.services.case_kinds import stored_kind_details

    facts = compute_facts(pf, load_parameters(), chosen_month=chosen, decided_on=Month.from_date(today),
                          kind=case["kind"], kind_details=stored_kind_details(case))
    result = assess(pf, facts, case["kind"], Month.from_date(today), state.get("received", []), case.get("joint_items", []))
    return pf, facts, result


def _clean_record(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "doc_kind": r["doc_kind"],
        "doc_date": r.get("doc_date") or None,
        "birth_date_recorded": r.get("birth_date_recorded") or None,
        "altered": bool(r.get("altered")),
        "altered_confirmed": bool(r.get("altered_confirmed")),
        "note": r.get("note"),
    }


def _clean_period(r: dict[str, Any]) -> dict[str, Any]:
    return {"from_month": r["from_month"], "to_month": r["to_month"], "kind": r["kind"], "place": r.get("place") or None,
            "base": r.get("base"), "evidence": r.get("evidence")}


# -- the screen ----------------------------------------------------------------------------------


def _stale_text(error: StaleVersion) -> str:
    """The stale-save sentence with its time as people read it (local, to the minute), not the stored ISO stamp."""
    if "when" not in error.params:
        return error_text(error)
    return type(error)(error.key, **{**error.params, "when": human_time(str(error.params["when"]))}).text()


class PrereviewScreen(RetireScreen):
    """Pre-review one case's archive; dismisses True if something was saved or confirmed."""

    CSS_PATH = "prereview.tcss"
    NAME_KEY = "tui.detail.prereview"
    LEAVE_KEY = "tui.prereview.confirm_leave"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_row", t("tui.prereview.key.add"), id="add-row"),
        Binding("d", "delete_row", t("tui.prereview.key.delete"), id="delete-row"),
        Binding("s", "save", t("tui.prereview.key.save"), id="save"),
        Binding("c", "confirm", t("tui.prereview.key.confirm"), id="confirm"),
        Binding("k", "kind_details", t("tui.prereview.key.kind_details"), id="kind-details"),
        Binding("escape", "back", t("tui.prereview.key.leave"), id="back"),
    ]

    def __init__(self, ctx: AppContext | None, case_no: str) -> None:
        super().__init__(ctx)
        self.case_no = case_no
        self.state: dict[str, Any] | None = None
        self.records: list[dict[str, Any]] = []
        self.periods: list[dict[str, Any]] = []
        self.saved_rows: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
        self.facts_meta: dict[str, Any] | None = None
        self.changed_anything = False
        self.current_table = "records"
        self.facts: RetirementFacts | None = None
        self.assessment: Assessment | None = None

    def compose(self) -> ComposeResult:
        """The case's own title line instead of the console header, so both tables fit 80x24."""
        yield Static(t("tui.prereview.title", case_no=self.case_no), id="pre-title", markup=False)
        yield Static(t("tui.prereview.loading"), id="pre-status", markup=False)
        with Horizontal(id="pre-body"):
            with Vertical(id="tables"):
                yield Static(t("tui.prereview.records_title"), classes="table-title", markup=False)
                yield DataTable(id="records", cursor_type="cell", zebra_stripes=True)
                yield Static(t("tui.prereview.periods_title"), classes="table-title", markup=False)
                yield DataTable(id="periods", cursor_type="cell", zebra_stripes=True)
            with VerticalScroll(id="pre-side"):
                yield FactsPanel(id="pre-facts")
                yield Static(t("tui.prereview.findings_title"), id="pre-findings-title", markup=False)
                yield FindingsList(id="pre-findings")
        yield from self.bottom()

    def on_mount(self) -> None:
        super().on_mount()
        records = self.query_one("#records", DataTable)
        for key in RECORD_COLUMNS:
            records.add_column(t(f"tui.prereview.col.{key}"), key=key, width=COLUMN_CELLS[key])
        periods = self.query_one("#periods", DataTable)
        for key in PERIOD_COLUMNS:
            periods.add_column(t(f"tui.prereview.col.{key}"), key=key, width=COLUMN_CELLS[key])
        records.focus()
        self.load()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "-wide")

    # -- loading ------------------------------------------------------------------------------------

    def load(self) -> None:
        from console.services.prereview_edits import prereview_state

        self.call(lambda db, actor: prereview_state(db, actor, self.case_no), self._loaded, group="prereview-load",
                  exclusive=True, on_error=self._load_failed)

    def _load_failed(self, error: BaseException) -> bool:
        """Nothing loaded: the status line says why (and the notification too)."""
        if self.state is None:
            self.query_one("#pre-status", Static).update(error_text(error))
        return False

    def _loaded(self, state: dict[str, Any]) -> None:
        self.state = state
        self.records = [_clean_record(r) for r in state["archive_records"]]
        self.periods = [_clean_period(r) for r in state["periods"]]
        self.saved_rows = (copy.deepcopy(self.records), copy.deepcopy(self.periods))
        self.facts_meta = state["facts"]
        person = state["person"]
        case = state["case"]
        sex = t(SEX.key(person['sex']))
        self.query_one("#pre-title", Static).update(
            t("tui.prereview.title_full", case_no=self.case_no, name=person["name"], sex=sex, birth=person.get("birth_date_id") or "—",
              kind=t(CASE_KIND.key(case['kind'])), kind_short=t(CASE_KIND.short_key(case['kind'])), status=t(CASE_STATUS.key(case['status']))))
        self.refresh_tables()
        self.recompute()
        self.refresh_bindings()  # k follows the case's kind and status

    # -- display ------------------------------------------------------------------------------------

    def has_unsaved(self) -> bool:
        return (self.records, self.periods) != self.saved_rows

    def leave_result(self) -> bool:
        return self.changed_anything

    def _record_cells(self, r: dict[str, Any]) -> list[Text]:
        yes, no = t("tui.prereview.yes"), t("tui.prereview.no")
        altered = Text(yes, style="bold red") if r.get("altered") else Text(no, style="dim")
        confirmed = Text(yes if r.get("altered_confirmed") else no, style="" if r.get("altered_confirmed") else "dim")
        return [Text(t(f"tui.prereview.doc_kind.{r['doc_kind']}")), Text(r.get("doc_date") or "—"),
                Text(r.get("birth_date_recorded") or "—"), altered, confirmed]

    def _period_cells(self, p: dict[str, Any]) -> list[Text]:
        kind_style = "cyan" if p["kind"] == "deemed" else ""
        return [Text(p["from_month"]), Text(p["to_month"]), Text(t(PERIOD_KIND.short_key(p['kind'])), style=kind_style),
                Text(p.get("place") or "—"), Text(str(period_months(p)), justify="right")]

    def _fill(self, table: DataTable[Text], rows: list[list[Text]]) -> None:
        cursor = table.cursor_coordinate
        table.clear()
        for cells in rows:
            table.add_row(*cells)
        if rows:
            table.cursor_coordinate = Coordinate(min(cursor.row, len(rows) - 1), cursor.column)

    def refresh_tables(self) -> None:
        self._fill(self.query_one("#records", DataTable), [self._record_cells(r) for r in self.records])
        self._fill(self.query_one("#periods", DataTable), [self._period_cells(p) for p in self.periods])

    def recompute(self) -> None:
        if self.state is None:
            return
        try:
            pf, facts, result = live_facts(self.state, self.records, self.periods, self.ctx.today)
        except RetireError as error:  # a stored person the rules cannot read: one line, never a traceback
            self.notify(error_text(error), severity="error", markup=False, timeout=12)
            return
        self.facts, self.assessment = facts, result
        self.query_one("#pre-facts", FactsPanel).show(build_fact_rows(facts, pf, result))
        checks = record_checks(facts, Month.from_date(self.ctx.today))
        self.query_one("#pre-findings", FindingsList).show(
            [f for f in [*result.findings, *checks] if not f.code.startswith("materials.")])
        self._show_status()

    def _show_status(self) -> None:
        status = self.query_one("#pre-status", Static)
        parts = []
        meta = self.facts_meta
        if meta is None:
            parts.append(t("tui.prereview.never_saved"))
        elif meta.get("confirmed_at"):
            parts.append(t("tui.prereview.confirmed_by", who=meta["confirmed_by"], when=human_time(meta["confirmed_at"])))
        else:
            parts.append(t("tui.prereview.saved_by", who=meta.get("updated_by") or "—", when=human_time(meta.get("updated_at"))))
        if self.has_unsaved():
            parts.append(t("tui.prereview.unsaved"))
        status.update("　".join(parts))
        status.set_class(self.has_unsaved(), "-dirty")

    def _changed(self) -> None:
        self.refresh_tables()
        self.recompute()

    # -- the retirement type's details ----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """k (the kind's details) only for a draft of a kind that has them."""
        if action == "kind_details":
            case = (self.state or {}).get("case") or {}
            return case.get("kind") in DETAIL_KINDS and case.get("status") in DRAFT_STATUSES
        return True

    def action_kind_details(self) -> None:
        """Correct the special work and its years, the appraisal or the determination number (record_kind_details)."""
        case = (self.state or {}).get("case") or {}
        kind, stored = case.get("kind"), case.get("kind_details") or {}
        if kind not in DETAIL_KINDS or self.busy:
            return
        if kind != "special_work":
            field = DETAIL_KINDS[kind]
            self.app.push_screen(TextPrompt(t(f"tui.prereview.kind.{field}"), value=str(stored.get(field) or "")),
                                 lambda v: self._record_kind_details({field: v}) if v else None)
            return

        def years(work: str | None) -> None:
            if not work:
                return
            months = stored.get("special_work_months")
            value = "" if months is None else f"{int(months) / 12:g}"
            self.app.push_screen(TextPrompt(t("tui.prereview.kind.special_years", work=t(SPECIAL_WORK.key(work))), value=value),
                                 lambda v: self._record_kind_details({"special_work": work, "special_years": v}) if v else None)

        works = [(w, t(SPECIAL_WORK.key(w))) for w in SPECIAL_WORK.codes]
        self.app.push_screen(ChoiceModal(t("tui.prereview.kind.special_work"), works, str(stored.get("special_work") or "")), years)

    def _record_kind_details(self, values: dict[str, str]) -> None:
        from console.services.case_kinds import record_kind_details

        self.call(lambda db, actor: record_kind_details(db, actor, self.case_no, values), self._kind_details_recorded,
                  group="kind-details", holds=True)

    def _kind_details_recorded(self, details: KindDetails) -> None:
        """Stored and audited: the facts on screen follow at once (the rows being edited stay as they are)."""
        if self.state is not None:
            self.state["case"]["kind_details"] = details.as_dict()
        self.changed_anything = True
        self.notify(t("tui.prereview.kind.recorded"), markup=False)
        self.recompute()

    # -- editing ------------------------------------------------------------------------------------

    def _table(self) -> DataTable[Text]:
        """The table the row keys act on: the focused one, else the one last focused."""
        if isinstance(self.focused, DataTable) and self.focused.id in ("records", "periods"):
            self.current_table = self.focused.id
        return self.query_one(f"#{self.current_table}", DataTable)

    @on(DataTable.CellSelected)
    def _edit(self, event: DataTable.CellSelected) -> None:
        event.stop()
        table = event.data_table
        row, col = event.coordinate.row, event.coordinate.column
        if table.id == "records":
            self._edit_record(row, RECORD_COLUMNS[col])
        else:
            self._edit_period(row, PERIOD_COLUMNS[col])

    def _edit_record(self, row: int, key: str) -> None:
        if row >= len(self.records):
            return
        record = self.records[row]
        title = t("tui.prereview.edit_title", line=row + 1, column=t(f"tui.prereview.col.{key}"))
        if key in BOOL_COLUMNS:
            record[key] = not record.get(key)
            self._changed()
            return

        def store(value: str | None) -> None:
            if value is None:
                return
            record[key] = value or None
            self._changed()

        if key == "doc_kind":
            choices = [(k, t(f"tui.prereview.doc_kind_long.{k}")) for k in DOC_KINDS]
            self.app.push_screen(ChoiceModal(title, choices, record["doc_kind"]), store)
        else:
            self.app.push_screen(CellEditModal(title, record.get(key) or "", check_date, "YYYY-MM-DD"), store)

    def _edit_period(self, row: int, key: str) -> None:
        if row >= len(self.periods):
            return
        p = self.periods[row]
        title = t("tui.prereview.edit_title", line=row + 1, column=t(f"tui.prereview.col.{key}"))
        if key == "months":
            self.notify(t("tui.prereview.months_computed"), markup=False)
            return

        def store(value: str | None) -> None:
            if value is None:
                return
            p[key] = str(Month.parse(value)) if key in ("from_month", "to_month") else value
            if key == "place":
                p[key] = value or None
                self._place_hint(value)
            self._changed()

        if key == "kind":
            choices = [(k, t(PERIOD_KIND.key(k))) for k in KINDS]
            self.app.push_screen(ChoiceModal(title, choices, p["kind"]), store)
        elif key == "from_month":
            self.app.push_screen(CellEditModal(title, p["from_month"], lambda v: check_month(v, upper=p["to_month"]), "YYYY-MM"), store)
        elif key == "to_month":
            self.app.push_screen(CellEditModal(title, p["to_month"], lambda v: check_month(v, lower=p["from_month"]), "YYYY-MM"), store)
        else:
            self.app.push_screen(CellEditModal(title, p.get("place") or "", lambda v: None, t("tui.prereview.place_hint")), store)

    def _place_hint(self, value: str) -> None:
        """Say what a typed place is: a code is named (150222 = 固阳县), and whether it counts as this county."""
        if not value:
            return
        county = value in load_parameters().county_places
        name = place_name(value)
        if value.isdigit() and name is None:
            self.notify(t("tui.prereview.place_unknown_code", code=value), severity="warning", markup=False)
            return
        key = "tui.prereview.place_county" if county else "tui.prereview.place_elsewhere"
        self.notify(t(key, place=f"{value} = {name}" if name else value), markup=False)

    def action_add_row(self) -> None:
        if self.state is None:
            return
        self._table()
        if self.current_table == "records":
            self.records.append({"doc_kind": "other", "doc_date": None, "birth_date_recorded": None,
                                 "altered": False, "altered_confirmed": False, "note": None})
            rows = len(self.records)
        else:
            last = max((Month.parse(p["to_month"]) for p in self.periods), default=None)
            start = last + 1 if last is not None else Month.from_date(self.ctx.today)
            self.periods.append({"from_month": str(start), "to_month": str(max(start, Month.from_date(self.ctx.today))),
                                 "kind": "actual", "place": load_parameters().county_places[-1] if load_parameters().county_places else None,
                                 "base": None, "evidence": None})
            rows = len(self.periods)
        self._changed()
        table = self.query_one(f"#{self.current_table}", DataTable)
        table.focus()
        table.cursor_coordinate = Coordinate(rows - 1, 0)

    def action_delete_row(self) -> None:
        if self.state is None:
            return
        table = self._table()
        rows = self.records if self.current_table == "records" else self.periods
        row = table.cursor_coordinate.row
        if not rows or row >= len(rows):
            return
        cells = self._record_cells(rows[row]) if rows is self.records else self._period_cells(rows[row])
        question = t("tui.prereview.confirm_delete", line=row + 1, row=" ".join(c.plain for c in cells))

        def answered(yes: bool | None) -> None:
            if yes:
                del rows[row]
                self._changed()

        self.app.push_screen(ConfirmModal(question), answered)

    # -- saving ---------------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.state is None or self.busy:
            return
        if self.facts_meta is not None and self.facts_meta.get("confirmed_at"):
            def reason_given(value: str | None) -> None:
                if value:
                    self._save(value)

            who, when = self.facts_meta["confirmed_by"], human_time(self.facts_meta["confirmed_at"])
            self.app.push_screen(CellEditModal(t("tui.prereview.reason_title", who=who, when=when), "",
                                               lambda v: None if v else t("tui.prereview.required")), reason_given)
            return
        self._save(None)

    def _save(self, reason: str | None) -> None:
        from console.services.prereview_edits import save_prereview

        expected = None if self.facts_meta is None else int(self.facts_meta["version"])
        records: list[Mapping[str, Any]] = [_clean_record(r) for r in self.records]
        periods: list[Mapping[str, Any]] = [_clean_period(p) for p in self.periods]
        today = self.ctx.today
        self.call(lambda db, actor: save_prereview(db, actor, self.case_no, records, periods, reason, expected, today),
                  self._saved, group="prereview-save", holds=True)

    def _saved(self, outcome: tuple[Any, int]) -> None:
        result, version = outcome
        self.changed_anything = True
        self.saved_rows = (copy.deepcopy(self.records), copy.deepcopy(self.periods))
        login = self.ctx.actor.login if self.ctx.actor else self.ctx.login
        self.facts_meta = {"version": version, "confirmed_at": None, "confirmed_by": None,
                           "updated_by": login, "updated_at": t("tui.prereview.just_now"), "data": result.facts}
        self._show_status()
        self.notify(t("tui.prereview.saved", month=result.facts.get("retire_month") or "—"), markup=False)

    def stale(self, error: StaleVersion) -> None:
        """Someone saved first: keep the edits and learn their version.

        When that save was a reviewer's confirmation, overwriting it is not offered
        (say who confirmed and when; offer to reload only: changing confirmed facts
        takes a reason, asked by the next save).  Otherwise offer to overwrite.
        """
        from console.services.prereview_edits import prereview_state

        def offer(meta: dict[str, Any] | None) -> None:
            self.facts_meta = meta
            self._show_status()
            if meta is not None and meta.get("confirmed_at"):
                self._offer_reload(meta)
                return
            text = _stale_text(error)
            self.notify(text, severity="error", timeout=12, markup=False)

            def answered(yes: bool | None) -> None:
                if yes:
                    self.action_save()

            self.app.push_screen(ConfirmModal(text + "\n" + t("tui.prereview.overwrite")), answered)

        def unread(_: BaseException) -> bool:
            offer(self.facts_meta)  # their version unknown: the next save is refused again, naming them
            return True

        self.call(lambda db, actor: prereview_state(db, actor, self.case_no)["facts"], offer, group="prereview-save",
                  on_error=unread, holds=True)

    def _offer_reload(self, meta: dict[str, Any]) -> None:
        """A reviewer confirmed meanwhile: name them and when, offer only to reload their result."""
        text = t("tui.prereview.stale_confirmed", who=meta.get("confirmed_by") or "—", when=human_time(meta.get("confirmed_at")))
        self.notify(text, severity="warning", timeout=12, markup=False)

        def answered(yes: bool | None) -> None:
            if yes:
                self.load()

        self.app.push_screen(ConfirmModal(text + "\n" + t("tui.prereview.reload_confirmed"), yes=t("tui.prereview.reload"),
                                          no=t("tui.prereview.keep_editing")), answered)

    def action_confirm(self) -> None:
        if self.state is None or self.busy:
            return
        if self.has_unsaved():
            self.notify(t("tui.prereview.save_first"), severity="warning", markup=False)
            return
        from console.services.prereview_edits import confirm_prereview

        expected = None if self.facts_meta is None else int(self.facts_meta["version"])
        self.call(lambda db, actor: confirm_prereview(db, actor, self.case_no, expected)[1], self._confirmed,
                  group="prereview-save", holds=True)

    def _confirmed(self, meta: dict[str, Any]) -> None:
        self.changed_anything = True
        self.facts_meta = {**(self.facts_meta or {}), **meta}
        self._show_status()
        self.notify(t("tui.prereview.confirmed"), markup=False)
