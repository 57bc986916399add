"""Small modals: a one-line text question and a checklist."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, SelectionList, Static

from console.i18n import t

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 72; max-width: 100%; height: auto; max-height: 100%; border: thick $primary; background: $panel; padding: 0 1; }}
{name} Static {{ width: 100%; margin: 0 0 1 0; }}
{name} Horizontal {{ height: auto; align-horizontal: right; }}
{name} Button {{ margin-left: 2; }}
"""


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text; Enter confirms (non-empty), Escape cancels."""

    DEFAULT_CSS = _CSS.format(name="TextPrompt")
    BINDINGS = [Binding("escape", "cancel", t("tui.modal.cancel"), show=False)]

    def __init__(self, question: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.question = question
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="answer")
            with Horizontal():
                yield Button(t("tui.modal.cancel"), id="cancel")
                yield Button(t("tui.modal.ok"), id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _submit(self) -> None:
        text = self.query_one(Input).value.strip()
        if text:
            self.dismiss(text)
        else:
            self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Checklist(ModalScreen[list[str] | None]):
    """Tick items with Space; Enter (or ctrl+s) confirms the ticked codes, Escape cancels."""

    DEFAULT_CSS = _CSS.format(name="Checklist") + "Checklist SelectionList { height: auto; max-height: 14; }"
    BINDINGS = [
        Binding("escape", "cancel", t("tui.modal.cancel"), show=False),
        Binding("ctrl+s", "confirm", t("tui.modal.ok"), show=False),
    ]

    def __init__(self, title: str, items: list[tuple[str, str]]) -> None:
        super().__init__()
        self.heading = title
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.heading, markup=False)
            yield SelectionList[str](*[(label, code) for label, code in self.items], id="items")
            with Horizontal():
                yield Button(t("tui.modal.cancel"), id="cancel")
                yield Button(t("tui.modal.ok"), id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.action_confirm()
        else:
            self.dismiss(None)

    def action_confirm(self) -> None:
        self.dismiss(list(self.query_one(SelectionList).selected))

    def action_cancel(self) -> None:
        self.dismiss(None)
