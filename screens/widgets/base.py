"""What every console screen shares: service calls in thread workers, errors as notifications, Escape to go back.

A service call runs in a thread worker with its own connection
(``ctx.open()``); its result comes back to the UI thread as a message, so
widgets are only ever touched on the UI thread.  A ``RetireError`` becomes a
readable notification; anything else becomes one line too, never a traceback
(a bug's traceback goes to the log).  A save refused because someone else
saved first (``StaleVersion``) is handled in one place, ``stale()``: it names
who and when, keeps what was typed, and offers to reload.  Unsaved input is
reported by one method, ``has_unsaved()``, which Escape and quitting ask.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from console.display import clean_tree
from console.errors import RetireError, StaleVersion
from console.i18n import t
from screens.widgets.footer import RetireFooter
from screens.widgets.hall_app import hall_app
from screens.widgets.messages import ConsoleMessage, MessageLine, MessageLog
from screens.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from screens.context import AppContext

log = logging.getLogger(__name__)


class ServiceDone(Message):
    """A service call finished; ``callback(value)`` runs on the UI thread."""

    def __init__(self, callback: Callable[[Any], None], value: Any, holds: bool = False) -> None:
        super().__init__()
        self.callback = callback
        self.value = value
        self.holds = holds


class ServiceFailed(Message):
    """A service call raised; ``on_error`` (if any) decides, else a notification."""

    def __init__(self, error: BaseException, on_error: Callable[[BaseException], bool] | None, holds: bool = False) -> None:
        super().__init__()
        self.error = error
        self.on_error = on_error
        self.holds = holds


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

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", t("tui.app.back"), id="back")]
    NAME_KEY = ""
    """Catalogue key of the screen's name, shown in the header."""
    LEAVE_KEY = "tui.app.leave_unsaved"
    """Catalogue key of the question Escape asks while ``has_unsaved()``."""

    def __init__(self, ctx: AppContext | None = None, **kwargs: Any) -> None:
        """``ctx`` is for a screen shown outside the console's App (a form on its own); else the App's is used."""
        super().__init__(**kwargs)
        self._ctx = ctx
        self.busy = False
        """True while a ``call(..., holds=True)`` runs: Escape and the screen's writes wait for it."""

    @property
    def screen_name(self) -> str:
        """The screen's name in the reader's language; never the class name (a dialog quotes it)."""
        return t(self.NAME_KEY or "tui.app.this_screen")

    def compose(self) -> ComposeResult:
        yield TitleBar(self.screen_name)
        yield from self.body()
        yield from self.bottom()

    def bottom(self) -> ComposeResult:
        """The message line and the footer: a screen with its own ``compose`` ends it with these."""
        yield MessageLine()
        yield RetireFooter()

    def show_message(self, entry: ConsoleMessage | None, log: MessageLog | None = None) -> bool:
        """Show ``entry`` on this screen's message line; False when the screen has none."""
        lines = self.query(MessageLine)
        if not lines:
            return False
        lines.first().show(entry, log)
        return True

    def on_screen_resume(self) -> None:
        """Back on top: the message still showing (said on the screen just left) stays in sight."""
        log = getattr(self.app, "messages", None)
        if isinstance(log, MessageLog):
            self.show_message(log.shown, log)

    def body(self) -> ComposeResult:
        """The screen's own widgets, between header and footer."""
        return iter(())

    def on_mount(self) -> None:
        self.title = f"{self.app.title} · {self.screen_name}"
        self.sub_title = self.app.sub_title

    @property
    def ctx(self) -> AppContext:
        if self._ctx is not None:
            return self._ctx
        return hall_app(self.app).ctx

    def has_unsaved(self) -> bool:
        """True while the user has typed something not yet saved."""
        return False

    def leave_result(self) -> Any:
        """What the screen is dismissed with when the user leaves it (Escape)."""
        return None

    def call(
        self,
        fn: Callable[[Any, Any], Any],
        done: Callable[[Any], None],
        *,
        group: str = "service",
        exclusive: bool = False,
        on_error: Callable[[BaseException], bool] | None = None,
        holds: bool = False,
    ) -> None:
        """Run ``fn(db, actor)`` in a thread worker; ``done(result)`` runs on the UI thread.

        ``exclusive=True`` is for reads: a newer read in the same group replaces
        the older one, whose result is dropped.  Writes keep the default, so
        every save reports back.  ``holds=True`` (for writes, never with
        ``exclusive``: a replaced call would not report back) sets ``busy``
        until the call reports back, success or failure, so a second save or
        Escape cannot race the first.  ``on_error(error)`` sees a failure
        first; it returns True when it has dealt with it.
        """
        if holds and exclusive:
            raise ValueError("a call that holds the screen must not be replaceable")
        if holds:
            self.busy = True

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
                    self.post_message(ServiceFailed(error, on_error, holds))
                return
            if not worker.is_cancelled:
                self.post_message(ServiceDone(done, value, holds))

        self.run_worker(job, thread=True, group=group, exclusive=exclusive, exit_on_error=False)

    def on_service_done(self, message: ServiceDone) -> None:
        message.stop()
        if message.holds:
            self.busy = False
        try:
            message.callback(message.value)
        except RetireError as error:
            self.notify(error_text(error), severity="error", markup=False)

    def on_service_failed(self, message: ServiceFailed) -> None:
        message.stop()
        if message.holds:
            self.busy = False
        if message.on_error is not None and message.on_error(message.error):
            return
        if isinstance(message.error, StaleVersion):
            self.stale(message.error)
            return
        self.notify(error_text(message.error), severity="error", markup=False, timeout=8)

    def stale(self, error: StaleVersion) -> None:
        """Someone saved first: say who and when, keep the input, and offer to reload (``action_refresh``).

        A screen whose answer to a stale save is not a reload (the pre-review
        offers to overwrite) overrides this one method.
        """
        text = error_text(error)
        self.notify(text, severity="warning", markup=False, timeout=10)
        refresh = getattr(self, "action_refresh", None)
        if refresh is None:
            return
        from screens.widgets.confirm import ConfirmModal

        def answer(yes: bool | None) -> None:
            if yes:
                refresh()

        self.app.push_screen(ConfirmModal(text + "\n" + t("tui.screen.stale_reload")), answer)

    def action_back(self) -> None:
        """Leave this screen, asking first if something typed would be lost."""
        if self.busy or len(self.app.screen_stack) <= 1 or self.app.screen is not self:
            return
        if self.has_unsaved():
            from screens.widgets.confirm import ConfirmModal

            def answer(yes: bool | None) -> None:
                if yes:
                    self.dismiss(self.leave_result())

            self.app.push_screen(ConfirmModal(t(self.LEAVE_KEY)), answer)
            return
        self.dismiss(self.leave_result())
