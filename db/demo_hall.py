"""Is a file a demo hall?  Asked WITHOUT changing a byte of it or creating a file beside it.

``retire demo`` may write only into a new file or a file marked as a demo
hall when it was made (``db.hall_meta.DEMO_KEY``).  Opening a database the
usual way is not harmless for that question: ``PRAGMA journal_mode=WAL``
rewrites the header of a rollback-journal file, and even a read-only
connection to a WAL file leaves ``-wal`` and ``-shm`` files behind (owned
by whoever asked: root's would lock the hall's service account out).  So
the probe opens the file ``immutable``: nothing is written, nothing is
created, no lock is taken.  A demo hall is checkpointed when it is made, so
its mark is in the main file; a real hall is never marked, whatever its WAL
holds.  When in doubt (not a database, unreadable, a link, a device), the
answer is "other", and the demo refuses.
"""
from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from db.hall_meta import DEMO_KEY, DEMO_VALUE

NEW = "new"
DEMO = "demo"
OTHER = "other"


@dataclass(frozen=True)
class Probe:
    kind: str  # NEW, DEMO or OTHER
    cases: int = 0
    staff: int = 0


def _count(conn: sqlite3.Connection, table: str) -> int:
    try:
        return int(conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0])
    except sqlite3.Error:
        return 0


def probe(path: Path) -> Probe:
    """What ``path`` is, for the demo: NEW (no file), DEMO (marked) or OTHER (anything else)."""
    path = Path(path).expanduser()
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return Probe(NEW)
    except OSError:
        return Probe(OTHER)
    if not stat.S_ISREG(info.st_mode):
        return Probe(OTHER)
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        return Probe(OTHER)
    try:
        try:
            row = conn.execute("SELECT value FROM hall_meta WHERE key = ?", [DEMO_KEY]).fetchone()
        except sqlite3.Error:  # not a database, or no hall_meta table: not a demo hall
            row = None
        kind = DEMO if row is not None and row[0] == DEMO_VALUE else OTHER
        return Probe(kind, cases=_count(conn, "cases"), staff=_count(conn, "staff"))
    finally:
        conn.close()
