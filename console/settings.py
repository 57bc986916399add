"""Loading the local parameters file (the one place rules' parameters come from).

The shipped defaults are ``console/parameters.toml``; a hall may name its own
file in $RETIRE_PARAMETERS, whose entries replace the defaults by name.
"""
from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from console.errors import BadInput
from console.rules.parameters import LocalParameters

DEFAULT_PARAMETERS_FILE = Path(__file__).with_name("parameters.toml")


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise BadInput("settings.parameters_unreadable", path=str(path), reason=exc.strerror or str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput("settings.parameters_invalid", path=str(path), reason=str(exc)) from None


@cache
def load_parameters(override: str | None = None) -> LocalParameters:
    """The parameters in force: shipped defaults, then the hall's override file."""
    data = _read(DEFAULT_PARAMETERS_FILE)
    override = override if override is not None else _hall_setting("parameters", "RETIRE_PARAMETERS")
    if override:
        data.update(_read(Path(override)))
    data.pop(IMPORT_TABLE, None)  # the importer's limits are not a rule: they stay out of the policy digest
    params = LocalParameters.from_mapping(data)
    try:
        params.pension_formula()  # a formula row nobody can compute refuses the file here, named, not mid-estimate
    except (KeyError, ValueError) as exc:
        raise BadInput("settings.parameters_bad_formula", path=override or str(DEFAULT_PARAMETERS_FILE), reason=str(exc)) from None
    return params


IMPORT_TABLE = "import"
"""The ``[import]`` table: the importer's size and depth limits (``value`` is a table of them)."""


def load_import_limits(override: str | None = None) -> dict[str, Any]:
    """The ``[import]`` limits: shipped defaults, then the hall's override file's entries by name.

    The override is the same file as the parameters' (the hall's config, else
    $RETIRE_PARAMETERS), resolved at each call: the cache is per file.
    """
    override = override if override is not None else _hall_setting("parameters", "RETIRE_PARAMETERS")
    try:
        st = os.stat(override) if override else None
    except OSError:
        st = None  # _read names the problem
    return dict(_import_limits(override, (st.st_mtime_ns, st.st_size) if st else None))


@cache
def _import_limits(override: str | None, _version: tuple[int, int] | None) -> dict[str, Any]:
    limits: dict[str, Any] = {}
    files = [DEFAULT_PARAMETERS_FILE]
    if override:
        files.append(Path(override))
    for path in files:
        table = _read(path).get(IMPORT_TABLE)
        if table is None:
            continue
        value = table.get("value") if isinstance(table, dict) else None
        if not isinstance(value, dict):
            raise BadInput("settings.parameters_invalid", path=str(path), reason="[import] needs a value table")
        limits.update(value)
    return limits


DEFAULT_HALL_FILE = Path(__file__).with_name("hall.toml")


@cache
def load_hall(override: str | None = None) -> dict[str, dict[str, str]]:
    """The hall's names, contact and notice-number formats ($RETIRE_HALL overrides by table)."""
    data = _read(DEFAULT_HALL_FILE)
    override = override if override is not None else _hall_setting("names", "RETIRE_HALL")
    if override:
        for table, values in _read(Path(override)).items():
            data.setdefault(table, {}).update(values)
    return data


def _hall_setting(name: str, env_var: str) -> str | None:
    """A file named by the hall's config (service account), else by ``$env_var``.

    Under a hall's service account the caller's environment does not
    choose the rules: only root's config file does (console.hall_config).
    """
    from db.location import hall_of_process

    hall = hall_of_process()
    if hall is not None:
        value = getattr(hall, name)
        return str(value) if value is not None else None
    return os.environ.get(env_var)


DEFAULT_DOCUMENTS_FOLDER = "~/退休一件事文书"


def user_home() -> Path:
    """The home of the person at the keyboard: under ``sudo`` the caller's (``SUDO_USER``), not root's."""
    import pwd

    sudo_user = os.environ.get("SUDO_USER")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and sudo_user and sudo_user != "root":
        try:
            return Path(pwd.getpwnam(sudo_user).pw_dir)
        except KeyError:
            pass
    return Path.home()


def documents_folder() -> Path:
    """The hall's ``[documents] folder`` (default ``~/退休一件事文书``), ``~`` meaning ``user_home()``; not created here."""
    folder = str(load_hall().get("documents", {}).get("folder") or DEFAULT_DOCUMENTS_FOLDER)
    if folder == "~" or folder.startswith("~/"):
        return user_home() / folder[2:]
    return Path(folder).expanduser()


def ensure_folder(path: Path) -> Path:
    """Create the folder of a file about to be saved (private to its owner) the first time it is needed."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
