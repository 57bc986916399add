"""One case (办件详情): summary and clock, department tasks, pre-review, delivery, the audit timeline."""
from __future__ import annotations

from datetime import date
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from console.human_time import human_date, human_time, parse_stamp
from console.i18n import t
from console.rules.task_plan import TASK_PLAN
from console.services.promises import promisable_missing
from console.vocabulary import (
    AUDIT_ACTION,
    CASE_KIND,
    CASE_STATUS,
    DEPARTMENT,
    OPEN_STATUSES,
    PROMISE_ACTION,
    PROMISE_STATUS,
    TASK_STATUS,
)
from screens.widgets.base import RetireScreen
from screens.widgets.hall_app import hall_app
from screens.widgets.progress import days_left_cell


def short_time(stamp: str | None) -> str:
    """A stored stamp as people read it: the hall's local time, ``2026年3月16日 09:11`` / ``16 Mar 2026 09:11``."""
    return human_time(stamp)


def local_day(stamp: str | None) -> str:
    """The hall's local day of a stamp (``2026年3月16日``): a UTC stamp near midnight is the next day at the hall."""
    moment = parse_stamp(stamp or "")
    return human_date(moment.date()) if moment else human_time(stamp)


def _due_day(value: Any) -> str:
    """A due date as people read it (``2026年3月10日``), like the other dates here; an unreadable one as stored."""
    try:
        return human_date(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def action_words(action: str) -> str:
    """An audit action in words (``case.open`` -> 收件登记); an action without words keeps its code."""
    label = t(AUDIT_ACTION.key(action))
    return action if label == AUDIT_ACTION.key(action) else label


def clock_text(clock: dict[str, Any] | None, status: str) -> Text:
    """'到期 2026年3月10日 · 已超期 3 个工作日' in the clock's colour."""
    if clock is None:
        if status == "awaiting_correction":
            return Text(t("tui.detail.paused"), style="dim")
        return Text(t("clock_state.done") if status in ("completed", "delivered") else "—", style="dim")
    state, days = clock.get("state") or "", clock.get("working_days_left")
    style = {"overdue": "bold red", "due_soon": "bold yellow", "paused": "dim", "done_late": "red"}.get(state, "green")
    if state == "paused":
        return Text(t("tui.detail.paused"), style="dim")
    if state in ("done", "done_late") or days is None:
        return Text(t(f"clock_state.{state}") if state else "—", style=style)
    out = Text()
    if clock.get("due_date"):
        out.append(t("tui.detail.due", due=_due_day(clock["due_date"])) + " · ")
    out.append(t("tui.detail.overdue" if days < 0 else "tui.detail.left", days=abs(days)), style=style)
    return out


def _grid() -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def summary(case: dict[str, Any]) -> Table:
    p = case["person"]
    grid = _grid()
    grid.add_row(t("tui.detail.applicant"), Text.assemble((p.get("name") or "", "bold"), f"  {t('tui.detail.id_number')} {p.get('id_number') or ''}"))
    status = t("tui.app.label", label=t("tui.detail.status")) + t(CASE_STATUS.key(case["status"]))
    grid.add_row(t("tui.detail.kind"), Text(f"{t(CASE_KIND.key(case['kind']))}   {status}"))
    dates = local_day(case["received_at"])
    if case.get("accepted_at"):
        dates += f"   {t('tui.detail.accepted')} {local_day(case['accepted_at'])}"
    if case.get("completed_at"):
        dates += f"   {t('tui.detail.completed')} {local_day(case['completed_at'])}"
    grid.add_row(t("tui.detail.received"), Text(dates))
    grid.add_row(t("tui.detail.clock"), clock_text(case.get("clock"), case["status"]))
    joint = t("tui.app.list_sep").join(t(f"joint_items.{j}") for j in case.get("joint_items") or []) or t("tui.detail.none")
    grid.add_row(t("tui.detail.joint"), Text(joint))
    mats = Text()
    for m in case.get("materials") or []:
        if len(mats):
            mats.append("  ")
        mark, style = ("✓", "green") if m["received"] else ("✗", "bold red")
        mats.append(f"{mark}{t('tui.material_short.' + m['code'])}", style=style)
    missing = [m["code"] for m in case.get("materials") or [] if not m["received"]]
    if case["status"] == "draft" and missing and not promisable_missing(case["kind"], missing)[1]:
        mats.append("  " + t("tui.detail.promise_hint"), style="yellow")
    grid.add_row(t("tui.detail.materials"), mats)
    if case["status"] == "draft" and not prereview_confirmed(case):
        grid.add_row("", Text(t("tui.detail.accept_waits_review"), style="yellow"))
    if case.get("promises"):
        grid.add_row(t("tui.detail.promises"), promises_text(case["promises"]))
    if case.get("notices"):
        grid.add_row(t("tui.detail.notices"), Text("  ".join(f"{n['number']}" for n in case["notices"])))
    return grid


def prereview_confirmed(case: dict[str, Any]) -> bool:
    """Whether a reviewer confirmed the pre-review: acceptance waits for it (the service refuses otherwise)."""
    return bool((case.get("prereview") or {}).get("confirmed_at"))


def promises_text(rows: list[dict[str, Any]]) -> Text:
    """Each promised paper: its deadline and, while open, its own clock (yellow/red like the others)."""
    out = Text()
    for p in rows:
        if len(out):
            out.append("\n")
        out.append(f"{t('tui.material_short.' + p['material'])} {t(PROMISE_STATUS.key(p['status']))} · "
                   f"{t('tui.detail.promise_deadline', deadline=p['deadline'])} · ")
        clock = p.get("clock") or {}
        if p["status"] == "open":
            out.append_text(days_left_cell(clock.get("working_days_left"), clock.get("state") or ""))
            out.append(f" · {t(PROMISE_ACTION.key(p['on_expiry']))}", style="dim")
    return out


def tasks_table(tasks: list[dict[str, Any]]) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column(t("tui.dept.col_item"), no_wrap=True)
    table.add_column(t("tui.dept.col_status"), no_wrap=True)
    table.add_column(t("tui.dept.col_left"), no_wrap=True, justify="right")
    table.add_column(t("tui.dept.col_assignee"), overflow="fold")
    for task in tasks:
        clock = task.get("clock") or {}
        status_style = {"done": "green", "returned": "bold red", "waiting": "dim"}.get(task["status"], "")
        note = task.get("missing") if task["status"] == "returned" else (task.get("result") or "")
        doer = (task.get("completed_by") or task.get("assignee")) if task["status"] == "done" else task.get("assignee")
        who = " ".join(x for x in (doer or "", note or "") if x)  # a done task names who completed it
        table.add_row(
            Text(f"{t(DEPARTMENT.short_key(task['department']))} {t('tui.item_short.' + task['item'])}"),
            Text(t(TASK_STATUS.key(task['status'])), style=status_style),
            days_left_cell(clock.get("working_days_left"), clock.get("state") or "") if task["status"] != "done" else Text("✓", style="green"),
            Text(who),
        )
    return table


def prereview_block(case: dict[str, Any]) -> Any:
    pre = case.get("prereview")
    if not pre:
        return Text(t("tui.detail.prereview_none"), style="dim")
    facts = pre.get("facts") or {}
    grid = _grid()
    status = (t("tui.detail.prereview_confirmed", who=pre["confirmed_by"], when=short_time(pre["confirmed_at"]))
              if pre.get("confirmed_at") else t("tui.detail.prereview_unconfirmed"))
    grid.add_row("", Text(status, style="green" if pre.get("confirmed_at") else "yellow"))
    statutory = t("tui.detail.statutory_value", month=facts.get("statutory_month", ""), age=facts.get("statutory_age", ""))
    grid.add_row(t("tui.detail.statutory_month"), Text(statutory))  # the age in words: 60岁3个月, never the code 60y3m
    grid.add_row(t("tui.detail.benefit_month"), Text(str(facts.get("benefit_start_month", ""))))
    months = int(facts.get("total_months") or 0)
    grid.add_row(t("tui.detail.contribution_years"), Text(t("tui.detail.years_months", years=months // 12, months=months % 12)))
    return grid


def delivery_block(case: dict[str, Any]) -> Any:
    rows = case.get("deliveries") or []
    if not rows:
        return Text(t("tui.detail.delivery_none"), style="dim")
    out = Text()
    for d in rows:
        if len(out):
            out.append("\n")
        out.append(f"{d.get('courier') or ''} {d.get('waybill') or ''}  {t('tui.delivery.sent')} {short_time(d.get('sent_at'))}")
        if d.get("delivered_at"):
            out.append(f"  {t('tui.delivery.delivered')} {short_time(d['delivered_at'])}", style="green")
        if d.get("returned_at"):
            out.append(f"  {t('tui.delivery.returned')} {short_time(d['returned_at'])} {d.get('note') or ''}", style="red")
    return out


def _change_summary(action: str, detail: dict[str, Any]) -> str:
    """An edit's new values and a withdrawal's reason on the timeline (``联系电话 13900000077``; ``联办事项 医保``)."""
    if action == "case.withdraw":
        return str(detail.get("reason") or "")
    after = detail.get("after")
    if action not in ("person.edit", "case.edit", "delivery.readdress") or not isinstance(after, dict):
        return ""
    parts = []
    for key, value in after.items():
        if key == "joint_items":
            value = t("tui.case_edit.sep").join(t(f"tui.item_short.{DEPARTMENT_ITEM.get(v, v)}") for v in value or []) or "—"
        elif key == "waybill":
            continue
        parts.append(f"{t('tui.case_edit.' + key)} {value or '—'}")
    return t("tui.case_edit.parts_sep").join(parts)


DEPARTMENT_ITEM = {spec.joint_item: spec.item for spec in TASK_PLAN if spec.joint_item}
"""A joint item's task, whose short word the timeline uses for the item itself."""


def timeline(case: dict[str, Any]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for row in reversed(case.get("audit") or []):
        label = action_words(row["action"])
        detail = row.get("detail") or {}
        extra = ""
        if isinstance(detail, dict):
            extra = str(detail.get("notice") or detail.get("result") or detail.get("missing") or detail.get("waybill") or detail.get("note")
                        or _change_summary(row["action"], detail) or "")
        if row.get("entity") == "task" and row.get("entity_id"):
            label = f"{label} {t('tui.item_short.' + str(row['entity_id']))}"
        table.add_row(short_time(row["at"]), Text(f"{row['actor']}  {label}"), Text(extra))
    return table


class CaseDetailScreen(RetireScreen):
    """Everything about one case, scrollable; keys for the next step of its workflow."""

    NAME_KEY = "tui.detail.title"
    DEFAULT_CSS = """
    CaseDetailScreen #detail { height: 1fr; padding: 0 1; }
    CaseDetailScreen #case-head { height: 1; background: $boost; padding: 0 1; text-style: bold; }
    CaseDetailScreen .section-title { margin-top: 1; }
    """
    BINDINGS = [
        Binding("a", "accept", t("tui.detail.b_accept"), id="case-accept"),
        Binding("c", "correct", t("tui.detail.b_correct"), id="case-correct"),
        Binding("r", "resume", t("tui.detail.b_resume"), id="case-resume"),
        Binding("t", "tasks", t("tui.detail.b_tasks"), id="case-tasks"),
        Binding("e", "delivery", t("tui.detail.b_delivery"), id="case-delivery"),
        Binding("p", "prereview", t("tui.detail.b_prereview"), id="case-prereview"),
        Binding("n", "notices", t("tui.notices.b_open"), id="case-notices"),
        Binding("o", "promise", t("tui.detail.b_promise"), show=False, id="case-promise"),
        Binding("x", "refuse", t("tui.detail.b_refuse"), show=False, id="case-refuse"),
        Binding("h", "paper", t("tui.detail.b_paper"), show=False, id="case-paper"),
        Binding("m", "edit", t("tui.case_edit.b_edit"), show=False, id="case-edit"),
        Binding("w", "withdraw", t("tui.case_edit.b_withdraw"), show=False, id="case-withdraw"),
        Binding("f5", "refresh", t("tui.detail.b_refresh"), show=False, id="case-refresh"),
    ]

    def __init__(self, case_no: str) -> None:
        super().__init__()
        self.case_no = case_no
        self.case: dict[str, Any] | None = None

    def body(self) -> ComposeResult:
        yield Static(self.case_no, id="case-head")
        with VerticalScroll(id="detail"):
            yield Static(id="summary")
            yield Static(t("tui.detail.tasks"), classes="section-title")
            yield Static(id="tasks")
            yield Static(t("tui.detail.prereview"), classes="section-title")
            yield Static(id="prereview")
            yield Static(t("tui.detail.delivery"), classes="section-title")
            yield Static(id="delivery")
            yield Static(t("tui.detail.timeline"), classes="section-title")
            yield Static(id="timeline")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#detail").focus()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        if self.case is not None:
            self.action_refresh()

    def action_refresh(self) -> None:
        from console.services import case_queries

        today = self.ctx.today
        self.call(lambda db, actor: case_queries.show(db, actor, self.case_no, today=today), self._show, group="detail", exclusive=True)

    def _show(self, case: dict[str, Any]) -> None:
        self.case = case
        head = Text.assemble((case["case_no"], "bold"), "  ", case["person"].get("name") or "", "  ",
                             (t(CASE_STATUS.key(case['status'])), "bold"), "  ")
        head.append_text(clock_text(case.get("clock"), case["status"]))
        head.no_wrap, head.overflow = True, "ellipsis"  # one line, cut at the end, never re-flowed
        self.query_one("#case-head", Static).update(head)
        self.query_one("#summary", Static).update(summary(case))
        self.query_one("#tasks", Static).update(tasks_table(case["tasks"]) if case["tasks"] else Text(t("tui.detail.none"), style="dim"))
        self.query_one("#prereview", Static).update(prereview_block(case))
        self.query_one("#delivery", Static).update(delivery_block(case))
        self.query_one("#timeline", Static).update(timeline(case))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only the steps the case's status allows (greyed, not hidden, when loading)."""
        status = self.case["status"] if self.case else None
        if action in ("accept", "promise") and status == "draft" and not prereview_confirmed(self.case or {}):
            return None  # greyed: the summary says it waits for the reviewer's confirmation
        allowed = {
            "accept": status == "draft",
            "promise": status == "draft",
            "correct": status == "draft",
            "refuse": status in ("draft", "awaiting_correction"),
            "resume": status == "awaiting_correction",
            "delivery": status in ("completed", "delivered"),
            "tasks": bool(self.case and self.case["tasks"]),
            "edit": self.case is not None,
            "withdraw": status in OPEN_STATUSES,
        }
        return allowed.get(action, True)

    # -- workflow ------------------------------------------------------------

    def _person_name(self) -> str:
        return (self.case or {}).get("person", {}).get("name") or ""

    def action_accept(self) -> None:
        from console.services import intake
        from screens.widgets.confirm import ConfirmModal

        today = self.ctx.today
        version = (self.case or {}).get("version")

        def accepted(decision: Any) -> None:
            self.notify(t("tui.detail.accepted_ok", case_no=decision.case_no, notice=decision.notice_number), markup=False)
            self.action_refresh()

        def answer(yes: bool | None) -> None:
            if yes:
                self.call(lambda db, actor: intake.accept_case(db, actor, self.case_no, expected_version=version, today=today), accepted)

        self.app.push_screen(ConfirmModal(t("tui.detail.confirm_accept", case_no=self.case_no, name=self._person_name())), answer)

    def action_refuse(self) -> None:
        """不予受理: the reason first (it goes on the refusal notice), then a confirmation; the case ends."""
        from screens.widgets.prompt import TextPrompt

        def reason_given(reason: str | None) -> None:
            if reason:
                self._confirm_refusal(reason)

        self.app.push_screen(TextPrompt(t("tui.detail.refuse_reason", case_no=self.case_no)), reason_given)

    def _confirm_refusal(self, reason: str) -> None:
        from console.services import intake
        from screens.widgets.confirm import ConfirmModal

        today = self.ctx.today
        version = (self.case or {}).get("version")

        def refused(decision: Any) -> None:
            self.notify(t("tui.detail.refused_ok", case_no=decision.case_no, notice=decision.notice_number), markup=False)
            self.action_refresh()

        def answer(yes: bool | None) -> None:
            if yes:
                self.call(lambda db, actor: intake.refuse_case(db, actor, self.case_no, reason, expected_version=version, today=today),
                          refused)

        question = t("tui.detail.confirm_refuse", case_no=self.case_no, name=self._person_name(), reason=reason)
        self.app.push_screen(ConfirmModal(question), answer)

    def action_edit(self) -> None:
        """Phone, address, bank card and joint items after registration: a prefilled form, saved versioned and audited."""
        from screens.widgets.edit_form import CaseEditModal

        if self.case is None:
            return
        self.app.push_screen(CaseEditModal(self.case), self._save_edit)

    def _save_edit(self, changes: dict[str, Any] | None) -> None:
        from console.services import case_edits

        if not changes:
            return
        case = self.case or {}
        person_version, case_version = case.get("person", {}).get("version"), case.get("version")
        fields = {k: v for k, v in changes.items() if k in case_edits.PERSON_FIELDS}
        add, remove = changes.get("add", []), changes.get("remove", [])
        today = self.ctx.today

        def saved(_: Any) -> None:
            self.notify(t("tui.case_edit.saved_ok", case_no=self.case_no), markup=False)
            self.action_refresh()

        self.call(lambda db, actor: case_edits.edit_after_registration(
            db, actor, self.case_no, fields, add, remove, person_version, case_version, today), saved, group="save")

    def action_withdraw(self) -> None:
        """撤回: the applicant's reason first (it goes in the case file), then a confirmation; the case ends."""
        from screens.widgets.prompt import TextPrompt

        def reason_given(reason: str | None) -> None:
            if reason:
                self._confirm_withdrawal(reason)

        self.app.push_screen(TextPrompt(t("tui.case_edit.withdraw_reason", case_no=self.case_no)), reason_given)

    def _confirm_withdrawal(self, reason: str) -> None:
        from console.services import case_edits
        from screens.widgets.confirm import ConfirmModal

        version = (self.case or {}).get("version")

        def withdrawn(_: Any) -> None:
            self.notify(t("tui.case_edit.withdrawn_ok", case_no=self.case_no), markup=False)
            self.action_refresh()

        def answer(yes: bool | None) -> None:
            if yes:
                self.call(lambda db, actor: case_edits.withdraw_case(db, actor, self.case_no, reason, version), withdrawn, group="save")

        question = t("tui.case_edit.confirm_withdraw", case_no=self.case_no, name=self._person_name(), reason=reason)
        self.app.push_screen(ConfirmModal(question), answer)

    def action_promise(self) -> None:
        """Accept on a written promise (容缺受理): only when every missing paper may be promised; confirmed first."""
        from console.services import promises

        today = self.ctx.today
        version = (self.case or {}).get("version")

        def offered(codes: list[str]) -> None:
            if not codes:
                self.notify(t("tui.intake.promise_not_offered"), severity="warning", markup=False)
                return
            from screens.widgets.confirm import ConfirmModal

            names = t("tui.app.list_sep").join(t(f"tui.material_short.{c}") for c in codes)

            def accepted(outcome: Any) -> None:
                self.notify(t("tui.detail.promise_ok", case_no=outcome.decision.case_no, letter=outcome.letter_number), markup=False)
                self.action_refresh()

            def answer(yes: bool | None) -> None:
                if yes:
                    self.call(lambda db, actor: promises.accept_on_promise(db, actor, self.case_no, codes, expected_version=version,
                                                                          today=today), accepted)

            self.app.push_screen(ConfirmModal(t("tui.detail.confirm_promise", case_no=self.case_no, materials=names),
                                              yes=t("tui.intake.issue_promise")), answer)

        self.call(lambda db, actor: promises.offer_for(db, actor, self.case_no, today), offered)

    def _awaited(self) -> list[str]:
        """Promised papers still to come (open, or held by an expired promise): what 'h' records."""
        return [p["material"] for p in (self.case or {}).get("promises", [])
                if p["status"] == "open" or (p["status"] == "enforced" and p["on_expiry"] == "hold")]

    def action_paper(self) -> None:
        """The promised papers were handed in: close their promises (a held task runs again), after a confirmation."""
        from console.services import promises
        from screens.widgets.confirm import ConfirmModal

        codes = self._awaited()
        if not codes:
            self.notify(t("tui.detail.no_promise"), severity="warning", markup=False)
            return
        today = self.ctx.today

        def record(db: Any, actor: Any) -> list[dict[str, Any]]:
            return [promises.paper_arrived(db, actor, self.case_no, code, today=today) for code in codes]

        def recorded(_: Any) -> None:
            self.notify(t("tui.detail.paper_ok", case_no=self.case_no), markup=False)
            self.action_refresh()

        def answer(yes: bool | None) -> None:
            if yes:
                self.call(record, recorded)

        names = t("tui.app.list_sep").join(t(f"tui.material_short.{c}") for c in codes)
        self.app.push_screen(ConfirmModal(t("tui.detail.confirm_paper", case_no=self.case_no, materials=names)), answer)

    def action_correct(self) -> None:
        """Show the FULL list of what is missing or unmet, then issue the one-time notice."""
        from console.services import intake

        today = self.ctx.today

        def findings(db: Any, actor: Any) -> list[str]:
            case = intake.load_case(db, self.case_no)
            _, _, result = intake.assessment_for(db, case, today)
            return [t(f.code, **f.params) for f in result.findings if f.severity in ("unmet", "missing")]

        self.call(findings, self._confirm_correction)

    def _confirm_correction(self, lines: list[str]) -> None:
        from console.services import intake
        from screens.widgets.confirm import ConfirmModal

        if not lines:
            self.notify(t("tui.detail.nothing_missing"), severity="warning", markup=False)
            return
        today = self.ctx.today
        version = (self.case or {}).get("version")
        items = "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1))

        def issued(decision: Any) -> None:
            self.notify(t("tui.detail.corrected_ok", notice=decision.notice_number), markup=False)
            self.action_refresh()

        def answer(yes: bool | None) -> None:
            if yes:
                self.call(lambda db, actor: intake.request_correction(db, actor, self.case_no, expected_version=version, today=today), issued)

        question = t("tui.detail.confirm_correct", case_no=self.case_no, name=self._person_name(), count=len(lines), items=items)
        self.app.push_screen(ConfirmModal(question), answer)

    def action_resume(self) -> None:
        from console.services import intake
        from screens.widgets.prompt import Checklist

        missing = [m["code"] for m in (self.case or {}).get("materials", []) if not m["received"]]
        today = self.ctx.today
        version = (self.case or {}).get("version")

        def resumed(decision: Any) -> None:
            still = [t(f.code, **f.params) for f in decision.assessment.findings if f.severity in ("unmet", "missing")]
            if still:
                self.notify(t("tui.detail.resumed_missing", case_no=decision.case_no, count=len(still), items="；".join(still)),
                            severity="warning", markup=False, timeout=10)
            else:
                self.notify(t("tui.detail.resumed_ok", case_no=decision.case_no), markup=False)
            self.action_refresh()

        def answer(codes: list[str] | None) -> None:
            if codes is None:
                return
            self.call(lambda db, actor: intake.resume_case(db, actor, self.case_no, codes, expected_version=version, today=today), resumed)

        if not missing:  # what was missing is not a paper on the checklist (e.g. an archive record): just resume
            from screens.widgets.confirm import ConfirmModal

            self.app.push_screen(ConfirmModal(t("tui.detail.resume_nothing")), lambda yes: answer([] if yes else None))
            return
        items = [(t(f"materials.{code}"), code) for code in missing]
        self.app.push_screen(Checklist(t("tui.detail.resume_title"), items), answer)

    def action_tasks(self) -> None:
        hall_app(self.app).open_department(self.case_no)

    def action_delivery(self) -> None:
        hall_app(self.app).open_delivery(self.case_no)

    def action_prereview(self) -> None:
        hall_app(self.app).open_prereview(self.case_no)

    def action_notices(self) -> None:
        """The case's notices and forms: preview the text, write the DOCX."""
        from screens.notices import NoticesScreen

        self.app.push_screen(NoticesScreen(self.case_no))
