"""A DataTable that holds one SQL page of rows; page keys ask the screen for another page."""
from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from console.i18n import t


class PagedTable(DataTable):  # type: ignore[type-arg]
    """Rows of the current page only; PageUp/PageDown/Home/End move between SQL pages."""

    BINDINGS = [
        Binding("pagedown", "page(1)", t("tui.queue.b_next"), show=False, id="page-next"),
        Binding("pageup", "page(-1)", t("tui.queue.b_prev"), show=False, id="page-prev"),
        Binding("home", "edge(0)", t("tui.queue.b_first"), show=False, id="page-first"),
        Binding("end", "edge(1)", t("tui.queue.b_last"), show=False, id="page-last"),
    ]

    class PageRequested(Message):
        """Move by ``delta`` pages, or to the first/last page when ``edge`` is set."""

        def __init__(self, delta: int = 0, edge: int | None = None) -> None:
            super().__init__()
            self.delta = delta
            self.edge = edge

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)

    def action_page(self, delta: int) -> None:
        self.post_message(self.PageRequested(delta=delta))

    def action_edge(self, edge: int) -> None:
        self.post_message(self.PageRequested(edge=edge))
