"""Work lists opened from the queue, each on its own key (issue 14):

- 我的待办 (``mine``): the tasks I have claimed and not finished; Enter opens the case's department pane.
- 待我确认的预审 (``confirm``): pre-reviews a clerk saved that a reviewer has to confirm; Enter opens the case.
- 退回窗口的事项 (``returned``): tasks a department sent back naming missing papers; the window records
  the paper that arrived (``a``: the task opens again) or that the applicant was told (``t``: audited).
"""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from console.human_time import human_time
from console.i18n import t
from console.vocabulary import DEPARTMENT, TASK_STATUS
from screens.widgets.base import RetireScreen
from screens.widgets.hall_app import hall_app
from screens.widgets.paged_table import PagedTable
from screens.widgets.progress import days_left_cell, plain

KINDS = ("mine", "confirm", "returned")
LIMIT = 200


def load_rows(db: Any, actor: Any, kind: str, today: Any) -> list[dict[str, Any]]:
    """The rows of one work list, each task with its clock (the pre-review list has none)."""
    from console.services import case_queries, tasks
    from console.services.clocks import calendar_for, task_clock

    if kind == "confirm":
        return case_queries.awaiting_confirmation(db, actor, limit=LIMIT)
    rows = tasks.mine(db, actor, limit=LIMIT) if kind == "mine" else tasks.returned_to_window(db, actor, limit=LIMIT)
    cal = calendar_for(db)
    return [{**row, "clock": case_queries.clock_dict(task_clock(row, today, cal))} for row in rows]


class WorkListScreen(RetireScreen):
    """One work list: a table of rows, Enter to open, and (returned tasks) the window's two actions."""

    NAME_KEY = "tui.work.title"
    DEFAULT_CSS = """
    WorkListScreen #work-info { height: 1; background: $boost; padding: 0 1; }
    WorkListScreen #work { height: 1fr; }
    """
    BINDINGS = [
        Binding("a", "paper_arrived", t("tui.work.b_arrived"), id="work-arrived"),
        Binding("t", "applicant_told", t("tui.work.b_told"), id="work-told"),
        Binding("f5", "refresh", t("tui.work.b_refresh"), show=False, id="work-refresh"),
    ]

    def __init__(self, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(kind)
        super().__init__()
        self.kind = kind
        self.rows: list[dict[str, Any]] = []

    @property
    def screen_name(self) -> str:
        return t(f"tui.work.{self.kind}")

    def body(self) -> ComposeResult:
        yield Static(Text(t(f"tui.work.{self.kind}"), style="bold"), id="work-info")
        yield PagedTable(id="work")

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(PagedTable)
        table.set_columns(self._columns())
        table.focus()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def _columns(self) -> list[tuple[str, str]]:
        if self.kind == "confirm":
            return [("case_no", t("tui.queue.col_case_no")), ("name", t("tui.queue.col_name")),
                    ("by", t("tui.work.col_saved_by")), ("at", t("tui.work.col_saved_at"))]
        last = ("missing", t("tui.work.col_missing")) if self.kind == "returned" else ("left", t("tui.queue.col_left"))
        return [("case_no", t("tui.queue.col_case_no")), ("item", t("tui.dept.col_item")), ("status", t("tui.dept.col_status")), last]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The window's two actions exist on the returned list only, on a selected row."""
        if action in ("paper_arrived", "applicant_told"):
            return self.kind == "returned" and self.selected() is not None
        return True

    # -- loading -------------------------------------------------------------

    def action_refresh(self) -> None:
        kind, today = self.kind, self.ctx.today
        self.call(lambda db, actor: load_rows(db, actor, kind, today), self._show, group="work", exclusive=True)

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        table = self.query_one(PagedTable)
        keep = table.cursor_row if table.row_count else 0
        table.clear()
        for row in rows:
            table.add_row(*self._cells(row), key=str(row.get("id")))
        info = t(f"tui.work.{self.kind}") + " · " + (t("tui.work.count", count=len(rows)) if rows else t("tui.work.empty"))
        self.query_one("#work-info", Static).update(Text(info, style="bold" if rows else "dim"))
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1), animate=False)
        self.refresh_bindings()

    def _cells(self, row: dict[str, Any]) -> list[object]:
        if self.kind == "confirm":
            return [plain(row["case_no"]), plain(row["name"]), plain(row["saved_by"] or ""), plain(human_time(row["saved_at"]))]
        item = f"{t(DEPARTMENT.short_key(row['department']))} {t('tui.item_short.' + row['item'])}"
        clock = row.get("clock") or {}
        last: object = plain(row["missing"] or "") if self.kind == "returned" else days_left_cell(
            clock.get("working_days_left"), clock.get("state") or "")
        return [plain(row["case_no"]), plain(item), plain(t(TASK_STATUS.key(row['status']))), last]

    def selected(self) -> dict[str, Any] | None:
        table = self.query_one(PagedTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # -- actions -------------------------------------------------------------

    @on(DataTable.RowSelected, "#work")
    def _open(self, event: DataTable.RowSelected) -> None:
        row = self.selected()
        if row is None:
            return
        if self.kind == "mine":
            hall_app(self.app).open_department(row["case_no"])
        else:
            hall_app(self.app).open_case(row["case_no"])

    def _ask(self, question_key: str, placeholder_key: str, then: Any) -> None:
        """A line of text about the selected returned task (what arrived, how they were told), then ``then``."""
        from screens.widgets.prompt import TextPrompt

        row = self.selected()
        if row is None:
            return
        question = t(question_key, case_no=row["case_no"], item=t(f"items.{row['item']}"), missing=row["missing"] or "")

        def answer(text: str | None) -> None:
            if text and text.strip():
                then(row, text.strip())

        self.app.push_screen(TextPrompt(question, t(placeholder_key)), answer)

    def _save(self, fn: Any, message_key: str, row: dict[str, Any]) -> None:
        def done(_: Any) -> None:
            self.notify(t(message_key, case_no=row["case_no"], item=t(f"items.{row['item']}")), markup=False)
            self.action_refresh()

        self.call(fn, done, group="save")

    def action_paper_arrived(self) -> None:
        from console.services import tasks

        def go(row: dict[str, Any], paper: str) -> None:
            version = row["version"]
            self._save(lambda db, actor: tasks.paper_arrived(db, actor, row["id"], paper, expected_version=version), "tui.work.arrived_ok", row)

        self._ask("tui.work.arrived_question", "tui.work.arrived_placeholder", go)

    def action_applicant_told(self) -> None:
        from console.services import tasks

        def go(row: dict[str, Any], how: str) -> None:
            version = row["version"]
            self._save(lambda db, actor: tasks.applicant_told(db, actor, row["id"], how, expected_version=version), "tui.work.told_ok", row)

        self._ask("tui.work.told_question", "tui.work.told_placeholder", go)
