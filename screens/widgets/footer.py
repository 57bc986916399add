"""The footer of every console screen: the screen's own keys first, then as many global keys as fit.

Textual's footer lays every key out in a row and the terminal cuts the rest:
at 80 columns F4, F6 and ctrl+n fell off the end, and on a screen with many
actions so did the screen's own.  This footer measures each key as it will
be drawn and never cuts one: the screen's keys always come first, then the
global keys in ``GLOBAL_PRIORITY`` order while they fit (F1 first: every key
the footer leaves out is listed there).  A key may have a short footer label,
``tui.footer.<binding id>`` in the catalogue; F1 shows the full description.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from console.i18n import catalogue, current_lang

GLOBAL_ORDER = ("help", "go-queue", "go-department", "go-dashboard", "go-upcoming", "intake", "messages", "quit")
"""How the global keys that fit are laid out, left to right."""
GLOBAL_PRIORITY = ("help", "intake", "go-queue", "go-department", "go-dashboard", "go-upcoming", "quit", "messages")
"""Which global keys get the room first (F1 always: it lists the rest)."""


class FooterEntry(NamedTuple):
    binding: Binding
    enabled: bool
    tooltip: str
    label: str
    shown_key: str

    @property
    def width(self) -> int:
        """Columns the compact footer gives this key: key, space, label, one column of margin."""
        return cell_len(self.shown_key) + (1 + cell_len(self.label) if self.label else 0) + 1


def footer_label(binding: Binding) -> str:
    """The short footer word of a binding when the catalogue has one, else its description."""
    if binding.id:
        short = catalogue(current_lang()).get(f"tui.footer.{binding.id}")
        if short:
            return short
    return binding.description


def fit(own: list[FooterEntry], glob: dict[str, FooterEntry], width: int) -> list[FooterEntry]:
    """The keys to draw in ``width`` columns: all of the screen's own, then globals while they fit."""
    used = sum(entry.width for entry in own)
    chosen: set[str] = set()
    for gid in GLOBAL_PRIORITY:
        entry = glob.get(gid)
        if entry is not None and used + entry.width <= width:
            chosen.add(gid)
            used += entry.width
    return own + [glob[gid] for gid in GLOBAL_ORDER if gid in chosen]


class RetireFooter(Footer):
    """A compact footer that drops whole global keys, never cuts one, and lists the screen's keys first."""

    def __init__(self) -> None:
        super().__init__(show_command_palette=False, compact=True)
        self._laid_out_for = 0

    def entries(self) -> tuple[list[FooterEntry], dict[str, FooterEntry]]:
        """(the screen's shown keys, the app's shown keys by binding id), one entry per action."""
        app: Any = self.app
        own: list[FooterEntry] = []
        glob: dict[str, FooterEntry] = {}
        actions: set[str] = set()
        for node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in actions:
                continue
            actions.add(binding.action)
            entry = FooterEntry(binding, enabled, tooltip, footer_label(binding), app.get_key_display(binding))
            if node is app:
                if binding.id:
                    glob[binding.id] = entry
            else:
                own.append(entry)
        return own, glob

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self.app.size.width
        self._laid_out_for = width
        own, glob = self.entries()
        for entry in fit(own, glob, width):
            yield FooterKey(
                entry.binding.key, entry.shown_key, entry.label, entry.binding.action,
                disabled=not entry.enabled, tooltip=entry.tooltip or entry.binding.description,
            ).data_bind(compact=Footer.compact)

    def on_resize(self, event: Resize) -> None:
        """A wider or narrower terminal fits another set of keys."""
        if self._bindings_ready and self.app.size.width != self._laid_out_for:
            self.call_after_refresh(self.recompose)
