"""A DataTable that holds one SQL page of rows; page keys ask the screen for another page."""
from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from console.display import clean
from console.i18n import t


def clean_cell(cell: object) -> object:
    """A cell as shown: stored text without control characters (a Text keeps its style)."""
    if isinstance(cell, str):
        return clean(cell)
    if isinstance(cell, Text):
        text = clean(cell.plain)
        if text == cell.plain:
            return cell
        return Text(text, style=cell.style, justify=cell.justify, overflow=cell.overflow, no_wrap=cell.no_wrap)
    return cell


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

    def add_row(self, *cells, height=1, key=None, label=None):  # type: ignore[no-untyped-def,override]
        """Every cell through ``clean_cell``: a name stored with an escape cannot reach the terminal."""
        return super().add_row(*(clean_cell(c) for c in cells), height=height, key=key,
                               label=None if label is None else clean_cell(label))

    def update_cell(self, row_key, column_key, value, *, update_width=False):  # type: ignore[no-untyped-def,override]
        return super().update_cell(row_key, column_key, clean_cell(value), update_width=update_width)

    def update_cell_at(self, coordinate, value, *, update_width=False):  # type: ignore[no-untyped-def,override]
        return super().update_cell_at(coordinate, clean_cell(value), update_width=update_width)

    def action_page(self, delta: int) -> None:
        self.post_message(self.PageRequested(delta=delta))

    def action_edge(self, edge: int) -> None:
        self.post_message(self.PageRequested(edge=edge))
