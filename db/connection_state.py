"""What every connection of this process shares: the busy timeout, the file opened last, lock listeners.

A module of its own, importing nothing of ours, so that ``console.faults``
(which turns a failure into a sentence naming the file and the wait) can
read it without importing ``db.connection``, which imports faults to
translate an open failure: the state lives below both, and neither imports
the other back.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a listener gets the Database whose transaction took the lock
    from db.engine import Database

LockListener = Callable[["Database"], None]

BUSY_TIMEOUT_MS = 15000
"""How long a writer waits for the lock before "database is busy" (exit 3)."""
BUSY_TIMEOUT_ENV = "RETIRE_BUSY_TIMEOUT_MS"
MAX_BUSY_TIMEOUT_MS = 600_000

_last_path: Path | None = None
_lock_listeners: list[LockListener] = []


def busy_timeout_ms() -> int:
    """The busy timeout: ``$RETIRE_BUSY_TIMEOUT_MS`` when it is a whole number in 0..600000, else 15 s."""
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if raw.isascii() and raw.isdigit() and int(raw) <= MAX_BUSY_TIMEOUT_MS:
        return int(raw)
    return BUSY_TIMEOUT_MS


def last_opened() -> Path | None:
    """The database file this process opened last (for messages about a fault met later)."""
    return _last_path


def note_opened(path: Path) -> None:
    """Remember ``path`` as the file opened last: the opener calls it once the file passed its checks."""
    global _last_path
    _last_path = path


def add_lock_listener(callback: LockListener) -> None:
    """Call ``callback(db)`` each time an outermost ``transaction()`` has taken the write lock."""
    _lock_listeners.append(callback)


def remove_lock_listener(callback: LockListener) -> None:
    if callback in _lock_listeners:
        _lock_listeners.remove(callback)


def lock_listeners() -> tuple[LockListener, ...]:
    """The listeners now registered, as a copy: one may remove itself while they are called."""
    return tuple(_lock_listeners)
