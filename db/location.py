"""Where the database file lives.

One rule for every entry point (CLI, TUI, scripts) so that a clerk and a
nightly import never end up writing to two different files: an explicit
``--db`` wins, then ``$RETIRE_DB`` (a hall sets it once for everybody, e.g.
in /etc/profile.d), then a per-user default that needs no setup.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when asked (a lookup without a hall never reads the config module)
    from console.hall_config import HallConfig

ENV_VAR = "RETIRE_DB"
APP_NAME = "retire"
FILE_NAME = "retire.db"


def default_db_path() -> Path:
    """The per-user database, for a single clerk trying the console out."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / FILE_NAME


def resolve_db_path(explicit: Path | None = None) -> Path:
    """The database file to use: ``explicit``, else ``$RETIRE_DB``, else the per-user default.

    In a hall's service account (or root's job naming a hall) the hall's
    config file decides, and ``explicit`` and the environment are ignored.

    No side effects: creating directories is ``open_database``'s job, and only
    for the per-user default (a typo in a shared path must not grow a new tree).
    """
    hall = hall_of_process()
    if hall is not None:
        return hall.db  # a hall's service account: root's config, never the caller's --db / $RETIRE_DB
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return default_db_path()


def hall_of_process() -> HallConfig | None:
    """The hall config this process runs under (exit 3 when it exists but is not trustworthy)."""
    from console.errors import EnvironmentFailure
    from console.hall_config import HallConfigError, active

    try:
        return active()
    except HallConfigError as err:
        raise EnvironmentFailure("hall.config_untrusted", path=str(err.path), reason=err.reason) from None
