"""文书 (issue #6): one case's notices and forms; Enter previews the text, ``w`` writes the DOCX.

Lists every notice the case holds (kind, number, date, who issued it) and the
two forms that are issued on demand (联办一张表、退休审批表) while they have
not been issued yet.  The decision notices (受理、一次性告知、不予受理) exist
only once the decision was taken; the forms only once the case is accepted
and its pre-review confirmed -- the notices service decides and its refusal
is shown as it is.  Issuing a form (a new number) asks first.  Text and DOCX
follow the console's language.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from console.i18n import t
from console.vocabulary import CASE_STATUS
from screens.widgets.base import RetireScreen

FORM_KINDS = ("joint_form", "approval_form")
PREVIEW_ONLY = ("acceptance", "correction")
"""Decision notices a draft may preview; they are issued by the decision itself (case detail a / c)."""
FORM_STATUSES = ("accepted", "in_progress", "completed", "delivered")


@dataclass(frozen=True)
class NoticeRow:
    """One line of the list: an issued notice (``number`` set) or a form not issued yet."""

    kind: str
    number: str | None
    issued_at: str | None = None
    issued_by: str | None = None
    latest: bool = True
    """The newest notice of its kind (printing it needs no number)."""


def load_notices(db: Any, actor: Any, case_no: str, today: Any) -> dict[str, Any]:
    """The case (head line, status, pre-review) and its notices; runs in a worker."""
    from console.services import case_queries, notices

    case = case_queries.show(db, actor, case_no, today=today)
    return {"case": case, "notices": notices.list_notices(db, actor, case_no)}


def notice_rows(case: dict[str, Any], issued: list[dict[str, Any]]) -> tuple[list[NoticeRow], dict[str, bool]]:
    """The rows to list, and for each form not yet issued whether the case allows it now."""
    rows: list[NoticeRow] = []
    last_of: dict[str, str] = {n["kind"]: n["number"] for n in issued}
    for n in issued:
        rows.append(NoticeRow(n["kind"], n["number"], n.get("issued_at"), n.get("issued_by"), last_of[n["kind"]] == n["number"]))
    confirmed = bool((case.get("prereview") or {}).get("confirmed_at"))
    ready = case.get("status") in FORM_STATUSES and confirmed
    allowed: dict[str, bool] = {}
    for kind in FORM_KINDS:
        if kind not in last_of:
            rows.append(NoticeRow(kind, None))
            allowed[kind] = ready
    if case.get("status") == "draft":
        for kind in PREVIEW_ONLY:
            rows.append(NoticeRow(kind, None))
    return rows, allowed


class NoticesScreen(RetireScreen):
    """The notices and forms of one case."""

    NAME_KEY = "tui.notices.title"
    DEFAULT_CSS = """
    NoticesScreen #notices-head { height: 1; background: $boost; padding: 0 1; text-style: bold; }
    NoticesScreen #notice-list { height: 1fr; }
    NoticesScreen #notices-hint { height: 1; padding: 0 1; background: $boost; color: $text-muted; }
    """
    BINDINGS = [
        Binding("enter", "preview", t("tui.notices.b_preview"), id="notices-preview"),
        Binding("i", "issue", t("tui.notices.b_issue"), show=False, id="notices-issue"),  # the hint line names it
        Binding("w", "write", t("tui.notices.b_write"), id="notices-write"),
        Binding("f5", "refresh", t("tui.notices.b_refresh"), show=False, id="notices-refresh"),
    ]

    def __init__(self, case_no: str) -> None:
        super().__init__()
        self.case_no = case_no
        self.case: dict[str, Any] | None = None
        self.rows: list[NoticeRow] = []
        self.allowed: dict[str, bool] = {}
        self.loads = 0

    def body(self) -> ComposeResult:
        yield Static(self.case_no, id="notices-head")
        yield DataTable(id="notice-list", cursor_type="row", zebra_stripes=True)
        yield Static(t("tui.notices.hint"), id="notices-hint", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(DataTable)
        table.add_column(t("tui.notices.col_kind"), key="kind")
        table.add_column(t("tui.notices.col_number"), key="number")
        table.add_column(t("tui.notices.col_date"), key="date")
        table.add_column(t("tui.notices.col_state"), key="state")
        table.focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        today = self.ctx.today
        self.call(lambda db, actor: load_notices(db, actor, self.case_no, today), self._show, group="notices", exclusive=True)

    def _show(self, data: dict[str, Any]) -> None:
        self.loads += 1
        case = data["case"]
        self.case = case
        self.rows, self.allowed = notice_rows(case, data["notices"])
        head = Text.assemble((case["case_no"], "bold"), "  ", case["person"].get("name") or "", "  ",
                             (t(CASE_STATUS.key(case['status'])), "bold"))
        if not data["notices"]:
            head.append("  " + t("tui.notices.none"), style="dim")
        self.query_one("#notices-head", Static).update(head)
        table = self.query_one(DataTable)
        keep = table.cursor_row if table.row_count else 0
        table.clear()
        for i, row in enumerate(self.rows):
            kind = Text(t(f"notices.kind.{row.kind}"))
            if row.number:
                state = Text(t("tui.notices.issued", who=row.issued_by or ""), style="green" if row.latest else "dim")
                cells = [kind, Text(row.number, style="bold"), Text((row.issued_at or "")[:10]), state]
            elif row.kind in PREVIEW_ONLY:
                state = Text(t("tui.notices.preview_only"), style="dim")
                cells = [kind, Text("—", style="dim"), Text(""), state]
            else:
                ok = self.allowed.get(row.kind, False)
                state = Text(t("tui.notices.can_issue" if ok else "tui.notices.cannot_issue"), style="yellow" if ok else "dim")
                cells = [Text(kind.plain, style="" if ok else "dim"), Text("—", style="dim"), Text(""), state]
            table.add_row(*cells, key=str(i))
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)

    def selected(self) -> NoticeRow | None:
        table = self.query_one(DataTable)
        if not self.rows or not table.row_count:
            self.notify(t("tui.notices.no_row"), severity="warning", markup=False)
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)]

    def _number_arg(self, row: NoticeRow) -> str | None:
        """Print a named number only for an older notice of its kind (the newest needs none, and forms issue on demand)."""
        return None if row.latest else row.number

    def _issue_first(self, row: NoticeRow, then: Any) -> None:
        """A form not issued yet: ask before it gets a number; anything else goes straight on."""
        if row.number is not None:
            then()
            return
        from screens.widgets.confirm import ConfirmModal

        self.app.push_screen(ConfirmModal(t("tui.notices.confirm_issue", kind=t(f"notices.kind.{row.kind}"))),
                             lambda yes: then() if yes else None)

    # -- preview ---------------------------------------------------------------

    @on(DataTable.RowSelected, "#notice-list")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_preview()

    def action_preview(self) -> None:
        """An issued notice as issued; one not issued yet as it would be, marked and unnumbered (nothing stored)."""
        from console.services import notices

        row = self.selected()
        if row is None:
            return
        if row.number is None:
            self._preview_unissued(row)
            return
        case_no, lang, number = self.case_no, self.ctx.lang, self._number_arg(row)

        def fetch(db: Any, actor: Any) -> tuple[str, str | None]:
            text = notices.render_text(db, actor, case_no, row.kind, lang=lang, number=number)
            shown = row.number or next((n["number"] for n in reversed(notices.list_notices(db, actor, case_no)) if n["kind"] == row.kind), None)
            return text, shown

        def show(result: tuple[str, str | None]) -> None:
            from screens.widgets.notice_preview import NoticePreview

            text, shown = result
            if row.number is None:
                self.action_refresh()  # the form was issued just now: its number joins the list
            self.app.push_screen(NoticePreview(t(f"notices.kind.{row.kind}"), shown, text))

        self._issue_first(row, lambda: self.call(fetch, show))

    def _preview_unissued(self, row: NoticeRow) -> None:
        from console.services import previews
        from screens.widgets.notice_preview import NoticePreview

        case_no, lang, today = self.case_no, self.ctx.lang, self.ctx.today

        def show(text: str) -> None:
            self.app.push_screen(NoticePreview(t(f"notices.kind.{row.kind}"), t("previews.number"), text))

        self.call(lambda db, actor: previews.preview_text(db, actor, case_no, row.kind, lang=lang, today=today), show)

    def action_issue(self) -> None:
        """Issue the selected form (a new number, on the case's record) after asking; a decision notice is issued by its decision."""
        from console.services import notices

        row = self.selected()
        if row is None:
            return
        if row.number is not None:
            self.notify(t("tui.notices.already_issued", number=row.number), markup=False)
            return
        if row.kind in PREVIEW_ONLY:
            self.notify(t("tui.notices.issued_by_decision", kind=t(f"notices.kind.{row.kind}")), markup=False)
            return
        case_no, today = self.case_no, self.ctx.today

        def issued(notice: dict[str, Any]) -> None:
            self.notify(t("tui.notices.issued_ok", kind=t(f"notices.kind.{row.kind}"), number=notice.get("number", "")), markup=False)
            self.action_refresh()

        self._issue_first(row, lambda: self.call(
            lambda db, actor: notices.issue_document(db, actor, case_no, row.kind, today=today), issued))

    # -- DOCX ------------------------------------------------------------------

    def default_path(self, row: NoticeRow) -> Path:
        suffix = f"-{row.number}" if row.number and not row.latest else ""
        from console.settings import documents_folder

        return documents_folder() / f"{self.case_no}-{row.kind.replace('_', '-')}{suffix}.docx"

    def action_write(self) -> None:
        from screens.widgets.docx_prompt import ask_docx_path

        row = self.selected()
        if row is None:
            return
        number = f" {row.number}" if row.number else ""
        question = t("tui.notices.path_question", kind=t(f"notices.kind.{row.kind}"), number=number)
        ask_docx_path(self, question, self.default_path(row),
                      lambda path, force: self._issue_first(row, lambda: self._write(row, path, force=force)))

    def _write(self, row: NoticeRow, path: Path, force: bool = False) -> None:
        from console.services import notices

        case_no, lang, number = self.case_no, self.ctx.lang, self._number_arg(row)

        def written(out: Path) -> None:
            self.notify(t("tui.notices.written", path=str(out)), markup=False, timeout=8)
            if row.number is None:
                self.action_refresh()

        self.call(lambda db, actor: notices.write_docx(db, actor, case_no, row.kind, path, lang=lang, number=number, force=force),
                  written)
