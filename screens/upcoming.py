"""即将退休 (issue #7): who reaches the statutory month in a window of months, and what stands in the way.

The list comes from ``console.services.upcoming.list_upcoming`` in a thread
worker.  The service has no offset, so the worker keeps the window's rows in
memory (a county's six months is ~12,000 small dicts) and the table holds one
page of ``PAGE_SIZE`` at a time; PageUp/PageDown/Home/End move between pages
as in the queue, and the export writes every row of the list, not the page.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Select, Static

from console.i18n import t
from console.rules.months import Month
from screens.widgets.base import RetireScreen
from screens.widgets.hall_app import hall_app
from screens.widgets.paged_table import PagedTable

PAGE_SIZE = 100
WIDE = 100  # from this width on: phone, months, case and last contact columns
DEFAULT_MONTHS = 6
MAX_MONTHS = 120
FLAG_CYCLE: tuple[str | None, ...] = (None, "short", "deemed", "no_prereview", "birth_mismatch", "lost_archive", "outside")
CHANNELS = ("phone", "sms", "visit", "letter", "wechat")
TAG_STYLES = {
    "short": "bold white on red",
    "deemed": "black on yellow",
    "no_prereview": "bold white on blue",
    "birth_mismatch": "bold black on magenta",
    "lost_archive": "bold white on grey37",
    "outside": "black on cyan",
}


def flag_tags(row: dict[str, Any]) -> Text:
    """The row's flags as compact coloured tags: 缺22月 视同 未初审 …"""
    out = Text(no_wrap=True, overflow="ellipsis")
    for flag in row.get("flags") or []:
        if len(out):
            out.append(" ")
        label = t(f"tui.upcoming.tag.{flag}", n=row.get("short_months") or 0)
        out.append(label, style=TAG_STYLES.get(flag, "bold"))
    return out


def default_export_path(first: str) -> Path:
    """In the hall's documents folder (``[documents] folder``), made on the first save; the dialog takes another."""
    from console.settings import documents_folder

    return documents_folder() / f"即将退休-{first}.xlsx"


@dataclass(frozen=True)
class UpcomingQuery:
    """The window [first, first + months - 1] and the flag filter (immutable: a worker holds a copy)."""

    first: str
    months: int = DEFAULT_MONTHS
    flag: str | None = None

    @property
    def last(self) -> str:
        return str(Month.parse(self.first) + (self.months - 1))


