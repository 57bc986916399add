"""Compact cells: department progress (人✓ 医◐ 积○ 卫✗) and working days left (coloured).

In hand is ◐, never "…": a clerk reads an ellipsis as text cut off (issue 14).
"""
from __future__ import annotations

from rich.text import Text

from console.display import clean
from console.i18n import t
from console.vocabulary import DEPARTMENT

GLYPHS = {"done": ("✓", "green"), "claimed": ("◐", ""), "open": ("◐", ""), "waiting": ("○", "dim"), "returned": ("✗", "bold red"),
          "held": ("◌", "yellow")}


def progress_cell(progress: dict[str, str]) -> Text:
    """One slot per department, blank where the case holds no task there, so columns line up."""
    out = Text(no_wrap=True, overflow="ellipsis")
    for i, dept in enumerate(DEPARTMENT.codes):
        if i:
            out.append(" ")
        status = progress.get(dept)
        if status is None:
            out.append("  ")
            continue
        glyph, style = GLYPHS.get(status, ("?", ""))
        out.append(t(DEPARTMENT.short_key(dept)), style=style or None)
        out.append(glyph, style=style or None)
    return out


def days_left_cell(days: int | None, state: str) -> Text:
    """Working days left: yellow when due soon, red when overdue, 'paused' while awaiting correction."""
    if state == "overdue" and days is not None:
        return Text(t("tui.queue.overdue_days", days=abs(days)), style="bold red", justify="right")
    if state == "paused":
        return Text(t("tui.queue.paused"), style="dim", justify="right")
    if days is None:
        return Text(t("tui.queue.done"), style="dim", justify="right")
    return Text(str(days), style="yellow" if state == "due_soon" else "", justify="right")


def plain(value: object, style: str = "") -> Text:
    """A table cell that is never parsed as markup, and shows stored text without control characters."""
    return Text(clean(value), style=style, no_wrap=True, overflow="ellipsis")
