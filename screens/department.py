"""The department pane (部门工作台): claim, complete and return one's own department's tasks.

Beside the task list is the shared one-form data of the selected task's case
(read-only).  Saves name the version they were based on; when someone else
saved first, the clerk is told who and when and may reload, and whatever they
typed stays in the input.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Input, Select, Static

from console.errors import StaleVersion
from console.human_time import human_time
from console.i18n import t
from console.vocabulary import (
    ACTIVE_TASK_STATUSES,
    CASE_KIND,
    CLAIMABLE_TASK_STATUSES,
    DEPARTMENT,
    RETURNABLE_TASK_STATUSES,
    TASK_STATUS,
)
from screens.widgets.base import RetireScreen
from screens.widgets.hall_app import hall_app
from screens.widgets.progress import days_left_cell, plain
from screens.widgets.task_confirm import TaskConfirm, claim_question, complete_question

NARROW = 100
AS_NEEDED_WHY = "task_plan.why.as_needed."
TASK_LIMIT = 200


def load_tasks(db: Any, actor: Any, department: str | None, case_no: str | None, today: date) -> list[dict[str, Any]]:
    """The rows the pane lists: one case's tasks, or the department's active tasks, each with its clock."""
    from console.services import case_queries, tasks
    from console.services.clocks import calendar_for, task_clock

    if case_no:
        shown = case_queries.show(db, actor, case_no, today=today)
        rows = [{**task, "case_no": case_no} for task in shown["tasks"]]
        for row in rows:
            row["own"] = actor.in_department(row["department"])
        return rows
    cal = calendar_for(db)
    rows = tasks.list_for(db, actor, department, ACTIVE_TASK_STATUSES, limit=TASK_LIMIT) if department else []
    out = []
    for row in rows:
        clock = task_clock(row, today, cal)
        out.append({**row, "own": True, "clock": case_queries.clock_dict(clock)})
    return out


def one_form(case: dict[str, Any]) -> Table:
    """The shared data every department reads (申请人、身份证、电话、退休事实、银行卡)."""
    p = case["person"]
    facts = (case.get("prereview") or {}).get("facts") or {}
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(t("tui.queue.col_case_no"), Text(case["case_no"], style="bold"))
    grid.add_row(t("tui.detail.applicant"), Text(p.get("name") or "", style="bold"))
    grid.add_row(t("tui.detail.id_number"), Text(p.get("id_number") or ""))
    grid.add_row(t("tui.dept.birth"), Text(p.get("birth_date_id") or ""))
    grid.add_row(t("tui.dept.phone"), Text(p.get("phone") or ""))
    grid.add_row(t("tui.dept.address"), Text(p.get("address") or ""))
    if p.get("employer"):
        grid.add_row(t("tui.dept.employer"), Text(p["employer"]["name"]))
    grid.add_row(t("tui.detail.kind"), Text(t(CASE_KIND.key(case['kind']))))
    if facts:
        grid.add_row(t("tui.detail.statutory_month"), Text(str(facts.get("statutory_month") or "")))
        grid.add_row(t("tui.detail.benefit_month"), Text(str(facts.get("benefit_start_month") or "")))
        months = int(facts.get("total_months") or 0)
        grid.add_row(t("tui.detail.contribution_years"), Text(f"{months // 12}y{months % 12}m"))
    grid.add_row(t("tui.dept.bank"), Text(p.get("bank_card") or ""))
    for task in case.get("tasks") or []:  # why the HRSS items done as the case needs are on it
        reason = task.get("reason") or {}
        if str(reason.get("code", "")).startswith(AS_NEEDED_WHY):
            grid.add_row(t("tui.item_short." + task["item"]), Text(t(reason["code"], **(reason.get("params") or {}))))
    return grid


class DepartmentScreen(RetireScreen):
    """Tasks of the member's department(s); the one-form data of the selected case beside them."""

    NAME_KEY = "tui.dept.title"
    DEFAULT_CSS = """
    DepartmentScreen #dept-bar { height: 1; background: $boost; padding: 0 1; }
    DepartmentScreen #dept-bar Select { width: 24; height: 1; }
    DepartmentScreen #dept-bar SelectCurrent { border: none; height: 1; padding: 0 1; }
    DepartmentScreen #dept-info { width: 1fr; height: 1; padding: 0 1; }
    DepartmentScreen #dept-body { height: 1fr; }
    DepartmentScreen #tasks { width: 1fr; height: 1fr; }
    DepartmentScreen #form { width: 40; height: 1fr; border-left: vkey $primary 50%; padding: 0 1; }
    DepartmentScreen.-narrow #dept-body { layout: vertical; }
    DepartmentScreen.-narrow #tasks { width: 100%; height: 1fr; }
    DepartmentScreen.-narrow #form { width: 100%; height: 7; border-left: none; border-top: hkey $primary 50%; }
    DepartmentScreen #result { height: 1; border: none; padding: 0 1; background: $surface; }
    DepartmentScreen #result:focus { background: $primary 20%; }
    """
    BINDINGS = [
        Binding("c", "claim", t("tui.dept.b_claim"), id="dept-claim"),
        Binding("ctrl+s", "complete", t("tui.dept.b_done"), priority=True, id="dept-complete"),
        Binding("x", "return_task", t("tui.dept.b_return"), id="dept-return"),
        Binding("d", "next_department", t("tui.dept.b_dept"), show=False, id="dept-switch"),
        Binding("i", "focus_result", t("tui.dept.b_result"), show=False, id="dept-result"),
        Binding("o", "open_case", t("tui.dept.b_case"), show=False, id="dept-case"),
        Binding("f5", "refresh", t("tui.dept.b_refresh"), show=False, id="dept-refresh"),
    ]

    def __init__(self, case_no: str | None = None) -> None:
        super().__init__()
        self.case_no = case_no
        self.department: str | None = None
        self.departments: list[str] = []
        self.tasks: list[dict[str, Any]] = []
        self.form_case: str | None = None

    def body(self) -> ComposeResult:
        with Horizontal(id="dept-bar"):
            yield Select[str]([], id="dept-select", allow_blank=True, compact=True)
            yield Static(id="dept-info")
        with Horizontal(id="dept-body"):
            yield DataTable(id="tasks", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="form"):
                yield Static(t("tui.dept.form"), classes="muted")
                yield Static(id="form-body")
        yield Input(placeholder=t("tui.dept.result"), id="result")

    def on_mount(self) -> None:
        super().on_mount()
        actor = self.ctx.actor
        mine = sorted(actor.departments if actor else (), key=DEPARTMENT.codes.index)
        self.departments = list(mine)
        select = self.query_one("#dept-select", Select)
        select.set_options([(t(DEPARTMENT.key(d)), d) for d in mine])
        if mine:
            self.department = mine[0]
            select.value = mine[0]
        select.display = len(mine) > 1 and not self.case_no
        table = self.query_one("#tasks", DataTable)
        table.add_column(t("tui.dept.col_case_no"), key="case_no")
        table.add_column(t("tui.dept.col_item"), key="item")
        table.add_column(t("tui.dept.col_status"), key="status")
        table.add_column(t("tui.dept.col_left"), key="left")
        table.add_column(t("tui.dept.col_assignee"), key="assignee")
        table.focus()
        self._narrow()
        if not mine and not self.case_no:
            self.query_one("#dept-info", Static).update(Text(t("tui.dept.none"), style="yellow"))
        self.action_refresh()

    def on_resize(self) -> None:
        self._narrow()

    def _narrow(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")

    def has_unsaved(self) -> bool:
        return bool(self.query_one("#result", Input).value.strip())

    # -- loading -------------------------------------------------------------

    def action_refresh(self) -> None:
        department, case_no, today = self.department, self.case_no, self.ctx.today
        if not department and not case_no:
            return
        self.call(lambda db, actor: load_tasks(db, actor, department, case_no, today), self._show_tasks, group="tasks", exclusive=True)

    def _show_tasks(self, rows: list[dict[str, Any]]) -> None:
        self.tasks = rows
        table = self.query_one("#tasks", DataTable)
        keep = table.cursor_row if table.row_count else 0
        table.clear()
        for row in rows:
            clock = row.get("clock") or {}
            style = "" if row["own"] else "dim"
            status_style = {"done": "green", "returned": "bold red", "waiting": "dim"}.get(row["status"], "")
            table.add_row(
                plain(row["case_no"], style),
                plain(f"{t(DEPARTMENT.short_key(row['department']))} {t('tui.item_short.' + row['item'])}", style),
                plain(t(TASK_STATUS.key(row['status'])), status_style or style),
                days_left_cell(clock.get("working_days_left"), clock.get("state") or "") if row["status"] != "done" else Text("✓", style="green"),
                plain((row.get("completed_by") if row["status"] == "done" else None) or row.get("assignee") or "", style),
                key=str(row["id"]),
            )
        info = self.case_no or f"{t(DEPARTMENT.key(self.department)) if self.department else ''} · {t('tui.dept.filter_mine')}"
        if not rows:
            info = f"{info} · {t('tui.dept.empty')}"
        self.query_one("#dept-info", Static).update(Text(info, style="bold" if rows else "dim"))
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1), animate=False)
            self._load_form(rows[min(keep, len(rows) - 1)]["case_no"])
        self.refresh_bindings()

    def _load_form(self, case_no: str) -> None:
        from console.services import case_queries

        if case_no == self.form_case:
            return
        self.form_case = case_no
        today = self.ctx.today
        self.call(lambda db, actor: case_queries.show(db, actor, case_no, today=today),
                  lambda case: self.query_one("#form-body", Static).update(one_form(case)), group="form", exclusive=True)

    @on(DataTable.RowHighlighted, "#tasks")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        task = self.selected_task()
        if task is not None:
            self._load_form(task["case_no"])

    @on(Select.Changed, "#dept-select")
    def _department_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.department:
            self.department = event.value
            self.form_case = None
            self.action_refresh()

    def selected_task(self) -> dict[str, Any] | None:
        table = self.query_one("#tasks", DataTable)
        if not self.tasks or table.cursor_row < 0 or table.cursor_row >= len(self.tasks):
            return None
        return self.tasks[table.cursor_row]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Actions on a task are offered only for one's own department and the states that allow them."""
        if action not in ("claim", "complete", "return_task"):
            return True
        task = self.selected_task()
        if task is None or not task["own"]:
            return False
        allowed = {"claim": CLAIMABLE_TASK_STATUSES, "complete": ("claimed",), "return_task": RETURNABLE_TASK_STATUSES}[action]
        return task["status"] in allowed

    # -- actions -------------------------------------------------------------

    def _stale(self, error: BaseException) -> bool:
        """Someone saved first: say who and when, keep the input, offer a reload."""
        if not isinstance(error, StaleVersion):
            return False
        from screens.widgets.confirm import ConfirmModal

        question = t("tui.dept.stale", who=error.params.get("who", "?"), when=human_time(str(error.params.get("when") or "")) or "?")
        self.notify(question, severity="warning", markup=False, timeout=10)

        def answer(yes: bool | None) -> None:
            if yes:
                self.form_case = None
                self.action_refresh()

        self.app.push_screen(ConfirmModal(question), answer)
        return True

    def _run(self, fn: Any, message_key: str, task: dict[str, Any], clear_input: bool = False) -> None:
        def done(_: Any) -> None:
            if clear_input:  # the result is saved: back to the list, so the next key is a command again
                self.query_one("#result", Input).value = ""
                self.query_one("#tasks", DataTable).focus()
            self.notify(t(message_key, item=t(f"items.{task['item']}")), markup=False)
            self.form_case = None
            self.action_refresh()

        self.call(fn, done, group="save", on_error=self._stale)

    def action_claim(self) -> None:
        from console.services import tasks

        task = self.selected_task()
        if task is None:
            self.notify(t("tui.dept.no_task"), severity="warning")
            return
        if not self._may_do(task):
            return
        version = task["version"]

        def answer(yes: bool | None) -> None:
            if yes:
                self._run(lambda db, actor: tasks.claim(db, actor, task["id"], expected_version=version), "tui.dept.claimed_ok", task)

        self.app.push_screen(TaskConfirm(claim_question(task)), answer)

    def _may_do(self, task: dict[str, Any]) -> bool:
        """A reviewer's item (退休审批) is refused to a clerk here, in words, before any question is asked."""
        from console.services.tasks import needs_reviewer

        actor = self.ctx.actor
        if needs_reviewer(task["item"]) and actor is not None and not actor.has_role("hrss_reviewer"):
            self.notify(t("tasks.reviewer_only_claim", item=t(f"items.{task['item']}")), severity="error", markup=False, timeout=8)
            return False
        return True

    def action_complete(self) -> None:
        from console.services import tasks

        task = self.selected_task()
        if task is None:
            self.notify(t("tui.dept.no_task"), severity="warning")
            return
        result = self.query_one("#result", Input).value.strip()
        if not result:
            self.notify(t("tui.dept.result_required"), severity="warning")
            self.query_one("#result", Input).focus()
            return
        if not self._may_do(task):
            return
        version, today = task["version"], self.ctx.today

        def go(take_over: bool) -> None:
            self._run(lambda db, actor: tasks.complete(db, actor, task["id"], result, expected_version=version, today=today, take_over=take_over),
                      "tui.dept.done_ok", task, clear_input=True)

        if self._held_by_other(task) is not None:
            self._with_take_over(task, go)  # the take-over question is the confirmation
            return

        def answer(yes: bool | None) -> None:
            if yes:
                go(False)

        self.app.push_screen(TaskConfirm(complete_question(task, result)), answer)

    def _held_by_other(self, task: dict[str, Any]) -> str | None:
        """The colleague holding this claimed task, or None when it is free or one's own."""
        me = self.ctx.actor.login if self.ctx.actor else self.ctx.login
        holder = task.get("assignee")
        return holder if task["status"] == "claimed" and holder and holder != me else None

    def _with_take_over(self, task: dict[str, Any], go: Any) -> None:
        """Finishing a task a colleague claimed is a take-over: asked first (y), then audited by the service."""
        from screens.widgets.confirm import ConfirmModal

        holder = self._held_by_other(task)
        if holder is None:
            go(False)
            return

        def answer(yes: bool | None) -> None:
            if yes:
                go(True)

        self.app.push_screen(ConfirmModal(t("tasks.take_over_question", who=holder, item=t(f"items.{task['item']}"))), answer)

    def action_return_task(self) -> None:
        from console.services import tasks
        from screens.widgets.prompt import TextPrompt

        task = self.selected_task()
        if task is None:
            return
        version = task["version"]

        def go(take_over: bool) -> None:
            def answer(missing: str | None) -> None:
                if missing:
                    self._run(lambda db, actor: tasks.return_task(db, actor, task["id"], missing, expected_version=version, take_over=take_over),
                              "tui.dept.returned_ok", task)

            question = t("tui.dept.return_title", item=t(f"items.{task['item']}"))
            self.app.push_screen(TextPrompt(question, t("tui.dept.return_placeholder")), answer)

        self._with_take_over(task, go)

    def action_next_department(self) -> None:
        if len(self.departments) > 1 and not self.case_no:
            i = self.departments.index(self.department) if self.department in self.departments else -1
            self.query_one("#dept-select", Select).value = self.departments[(i + 1) % len(self.departments)]

    def action_focus_result(self) -> None:
        self.query_one("#result", Input).focus()

    def action_open_case(self) -> None:
        task = self.selected_task()
        if task is not None:
            hall_app(self.app).open_case(task["case_no"])

    @on(Input.Submitted, "#result")
    def _submitted(self) -> None:
        self.action_complete()

    def action_back(self) -> None:
        if self.focused is self.query_one("#result", Input):
            self.query_one("#tasks", DataTable).focus()
            return
        super().action_back()
