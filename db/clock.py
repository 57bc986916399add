"""Timestamps as the database stores them.

One format everywhere (local time with its UTC offset, to the second, e.g.
``2026-05-09T15:30:00+08:00``) so that strings sort and compare, the hall
reads them as wall-clock time, and the audit hash is reproducible.
"""
from __future__ import annotations

from datetime import date, datetime


def now_iso() -> str:
    """The current local time, ISO 8601 with offset, seconds precision."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def stamp_on(day: date) -> str:
    """A timestamp on ``day`` at the current time of day (work recorded for a given date)."""
    return f"{day.isoformat()}T{now_iso()[11:]}"
