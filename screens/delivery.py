"""Courier delivery (快递送达) of a completed case: send, delivered, returned with a note."""
from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.widgets import Input, Label, Static

from console.i18n import t
from console.vocabulary import CASE_STATUS
from screens.case_detail import short_time
from screens.widgets.base import RetireScreen

DEFAULT_COURIER = "EMS"


def history_table(rows: list[dict[str, Any]]) -> Any:
    """Every attempt, one row each; the notes (why a parcel came back) on lines of their own below the
    table, as a column of their own they were squeezed to one glyph wide at 80 columns."""
    if not rows:
        return Text(t("tui.delivery.none"), style="dim")
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    for key in ("courier", "waybill", "sent", "outcome"):  # one outcome column: two time columns did not fit 80
        table.add_column(t(f"tui.delivery.{key}"), no_wrap=True)
    notes = []
    for d in rows:
        outcome = (Text(f"{t('tui.delivery.delivered')} {short_time(d['delivered_at'])}", style="green") if d.get("delivered_at")
                   else Text(f"{t('tui.delivery.returned')} {short_time(d['returned_at'])}", style="red") if d.get("returned_at") else Text(""))
        table.add_row(Text(d.get("courier") or ""), Text(d.get("waybill") or ""), Text(short_time(d.get("sent_at"))), outcome)
        if d.get("address"):  # each attempt's address: a re-addressed parcel shows both
            notes.append(Text(" " + t("tui.delivery.address_line", waybill=d.get("waybill") or "", address=d["address"]), style="dim"))
        if d.get("note"):
            notes.append(Text(" " + t("tui.delivery.note_line", waybill=d.get("waybill") or "", note=d["note"])))
    return Group(table, *notes) if notes else table


