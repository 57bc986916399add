"""F1: every key of the screen underneath and of the app, plus the legend of the queue's symbols."""
from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from console.i18n import t


def collect_bindings(app: Any, screen: Screen[Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(screen keys, app keys) as (key as shown, description), from what is active on ``screen`` now."""
    own: list[tuple[str, str]] = []
    glob: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for active in app.active_bindings.values():
        binding = active.binding
        if not binding.description or binding.system:
            continue
        if binding.id is None:
            continue  # Textual's own scrolling/focus keys: standard, and described in English only
        shown = app.get_key_display(binding)
        entry = (shown, binding.description)
        if entry in seen:
            continue
        seen.add(entry)
        (glob if active.node is app else own).append(entry)
    return own, glob


def _table(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key, text in rows:
        table.add_row(key, text)
    return table


class HelpScreen(ModalScreen[None]):
    """Keys of the current screen and the app, and what the symbols mean."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-width: 100%; height: auto; max-height: 100%; border: thick $primary; background: $panel; padding: 0 1; }
    HelpScreen .section-title { text-style: bold; color: $accent; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "close", t("tui.app.back"), show=False), Binding("f1", "close", t("tui.app.help"), show=False)]

    def __init__(self, keys: tuple[list[tuple[str, str]], list[tuple[str, str]]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        own, glob = self.keys
        with VerticalScroll():
            yield Static(Text(t("tui.help.title"), style="bold"))
            yield Static(t("tui.help.screen"), classes="section-title")
            yield Static(_table(own))
            yield Static(t("tui.help.global"), classes="section-title")
            yield Static(_table(glob))
            yield Static(t("tui.help.legend"), classes="section-title")
            yield Static(Text(t("tui.help.legend_text")))
            yield Static(Text(t("tui.help.colours")))
            yield Static(Text(t("tui.help.close"), style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
