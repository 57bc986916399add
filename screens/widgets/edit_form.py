"""The form to change a case after registration: the applicant's phone, address, bank card and the joint items.

Prefilled with what is stored; ctrl+s returns only what changed (the screen
saves it through the services, which validate, version and audit); Escape
with changes asks before throwing them away.
"""
from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static

from console.i18n import t
from console.vocabulary import JOINT_ITEMS

FIELDS = ("phone", "address", "bank_card")


class CaseEditModal(ModalScreen[dict[str, Any] | None]):
    """Edit the person's contact fields and the case's joint items; dismissed with the changes, or None."""

    DEFAULT_CSS = """
    CaseEditModal { align: center middle; }
    CaseEditModal > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%; border: thick $primary;
                               background: $panel; padding: 0 1; }
    CaseEditModal Grid { grid-size: 2; grid-columns: 10 1fr; grid-rows: 1; grid-gutter: 1 1; height: auto; margin: 1 0; }
    CaseEditModal Label { color: $text-muted; }
    CaseEditModal SelectionList { height: auto; max-height: 5; }
    CaseEditModal Horizontal { height: auto; align-horizontal: right; }
    CaseEditModal Button { margin-left: 2; }
    """
    CSS = """
    CaseEditModal Grid Input, CaseEditModal Grid Input:focus { height: 1; border: none; padding: 0 1; }
    CaseEditModal Grid Input:focus { background: $primary 20%; }
    """
    """At the app's level: the shell's ``Input:focus`` border would leave a 1-row input only its top edge."""
    BINDINGS = [
        Binding("ctrl+s", "save", t("tui.case_edit.b_save"), priority=True),
        Binding("escape", "cancel", t("tui.modal.cancel"), show=False),
    ]

    def __init__(self, case: dict[str, Any]) -> None:
        super().__init__()
        person = case.get("person") or {}
        self.before: dict[str, Any] = {f: person.get(f) or "" for f in FIELDS}
        self.joint_before = sorted(case.get("joint_items") or [])
        self.case_no = str(case.get("case_no") or "")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("tui.case_edit.title", case_no=self.case_no), markup=False)
            with Grid():
                for field in FIELDS:
                    yield Label(t(f"tui.case_edit.{field}"))
                    yield Input(str(self.before[field]), id=f"edit-{field}")
            yield Static(t("tui.case_edit.joint"), markup=False)
            yield SelectionList[str](*[(t(f"joint_items.{code}"), code, code in self.joint_before) for code in JOINT_ITEMS],
                                     id="edit-joint")
            yield Static(t("tui.case_edit.hint"), classes="muted", markup=False)
            with Horizontal():
                yield Button(t("tui.modal.cancel"), id="cancel")
                yield Button(t("tui.case_edit.b_save"), id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#edit-phone", Input).focus()

    def changes(self) -> dict[str, Any]:
        """What differs from the stored values: person fields by name, joint items as ``add`` and ``remove``."""
        out: dict[str, Any] = {}
        for field in FIELDS:
            value = self.query_one(f"#edit-{field}", Input).value.strip()
            if value != str(self.before[field]):
                out[field] = value
        chosen = set(self.query_one("#edit-joint", SelectionList).selected)
        add = sorted(chosen - set(self.joint_before))
        remove = sorted(set(self.joint_before) - chosen)
        if add:
            out["add"] = add
        if remove:
            out["remove"] = remove
        return out

    def action_save(self) -> None:
        self.dismiss(self.changes() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        if not self.changes():
            self.dismiss(None)
            return
        from screens.widgets.confirm import ConfirmModal

        def answer(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmModal(t("tui.case_edit.discard")), answer)
