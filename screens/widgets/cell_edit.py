"""A modal that edits one value in place, checking it as it is typed."""
from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from console.i18n import t


class CellEditModal(ModalScreen[str | None]):
    """Edit one value; ``check`` returns an error text or None.  Enter saves, Escape cancels."""

    DEFAULT_CSS = """
    CellEditModal { align: center middle; }
    CellEditModal > Vertical { width: 56; max-width: 100%; height: auto; border: thick $accent; background: $panel; padding: 0 1; }
    CellEditModal .modal-title { text-style: bold; width: 100%; margin-bottom: 1; }
    CellEditModal #edit-error { color: $text-error; height: auto; width: 100%; }
    CellEditModal .modal-hint { color: $text-muted; width: 100%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", t("tui.common.cancel"), show=False)]

    def __init__(self, title: str, value: str, check: Callable[[str], str | None], placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.check = check
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="modal-title", markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="edit-value")
            yield Static("", id="edit-error", markup=False)
            yield Static(t("tui.edit.hint"), classes="modal-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#edit-error", Static).update(self.check(event.value.strip()) or "")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        error = self.check(value)
        if error:
            self.query_one("#edit-error", Static).update(error)
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
