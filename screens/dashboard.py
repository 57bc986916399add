"""Statistics (统计): counts by status, overdue per department, speed, month on month, a chart."""
from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from console.i18n import t
from console.vocabulary import (
    CASE_STATUS,
    CLOSED_STATUSES,
    DEPARTMENT,
    FINISHED_STATUSES,
)
from screens.widgets.bars import bar_chart
from screens.widgets.base import RetireScreen

QUIET_STATUSES: tuple[str, ...] = tuple(s for s in CLOSED_STATUSES if s not in FINISHED_STATUSES)
"""Closed without a result (refused, withdrawn): a bar only when some case has it."""


def _status_chart(dash: Any) -> Any:
    rows = [(t(CASE_STATUS.short_key(s)), dash.by_status.get(s, 0)) for s in CASE_STATUS.codes if s in dash.by_status or s not in QUIET_STATUSES]
    chart = bar_chart(rows, width=16, highlight={t(CASE_STATUS.short_key("awaiting_correction")): "yellow", t(CASE_STATUS.short_key("refused")): "red"})
    return chart


def _departments(dash: Any) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("", no_wrap=True)
    table.add_column("", justify="right", no_wrap=True)
    table.add_column("", justify="right", no_wrap=True)
    table.show_header = False
    for d in DEPARTMENT.codes:
        overdue = dash.overdue_by_department.get(d, 0)
        table.add_row(Text(t(DEPARTMENT.key(d))), Text(f"{dash.open_by_department.get(d, 0):,}"),
                      Text(f"{overdue:,}", style="bold red" if overdue else "dim"))
    return table


def _figures(dash: Any) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    grid.add_row(t("tui.dash.total"), Text(f"{dash.total:,}", style="bold"))
    grid.add_row(t("tui.dash.overdue"), Text(f"{dash.overdue_cases:,}", style="bold red" if dash.overdue_cases else "green"))
    avg = (t("tui.dash.avg_value", days=dash.avg_working_days, n=dash.avg_sample) if dash.avg_working_days is not None
           else t("tui.dash.avg_none"))
    grid.add_row(t("tui.dash.avg"), Text(avg))
    r1, c1 = dash.this_month
    r0, c0 = dash.last_month
    grid.add_row(t("tui.dash.this_month"), Text(f"{t('tui.dash.received')} {r1:,} · {t('tui.dash.completed')} {c1:,}"))
    grid.add_row(t("tui.dash.last_month"), Text(f"{t('tui.dash.received')} {r0:,} · {t('tui.dash.completed')} {c0:,}"))
    ratings = dash.ratings
    if ratings is not None:
        total = ratings.total
        rate = (t("tui.dash.satisfaction_value", rate=total.rate, n=total.ratings) if total.rate is not None
                else t("tui.dash.satisfaction_none"))
        grid.add_row(t("tui.dash.satisfaction"), Text(rate, style="bold"))
        grid.add_row(t("tui.dash.bad_ratings"), Text(t("tui.dash.bad_value", open=total.bad_open, closed=ratings.bad_closed),
                                                     style="bold red" if total.bad_open else ""))
    return grid


def _rating_groups(rows: list[tuple[str, Any]]) -> Table:
    """Satisfied / all (rate) and bad ratings still open, one row per month or department."""
    table = Table(box=None, padding=(0, 1), show_edge=False, show_header=False)
    table.add_column("", no_wrap=True)
    table.add_column("", justify="right", no_wrap=True)
    table.add_column("", justify="right", no_wrap=True)
    for name, g in rows:
        rate = f"{g.rate:.0%}" if g.rate is not None else "-"
        table.add_row(Text(name), Text(f"{g.satisfied:,}/{g.ratings:,} {rate}"),
                      Text(f"{g.bad_open:,}", style="bold red" if g.bad_open else "dim"))
    return table


class DashboardScreen(RetireScreen):
    """The hall at a glance for supervisors."""

    NAME_KEY = "tui.dash.title"
    DEFAULT_CSS = """
    DashboardScreen #dash { height: 1fr; padding: 0 1; }
    DashboardScreen #dash-top { height: auto; }
    DashboardScreen #dash-top > Vertical { width: 1fr; height: auto; }
    DashboardScreen #dash-ratings { height: auto; }
    DashboardScreen #dash-ratings > Vertical { width: 1fr; height: auto; }
    DashboardScreen .section-title { margin-top: 0; }
    """
    BINDINGS = [Binding("f5", "refresh", t("tui.dash.b_refresh"), id="dash-refresh")]

    def body(self) -> ComposeResult:
        with VerticalScroll(id="dash"):
            yield Static(id="figures")
            with Horizontal(id="dash-top"):
                with Vertical():
                    yield Static(t("tui.dash.by_status"), classes="section-title")
                    yield Static(id="by-status")
                with Vertical():
                    yield Static(t("tui.dash.overdue_by_dept"), classes="section-title")
                    yield Static(id="by-dept")
            yield Static(t("tui.dash.chart"), classes="section-title")
            yield Static(id="chart")
            with Horizontal(id="dash-ratings"):
                with Vertical():
                    yield Static(t("tui.dash.ratings_by_month"), classes="section-title")
                    yield Static(id="ratings-month")
                with Vertical():
                    yield Static(t("tui.dash.ratings_by_dept"), classes="section-title")
                    yield Static(id="ratings-dept")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#dash").focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        from console.services import stats

        today = self.ctx.today
        self.call(lambda db, actor: stats.dashboard(db, actor, today), self._show, group="dash", exclusive=True)

    def _show(self, dash: Any) -> None:
        self.query_one("#figures", Static).update(_figures(dash))
        self.query_one("#by-status", Static).update(_status_chart(dash))
        self.query_one("#by-dept", Static).update(_departments(dash))
        self.query_one("#chart", Static).update(bar_chart(dash.by_month, width=40, style="green"))
        ratings = dash.ratings
        if ratings is not None:
            self.query_one("#ratings-month", Static).update(_rating_groups(ratings.by_month))
            self.query_one("#ratings-dept", Static).update(
                _rating_groups([(t(DEPARTMENT.key(d)), g) for d, g in ratings.by_department.items()]))
