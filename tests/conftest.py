"""Shared fixtures: a fresh migrated database, staff with roles, a CLI runner, the TUI demo hall.

Every test gets its own file in tmp_path and its own RETIRE_DB / RETIRE_LOGIN,
so tests never touch a real hall database or depend on who runs them.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from console.services.identity import Actor, resolve_actor
from console.settings import load_parameters
from db import audit
from db import staff as staff_db
from db.connection import open_database, transaction
from db.schema import migrate


@pytest.fixture(autouse=True)
def _language_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with the language its environment gives (zh unless RETIRE_LANG says otherwise).

    ``retire tui --lang en`` run in-process (CliRunner) sets the language for the
    rest of the process; without this a later test in the same worker renders in
    English and a screen module first imported then keeps English key labels.
    """
    from console import i18n

    monkeypatch.setattr(i18n, "_current", None)


@pytest.fixture(autouse=True, scope="session")
def _private_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Personal audit keys and anchor logs (user_config_dir) go to a tmp dir, never to ~/.config.

    Session-wide, so module-scoped databases find their keys too (each key
    is named after its database's random id: no two tests share one).
    """
    import os

    path = tmp_path_factory.mktemp("xdg-config")
    old = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(path)
    yield path
    if old is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = old


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "retire.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[sqlite_utils.Database]:
    """A fresh database at the current schema version."""
    database = open_database(db_path)
    migrate(database)
    yield database
    database.close()


StaffMaker = Callable[..., Actor]


@pytest.fixture
def staff(db: sqlite_utils.Database) -> StaffMaker:
    """``staff("alice", "clerk", "supervisor")`` -> the Actor for a new active staff member.

    Written straight to the tables (with an audit row, as the service would),
    so tests of other use-cases need no admin ceremony.
    """

    def make(login: str, *roles: str, name: str | None = None, active: bool = True) -> Actor:
        with transaction(db):
            staff_id = staff_db.insert(db, login, name or login.title(), roles)
            if not active:
                staff_db.set_active(db, staff_id, False)
            audit.append(db, "test", "staff.add", entity="staff", entity_id=login, detail={"roles": sorted(roles)})
        if not active:
            return Actor(staff_id=staff_id, login=login, name=name or login.title(), roles=frozenset(roles))
        return resolve_actor(db, login)

    return make


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """RETIRE_DB pointing to a tmp file, RETIRE_LOGIN=alice, English messages (stable asserts)."""
    path = tmp_path / "env.db"
    values = {"RETIRE_DB": str(path), "RETIRE_LOGIN": "alice", "RETIRE_LANG": "en"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def cli_app(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The root Typer app (console.cli.app), with global options reset between tests."""
    module = importlib.import_module("console.cli")
    from console import i18n
    from console.cli_support import OPTIONS

    monkeypatch.setattr(OPTIONS, "db", None)
    monkeypatch.setattr(OPTIONS, "lang", None)
    monkeypatch.setattr(i18n, "_current", None)
    return module.app


# -- the demo hall of the TUI tests (helpers to drive it: tests/tui_helpers.py) -------------


@pytest.fixture(scope="session")
def hall_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo hall per test session; tests work on copies."""
    from tests.tui_helpers import build_hall

    path = tmp_path_factory.mktemp("hall") / "hall.db"
    build_hall(path)
    return path


@pytest.fixture
def zh_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console in Chinese, as the hall runs it, with a still cursor (screenshots and snapshots
    do not depend on when the blink timer fired); the language is put back after the test."""
    from textual.widgets import Input

    from console import i18n

    monkeypatch.setenv("RETIRE_LANG", "zh")
    monkeypatch.setattr(i18n, "_current", "zh")
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def hall(hall_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zh_console: None) -> Path:
    """A private copy of the demo hall; zh UI; the cursor does not blink (stable snapshots).

    Modules that need another kind of hall (a CLI-made one, a broken one)
    define their own ``hall`` fixture, which takes precedence over this one.
    """
    import shutil

    from tests.tui_helpers import LOGIN

    target = tmp_path / "hall.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(hall_template) + suffix)
        if source.exists():
            shutil.copy(source, str(target) + suffix)
    monkeypatch.setenv("RETIRE_LOGIN", LOGIN)
    monkeypatch.setenv("RETIRE_DB", str(target))
    return target


@pytest.fixture
def base_2025(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The hall has entered the province's pension base for 2026 retirements, which a 2026 retirement's estimate needs.

    Set through the hall's own parameter file (RETIRE_PARAMETERS), as a hall would; the parameter
    cache is cleared on both sides so no other test sees this base.
    """
    override = tmp_path / "hall-parameters.toml"
    override.write_text('[pension_base]\nvalue = { "2026" = "8000.00" }\nstatus = "unconfirmed"\n', encoding="utf-8")
    monkeypatch.setenv("RETIRE_PARAMETERS", str(override))
    load_parameters.cache_clear()
    yield
    load_parameters.cache_clear()


@pytest.fixture
def loaded(env: dict[str, str], cli_app: Any, tmp_path: Path) -> dict[str, Any]:
    """A hall with four imported persons and their periods and three cases (draft, completed, accepted),
    loaded through ``retire import`` as a hall would: what the export and display tests read back."""
    import sqlite3

    from fixtures import generate as gen
    from tests.test_import_cli import init_db, invoke

    path = init_db(env)
    persons = "id_number,name,bank_card\n" + "".join(f"{gen.id_number(i)},{gen.name(i)},62284800{i:011d}\n" for i in range(4))
    assert invoke(cli_app, "import", "persons", "-", input=persons).exit_code == 0
    periods = "id_number,from_month,to_month,kind\n" + "".join(
        f"{gen.id_number(i)},199{i}-01,199{i}-12,actual\n" for i in range(4))
    assert invoke(cli_app, "import", "contributions", "-", input=periods).exit_code == 0
    cases = ("case_no,id_number,status,received_at\n"
             f"GY-2026-000001,{gen.id_number(0)},draft,2026-03-02\n"
             f"GY-2026-000002,{gen.id_number(1)},draft,2026-03-05\n"
             f"GY-2026-000003,{gen.id_number(2)},draft,2026-04-01\n")
    result = invoke(cli_app, "import", "cases", "-", input=cases)
    assert result.exit_code == 0, result.output
    # a new case is imported as a draft only; the export's filters need the states the workflow would reach
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE cases SET status = 'completed', completed_at = '2026-03-20' WHERE case_no = 'GY-2026-000002'")
        conn.execute("UPDATE cases SET status = 'accepted', accepted_at = '2026-04-01' WHERE case_no = 'GY-2026-000003'")
    conn.close()
    return {"db": path, "app": cli_app, "dir": tmp_path}


@pytest.fixture
def accounts_hall(request: pytest.FixtureRequest) -> Any:
    """A hall set up as on a server: its own service account, staff OS accounts and an outsider (root only;
    tests/test_hall_setup.py builds it and removes every account afterwards)."""
    from tests.test_hall_setup import make_hall

    return make_hall(request)
