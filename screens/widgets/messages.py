"""The console's messages: one line above the footer, and a log of the last 50 on ctrl+l.

Textual's toasts float over the screen, and a double-width glyph under a
toast vanishes when the border beneath it is redrawn (Textual issue #6357:
``身    号码应为18位``).  So the console draws no toast: every ``notify()``
goes to ``RetireApp.notify``, which keeps it in a ``MessageLog`` and shows it
on the ``MessageLine`` of the top console screen, a row of its own just above
the footer where nothing else is ever drawn.  The line clears after the
message's timeout; the log keeps it with the time it was said, for a clerk
who looked away.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Static

from console.human_time import human_time
from console.i18n import t

LOG_SIZE = 50
SEVERITIES = ("information", "warning", "error")


@dataclass(frozen=True)
class ConsoleMessage:
    """One thing the console said: its words, how serious, when (ISO, local), how long the line shows it."""

    text: str
    severity: str
    at: str
    timeout: float
    serial: int


class MessageLog:
    """The last ``LOG_SIZE`` messages, newest last; ``latest`` is the one the line shows until it expires."""

    def __init__(self, size: int = LOG_SIZE) -> None:
        self._entries: deque[ConsoleMessage] = deque(maxlen=size)
        self._serial = 0
        self.shown: ConsoleMessage | None = None
        """The message the line shows now (None once it cleared)."""

    def add(self, text: str, severity: str, timeout: float) -> ConsoleMessage:
        self._serial += 1
        at = datetime.now().astimezone().isoformat(timespec="seconds")
        entry = ConsoleMessage(text, severity if severity in SEVERITIES else "information", at, timeout, self._serial)
        self._entries.append(entry)
        self.shown = entry
        return entry

    def expire(self, entry: ConsoleMessage) -> None:
        """The line's time for ``entry`` is up (a newer message keeps showing)."""
        if self.shown is entry:
            self.shown = None

    def __iter__(self) -> Iterator[ConsoleMessage]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def plain(message: str, markup: bool) -> str:
    """A notification's words as plain text: markup rendered away (text that is no valid markup stays as it is)."""
    if not markup:
        return str(message)
    from textual.content import Content

    try:
        return Content.from_markup(message).plain
    except Exception:  # a bracket that is no markup: the words as written
        return str(message)


class MessageLine(Static):
    """The row above the footer that shows the latest message in its severity's colour."""

    DEFAULT_CSS = """
    MessageLine {
        dock: bottom;
        width: 100%;
        height: auto;
        min-height: 1;
        max-height: 3;
        margin-bottom: 1;  /* the footer's row: docked widgets on one edge overlap, so the line sits above it */
        padding: 0 1;
        color: $text;
        background: $surface;
    }
    MessageLine.-information { color: $text-success; }
    MessageLine.-warning { color: $text-warning; background: $warning-muted; }
    MessageLine.-error { color: $text-error; background: $error-muted; text-style: bold; }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False, id="message-line")
        self.entry: ConsoleMessage | None = None
        self._timer: Timer | None = None

    def show(self, entry: ConsoleMessage | None, log: MessageLog | None = None) -> None:
        """Show ``entry`` (None: clear); it clears itself after its timeout."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.entry = entry
        for severity in SEVERITIES:
            self.remove_class(f"-{severity}")
        if entry is None:
            self.update("")
            return
        self.add_class(f"-{entry.severity}")
        mark = t(f"tui.messages.mark.{entry.severity}")
        self.update(Text(f"{mark} {entry.text}" if mark else entry.text))

        def clear() -> None:
            if log is not None:
                log.expire(entry)
            if self.entry is entry:
                self.show(None)

        self._timer = self.set_timer(entry.timeout, clear)


def _log_table(entries: list[ConsoleMessage]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, style="dim")
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    styles = {"information": "", "warning": "yellow", "error": "bold red"}
    for entry in reversed(entries):
        mark = t(f"tui.messages.mark.{entry.severity}")
        table.add_row(human_time(entry.at), Text(mark, style=styles[entry.severity]), Text(entry.text))
    return table


class MessageLogScreen(ModalScreen[None]):
    """ctrl+l: the console's last messages, newest first, with the time each was said."""

    DEFAULT_CSS = """
    MessageLogScreen { align: center middle; }
    MessageLogScreen > VerticalScroll { width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1; }
    MessageLogScreen #log-title { text-style: bold; }
    MessageLogScreen #log-close { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "close", t("tui.app.back"), show=False),
        Binding("ctrl+l", "close", t("tui.messages.title"), show=False),
    ]

    def __init__(self, entries: list[ConsoleMessage]) -> None:
        super().__init__()
        self.entries = entries

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(t("tui.messages.title_count", count=len(self.entries)), id="log-title", markup=False)
            if self.entries:
                yield Static(_log_table(self.entries), id="log-entries")
            else:
                yield Static(t("tui.messages.empty"), id="log-entries", markup=False)
            yield Static(t("tui.messages.close"), id="log-close", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
