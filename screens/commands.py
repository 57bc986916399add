"""The command palette (ctrl+p): find a case by number, ID, name or pinyin initials; jump between screens."""
from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from console.i18n import t
from console.vocabulary import CASE_STATUS
from screens.widgets.hall_app import hall_app

CASE_LIMIT = 20


def _find_cases(ctx: Any, text: str) -> list[dict[str, Any]]:
    """Up to 20 cases matching ``text`` (runs in a worker thread with its own connection)."""
    from console.services import case_queries

    with ctx.open() as (db, actor):
        f = case_queries.build_filter(text=text, today=ctx.today, db=db)
        rows = case_queries.list_cases(db, actor, f, limit=CASE_LIMIT, today=ctx.today, masked=True)
    from console.display import clean_tree

    cleaned: list[dict[str, Any]] = clean_tree(rows)  # stored names shown without control characters
    return cleaned


class CaseCommands(Provider):
    """Cases by number/ID/name/initials, and the main screens by name."""

    def _screens(self) -> list[tuple[str, str, Any]]:
        app = self.app
        return [
            (t("tui.palette.queue"), "F2", partial(app.run_action, "go('queue')")),
            (t("tui.palette.department"), "F3", partial(app.run_action, "go('department')")),
            (t("tui.palette.dashboard"), "F4", partial(app.run_action, "go('dashboard')")),
            (t("tui.upcoming.title"), "F6", partial(app.run_action, "go('upcoming')")),
            (t("tui.promises.title"), "F7", partial(app.run_action, "go('promises')")),
            (t("tui.palette.intake"), "ctrl+n", partial(app.run_action, "intake")),
            (t("tui.palette.help"), "F1", partial(app.run_action, "help")),
        ]

    async def discover(self) -> Hits:
        for name, key, action in self._screens():
            yield DiscoveryHit(f"{t('tui.palette.go')}: {name}", action, help=key)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, key, action in self._screens():
            label = f"{t('tui.palette.go')}: {name}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), action, help=key)
        text = query.strip()
        if len(text) < 2:
            return
        ctx = hall_app(self.app).ctx
        try:
            rows = await asyncio.to_thread(_find_cases, ctx, text)
        except Exception:  # a bad query must not break the palette; the queue search shows errors
            return
        open_case = hall_app(self.app).open_case
        for rank, row in enumerate(rows):
            display = Text.assemble(
                (row["case_no"], "bold"), "  ", row["name"] or "", "  ",
                (t(CASE_STATUS.key(row['status'])), "dim"),
            )
            yield Hit(
                1.0 - rank / 100, display, partial(open_case, row["case_no"]),
                text=f"{row['case_no']} {row['name']}", help=f"{t('tui.palette.open_case')} · {row['id_number']}",
            )
