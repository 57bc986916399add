"""The rating (好差评) of a finished case from the console: pick the level and the channel, confirm, save.

Used by the delivery screen (ctrl+e): the applicant at the window rates the
service once the results are handed over; a bad rating opens the
supervisor's follow-up, and the notice says when it is due.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text

from console.i18n import t
from console.vocabulary import FOLLOWUP_STATUS, RATING_CHANNEL, RATING_LEVEL
from screens.widgets.base import RetireScreen

LEVEL_STYLE = {"1": "bold red", "2": "red", "3": "yellow", "4": "green", "5": "bold green"}


def rating_line(rating: dict[str, Any]) -> Text:
    """One line for a case's rating (empty when it has none), with its follow-up."""
    if not rating:
        return Text("")
    level = str(rating["level"])
    line = Text.assemble((t("rating.tui.rated", level=level, word=t(RATING_LEVEL.key(level))), LEVEL_STYLE.get(level, "")),
                         "  ", (t(RATING_CHANNEL.key(rating["channel"])), "dim"))
    follow = rating.get("followup")
    if follow:
        line.append(f"  #{follow['id']} {t(FOLLOWUP_STATUS.key(follow['status']))} · {t('rating.cli.due')} {follow['due_date']}",
                    style="yellow")
    return line


def ask_rating(screen: RetireScreen, case_no: str, after: Callable[[], None]) -> None:
    """Level, then channel, then a confirmation; the rating is saved through the service and ``after`` runs."""
    from console.services import ratings
    from screens.widgets.choice import ChoiceModal
    from screens.widgets.confirm import ConfirmModal

    levels = [(code, f"{code} {t(RATING_LEVEL.key(code))}") for code in reversed(RATING_LEVEL.codes)]
    channels = [(code, t(RATING_CHANNEL.key(code))) for code in RATING_CHANNEL.codes]

    def saved(rating: dict[str, Any]) -> None:
        follow = rating.get("followup")
        if follow:
            screen.notify(t("rating.tui.saved_bad", level=rating["level"], case_no=case_no, id=follow["id"], due=follow["due_date"]),
                          markup=False, severity="warning")
        else:
            screen.notify(t("rating.tui.saved", level=rating["level"], case_no=case_no), markup=False)
        after()

    def on_level(level: str | None) -> None:
        if not level:
            return

        def on_channel(channel: str | None) -> None:
            if not channel:
                return

            def on_confirm(yes: bool | None) -> None:
                if yes:
                    screen.call(lambda db, actor: ratings.add(db, actor, case_no, level, channel), saved, group="save")

            question = t("rating.tui.confirm", level=level, word=t(RATING_LEVEL.key(level)), case_no=case_no)
            screen.app.push_screen(ConfirmModal(question), on_confirm)

        screen.app.push_screen(ChoiceModal(t("rating.tui.channel"), channels, "window"), on_channel)

    screen.app.push_screen(ChoiceModal(t("rating.tui.title", case_no=case_no) + " · " + t("rating.tui.level"), levels, "5"), on_level)
