"""Every screen of the console, reached by keys from the queue, in either language (issue 14).

Shared by the snapshot matrix (tests/test_tui_matrix.py) and the cut-word test
(tests/test_tui_fit.py).  Each entry of ``SCREENS`` is a ``run_before`` for
``snap_compare`` or for ``app.run_test``: it starts on the queue of the demo hall
and presses the keys a clerk would to get to the screen.

The console's key descriptions are read from the catalogue when a screen's
module is imported (``Binding(..., t("..."))``), as a real process does after
``retire tui --lang en`` has chosen the language.  A test process imports
``screens`` once in Chinese, so ``english_screens()`` gives the English app a
private import of the ``screens`` package, made with English in force, and puts
the Chinese one back afterwards: the other tests never see it.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.tui_helpers import LOGIN, TODAY, query_one_value, settle

RunBefore = Callable[[Any], Awaitable[None]]
_ENGLISH: dict[str, ModuleType] = {}


def _screens_modules() -> dict[str, ModuleType]:
    return {name: mod for name, mod in sys.modules.items() if name == "screens" or name.startswith("screens.")}


@contextmanager
def english_screens() -> Iterator[None]:
    """``screens.*`` imported with English in force (cached for the session); the Chinese import restored after."""
    chinese = _screens_modules()
    for name in chinese:
        del sys.modules[name]
    try:
        if _ENGLISH:
            sys.modules.update(_ENGLISH)
        else:
            package = importlib.import_module("screens")
            for info in pkgutil.walk_packages(package.__path__, "screens."):
                importlib.import_module(info.name)
            _ENGLISH.update(_screens_modules())
        yield
    finally:
        for name in _screens_modules():
            del sys.modules[name]
        sys.modules.update(chinese)


def build_app(db_path: Path, lang: str) -> Any:
    """The console on the demo hall as the tests' clerk, in ``lang``, on the fixed day."""
    from screens.app import RetireApp
    from screens.context import AppContext

    return RetireApp(AppContext(db_path=db_path, login=LOGIN, lang=lang, today_override=TODAY))


async def _still(pilot: Any) -> None:
    await settle(pilot.app, pilot)
    await pilot.pause(0.1)
    await settle(pilot.app, pilot)


async def _keys(pilot: Any, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot.app, pilot)


def _case(pilot: Any, status: str) -> str:
    sql = "SELECT case_no FROM cases WHERE status = ? ORDER BY id LIMIT 1"
    case_no = query_one_value(pilot.app.ctx.db_path, sql, (status,))
    assert case_no, status
    return str(case_no)


def keys(*pressed: str) -> RunBefore:
    async def run_before(pilot: Any) -> None:
        await settle(pilot.app, pilot)
        await _keys(pilot, *pressed)
        await _still(pilot)

    return run_before


def on_case(status: str, *pressed: str) -> RunBefore:
    async def run_before(pilot: Any) -> None:
        await settle(pilot.app, pilot)
        pilot.app.open_case(_case(pilot, status))
        await settle(pilot.app, pilot)
        await _keys(pilot, *pressed)
        await _still(pilot)

    return run_before


async def intake_known(pilot: Any) -> None:
    """Intake with the ID number of a person the hall knows (typing is covered by tests/test_tui_intake.py)."""
    from textual.widgets import Input

    await settle(pilot.app, pilot)
    id_number = query_one_value(pilot.app.ctx.db_path, "SELECT id_number FROM persons ORDER BY id LIMIT 1")
    await _keys(pilot, "ctrl+n")
    pilot.app.screen.query_one("#id_number", Input).value = str(id_number)
    await _still(pilot)


async def message_log(pilot: Any) -> None:
    """ctrl+l after two messages, one of them an error."""
    await settle(pilot.app, pilot)
    pilot.app.notify("GY-2026-000001", severity="information")
    pilot.app.notify("GY-2026-000002", severity="error")
    await settle(pilot.app, pilot)
    log = pilot.app.messages  # said at a fixed time, so the snapshot does not move with the clock
    log._entries = deque(replace(entry, at=f"{TODAY.isoformat()}T09:3{entry.serial}:00+08:00") for entry in log)
    await _keys(pilot, "ctrl+l")
    await _still(pilot)


SCREENS: dict[str, RunBefore] = {
    "queue": keys(),
    "work_mine": keys("m"),
    "work_confirm": keys("v"),
    "work_returned": keys("b"),
    "help": keys("f1"),
    "messages": message_log,
    "case_detail": on_case("in_progress"),
    "refuse_prompt": on_case("draft", "x"),
    "case_edit": on_case("draft", "m"),
    "withdraw_prompt": on_case("draft", "w"),
    "prereview": on_case("draft", "p"),
    "notices": on_case("delivered", "n"),
    "delivery": on_case("completed", "e"),
    "rating": on_case("delivered", "e", "ctrl+e"),
    "department": keys("f3"),
    "claim_confirm": keys("f3", "c"),
    "dashboard": keys("f4"),
    "upcoming": keys("f6"),
    "promises": keys("f7"),
    "intake_empty": keys("ctrl+n"),
    "intake_known": intake_known,
}
"""Every screen and the modals a clerk reaches by keys: name -> how to get there from the queue."""
