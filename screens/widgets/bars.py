"""A horizontal bar chart in plain text: deterministic, readable at 80x24, no plotting library."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text

BLOCK = "█"


def bar_chart(rows: list[tuple[str, int]], width: int = 30, style: str = "cyan", highlight: dict[str, str] | None = None) -> Table:
    """One row per (label, value); bars scaled to the largest value."""
    highlight = highlight or {}
    top = max((v for _, v in rows), default=0) or 1
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    for label, value in rows:
        length = round(value / top * width) if value else 0
        if value and not length:
            length = 1
        table.add_row(Text(label), Text(BLOCK * length, style=highlight.get(label, style)), Text(f"{value:,}"))
    return table
