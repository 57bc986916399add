"""The text of an issued notice in a modal, and a confirm modal for long lists.

The notice text comes from ``console.services.notices.render_text`` when that
service is present; until then it is composed here from the decision.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from console.display import clean
from console.i18n import current_lang, t
from console.rules.explain import Finding
from console.settings import load_hall
from screens.widgets.confirm import ConfirmModal
from screens.widgets.findings import finding_text, sort_findings

BLOCKING = ("unmet", "missing")


def compose_notice_text(kind: str, number: str | None, case_no: str, name: str, findings: Iterable[Finding], today: str) -> str:
    """A plain-text notice built from the decision (used when the notices service is absent)."""
    hall = load_hall()["hall"]
    en = current_lang() == "en"
    lines = [
        hall["department_en" if en else "department"],
        t(f"tui.notice.title.{kind}"),
        t("tui.notice.number", number=number or "—"),
        "",
        t("tui.notice.to", name=name),
        t("tui.notice.case", case_no=case_no),
    ]
    items = [f for f in sort_findings(findings) if f.severity in BLOCKING]
    if kind == "acceptance":
        lines.append(t("tui.notice.accepted_body"))
    else:
        lines.append(t("tui.notice.correction_body", n=len(items)))
        lines += [f"  {n}. {finding_text(f)}" for n, f in enumerate(items, start=1)]
        lines.append(t("tui.notice.correction_tail"))
    lines += ["", hall["window_en" if en else "window"], t("tui.notice.contact", address=hall["address"], phone=hall["phone"]),
              t("tui.notice.date", date=today)]
    return "\n".join(lines)


def render_notice(db: Any, actor: Any, case_no: str, kind: str, number: str | None, name: str,
                  findings: Iterable[Finding], today: str) -> str:
    """The notice text: the notices service if available, else composed here.  Call in a worker."""
    try:
        notices = importlib.import_module("console.services.notices")
    except ImportError:
        notices = None
    render = getattr(notices, "render_text", None)
    if render is not None:
        return str(render(db, actor, case_no, kind))
    return compose_notice_text(kind, number, case_no, name, findings, today)


class NoticePreview(ModalScreen[None]):
    """Shows a notice as issued; Enter or Escape closes it."""

    DEFAULT_CSS = """
    NoticePreview { align: center middle; }
    NoticePreview > Vertical { width: 84; max-width: 100%; height: auto; max-height: 100%; border: thick $primary; background: $panel; }
    NoticePreview #notice-head { padding: 0 1; text-style: bold; background: $primary-muted; width: 100%; }
    NoticePreview VerticalScroll { height: auto; max-height: 18; padding: 0; }
    NoticePreview #notice-body { width: 100%; }
    NoticePreview Horizontal { height: auto; align-horizontal: right; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,enter", "close", t("tui.notice.close"), show=False)]

    def __init__(self, title: str, number: str | None, text: str) -> None:
        super().__init__()
        self.title_text = clean(title)
        self.number = number
        self.text = clean(text)  # a stored name with an escape must not reach the terminal

    def compose(self) -> ComposeResult:
        with Vertical():
            head = Text(self.title_text)
            if self.number:
                head.append("  " + t("tui.notice.number", number=self.number))
            yield Static(head, id="notice-head")
            with VerticalScroll():
                yield Static(self.text, id="notice-body", markup=False)
            with Horizontal():
                yield Button(t("tui.notice.close"), id="close", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class ListConfirmModal(ConfirmModal):
    """ConfirmModal whose question may be a long list: the text scrolls, the buttons stay."""

    DEFAULT_CSS = """
    ListConfirmModal > Vertical { width: 76; max-height: 100%; }
    ListConfirmModal VerticalScroll { height: auto; max-height: 16; }
    """

    def __init__(self, heading: str, body: Text | str, yes: str | None = None, no: str | None = None) -> None:
        super().__init__(heading, yes, no)
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False, id="confirm-heading")
            with VerticalScroll():
                yield Static(self.body, markup=False, id="confirm-body")
            with Horizontal():
                yield Button(self.no_label, id="no")
                yield Button(self.yes_label, id="yes", variant="warning")
