"""The console's App: header, footer, global keys, the command palette, and screen switching.

The queue is the home screen.  Every other screen is pushed on top of it and
Escape pops it again; F2/F3/F4 jump between the main areas.  Quitting asks
first when any open screen holds unsaved input.
"""
from __future__ import annotations

import threading
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.notifications import Notification, Notify, SeverityLevel
from textual.screen import Screen

from console.i18n import t
from console.vocabulary import ROLE
from screens.commands import CaseCommands
from screens.context import AppContext
from screens.widgets.base import RetireScreen
from screens.widgets.messages import MessageLog, MessageLogScreen, plain


def _warm_calendar() -> None:
    """Import the holiday libraries while Textual starts (the first page's clocks need them)."""
    try:
        import chinese_calendar  # noqa: F401
        import holidays  # noqa: F401
    except Exception:  # the queue worker imports them again and reports any failure
        pass


def _unsaved(screen: Screen[Any]) -> bool:
    """Whether ``screen`` holds unsaved input: ours say so through ``has_unsaved()``; modals hold none."""
    return isinstance(screen, RetireScreen) and screen.is_mounted and screen.has_unsaved()


def _is_demo_hall(ctx: AppContext) -> bool:
    """Whether the open hall is a demo one (its title then says 演示 / DEMO)."""
    from console.services.demo_hall import is_demo_hall

    with ctx.open() as (db, _):
        return is_demo_hall(db)


ROLE_ORDER = ROLE.codes


def staff_parts(ctx: AppContext) -> tuple[str, list[str]]:
    """The acting staff member's name and the words of their roles, in the vocabulary's order."""
    actor = ctx.actor
    if actor is None:
        return ctx.login, []
    ordered = sorted(actor.roles, key=lambda r: ROLE_ORDER.index(r) if r in ROLE_ORDER else len(ROLE_ORDER))
    return actor.name, [t(ROLE.key(r)) for r in ordered]


def staff_line(ctx: AppContext) -> str:
    """'柜员甲（综柜、主管）': who is acting, with every role (the title bar shortens it to fit)."""
    name, roles = staff_parts(ctx)
    return t("tui.app.acting_roles", name=name, roles=t("tui.app.roles_sep").join(roles)) if roles else name


