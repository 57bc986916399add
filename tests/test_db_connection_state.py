"""Every opener of a hall waits for a colleague's lock as long as ``$RETIRE_BUSY_TIMEOUT_MS`` says.

The bulk loader (imports, the demo) opens its own connection for a writer
thread; it used to take the built-in 15 s whatever the hall set, so a hall
with long imports that raised the wait still saw its loads give up early.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from db.bulk import open_loader
from db.connection import open_database
from db.connection_state import BUSY_TIMEOUT_MS, last_opened
from db.schema import migrate


def _hall(tmp_path: Path) -> Path:
    path = tmp_path / "hall.db"
    db = open_database(path)
    migrate(db)
    db.conn.close()
    return path


@pytest.mark.parametrize("setting, expected", [("2500", 2500), ("", BUSY_TIMEOUT_MS), ("soon", BUSY_TIMEOUT_MS)])

def test_the_loader_waits_as_long_as_the_opener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, expected: int) -> None:
    path = _hall(tmp_path)
    monkeypatch.setenv("RETIRE_BUSY_TIMEOUT_MS", setting)
    opened = open_database(path, create=False)
    loader = open_loader(path)
    try:
        assert int(opened.execute("PRAGMA busy_timeout").fetchone()[0]) == expected
        assert int(loader.execute("PRAGMA busy_timeout").fetchone()[0]) == expected
    finally:
        opened.conn.close()
        loader.conn.close()


def test_a_fault_met_later_names_the_file_opened_last(tmp_path: Path) -> None:
    path = _hall(tmp_path)
    open_database(path, create=False).conn.close()
    assert last_opened() == path
