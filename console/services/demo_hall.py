"""Demo halls: which files ``retire demo`` may write into, and whether an open hall is one.

A demo hall is marked when its file is made (``db.hall_meta``); the demo
writes only into a new file or a marked one, whatever ``--force`` says, so
demo people, cases and roles never reach a hall's real work.  Any other
file -- with staff or cases, or simply unmarked -- is refused before a byte
of it is touched.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from console.errors import Refused
from db import demo_hall, hall_meta

if TYPE_CHECKING:
    from db.engine import Database


def check_target(path: Path) -> demo_hall.Probe:
    """The probe of ``path`` when the demo may write there (new or demo); Refused for any other file."""
    found = demo_hall.probe(Path(path))
    if found.kind == demo_hall.OTHER:
        raise Refused("demo.not_demo_hall", path=str(path), cases=found.cases, staff=found.staff)
    return found


def is_demo_hall(db: Database) -> bool:
    """True only for a hall marked as a demo when it was made (the TUI's title says 演示)."""
    return hall_meta.is_demo(db)
