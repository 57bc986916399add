"""Helpers for the TUI tests: a deterministic demo hall, the app on it, waiting for workers.

Not a test module (hence not ``test_*``): the fixtures built on it,
``hall_template`` and ``hall``, live in tests/conftest.py; tests import the
helpers below by name.  The hall is ``fixtures.demo.populate`` with a fixed
seed, day and clock, so the screens see the rows a real hall would (every
case went through the same services) and snapshots stay stable.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

TODAY = date(2026, 3, 16)
LOGIN = "clerk1"


def build_hall(db_path: Path, today: date = TODAY, login: str = LOGIN) -> Path:
    """Create the demo hall ``db_path`` (40 cases, seed 2026) with staff ``login`` holding every role."""
    from db import clock
    from fixtures.demo import populate

    # audit rows carry the real write time (db.clock.wall_now_iso): a fixed clock keeps snapshots stable
    real = clock.datetime
    clock.datetime = _FixedClock  # type: ignore[misc]
    _FixedClock.start = datetime.combine(today, time(9, 0))
    _FixedClock.ticks = 0
    try:
        populate(db_path, cases=40, seed=2026, login=login, today=today)
    finally:
        clock.datetime = real  # type: ignore[misc]
    return db_path


class _FixedClock(datetime):
    """datetime whose now() starts at 09:00 of the fixed day and moves one minute per call."""

    start: datetime
    ticks = 0

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        cls.ticks += 1
        return cls.start + timedelta(minutes=cls.ticks)


def make_app(db_path: Path) -> Any:
    """The console on ``db_path`` as LOGIN, in Chinese, on the fixed day."""
    from screens.app import RetireApp
    from screens.context import AppContext

    return RetireApp(AppContext(db_path=db_path, login=LOGIN, lang="zh", today_override=TODAY))


async def settle(app: Any, pilot: Any) -> None:
    """Wait until workers are done and their messages are handled (three rounds: a handler may start another).

    Then until every table on the screen has measured its new rows: a DataTable
    widens its columns on its own next idle, which on a busy machine can come
    after the app's, and a snapshot taken in between shows the columns at
    their headers' width.
    """
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()
    await tables_measured(app, pilot)


async def tables_measured(app: Any, pilot: Any, *, tries: int = 100) -> None:
    """Pause until no DataTable of the current screen has rows or cells waiting to be measured."""
    from textual.widgets import DataTable

    for _ in range(tries):
        pending = [t for t in app.screen.query(DataTable)
                   if t._require_update_dimensions or t._new_rows or t._updated_cells]  # Textual measures on idle
        if not pending:
            return
        await pilot.pause(0.02)


def cursor_on_task(pane: Any, **match: object) -> int:
    """Put the department pane's cursor on the first task whose fields equal ``match``; returns its row."""
    from textual.widgets import DataTable

    row = next(i for i, task in enumerate(pane.tasks) if all(task[k] == v for k, v in match.items()))
    pane.query_one(DataTable).move_cursor(row=row)
    return row


def query_one_value(db_path: Path, sql: str, args: tuple[Any, ...] = ()) -> object:
    """The first column of the first row ``sql`` returns, or None (read straight from the file)."""
    import sqlite3

    con = sqlite3.connect(db_path)
    try:
        row = con.execute(sql, args).fetchone()
        return row[0] if row else None
    finally:
        con.close()
