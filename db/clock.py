"""Timestamps as the database stores them.

One format everywhere (local time with its UTC offset, to the second, e.g.
``2026-05-09T15:30:00+08:00``) so that strings sort and compare, the hall
reads them as wall-clock time, and the audit hash is reproducible.

``simulated()`` lets the demo generator replay a county's history with
back-dated timestamps; nothing else sets it.  The audit log never reads the
simulated clock: ``wall_now_iso()`` is the real time of the write, so even a
demo's audit rows say when they were really written.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

_simulated_at: list[datetime | None] = [None]


def now() -> datetime:
    """The current local time (or the simulated one), aware, to the second."""
    at = _simulated_at[0]
    if at is not None:
        return at.astimezone()
    return datetime.now().astimezone()


def now_iso() -> str:
    """The current local time, ISO 8601 with offset, seconds precision."""
    return now().isoformat(timespec="seconds")


def wall_now_iso() -> str:
    """The real local time (never the simulated one), as ``now_iso`` formats it: for audit rows."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def stamp_on(day: date) -> str:
    """A timestamp on ``day`` at the current time of day (work recorded for a given date)."""
    return f"{day.isoformat()}T{now_iso()[11:]}"


@contextmanager
def simulated() -> Iterator[list[datetime | None]]:
    """Within the block, ``holder[0] = datetime`` sets the clock every stored timestamp reads."""
    previous = _simulated_at[0]
    try:
        yield _simulated_at
    finally:
        _simulated_at[0] = previous