class TellModal(ModalScreen[tuple[str, str] | None]):
    """How the person was told (channel) and a note; Ctrl+S or Enter in the note saves, Escape cancels."""

    DEFAULT_CSS = """
    TellModal { align: center middle; }
    TellModal > Vertical { width: 64; max-width: 100%; height: auto; border: thick $primary; background: $panel; padding: 0 1; }
    TellModal #tell-title { width: 100%; text-style: bold; margin-bottom: 1; }
    TellModal .tell-row { height: auto; }
    TellModal .tell-label { width: 10; padding: 0 1 0 0; }
    TellModal Select { width: 1fr; }
    TellModal Input { width: 1fr; }
    TellModal #tell-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    TellModal Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("escape", "cancel", t("tui.modal.cancel"), show=False),
        Binding("ctrl+s", "save", t("tui.modal.ok"), show=False, priority=True),
    ]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.heading = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.heading, id="tell-title", markup=False)
            with Horizontal(classes="tell-row"):
                yield Static(t("tui.upcoming.channel_label"), classes="tell-label", markup=False)
                yield Select([(t(f"tui.upcoming.channel.{c}"), c) for c in CHANNELS], value="phone", allow_blank=False,
                             id="channel", compact=True)
            with Horizontal(classes="tell-row"):
                yield Static(t("tui.upcoming.note"), classes="tell-label", markup=False)
                yield Input(placeholder=t("tui.upcoming.note_placeholder"), id="note", compact=True, max_length=200)
            with Horizontal(id="tell-buttons"):
                yield Button(t("tui.modal.cancel"), id="cancel", compact=True)
                yield Button(t("tui.upcoming.ok"), id="ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#channel", Select).focus()

    def action_save(self) -> None:
        channel = self.query_one("#channel", Select).value
        note = self.query_one("#note", Input).value.strip()
        self.dismiss((str(channel) if isinstance(channel, str) else "phone", note))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#note")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_save()
        else:
            self.dismiss(None)


class UpcomingScreen(RetireScreen):
    """The pre-retirement list: window, flag filter, one page of rows, and the actions on the selected person."""

    NAME_KEY = "tui.upcoming.title"
    DEFAULT_CSS = """
    UpcomingScreen #up-bar { height: 1; padding: 0 1; background: $boost; }
    UpcomingScreen #people { height: 1fr; }
    UpcomingScreen #up-page-bar { height: 1; background: $boost; padding: 0 1; }
    UpcomingScreen #up-page { width: 1fr; }
    UpcomingScreen #up-keys { width: auto; }
    """
    BINDINGS = [
        Binding("p", "start", t("tui.upcoming.b_start"), id="up-start"),
        Binding("t", "told", t("tui.upcoming.b_told"), id="up-told"),
        Binding("r", "remind", t("tui.upcoming.b_remind"), id="up-remind"),
        Binding("e", "export", t("tui.upcoming.b_export"), id="up-export"),
        Binding("w", "write_reminder", t("tui.upcoming.b_write_reminder"), show=False, id="up-write-reminder"),
        Binding("f", "cycle_flag", t("tui.upcoming.b_flag"), id="up-flag"),
        Binding("left_square_bracket", "shift(-1)", t("tui.upcoming.b_prev_month"), show=False, key_display="[", id="up-prev"),
        Binding("right_square_bracket", "shift(1)", t("tui.upcoming.b_next_month"), show=False, key_display="]", id="up-next"),
        Binding("minus", "resize(-1)", t("tui.upcoming.b_shorter"), show=False, key_display="-", id="up-shorter"),
        Binding("plus,equals_sign", "resize(1)", t("tui.upcoming.b_longer"), show=False, key_display="+", id="up-longer"),
        Binding("0", "reset_window", t("tui.upcoming.b_reset"), show=False, id="up-reset"),
        Binding("f5", "refresh", t("tui.upcoming.b_refresh"), show=False, id="up-refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_state: UpcomingQuery | None = None
        self.rows: list[dict[str, Any]] = []
        """Every row of the window and filter (the export writes these)."""
        self.page = 0
        self.loads = 0
        """How many lists have been shown (tests wait on it)."""

    def body(self) -> ComposeResult:
        yield Static(id="up-bar")
        yield PagedTable(id="people")
        with Horizontal(id="up-page-bar"):
            yield Static(t("tui.upcoming.loading"), id="up-page")
            yield Static(id="up-keys")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_state = UpcomingQuery(first=str(Month.from_date(self.ctx.today)))
        self._setup_columns()
        self._render_bar()
        self.query_one(PagedTable).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loads:  # back from a pre-review or a case: flags and cases may have changed
            self.reload()

    def on_resize(self) -> None:
        if self._setup_columns():
            self._fill()

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.rows) // PAGE_SIZE))

    # -- loading -------------------------------------------------------------

    def reload(self, **changes: Any) -> None:
        assert self.query_state is not None
        if changes:
            self.query_state = replace(self.query_state, **changes)
        self.query_one("#up-page", Static).update(t("tui.upcoming.loading"))
        self._render_bar()
        self.load_rows(self.query_state)

    def load_rows(self, query: UpcomingQuery) -> None:
        """The whole window's rows through ``call`` (paged on screen): a newer request replaces one still running."""
        from console.services.upcoming import list_upcoming

        today = self.ctx.today
        flags = [query.flag] if query.flag else []
        self.call(lambda db, actor: list_upcoming(db, actor, query.months, query.first, flags, today=today),
                  partial(self._show_rows, query), group="upcoming", exclusive=True)

    def _show_rows(self, query: UpcomingQuery, rows: list[dict[str, Any]]) -> None:
        self.loads += 1
        same = query == self.query_state
        keep = self.query_one(PagedTable).cursor_row if same else 0
        self.query_state = query
        self.rows = rows
        if not same:
            self.page = 0
        self.page = min(self.page, self.pages - 1)
        self._fill(keep)

    # -- table ---------------------------------------------------------------

    def _setup_columns(self) -> bool:
        return self.query_one(PagedTable).set_layout(self.size.width >= WIDE, self._columns)

    @staticmethod
    def _columns(wide: bool) -> list[tuple[str, str]]:
        return [
            ("month", t("tui.upcoming.col_month")), ("name", t("tui.upcoming.col_name")), ("id", t("tui.upcoming.col_id")),
            *([("phone", t("tui.upcoming.col_phone")), ("months", t("tui.upcoming.col_months"))] if wide else []),
            ("flags", t("tui.upcoming.col_flags")),
            *([("case", t("tui.upcoming.col_case")), ("contact", t("tui.upcoming.col_contact"))] if wide else []),
        ]

    def page_rows(self) -> list[dict[str, Any]]:
        start = self.page * PAGE_SIZE
        return self.rows[start:start + PAGE_SIZE]

    def _fill(self, keep: int | None = None) -> None:
        table = self.query_one(PagedTable)
        if keep is None:
            keep = table.cursor_row if table.row_count else 0
        table.clear()
        wide = bool(table.layout_wide)
        for r in self.page_rows():
            cells: list[Any] = [Text(r["statutory_month"] or ""), Text(r["name"] or ""), Text(r["id_number"] or "")]
            if wide:
                months = Text(f"{r['counted_months']}/{r['min_months']}", style="red" if r.get("short_months") else "")
                cells += [Text(r.get("phone") or ""), months]
            cells.append(flag_tags(r))
            if wide:
                cells += [Text(r.get("case_no") or "", style="dim"), Text(r.get("last_contact") or "", style="green")]
            table.add_row(*cells, key=r["id_number"])
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        label = t("tui.upcoming.page", page=self.page + 1, pages=self.pages, total=f"{len(self.rows):,}")
        self.query_one("#up-page", Static).update(label if self.rows else t("tui.upcoming.empty"))
        self._render_bar()

    def _render_bar(self) -> None:
        q = self.query_state
        if q is None:
            return
        bar = Text(no_wrap=True, overflow="ellipsis")
        bar.append(t("tui.upcoming.window", first=q.first, last=q.last, months=q.months), style="bold")
        bar.append("  ")
        bar.append(f"{t('tui.upcoming.filter')}(f):", style="dim")
        if q.flag:
            bar.append(t(f"tui.upcoming.tag.{q.flag}", n="").strip(), style=TAG_STYLES[q.flag])
        else:
            bar.append(t("tui.upcoming.all"))
        self.query_one("#up-bar", Static).update(bar)
        keys = f"PgUp/PgDn  {t('tui.upcoming.window_keys')}"
        self.query_one("#up-keys", Static).update(Text(keys, style="dim", justify="right"))

    def selected(self) -> dict[str, Any] | None:
        """The highlighted person's row, or None (with a notification)."""
        table = self.query_one(PagedTable)
        rows = self.page_rows()
        if not rows or not table.row_count:
            self.notify(t("tui.upcoming.no_row"), severity="warning", markup=False)
            return None
        return rows[min(table.cursor_row, len(rows) - 1)]

    # -- window and filter ---------------------------------------------------

    def action_shift(self, delta: int) -> None:
        q = self.query_state
        if q is not None:
            self.reload(first=str(Month.parse(q.first) + delta))

    def action_resize(self, delta: int) -> None:
        q = self.query_state
        if q is not None:
            months = min(MAX_MONTHS, max(1, q.months + delta))
            if months != q.months:
                self.reload(months=months)

    def action_reset_window(self) -> None:
        self.reload(first=str(Month.from_date(self.ctx.today)), months=DEFAULT_MONTHS)

    def action_cycle_flag(self) -> None:
        q = self.query_state
        if q is not None:
            i = FLAG_CYCLE.index(q.flag)
            self.reload(flag=FLAG_CYCLE[(i + 1) % len(FLAG_CYCLE)])

    def action_refresh(self) -> None:
        self.reload()

    @on(PagedTable.PageRequested)
    def _page(self, message: PagedTable.PageRequested) -> None:
        message.stop()
        target = self.page + message.delta
        if message.edge is not None:
            target = 0 if message.edge == 0 else self.pages - 1
        if 0 <= target < self.pages and target != self.page:
            self.page = target
            self._fill(0)
        elif message.edge is not None:
            self.query_one(PagedTable).move_cursor(row=0 if message.edge == 0 else self.query_one(PagedTable).row_count - 1)

    # -- actions on the selected person ---------------------------------------

    @on(DataTable.RowSelected, "#people")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.selected()
        if row is None:
            return
        if row.get("case_no"):
            hall_app(self.app).open_case(row["case_no"])
        else:
            self.notify(t("tui.upcoming.no_case", name=row["name"]), markup=False)

    def action_start(self) -> None:
        from console.services.upcoming import start_prereview

        row = self.selected()
        if row is None:
            return
        id_number, name, today = row["id_number"], row["name"], self.ctx.today

        def started(case: dict[str, Any]) -> None:
            self.notify(t("tui.upcoming.started", name=name, case_no=case["case_no"]), markup=False)
            hall_app(self.app).open_prereview(case["case_no"])

        def refused(error: BaseException) -> bool:
            """A person with an open case: go to that case's pre-review instead."""
            case_no = getattr(error, "params", {}).get("case_no") if getattr(error, "key", "") == "intake.open_case_exists" else None
            if not case_no:
                return False
            self.notify(t("tui.upcoming.open_existing", name=name, case_no=case_no), markup=False)
            hall_app(self.app).open_prereview(case_no)
            return True

        self.call(lambda db, actor: start_prereview(db, actor, id_number, today), started, on_error=refused)

    def action_told(self) -> None:
        from console.services.upcoming import record_contact

        row = self.selected()
        if row is None:
            return
        id_number, name = row["id_number"], row["name"]
        on = self.ctx.today if self.ctx.today <= date.today() else None

        def recorded(contact: dict[str, Any]) -> None:
            channel = t(f"tui.upcoming.channel.{contact['channel']}")
            self.notify(t("tui.upcoming.told_ok", name=name, at=contact["at"], channel=channel), markup=False)
            self.reload()

        def answer(value: tuple[str, str] | None) -> None:
            if value is None:
                return
            channel, note = value
            self.call(lambda db, actor: record_contact(db, actor, id_number, channel, note or None, on), recorded)

        self.app.push_screen(TellModal(t("tui.upcoming.told_title", name=name, id_number=id_number)), answer)

    def action_remind(self) -> None:
        from console.services.upcoming import reminder_text
        from screens.widgets.notice_preview import NoticePreview

        row = self.selected()
        if row is None:
            return
        id_number, name, lang = row["id_number"], row["name"], self.ctx.lang

        def show(text: str) -> None:
            self.app.push_screen(NoticePreview(t("tui.upcoming.remind_title", name=name), None, text))

        self.call(lambda db, actor: reminder_text(db, actor, id_number, lang), show)

    def action_write_reminder(self) -> None:
        """The reminder letter as DOCX: the save dialog shows the hall's documents folder and takes another path."""
        from console.services.upcoming import reminder_path
        from screens.widgets.docx_prompt import ask_docx_path

        row = self.selected()
        if row is None:
            return
        id_number, lang = row["id_number"], self.ctx.lang
        ask_docx_path(self, t("tui.upcoming.reminder_path", name=row["name"]), reminder_path(id_number, row["name"]),
                      lambda path, force: self._write_reminder(id_number, path, lang, force))

    def _write_reminder(self, id_number: str, path: Path, lang: str, force: bool) -> None:
        from console.services.upcoming import write_reminder

        today = self.ctx.today
        self.call(lambda db, actor: write_reminder(db, actor, id_number, path, lang, force=force, today=today),
                  lambda out: self.notify(t("upcoming.reminder.written", path=str(out)), markup=False, timeout=8))

    def action_export(self) -> None:
        from screens.widgets.prompt import TextPrompt

        q = self.query_state
        if q is None:
            return
        if not self.rows:
            self.notify(t("tui.upcoming.export_empty"), severity="warning", markup=False)
            return
        rows = list(self.rows)

        def chosen(text: str | None) -> None:
            if not text:
                return
            path = Path(text).expanduser()
            if path.suffix.lower() not in (".xlsx", ".csv"):
                self.notify(t("tui.upcoming.export_bad_suffix", path=str(path)), severity="error", markup=False)
                return
            if path.exists():
                from screens.widgets.confirm import ConfirmModal

                self.app.push_screen(ConfirmModal(t("tui.upcoming.export_overwrite", path=str(path))),
                                     lambda yes: self._export(rows, path, force=True) if yes else None)
                return
            self._export(rows, path)

        question = t("tui.upcoming.export_question", count=f"{len(rows):,}")
        self.app.push_screen(TextPrompt(question, value=str(default_export_path(q.first))), chosen)

    def _export(self, rows: list[dict[str, Any]], path: Path, force: bool = False) -> None:
        from console.services.upcoming import export_rows

        def done(written: Path) -> None:
            self.notify(t("tui.upcoming.exported", count=f"{len(rows):,}", path=str(written)), markup=False, timeout=8)

        self.call(lambda db, actor: export_rows(rows, path, force=force), done)
