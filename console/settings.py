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
    override = override if override is not None else os.environ.get("RETIRE_PARAMETERS")
    if override:
        data.update(_read(Path(override)))
    return LocalParameters.from_mapping(data)


DEFAULT_HALL_FILE = Path(__file__).with_name("hall.toml")


@cache
def load_hall(override: str | None = None) -> dict[str, dict[str, str]]:
    """The hall's names, contact and notice-number formats ($RETIRE_HALL overrides by table)."""
    data = _read(DEFAULT_HALL_FILE)
    override = override if override is not None else os.environ.get("RETIRE_HALL")
    if override:
        for table, values in _read(Path(override)).items():
            data.setdefault(table, {}).update(values)
    return data
