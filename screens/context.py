"""What every screen needs: where the database is, who is working, which language.

Screens never hold a connection across threads: sqlite connections belong to
the thread that made them, and database work runs in Textual thread workers.
``ctx.open()`` gives a fresh connection for one piece of work; use it as a
context manager so it is closed when the work is done.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from console.services.identity import Actor, resolve_actor
from console.services.store import open_store

if TYPE_CHECKING:
    from db.engine import Database


@dataclass
class AppContext:
    """The console's session: database path, the acting staff member, language, today."""

    db_path: Path
    login: str
    lang: str = "zh"
    today_override: date | None = None
    actor: Actor | None = field(default=None)
    from_process: bool = False
    """Resolve the actor from the process at every open (the kernel's caller, RETIRE_LOGIN
    only where identity.py honours it) instead of taking ``login`` as given."""

    @property
    def today(self) -> date:
        return self.today_override or date.today()

    @contextmanager
    def open(self) -> Iterator[tuple[Database, Actor]]:
        """A connection and the actor, for one unit of work in the current thread."""
        db = open_store(self.db_path)
        try:
            actor = resolve_actor(db, None if self.from_process else self.login)
            self.actor = actor
            if self.from_process:
                self.login = actor.login
            yield db, actor
        finally:
            db.close()
