"""The top line of every console screen: which screen, which hall, and who is acting, never cut mid-word.

Textual's header centres ``title — sub_title`` and cuts the end, which is
where the acting staff member stood: at 80 columns ``clerk1（综柜、人社审 …``.
The clerk at a shared desk must see whose name the next save carries, so
this line gives the room to the actor first: it tries the long forms and
takes the first that fits (the hall and county go before the roles, the
roles become a count before the name goes; a demo hall always says so).
"""
from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from console.i18n import t


def _cut(text: str, width: int) -> str:
    """``text`` in ``width`` columns, an ellipsis where it had to stop (the last resort only)."""
    if cell_len(text) <= width:
        return text
    out = ""
    for char in text:
        if cell_len(out + char) > width - 1:
            break
        out += char
    return out + "…"


def title_line(screen: str, hall: list[str], demo: str, name: str, roles: list[str], width: int) -> tuple[str, str]:
    """(left, right) for ``width`` columns: the screen and hall on the left, the actor on the right."""
    sep = t("tui.app.title_sep")
    mark = [demo] if demo else []
    lefts = [sep.join([screen, *hall, *mark]), sep.join([screen, *mark])]
    role_list = t("tui.app.roles_sep").join(roles)
    who = [t("tui.app.acting_roles", name=name, roles=role_list)] if roles else []
    if len(roles) > 1:
        who.append(t("tui.app.acting_count", name=name, count=len(roles)))
    who.append(t("tui.app.acting", name=name))
    for right in who:
        for left in lefts:
            if cell_len(left) + 2 + cell_len(right) <= width:
                return left, right
    right = _cut(who[-1], width)
    return _cut(lefts[-1], max(width - cell_len(right) - 2, 0)), right


class TitleBar(Static):
    """Screen · hall · county (· 演示) on the left, 操作人 and roles on the right."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, screen_name: str) -> None:
        super().__init__(id="title-bar")
        self.screen_name = screen_name

    def render(self) -> Text:
        app: Any = self.app
        hall = list(getattr(app, "hall_words", [app.title]))
        demo = str(getattr(app, "demo_mark", ""))
        name = str(getattr(app, "actor_name", app.sub_title))
        roles = list(getattr(app, "actor_roles", []))
        width = max(self.size.width - 2, 10)
        left, right = title_line(self.screen_name, hall, demo, name, roles, width)
        gap = max(width - cell_len(left) - cell_len(right), 1)
        return Text.assemble((left, "bold"), " " * gap, (right, "bold"))
