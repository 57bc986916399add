"""承诺办 (issue 16): the supervisor's list of promises, the expired ones, and applying their rule.

Open promises (容缺受理) with their own clock, coloured like every other clock
(yellow: due soon, red: past the deadline).  ``e`` shows only the expired ones;
``x`` applies the rule of every expired promise (hold the joint item's tasks or
withdraw the acceptance) after a confirmation, as ``retire case promises
--enforce`` does; Enter opens the case.
"""
from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from console.i18n import t
from console.vocabulary import PROMISE_ACTION
from screens.widgets.base import RetireScreen
from screens.widgets.confirm import ConfirmModal
from screens.widgets.hall_app import hall_app

COLOUR_STYLE = {"yellow": "black on yellow", "red": "bold white on red"}


def promise_rows(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The table's cells for each promise (the days-left cell in the clock's colour)."""
    out = []
    for r in rows:
        clock = r["clock"]
        days = Text(str(clock["days_left"]), style=COLOUR_STYLE.get(clock["colour"], ""))
        out.append((r["case_no"], r["person_name"] or "", t(f"tui.material_short.{r['material']}"),
                    r["deadline"], days, t(PROMISE_ACTION.key(r["on_expiry"]))))
    return out


class PromisesScreen(RetireScreen):
    """Open promises; the expired ones; the rule applied to them (supervisor)."""

    NAME_KEY = "tui.promises.title"
    DEFAULT_CSS = """
    PromisesScreen #promises-head { height: auto; padding: 0 1; }
    PromisesScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "toggle_expired", t("tui.promises.b_expired"), id="promises-expired"),
        Binding("x", "enforce", t("tui.promises.b_enforce"), id="promises-enforce"),
        Binding("f5", "refresh", t("tui.promises.b_refresh"), id="promises-refresh"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.expired_only = False
        self.rows: list[dict[str, Any]] = []

    def body(self) -> ComposeResult:
        yield Static(id="promises-head")
        table: DataTable[Any] = DataTable(id="promises-table", cursor_type="row", zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#promises-table", DataTable)
        table.add_columns(t("tui.promises.col_case"), t("tui.promises.col_name"), t("tui.promises.col_material"),
                          t("tui.promises.col_deadline"), t("tui.promises.col_left"), t("tui.promises.col_action"))
        table.focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        from console.services.promises import list_promises

        today, expired = self.ctx.today, self.expired_only
        self.call(lambda db, actor: list_promises(db, actor, expired=expired, today=today), self._show,
                  group="promises", exclusive=True)

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        late = sum(1 for r in rows if r["expired"])
        head = t("tui.promises.head_expired" if self.expired_only else "tui.promises.head", n=len(rows), late=late)
        self.query_one("#promises-head", Static).update(head)
        table = self.query_one("#promises-table", DataTable)
        table.clear()
        for cells in promise_rows(rows):
            table.add_row(*cells)

    def action_toggle_expired(self) -> None:
        self.expired_only = not self.expired_only
        self.action_refresh()

    def action_enforce(self) -> None:
        """Apply the rule of every expired promise, after saying how many and what it does."""
        from console.services.promises import enforce

        today = self.ctx.today
        late = [r for r in self.rows if r["expired"]]
        if not late:
            self.notify(t("tui.promises.none_expired"), severity="warning", markup=False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call(lambda db, actor: enforce(db, actor, today=today), self._enforced, group="enforce", holds=True)

        self.app.push_screen(ConfirmModal(t("tui.promises.confirm_enforce", n=len(late)), yes=t("tui.promises.b_enforce")), answered)

    def _enforced(self, done: list[dict[str, Any]]) -> None:
        self.notify(t("promises.enforced", count=len(done)), markup=False)
        self.action_refresh()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        row = event.cursor_row
        if 0 <= row < len(self.rows):
            hall_app(self.app).open_case(self.rows[row]["case_no"])
