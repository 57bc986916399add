"""A yes/no question in a modal: used before destructive or irreversible actions."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from console.i18n import t


class ConfirmModal(ModalScreen[bool]):
    """Ask once; dismiss(True) on yes, dismiss(False) on no or Escape."""

    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical { width: 60; max-width: 100%; height: auto; border: thick $warning; background: $panel; padding: 1 2; }
    ConfirmModal Static { width: 100%; margin-bottom: 1; }
    ConfirmModal Horizontal { height: auto; align-horizontal: right; }
    ConfirmModal Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("escape", "no", t("tui.common.cancel"), show=False),
        Binding("y", "yes", t("tui.common.yes"), show=False),
        Binding("n", "no", t("tui.common.no"), show=False),
    ]

    def __init__(self, question: str, yes: str | None = None, no: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes or t("tui.common.yes")
        self.no_label = no or t("tui.common.no")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)
            with Horizontal():
                yield Button(self.no_label, id="no")
                yield Button(self.yes_label, id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
