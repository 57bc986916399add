"""What every console screen shares: service calls in thread workers, errors as notifications, Escape to go back.

A service call runs in a thread worker with its own connection
(``ctx.open()``); its result comes back to the UI thread as a message, so
widgets are only ever touched on the UI thread.  A ``RetireError`` becomes a
readable notification; anything else becomes one line too, never a traceback.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header
from textual.worker import get_current_worker

from console.display import clean_tree
from console.errors import RetireError, StaleVersion
from console.i18n import t

if TYPE_CHECKING:
    from screens.context import AppContext

log = logging.getLogger(__name__)


class ServiceDone(Message):
    """A service call finished; ``callback(value)`` runs on the UI thread."""

    def __init__(self, callback: Callable[[Any], None], value: Any) -> None:
        super().__init__()
        self.callback = callback
        self.value = value


class ServiceFailed(Message):
    """A service call raised; ``on_error`` (if any) decides, else a notification."""

    def __init__(self, error: BaseException, on_error: Callable[[BaseException], bool] | None) -> None:
        super().__init__()
        self.error = error
        self.on_error = on_error


def error_text(error: BaseException) -> str:
    """The user's words for any failure: the CLI's sentence for a fault of the machine
    (busy, disk full, read-only, I/O: console.faults), and for a bug one line naming
    the crash log that holds its traceback, never a raw ``OperationalError``."""
    from console.faults import crash_line, translate

    mapped = translate(error)
    if mapped is not None:
        return mapped.text()
    return crash_line(error, "retire tui")


class RetireScreen(Screen[Any]):
    """Base of the console screens: ``call`` runs a service off the UI thread."""

    BINDINGS = [Binding("escape", "back", t("tui.app.back"), id="back")]
    NAME_KEY = ""
    """Catalogue key of the screen's name, shown in the header."""

    @property
    def screen_name(self) -> str:
        return t(self.NAME_KEY) if self.NAME_KEY else type(self).__name__

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        yield from self.body()
        yield Footer(show_command_palette=False)

    def body(self) -> ComposeResult:
        """The screen's own widgets, between header and footer."""
        return iter(())

    def on_mount(self) -> None:
        self.title = f"{self.app.title} · {self.screen_name}"
        self.sub_title = self.app.sub_title

    @property
    def ctx(self) -> AppContext:
        return self.app.ctx  # type: ignore[attr-defined,no-any-return]

    def has_unsaved(self) -> bool:
        """True while the user has typed something not yet saved."""
        return False

    def call(
        self,
        fn: Callable[[Any, Any], Any],
        done: Callable[[Any], None],
        *,
        group: str = "service",
        exclusive: bool = False,
        on_error: Callable[[BaseException], bool] | None = None,
    ) -> None:
        """Run ``fn(db, actor)`` in a thread worker; ``done(result)`` runs on the UI thread.

        ``exclusive=True`` is for reads: a newer read in the same group replaces
        the older one, whose result is dropped.  Writes keep the default, so
        every save reports back.
        """

        def job() -> None:
            worker = get_current_worker()
            try:
                with self.ctx.open() as (db, actor):
                    value = fn(db, actor)
                value = clean_tree(value)  # stored text reaches the screen without control characters
            except Exception as error:  # every failure becomes a notification
                if not isinstance(error, RetireError):
                    from console.faults import translate

                    mapped = translate(error, self.ctx.db_path)
                    if mapped is None:
                        log.exception("service call failed")
                    else:
                        error = mapped  # the sentence names this hall's file and its lock holder
                if not worker.is_cancelled:
                    self.post_message(ServiceFailed(error, on_error))
                return
            if not worker.is_cancelled:
                self.post_message(ServiceDone(done, value))

        self.run_worker(job, thread=True, group=group, exclusive=exclusive, exit_on_error=False)

    def on_service_done(self, message: ServiceDone) -> None:
        message.stop()
        try:
            message.callback(message.value)
        except RetireError as error:
            self.notify(error_text(error), severity="error", markup=False)

    def on_service_failed(self, message: ServiceFailed) -> None:
        message.stop()
        if message.on_error is not None and message.on_error(message.error):
            return
        severity = "warning" if isinstance(message.error, StaleVersion) else "error"
        self.notify(error_text(message.error), severity=severity, markup=False, timeout=8)

    def action_back(self) -> None:
        """Leave this screen, asking first if something typed would be lost."""
        if len(self.app.screen_stack) <= 2:
            return
        if self.has_unsaved():
            from screens.widgets.confirm import ConfirmModal

            def answer(yes: bool | None) -> None:
                if yes:
                    self.dismiss(None)

            self.app.push_screen(ConfirmModal(t("tui.app.leave_unsaved")), answer)
            return
        self.dismiss(None)