class RetireApp(App[None]):
    """退休一件事 back-office console."""

    CSS_PATH = "app.tcss"
    TITLE = "退休一件事"
    COMMANDS = {CaseCommands}
    """Only the console's own commands, in the reader's language: Textual's built-ins (theme, keys,
    screenshot, quit) are English and act on the terminal, not on a case."""
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1", "help", t("tui.app.help"), id="help"),
        Binding("f2", "go('queue')", t("tui.app.queue"), id="go-queue"),
        Binding("f3", "go('department')", t("tui.app.department"), id="go-department"),
        Binding("f4", "go('dashboard')", t("tui.app.dashboard"), id="go-dashboard"),
        Binding("f6", "go('upcoming')", t("tui.upcoming.b_open"), id="go-upcoming"),
        Binding("f7", "go('promises')", t("tui.promises.title"), show=False, id="go-promises"),
        Binding("ctrl+p", "command_palette", t("tui.app.palette"), show=False, id="palette"),
        Binding("ctrl+n", "intake", t("tui.app.intake"), id="intake"),
        Binding("ctrl+l", "messages", t("tui.messages.title"), id="messages"),
        Binding("ctrl+q", "quit_safely", t("tui.app.quit"), priority=True, id="quit"),
        Binding("q", "quit_safely", t("tui.app.quit"), show=False, id="quit-q"),
    ]

    def __init__(self, ctx: AppContext, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.messages = MessageLog()
        self._disable_notifications = True  # no toast ever: messages have their own line (screens/widgets/messages.py)
        threading.Thread(target=_warm_calendar, name="warm-calendar", daemon=True).start()
        if ctx.actor is None:
            with ctx.open():
                pass
        from console.settings import load_hall

        county = load_hall()["hall"]["county" if ctx.lang == "zh" else "county_en"]
        self.hall_words = [t("tui.app.title"), county]
        self.demo_mark = t("demo.title_mark") if _is_demo_hall(ctx) else ""
        self.title = " · ".join([*self.hall_words, *([self.demo_mark] if self.demo_mark else [])])
        self.sub_title = staff_line(ctx)
        self.actor_name, self.actor_roles = staff_parts(ctx)

    def on_mount(self) -> None:
        from screens.queue import QueueScreen

        self.push_screen(QueueScreen())

    # -- messages ------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every ``notify()`` of the console (thread-safe, as Textual's): to the message line and the log, never a toast.

        The Notification is still kept in ``_notifications`` (no toast rack draws it),
        so whoever asks Textual what was said gets the same answer.
        """
        if timeout is None:
            timeout = self.NOTIFICATION_TIMEOUT
        text = plain(message, markup)
        if title:
            text = f"{title}：{text}" if self.ctx.lang == "zh" else f"{title}: {text}"
        self.post_message(Notify(Notification(text, "", severity, timeout, markup=False)))

    def _on_notify(self, event: Notify) -> None:
        """On the UI thread: keep the message and show it on the top console screen's line."""
        note = event.notification
        self._notifications.add(note)
        entry = self.messages.add(str(note.message), note.severity, note.timeout)
        for screen in reversed(self.screen_stack):
            if isinstance(screen, RetireScreen) and screen.is_mounted and screen.show_message(entry, self.messages):
                return

    def _refresh_notifications(self) -> None:
        """No toast rack to refresh: messages are drawn on the message line."""

    def action_command_palette(self) -> None:
        """ctrl+p: the palette with its prompt in the reader's language."""
        from textual.command import CommandPalette

        app: Any = self
        if self.use_command_palette and not CommandPalette.is_open(app):
            self.push_screen(CommandPalette(placeholder=t("tui.palette.placeholder"), id="--command-palette"))

    def action_messages(self) -> None:
        """ctrl+l: the last messages with their times (again: closes it)."""
        if isinstance(self.screen, MessageLogScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(MessageLogScreen(list(self.messages)))

    # -- navigation ----------------------------------------------------------

    def _screen_named(self, name: str) -> Screen[Any]:
        if name == "department":
            from screens.department import DepartmentScreen

            return DepartmentScreen()
        if name == "dashboard":
            from screens.dashboard import DashboardScreen

            return DashboardScreen()
        if name == "upcoming":
            from screens.upcoming import UpcomingScreen

            return UpcomingScreen()
        if name == "promises":
            from screens.promises import PromisesScreen

            return PromisesScreen()
        raise ValueError(name)

    @staticmethod
    def _area_class(name: str) -> type[Screen[Any]]:
        from screens.dashboard import DashboardScreen
        from screens.department import DepartmentScreen
        from screens.promises import PromisesScreen
        from screens.queue import QueueScreen
        from screens.upcoming import UpcomingScreen

        kinds: dict[str, type[Screen[Any]]] = {"queue": QueueScreen, "department": DepartmentScreen, "dashboard": DashboardScreen,
                                              "upcoming": UpcomingScreen, "promises": PromisesScreen}
        return kinds[name]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The key to where one already is is left out of the footer (it would do nothing)."""
        if action == "go" and parameters:
            return not isinstance(self.screen, self._area_class(str(parameters[0])))
        if action == "intake":
            from screens.intake import IntakeScreen

            return not isinstance(self.screen, IntakeScreen)
        return True

    def action_go(self, name: str) -> None:
        """Switch to a main area: back to the queue, or open the department pane / statistics / upcoming retirements."""
        if isinstance(self.screen, self._area_class(name)):
            return
        if name == "queue":
            self._pop_to_queue()
            return
        self.push_screen(self._screen_named(name))

    def _pop_to_queue(self) -> None:
        from screens.queue import QueueScreen

        unsaved = [s for s in self.screen_stack if _unsaved(s)]

        def pop(yes: bool | None = True) -> None:
            if not yes:
                return
            while len(self.screen_stack) > 1 and not isinstance(self.screen, QueueScreen):
                self.pop_screen()

        if unsaved:
            from screens.widgets.confirm import ConfirmModal

            self.push_screen(ConfirmModal(t("tui.app.leave_unsaved")), pop)
        else:
            pop()

    def open_case(self, case_no: str) -> None:
        """Show one case's detail."""
        from screens.case_detail import CaseDetailScreen

        self.push_screen(CaseDetailScreen(case_no))

    def open_department(self, case_no: str | None = None) -> None:
        from screens.department import DepartmentScreen

        self.push_screen(DepartmentScreen(case_no=case_no))

    def open_delivery(self, case_no: str) -> None:
        from screens.delivery import DeliveryScreen

        self.push_screen(DeliveryScreen(case_no))

    def action_help(self) -> None:
        from screens.help import HelpScreen, collect_bindings

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(collect_bindings(self, self.screen)))

    def action_intake(self) -> None:
        """The intake screen; a decided case opens in its detail."""
        from screens.intake import IntakeScreen

        def done(case_no: str | None) -> None:
            if case_no:
                self.open_case(case_no)

        self.push_screen(IntakeScreen(self.ctx), done)

    def open_prereview(self, case_no: str, after: Any = None) -> None:
        """The pre-review screen; ``after(changed)`` runs when it is left."""
        from screens.prereview import PrereviewScreen

        self.push_screen(PrereviewScreen(self.ctx, case_no), after)

    # -- quitting ------------------------------------------------------------

    def unsaved_screens(self) -> list[str]:
        """Names of open screens holding unsaved input."""
        return [s.screen_name for s in self.screen_stack if isinstance(s, RetireScreen) and _unsaved(s)]

    def action_quit_safely(self) -> None:
        unsaved = self.unsaved_screens()
        if not unsaved:
            self.exit()
            return
        from screens.widgets.confirm import ConfirmModal

        def answer(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(ConfirmModal(t("tui.app.quit_unsaved", screens=t("tui.app.list_sep").join(unsaved))), answer)
