"""Where the database file lives.

One rule for every entry point (CLI, TUI, scripts) so that a clerk and a
nightly import never end up writing to two different files: an explicit
``--db`` wins, then ``$RETIRE_DB`` (a hall sets it once for everybody, e.g.
in /etc/profile.d), then a per-user default that needs no setup.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "RETIRE_DB"
APP_NAME = "retire"
FILE_NAME = "retire.db"


def default_db_path() -> Path:
    """The per-user database, for a single clerk trying the console out."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / FILE_NAME


def resolve_db_path(explicit: Path | None = None) -> Path:
    """The database file to use: ``explicit``, else ``$RETIRE_DB``, else the per-user default.

    No side effects: creating directories is ``open_database``'s job, and only
    for the per-user default (a typo in a shared path must not grow a new tree).
    """
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return default_db_path()
