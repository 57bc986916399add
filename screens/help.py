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
    """(screen keys, app keys) as (keys as shown, description): every described binding of ``screen``'s chain.

    Read from the bindings themselves (the focused widget's, its containers',
    the screen's and the app's), shown or not in the footer and whether or not
    the case's state allows them now, so help cannot drift from what the keys
    do.  One row per action (``f2 / ^s``, ``^q / q``).  A binding without an id is
    Textual's own (scrolling, focus), standard and described in English only.
    """
    rows: dict[tuple[bool, str], tuple[list[str], str]] = {}
    focused = screen.focused
    nodes = list(focused.ancestors_with_self) if focused is not None else [screen, app]
    for node in nodes:  # not ``screen._binding_chain``: it drops the letters a focused Input takes
        for _key, binding in node._bindings:
            if not binding.description or binding.system or binding.id is None:
                continue
            slot = (node is app, binding.action)
            keys, _ = rows.setdefault(slot, ([], binding.description))
            shown = app.get_key_display(binding)
            if shown not in keys:
                keys.append(shown)
    own = [(" / ".join(keys), text) for (is_app, _), (keys, text) in rows.items() if not is_app]
    glob = [(" / ".join(keys), text) for (is_app, _), (keys, text) in rows.items() if is_app]
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
