"""A modal that picks one of a few codes."""
from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.i18n import t


class ChoiceModal(ModalScreen[str | None]):
    """Pick one of ``choices`` (code, label) with the arrows and Enter; starts on ``current``."""

    DEFAULT_CSS = """
    ChoiceModal { align: center middle; }
    ChoiceModal > Vertical { width: 56; max-width: 100%; height: auto; max-height: 100%; border: thick $accent; background: $panel; padding: 0 1; }
    ChoiceModal .modal-title { text-style: bold; width: 100%; margin-bottom: 1; }
    ChoiceModal OptionList { height: auto; max-height: 14; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", t("tui.common.cancel"), show=False)]

    def __init__(self, title: str, choices: list[tuple[str, str]], current: str) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="modal-title", markup=False)
            yield OptionList(*[Option(Text(label), id=code) for code, label in self.choices], id="choices")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        codes = [c for c, _ in self.choices]
        options.highlighted = codes.index(self.current) if self.current in codes else 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
