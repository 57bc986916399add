"""The command palette (ctrl+p): the screen's actions, the console's screens, and cases by number, ID, name or initials.

Only these: Textual's own commands (theme, keys, screenshot) are English and
about the terminal, so ``RetireApp.COMMANDS`` holds this provider alone."""
from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from rich.text import Text
from textual.actions import parse
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

    def _screen_actions(self) -> list[tuple[str, str, Any]]:
        """The actions of the screen the palette was opened on (accept, correction, pre-review,
        notices on a case), those its state allows now, read from its own bindings."""
        from screens.widgets.base import RetireScreen

        screen = self.screen
        if not isinstance(screen, RetireScreen):
            return []
        out: list[tuple[str, str, Any]] = []
        seen: set[str] = set()
        for _key, binding in screen._bindings:
            if not binding.description or binding.id is None or binding.action in seen or binding.action == "back":
                continue
            seen.add(binding.action)
            _dest, name, params = parse(binding.action)
            if screen.check_action(name, params) is not True:
                continue
            label = t("tui.palette.screen_action", screen=screen.screen_name, action=binding.description)
            out.append((label, self.app.get_key_display(binding), partial(self.app.run_action, binding.action, screen)))
        return out

    def _screens(self) -> list[tuple[str, str, Any]]:
        app = self.app
        go = t("tui.palette.go")
        return [
            (f"{go}: {t('tui.palette.queue')}", "F2", partial(app.run_action, "go('queue')")),
            (f"{go}: {t('tui.palette.department')}", "F3", partial(app.run_action, "go('department')")),
            (f"{go}: {t('tui.palette.dashboard')}", "F4", partial(app.run_action, "go('dashboard')")),
            (f"{go}: {t('tui.upcoming.title')}", "F6", partial(app.run_action, "go('upcoming')")),
            (f"{go}: {t('tui.promises.title')}", "F7", partial(app.run_action, "go('promises')")),
            (f"{go}: {t('tui.palette.intake')}", "ctrl+n", partial(app.run_action, "intake")),
            (t("tui.palette.help"), "F1", partial(app.run_action, "help")),
            (t("tui.messages.title"), "ctrl+l", partial(app.run_action, "messages")),
            (t("tui.app.quit"), "ctrl+q", partial(app.run_action, "quit_safely")),
        ]

    def _commands(self) -> list[tuple[str, str, Any]]:
        """The screen's own actions first, then the console's (all in the reader's language)."""
        return self._screen_actions() + self._screens()

    async def discover(self) -> Hits:
        for label, key, action in self._commands():
            yield DiscoveryHit(label, action, help=key)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, key, action in self._commands():
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