class DeliveryScreen(RetireScreen):
    """The shipments of one case and the form to send the results."""

    NAME_KEY = "tui.delivery.title"
    DEFAULT_CSS = """
    DeliveryScreen #delivery-head { height: 1; background: $boost; padding: 0 1; text-style: bold; }
    DeliveryScreen #delivery-body { height: 1fr; padding: 0 1; }
    DeliveryScreen Grid { grid-size: 2; grid-columns: 12 1fr; grid-rows: 1; grid-gutter: 0 1; height: auto; margin-top: 1; }
    DeliveryScreen Grid Input { background: $surface; }
    DeliveryScreen Label { color: $text-muted; }
    """
    BINDINGS = [
        Binding("ctrl+s", "send", t("tui.delivery.b_send"), priority=True, id="delivery-send"),
        Binding("ctrl+d", "delivered", t("tui.delivery.b_delivered"), priority=True, id="delivery-delivered"),
        Binding("ctrl+r", "returned", t("tui.delivery.b_returned"), priority=True, id="delivery-returned"),
        Binding("ctrl+e", "rate", t("rating.tui.key"), priority=True, id="delivery-rate"),
    ]

    def __init__(self, case_no: str) -> None:
        super().__init__()
        self.case_no = case_no
        self.case: dict[str, Any] | None = None
        self.rating: dict[str, Any] | None = None

    def body(self) -> ComposeResult:
        yield Static(self.case_no, id="delivery-head")
        with VerticalScroll(id="delivery-body"):
            yield Static(id="address")
            yield Static(id="rating")
            with Grid():
                yield Label(t("tui.delivery.courier"))
                yield Input(DEFAULT_COURIER, id="courier", classes="inline")
                yield Label(t("tui.delivery.waybill"))
                yield Input(id="waybill", classes="inline")
                yield Label(t("tui.delivery.address"))
                yield Input(id="send-address", classes="inline")
            yield Static(t("tui.delivery.history"), classes="section-title")
            yield Static(id="history")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#waybill", Input).focus()
        self.action_refresh()

    def has_unsaved(self) -> bool:
        return bool(self.query_one("#waybill", Input).value.strip()) or self._address_changed()

    def _last_address(self) -> str:
        """Where the parcel goes unless the clerk types another: the last attempt's address, else the applicant's."""
        rows = (self.case or {}).get("deliveries") or []
        person = (self.case or {}).get("person") or {}
        return str((rows[-1].get("address") if rows else None) or person.get("address") or "")

    def _address_changed(self) -> bool:
        return self.case is not None and self.query_one("#send-address", Input).value.strip() != self._last_address()

    def _returned_last(self) -> dict[str, Any] | None:
        rows = (self.case or {}).get("deliveries") or []
        return rows[-1] if rows and rows[-1].get("returned_at") else None

    def action_refresh(self) -> None:
        from console.services import case_queries

        today = self.ctx.today
        self.call(lambda db, actor: case_queries.show(db, actor, self.case_no, today=today), self._show, group="delivery", exclusive=True)

    def _open_delivery(self) -> dict[str, Any] | None:
        rows = (self.case or {}).get("deliveries") or []
        last: dict[str, Any] | None = rows[-1] if rows else None
        if last and not last.get("delivered_at") and not last.get("returned_at"):
            return last
        return None

    def _show(self, case: dict[str, Any]) -> None:
        fresh = self.case is None or not self._address_changed()
        self.case = case
        if fresh:
            self.query_one("#send-address", Input).value = self._last_address()
        person = case["person"]
        head = Text.assemble((case["case_no"], "bold"), "  ", person.get("name") or "", "  ", (t(CASE_STATUS.key(case['status'])), "bold"))
        self.query_one("#delivery-head", Static).update(head)
        address = Text.assemble((t("tui.app.label", label=t("tui.delivery.address")), "dim"), person.get("address") or "", "  ", person.get("phone") or "")
        if case["status"] not in ("completed", "delivered"):
            address.append("\n" + t("tui.delivery.not_completed", status=t(CASE_STATUS.key(case['status']))), style="bold yellow")
        self.query_one("#address", Static).update(address)
        self.query_one("#history", Static).update(history_table(case.get("deliveries") or []))
        self.refresh_bindings()
        from console.services import ratings

        self.call(lambda db, actor: ratings.case_rating(db, actor, self.case_no), self._show_rating, group="rating", exclusive=True)

    def _show_rating(self, rating: dict[str, Any]) -> None:
        from screens.rating import rating_line

        self.rating = rating
        self.query_one("#rating", Static).update(rating_line(rating))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        status = (self.case or {}).get("status")
        if action == "send":
            return status == "completed" and self._open_delivery() is None
        if action in ("delivered", "returned"):
            return self._open_delivery() is not None
        if action == "rate":
            from console.vocabulary import RATABLE_STATUSES

            return status in RATABLE_STATUSES and self.rating == {}
        return True

    def action_rate(self) -> None:
        from screens.rating import ask_rating

        ask_rating(self, self.case_no, self.action_refresh)

    def action_send(self) -> None:
        from console.services import delivery

        courier = self.query_one("#courier", Input).value.strip()
        waybill = self.query_one("#waybill", Input).value.strip()
        address = self.query_one("#send-address", Input).value.strip()
        last = self._returned_last()

        def sent(row: dict[str, Any]) -> None:
            waybill_input = self.query_one("#waybill", Input)
            waybill_input.value = ""
            waybill_input.focus()  # the next send (after a return) starts at the waybill, wherever the clerk typed last
            self.notify(t("tui.delivery.sent_ok", courier=row.get("courier", courier), waybill=row.get("waybill", waybill)), markup=False)
            self.action_refresh()

        if last is not None and address != (last.get("address") or ""):  # a returned parcel to a new address: re-addressed
            then = last.get("version")
            self.call(lambda db, actor: delivery.readdress(db, actor, self.case_no, address, courier, waybill, expected_version=then),
                      sent, group="save")
            return
        version = (self.case or {}).get("version")  # the case as shown: a case changed since is refused, naming who
        self.call(lambda db, actor: delivery.send(db, actor, self.case_no, courier, waybill, address or None, expected_version=version),
                  sent, group="save")

    def action_delivered(self) -> None:
        from console.services import delivery
        from screens.widgets.confirm import ConfirmModal

        current = self._open_delivery() or {}
        version = current.get("version")

        def done(_: Any) -> None:
            self.notify(t("tui.delivery.delivered_ok", case_no=self.case_no), markup=False)
            self.action_refresh()

        def answer(yes: bool | None) -> None:
            if yes:
                self.call(lambda db, actor: delivery.delivered(db, actor, self.case_no, expected_version=version), done, group="save")

        self.app.push_screen(ConfirmModal(t("tui.delivery.confirm_delivered", case_no=self.case_no, waybill=current.get("waybill", ""))), answer)

    def action_returned(self) -> None:
        from console.services import delivery
        from screens.widgets.prompt import TextPrompt

        version = (self._open_delivery() or {}).get("version")

        def done(_: Any) -> None:
            self.notify(t("tui.delivery.returned_ok"), markup=False)
            self.action_refresh()

        def answer(note: str | None) -> None:
            if note:
                self.call(lambda db, actor: delivery.returned(db, actor, self.case_no, note, expected_version=version), done, group="save")

        self.app.push_screen(TextPrompt(t("tui.delivery.return_title")), answer)
