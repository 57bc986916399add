"""The question before a claim or a completion made from a table: it names the case and the task."""
from __future__ import annotations

from typing import Any

from textual.widgets import Button

from console.i18n import t
from screens.widgets.confirm import ConfirmModal


class TaskConfirm(ConfirmModal):
    """A ConfirmModal whose Enter confirms (the yes button has focus): Enter or Y does it, Escape or N cancels.

    A claim or a completion is the action the clerk just chose from a row, so
    the default is to go ahead; the question is there so a stray key on the
    wrong row is seen before it is recorded.
    """

    def on_mount(self) -> None:
        # ConfirmModal's own on_mount (run after this one) focuses "no": move to "yes" once it has
        self.call_later(self.query_one("#yes", Button).focus)


def claim_question(task: dict[str, Any]) -> str:
    return t("tui.tasks.confirm_claim", case_no=task["case_no"], item=t(f"items.{task['item']}"))


def complete_question(task: dict[str, Any], result: str) -> str:
    return t("tui.tasks.confirm_done", case_no=task["case_no"], item=t(f"items.{task['item']}"), result=result)
