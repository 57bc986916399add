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
from textual.screen import Screen

from console.i18n import t
from console.vocabulary import ROLE
from screens.commands import CaseCommands
from screens.context import AppContext
from screens.widgets.base import RetireScreen


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


def staff_line(ctx: AppContext) -> str:
    """'柜员甲（综柜、主管）' for the header."""
    actor = ctx.actor
    if actor is None:
        return ctx.login
    ordered = sorted(actor.roles, key=lambda r: ROLE_ORDER.index(r) if r in ROLE_ORDER else len(ROLE_ORDER))
    roles = t("tui.app.roles_sep").join(t(ROLE.key(r)) for r in ordered)
    return f"{actor.name}（{roles}）" if roles else actor.name


class RetireApp(App[None]):
    """退休一件事 back-office console."""

    CSS_PATH = "app.tcss"
    TITLE = "退休一件事"
    COMMANDS = App.COMMANDS | {CaseCommands}
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
        Binding("ctrl+q", "quit_safely", t("tui.app.quit"), priority=True, id="quit"),
        Binding("q", "quit_safely", t("tui.app.quit"), show=False, id="quit-q"),
    ]

    def __init__(self, ctx: AppContext, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        threading.Thread(target=_warm_calendar, name="warm-calendar", daemon=True).start()
        if ctx.actor is None:
            with ctx.open():
                pass
        from console.settings import load_hall

        county = load_hall()["hall"]["county" if ctx.lang == "zh" else "county_en"]
        self.title = f"{t('tui.app.title')} · {county}"
        if _is_demo_hall(ctx):
            self.title = f"{self.title} · {t('demo.title_mark')}"
        self.sub_title = staff_line(ctx)

    def on_mount(self) -> None:
        from screens.queue import QueueScreen

        self.push_screen(QueueScreen())

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

    def action_go(self, name: str) -> None:
        """Switch to a main area: back to the queue, or open the department pane / statistics / upcoming retirements."""
        from screens.dashboard import DashboardScreen
        from screens.department import DepartmentScreen
        from screens.promises import PromisesScreen
        from screens.queue import QueueScreen
        from screens.upcoming import UpcomingScreen

        kinds = {"queue": QueueScreen, "department": DepartmentScreen, "dashboard": DashboardScreen, "upcoming": UpcomingScreen,
                 "promises": PromisesScreen}
        wanted = kinds[name]
        if isinstance(self.screen, wanted):
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

        self.push_screen(ConfirmModal(t("tui.app.quit_unsaved", screens="、".join(unsaved))), answer)
