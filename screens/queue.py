"""The case queue (办件队列): the home screen, paged in SQL, filtered and searched by key."""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from console.i18n import t
from console.vocabulary import CASE_KIND, CASE_STATUS, DEPARTMENT, QUEUE_HIDDEN_STATUSES
from screens.widgets.base import RetireScreen
from screens.widgets.hall_app import hall_app
from screens.widgets.paged_table import PagedTable
from screens.widgets.progress import days_left_cell, plain, progress_cell

PAGE_SIZE = 100
WIDE = 100  # at this width and more the assignee column and full dates are shown
SEARCH_DEBOUNCE = 0.15
STATUS_CYCLE: tuple[str | None, ...] = (None, *(s for s in CASE_STATUS.codes if s not in QUEUE_HIDDEN_STATUSES))
DEPT_CYCLE: tuple[str | None, ...] = (None, *DEPARTMENT.codes)
SORTS = ("received", "due", "case_no", "name")


@dataclass(frozen=True)
class QueueQuery:
    """What the queue shows: filters, sort and page (immutable, so a worker holds a consistent copy)."""

    status: str | None = None
    department: str | None = None
    overdue: bool = False
    due_soon: bool = False
    text: str = ""
    order: str = "received"
    descending: bool = True
    page: int = 0
    edge: int | None = None  # 1: go to the last page once the count is known


