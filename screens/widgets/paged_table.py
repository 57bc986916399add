"""A DataTable that holds one SQL page of rows; page keys ask the screen for another page."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from console.display import clean
from console.i18n import t


def clean_text(text: str | Text) -> str | Text:
    """Stored text without control characters (a Text keeps its style)."""
    if isinstance(text, str):
        return clean(text)
    plain = clean(text.plain)
    if plain == text.plain:
        return text
    return Text(plain, style=text.style, justify=text.justify, overflow=text.overflow, no_wrap=text.no_wrap)


def clean_cell(cell: object) -> object:
    """A cell as shown: text cleaned by ``clean_text``, anything else (a number) as it is."""
    return clean_text(cell) if isinstance(cell, str | Text) else cell


class PagedTable(DataTable[object]):
    """Rows of the current page only.

    PageDown/PageUp move one screenful within the loaded rows, like any list;
    only at the last (first) loaded row do they ask for the next (previous)
    SQL page, so no row of a page is ever skipped.  Home/End go to the first
    and last SQL page.
    """

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

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        self.layout_wide: bool | None = None  # the layout the columns were built for (None: not built yet)

    def add_row(self, *cells: object, height: int | None = 1, key: str | None = None,
                label: str | Text | None = None) -> RowKey:
        """Every cell through ``clean_cell``: a name stored with an escape cannot reach the terminal."""
        return super().add_row(*(clean_cell(c) for c in cells), height=height, key=key,
                               label=None if label is None else clean_text(label))

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: object, *,
                    update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, clean_cell(value), update_width=update_width)

    def update_cell_at(self, coordinate: Coordinate, value: object, *, update_width: bool = False) -> None:
        super().update_cell_at(coordinate, clean_cell(value), update_width=update_width)

    def set_layout(self, wide: bool, columns: Callable[[bool], Iterable[tuple[str, str]]]) -> bool:
        """The columns ``columns(wide)`` gives, unless they are built for this layout already; True when rebuilt."""
        if wide == self.layout_wide:
            return False
        self.layout_wide = wide
        self.set_columns(columns(wide))
        return True

    def set_columns(self, columns: Iterable[tuple[str, str]]) -> None:
        """Every row and column replaced by ``columns``: (key, heading) in order (a layout change)."""
        self.clear(columns=True)
        for key, heading in columns:
            self.add_column(heading, key=key)

    def action_page(self, delta: int) -> None:
        """One screenful within the page; past its last (first) row, the next (previous) page."""
        at_edge = self.cursor_row >= self.row_count - 1 if delta > 0 else self.cursor_row <= 0
        if self.row_count and not at_edge:
            if delta > 0:
                self.action_page_down()
            else:
                self.action_page_up()
            return
        self.post_message(self.PageRequested(delta=delta))

    def action_edge(self, edge: int) -> None:
        self.post_message(self.PageRequested(edge=edge))