class QueueScreen(RetireScreen):
    """Cases, one SQL page at a time, with a filter bar, a search box and a page label."""

    CSS_PATH = "queue.tcss"
    BINDINGS = [
        Binding("escape", "back", t("tui.app.back"), show=False, id="back"),
        Binding("slash", "search", t("tui.queue.b_search"), id="queue-search"),
        Binding("s", "cycle_status", t("tui.queue.b_status"), id="queue-status"),
        Binding("d", "cycle_dept", t("tui.queue.b_dept"), id="queue-dept"),
        Binding("o", "toggle_overdue", t("tui.queue.b_overdue"), id="queue-overdue"),
        Binding("w", "toggle_due_soon", t("tui.queue.b_due_soon"), id="queue-due-soon"),
        Binding("1", "sort('received')", t("tui.queue.b_sort_received"), show=False, id="queue-sort-received"),
        Binding("2", "sort('due')", t("tui.queue.b_sort_due"), show=False, id="queue-sort-due"),
        Binding("3", "sort('case_no')", t("tui.queue.b_sort_case_no"), show=False, id="queue-sort-number"),
        Binding("4", "sort('name')", t("tui.queue.b_sort_name"), show=False, id="queue-sort-name"),
        Binding("m", "work_list('mine')", t("tui.work.b_mine"), show=False, id="queue-mine"),
        Binding("v", "work_list('confirm')", t("tui.work.b_confirm"), show=False, id="queue-confirm"),
        Binding("b", "work_list('returned')", t("tui.work.b_returned"), show=False, id="queue-returned"),
        Binding("x", "clear_filters", t("tui.queue.b_clear"), show=False, id="queue-clear"),
        Binding("f5", "refresh", t("tui.queue.b_refresh"), show=False, id="queue-refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_state = QueueQuery()
        self.total = 0
        self.pages = 1
        self.rows: list[dict[str, Any]] = []
        self._debounce: Timer | None = None
        self._keep_row = 0
        self._landing: int | None = None
        self.loads = 0
        """How many pages have been shown (tests and the benchmark wait on it)."""

    NAME_KEY = "tui.queue.title"
    HELP_NOTES: tuple[str, ...] = ("tui.queue.help_assignee",)
    """Catalogue keys of what a column means, for the help screen beside the keys."""

    def body(self) -> ComposeResult:
        yield Static(id="filter-bar")
        yield Input(placeholder=t("tui.queue.search"), id="search")
        yield PagedTable(id="cases")
        with Horizontal(id="page-bar"):
            yield Static(t("tui.queue.loading"), id="page-label")
            yield Static(id="sort-label")

    def on_mount(self) -> None:
        super().on_mount()
        self._setup_columns()
        self._render_filters()
        self.query_one(PagedTable).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loads:  # back from another screen: the page may have changed there
            self.reload()

    def on_resize(self) -> None:
        if self._setup_columns():
            self._fill(self.rows)

    # -- loading -------------------------------------------------------------

    def reload(self, **changes: Any) -> None:
        """Ask for a page with ``changes`` applied to the current query."""
        if changes:
            self.query_state = replace(self.query_state, **changes)
        self.query_one("#page-label", Static).update(t("tui.queue.loading"))
        self.load_page(self.query_state)

    def load_page(self, query: QueueQuery) -> None:
        """One SQL page for ``query`` through ``call``: a newer request replaces one still running."""
        from console.services import case_queries

        today = self.ctx.today

        def fetch(db: Any, actor: Any) -> tuple[list[dict[str, Any]], int, int, int]:
            f = case_queries.build_filter(
                statuses=(query.status,) if query.status else (), department=query.department,
                overdue=query.overdue, due_soon=query.due_soon, text=query.text.strip() or None, today=today, db=db,
            )
            total = case_queries.count(db, f)
            pages = max(1, -(-total // PAGE_SIZE))
            page = pages - 1 if query.edge == 1 else min(max(query.page, 0), pages - 1)
            rows = case_queries.list_cases(
                db, actor, f, order=query.order, descending=query.descending,
                limit=PAGE_SIZE, offset=page * PAGE_SIZE, today=today,
            ) if total else []
            return rows, total, page, pages

        self.call(fetch, partial(self._show_page, query), group="queue", exclusive=True)

    def _show_page(self, query: QueueQuery, result: tuple[list[dict[str, Any]], int, int, int]) -> None:
        rows, total, page, pages = result
        self.loads += 1
        self.query_state = replace(query, page=page, edge=None)
        self.total, self.pages, self.rows = total, pages, rows
        self._fill(rows)
        label = t("tui.queue.page", page=page + 1, pages=pages, total=f"{total:,}")
        if not total:
            label = t("tui.queue.empty")
        self.query_one("#page-label", Static).update(label)
        self._render_filters()

    # -- table ---------------------------------------------------------------

    def _setup_columns(self) -> bool:
        """(Re)build the columns for the width; True when they changed."""
        return self.query_one(PagedTable).set_layout(self.size.width >= WIDE, self._columns)

    @staticmethod
    def _columns(wide: bool) -> list[tuple[str, str]]:
        return [
            ("case_no", t("tui.queue.col_case_no")), ("name", t("tui.queue.col_name")), ("kind", t("tui.queue.col_kind")),
            ("status", t("tui.queue.col_status")), ("progress", t("tui.queue.col_progress")),
            ("received", t("tui.queue.col_received")),
            ("left", t("tui.queue.col_left_wide" if wide else "tui.queue.col_left")),
            *([("assignee", t("tui.queue.col_assignee"))] if wide else []),
        ]

    def _fill(self, rows: list[dict[str, Any]]) -> None:
        table = self.query_one(PagedTable)
        keep = table.cursor_row if table.row_count else self._keep_row
        if self._landing is not None:  # a page change: the top (forward) or the bottom (back) of the new page
            keep, self._landing = self._landing, None
        table.clear()
        wide = bool(table.layout_wide)
        for r in rows:
            received = (r["received_at"] or "")[:10]
            cells = [
                plain(r["case_no"]),
                plain(r["name"]),
                plain(t(CASE_KIND.short_key(r['kind']))),
                plain(t(CASE_STATUS.short_key(r['status'])), "bold" if r["status"] == "awaiting_correction" else ""),
                progress_cell(r["progress"]),
                plain(received if wide else received[5:]),
                days_left_cell(r["working_days_left"], r["clock"]),
            ]
            if wide:
                cells.append(plain(r["assignee"] or ""))
            table.add_row(*cells, key=r["case_no"])
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1), animate=False)

    def _render_filters(self) -> None:
        q = self.query_state
        bar = Text(no_wrap=True, overflow="ellipsis")
        status = t(CASE_STATUS.key(q.status)) if q.status else t("tui.queue.all")
        dept = t(DEPARTMENT.key(q.department)) if q.department else t("tui.queue.all")
        bar.append(f"{t('tui.queue.filter_status')}:", style="dim")
        bar.append(status, style="bold" if q.status else "")
        bar.append("  ")
        bar.append(f"{t('tui.queue.filter_dept')}:", style="dim")
        bar.append(dept, style="bold" if q.department else "")
        bar.append("  ")
        bar.append(f" {t('tui.queue.filter_overdue')} ", style="bold white on red" if q.overdue else "dim")
        bar.append(" ")
        bar.append(f" {t('tui.queue.filter_due_soon')} ", style="bold black on yellow" if q.due_soon else "dim")
        self.query_one("#filter-bar", Static).update(bar)
        arrow = "↓" if q.descending else "↑"
        self.query_one("#sort-label", Static).update(
            Text(f"PgUp/PgDn  {t('tui.queue.sort')}:{t('tui.queue.sort_' + q.order)}{arrow} 1-4", style="dim", justify="right")
        )

    # -- actions -------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_cycle_status(self) -> None:
        i = STATUS_CYCLE.index(self.query_state.status)
        self.reload(status=STATUS_CYCLE[(i + 1) % len(STATUS_CYCLE)], page=0)
        self._render_filters()

    def action_cycle_dept(self) -> None:
        i = DEPT_CYCLE.index(self.query_state.department)
        self.reload(department=DEPT_CYCLE[(i + 1) % len(DEPT_CYCLE)], page=0)
        self._render_filters()

    def action_toggle_overdue(self) -> None:
        self.reload(overdue=not self.query_state.overdue, due_soon=False, page=0)
        self._render_filters()

    def action_toggle_due_soon(self) -> None:
        self.reload(due_soon=not self.query_state.due_soon, overdue=False, page=0)
        self._render_filters()

    def action_sort(self, order: str) -> None:
        q = self.query_state
        descending = not q.descending if q.order == order else order == "received"
        self.reload(order=order, descending=descending, page=0)
        self._render_filters()

    def action_clear_filters(self) -> None:
        self.query_one("#search", Input).value = ""
        self.reload(status=None, department=None, overdue=False, due_soon=False, text="", page=0)
        self._render_filters()

    def action_refresh(self) -> None:
        self.reload()

    def action_work_list(self, kind: str) -> None:
        """我的待办 (m), 待我确认的预审 (v, reviewers), 退回窗口的事项 (b): each its own list."""
        from screens.work_list import WorkListScreen

        if kind == "confirm" and self.ctx.actor is not None and not self.ctx.actor.has_role("hrss_reviewer"):
            self.notify(t("tui.work.reviewers_only"), severity="warning", markup=False)
            return
        self.app.push_screen(WorkListScreen(kind))

    @on(PagedTable.PageRequested)
    def _page(self, message: PagedTable.PageRequested) -> None:
        q = self.query_state
        if message.edge is not None:
            self._keep_row = 0
            self.query_one(PagedTable).move_cursor(row=0)
            self.reload(page=0, edge=message.edge)
            return
        target = q.page + message.delta
        if 0 <= target < self.pages:
            # forward: start at the top of the next page; back: at the bottom of the previous one
            self._landing = 0 if message.delta > 0 else PAGE_SIZE - 1
            self.reload(page=target)

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        value = event.value
        self._debounce = self.set_timer(SEARCH_DEBOUNCE, lambda: self.reload(text=value, page=0))

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        if event.value != self.query_state.text:
            self.reload(text=event.value, page=0)
        self.query_one(PagedTable).focus()

    def key_down(self) -> None:
        if self.focused is self.query_one("#search", Input):
            self.query_one(PagedTable).focus()

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if self.focused is search:
            self.query_one(PagedTable).focus()

    @on(DataTable.RowSelected, "#cases")
    def _open(self, event: DataTable.RowSelected) -> None:
        case_no = event.row_key.value
        if case_no:
            hall_app(self.app).open_case(case_no)
