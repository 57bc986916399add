"""Identity, roles, staff management, init, and the admin CLI."""
from __future__ import annotations

import json
import stat
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from typer.testing import CliRunner

from console.errors import BadInput, NotFound, PermissionDenied, Refused
from console.services.identity import current_login, require_role, resolve_actor
from console.services.staff import add_staff, disable_staff, init_database, list_staff
from db import audit
from db.case_numbers import allocate_case_no
from db.connection import open_database, transaction
from db.schema import MIGRATIONS, SCHEMA_VERSION


def _audit_actions(db: sqlite_utils.Database) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in db.execute("SELECT actor, action, entity_id FROM audit ORDER BY id")]


def test_current_login_is_the_kernels_not_the_environments(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import pwd

    for var in ("RETIRE_LOGIN", "LOGNAME", "USER", "USERNAME"):
        monkeypatch.setenv(var, "zhangsan")
    assert current_login() == pwd.getpwuid(os.getuid()).pw_name


def test_actor_roles_and_departments(db: sqlite_utils.Database, staff: Any) -> None:
    actor = staff("wang", "clerk", "medical", "supervisor")
    assert actor.roles == {"clerk", "medical", "supervisor"}
    assert actor.departments == {"hrss", "medical"}
    require_role(actor, "supervisor", "admin")
    with pytest.raises(PermissionDenied) as err:
        require_role(actor, "admin")
    assert "admin" in err.value.text("en") and "wang" in err.value.text("en")


def test_unknown_login_refused(db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETIRE_LOGIN", "stranger")
    with pytest.raises(PermissionDenied) as err:
        resolve_actor(db)
    assert err.value.key == "identity.unknown_login"
    assert "stranger" in err.value.text("zh") and "stranger" in err.value.text("en")


def test_disabled_staff_refused(db: sqlite_utils.Database, staff: Any) -> None:
    staff("old", "clerk", active=False)
    with pytest.raises(PermissionDenied) as err:
        resolve_actor(db, "old")
    assert err.value.key == "identity.disabled_login"


def test_admin_adds_staff_with_audit(db: sqlite_utils.Database, staff: Any) -> None:
    admin = staff("root1", "admin")
    row = add_staff(db, admin, "li", "李四", ["clerk", "supervisor", "clerk"])
    assert row["roles"] == ["clerk", "supervisor"] and row["active"] and row["name"] == "李四"
    assert _audit_actions(db)[-1] == ("root1", "staff.add", "li")
    detail = json.loads(db.execute("SELECT detail FROM audit ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert detail == {"name": "李四", "roles": ["clerk", "supervisor"]}
    assert resolve_actor(db, "li").departments == {"hrss"}
    assert audit.verify_chain(db) is None


def test_non_admin_cannot_add_or_disable(db: sqlite_utils.Database, staff: Any) -> None:
    boss = staff("sue", "supervisor", "clerk")
    before = audit.count_rows(db)
    with pytest.raises(PermissionDenied):
        add_staff(db, boss, "li", "李四", ["admin"])
    with pytest.raises(PermissionDenied):
        disable_staff(db, boss, "sue")
    assert db.execute("SELECT COUNT(*) FROM staff WHERE login = 'li'").fetchone()[0] == 0
    assert audit.count_rows(db) == before


def test_add_staff_bad_input(db: sqlite_utils.Database, staff: Any) -> None:
    admin = staff("root1", "admin")
    with pytest.raises(BadInput) as err:
        add_staff(db, admin, "li", "李四", ["king"])
    assert err.value.key == "staff.bad_role" and "king" in err.value.text("en")
    with pytest.raises(BadInput):
        add_staff(db, admin, "li", "李四", [])
    with pytest.raises(BadInput):
        add_staff(db, admin, "li", "  ", ["clerk"])
    with pytest.raises(BadInput):
        add_staff(db, admin, "li si; drop", "李四", ["clerk"])
    add_staff(db, admin, "li", "李四", ["clerk"])
    with pytest.raises(Refused) as err:
        add_staff(db, admin, "li", "李四", ["clerk"])
    assert err.value.key == "staff.exists"


def test_disable_staff(db: sqlite_utils.Database, staff: Any) -> None:
    admin = staff("root1", "admin")
    staff("li", "clerk")
    row = disable_staff(db, admin, "li")
    assert row["active"] is False
    assert _audit_actions(db)[-1] == ("root1", "staff.disable", "li")
    with pytest.raises(PermissionDenied):
        resolve_actor(db, "li")
    with pytest.raises(Refused):
        disable_staff(db, admin, "li")
    with pytest.raises(NotFound):
        disable_staff(db, admin, "nobody")
    with pytest.raises(Refused) as err:
        disable_staff(db, admin, "root1")
    assert err.value.key == "staff.last_admin"
    assert [r["login"] for r in list_staff(db, admin, include_inactive=False)] == ["root1"]
    assert [r["login"] for r in list_staff(db, admin)] == ["li", "root1"]


def test_init_database_bootstraps_admin_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETIRE_LOGIN", "alice")
    path = tmp_path / "hall.db"
    first = init_database(path)
    assert first.admin_created and first.admin_login == "alice"
    assert first.schema_version == SCHEMA_VERSION and first.migrations_applied == tuple(m.version for m in MIGRATIONS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("RETIRE_LOGIN", "bob")
    second = init_database(path)
    assert not second.admin_created and second.migrations_applied == ()
    db = open_database(path, create=False)
    assert resolve_actor(db, "alice").roles == {"admin"}
    with pytest.raises(PermissionDenied):
        resolve_actor(db, "bob")
    assert _audit_actions(db) == [("alice", "staff.bootstrap_admin", "alice")]
    db.close()


# --- the CLI -----------------------------------------------------------------

def _run(app: Any, args: list[str], login: str = "alice") -> Any:
    runner = CliRunner()
    return runner.invoke(app, args, env={"RETIRE_LOGIN": login, "RETIRE_LANG": "en"})


def test_cli_init_staff_and_audit(tmp_path: Path, cli_app: Any) -> None:
    path = str(tmp_path / "cli.db")
    result = _run(cli_app, ["--db", path, "init", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["admin_created"] and data["admin_login"] == "alice" and data["schema_version"] == SCHEMA_VERSION

    again = _run(cli_app, ["--db", path, "init"])
    assert again.exit_code == 0 and path in again.stdout

    added = _run(cli_app, ["--db", path, "staff", "add", "li", "--name", "李四", "--role", "clerk", "--role", "supervisor"])
    assert added.exit_code == 0, added.output
    assert "li" in added.stdout

    listed = _run(cli_app, ["--db", path, "staff", "list", "--json"])
    assert listed.exit_code == 0
    rows = {r["login"]: r for r in json.loads(listed.stdout)}
    assert rows["li"]["roles"] == ["clerk", "supervisor"] and rows["alice"]["roles"] == ["admin"]
    table = _run(cli_app, ["--db", path, "staff", "list"], login="li")
    assert table.exit_code == 0 and "李四" in table.stdout

    # refusals exit 1 with one line; bad input exits 2
    denied = _run(cli_app, ["--db", path, "staff", "add", "wang", "--name", "王五", "--role", "clerk"], login="li")
    assert denied.exit_code == 1 and len(denied.stderr.strip().splitlines()) == 1
    unknown = _run(cli_app, ["--db", path, "staff", "list"], login="stranger")
    assert unknown.exit_code == 1 and "stranger" in unknown.stderr
    bad_role = _run(cli_app, ["--db", path, "staff", "add", "wang", "--name", "王五", "--role", "king"])
    assert bad_role.exit_code == 2 and "king" in bad_role.stderr

    # an audited case, read back through `retire audit`
    db = open_database(Path(path), create=False)
    with transaction(db):
        db.execute("INSERT INTO persons (id_number, name) VALUES ('150202196506150011', '张三')")
        case_no = allocate_case_no(db, 2026)
        db.execute("INSERT INTO cases (case_no, person_id, status) VALUES (?, 1, 'draft')", [case_no])
        audit.append(db, "li", "case.create", case_id=1, entity="case", entity_id=case_no, detail={"kind": "normal"})
    db.close()
    shown = _run(cli_app, ["--db", path, "audit", case_no, "--json", "--verify"], login="li")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert [r["action"] for r in data["rows"]] == ["case.create"]
    assert data["rows"][0]["detail"] == {"kind": "normal"}
    assert data["chain"]["ok"] and data["chain"]["rows"] == 3
    human = _run(cli_app, ["--db", path, "audit", case_no.lower()], login="li")
    assert human.exit_code == 0 and "case.create" in human.stdout
    assert _run(cli_app, ["--db", path, "audit", "GY-2026-000099"], login="li").exit_code == 2
    assert _run(cli_app, ["--db", path, "audit", "nonsense"], login="li").exit_code == 2

    disabled = _run(cli_app, ["--db", path, "staff", "disable", "li"])
    assert disabled.exit_code == 0
    assert _run(cli_app, ["--db", path, "staff", "list"], login="li").exit_code == 1


def test_cli_missing_database_is_bad_input(tmp_path: Path, cli_app: Any) -> None:
    result = _run(cli_app, ["--db", str(tmp_path / "absent.db"), "staff", "list"])
    assert result.exit_code == 2
    assert "retire init" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "absent.db").exists()


def test_cli_uses_retire_db(env: dict[str, str], cli_app: Any) -> None:
    result = CliRunner().invoke(cli_app, ["init"])
    assert result.exit_code == 0, result.output
    assert Path(env["RETIRE_DB"]).exists()


def test_cli_audit_verify_reports_tampering(tmp_path: Path, cli_app: Any) -> None:
    path = tmp_path / "t.db"
    assert _run(cli_app, ["--db", str(path), "init"]).exit_code == 0
    db = open_database(path, create=False)
    with transaction(db):
        db.execute("INSERT INTO persons (id_number, name) VALUES ('150202196506150011', '张三')")
        case_no = allocate_case_no(db, 2026)
        db.execute("INSERT INTO cases (case_no, person_id, status) VALUES (?, 1, 'draft')", [case_no])
        audit.append(db, "alice", "case.create", case_id=1)
        db.execute("INSERT INTO staff (login, name) VALUES ('audrey', 'Audrey')")
        db.execute("INSERT INTO staff_roles (staff_id, role) VALUES (last_insert_rowid(), 'auditor')")
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET actor = 'mallory' WHERE id = 1")
    db.close()
    result = _run(cli_app, ["--db", str(path), "audit", case_no, "--verify"], login="audrey")
    assert result.exit_code == 1
    assert "BROKEN at row 1" in result.stdout


# --- separation of duties ------------------------------------------------------

def test_an_admin_never_changes_their_own_roles(db: sqlite_utils.Database, staff: Any) -> None:
    from dataclasses import replace

    from console.services.staff import change_roles

    first = staff("root1", "admin")
    second = staff("root2", "admin")
    staff("li", "clerk")
    before = (audit.count_rows(db), resolve_actor(db, "root1").roles)
    for call in (
        lambda: change_roles(db, first, "root1", grant=["clerk"]),
        lambda: change_roles(db, first, "root1", grant=["auditor"]),
        lambda: change_roles(db, first, "root1", revoke=["admin"]),
        lambda: add_staff(db, first, "root1", "Root One", ["clerk", "supervisor"]),
    ):
        with pytest.raises(PermissionDenied) as err:
            call()
        assert err.value.key == "staff.own_roles" and "root1" in err.value.text("en")
    assert (audit.count_rows(db), resolve_actor(db, "root1").roles) == before
    # root acting for an admin may change neither root's roles nor the admin's
    as_root = replace(first, os_login="root")
    with pytest.raises(PermissionDenied):
        add_staff(db, as_root, "root", "Root", ["admin", "clerk"])
    with pytest.raises(PermissionDenied):
        change_roles(db, as_root, "root1", grant=["clerk"])
    assert db.execute("SELECT COUNT(*) FROM staff WHERE login = 'root'").fetchone()[0] == 0
    # another admin does it, and it is audited
    row = change_roles(db, second, "root1", grant=["clerk"])
    assert row["roles"] == ["admin", "clerk"]
    assert _audit_actions(db)[-1] == ("root2", "staff.roles", "root1")
    # managing someone else stays an admin's job
    assert change_roles(db, first, "li", grant=["supervisor"])["roles"] == ["clerk", "supervisor"]
    assert change_roles(db, first, "li", revoke=["clerk"])["roles"] == ["supervisor"]
    assert audit.verify_chain(db) is None


def test_auditor_and_business_roles_manage_no_staff(db: sqlite_utils.Database, staff: Any) -> None:
    from console.services.staff import change_roles

    staff("li", "clerk")
    before = audit.count_rows(db)
    for role in ("auditor", "clerk", "hrss_reviewer", "medical", "housing_fund", "health", "supervisor"):
        actor = staff(f"u_{role}", role)
        before = audit.count_rows(db)
        for call in (
            partial(add_staff, db, actor, "new", "新人", ["clerk"]),
            partial(disable_staff, db, actor, "li"),
            partial(change_roles, db, actor, "li", grant=["supervisor"]),
            partial(change_roles, db, actor, "li", revoke=["clerk"]),
            partial(change_roles, db, actor, actor.login, grant=["admin"]),
        ):
            with pytest.raises(PermissionDenied):
                call()
        assert audit.count_rows(db) == before
    assert resolve_actor(db, "li").roles == {"clerk"}


def test_every_staff_change_is_audited(db: sqlite_utils.Database, staff: Any) -> None:
    from console.services.staff import change_roles

    admin = staff("root1", "admin")
    add_staff(db, admin, "li", "李四", ["clerk"])
    change_roles(db, admin, "li", grant=["auditor"])
    change_roles(db, admin, "li", revoke=["clerk"])
    disable_staff(db, admin, "li")
    rows = db.execute("SELECT actor, action, entity_id, detail FROM audit ORDER BY id DESC LIMIT 4").fetchall()
    assert [(r[0], r[1], r[2]) for r in reversed(rows)] == [
        ("root1", "staff.add", "li"), ("root1", "staff.roles", "li"), ("root1", "staff.roles", "li"), ("root1", "staff.disable", "li"),
    ]
    assert json.loads(rows[2][3]) == {"granted": ["auditor"], "revoked": []}
    assert json.loads(rows[1][3]) == {"granted": [], "revoked": ["clerk"]}


def test_cli_small_hall_needs_a_second_admin(tmp_path: Path, cli_app: Any) -> None:
    """docs/roles.md: init makes the first admin; they add a second; the second grants the first's window roles."""
    path = str(tmp_path / "small.db")
    assert _run(cli_app, ["--db", path, "init"]).exit_code == 0
    own = _run(cli_app, ["--db", path, "staff", "grant", "alice", "--role", "clerk"])
    assert own.exit_code == 1 and len(own.stderr.strip().splitlines()) == 1 and "another administrator" in own.stderr
    assert _run(cli_app, ["--db", path, "staff", "add", "bob", "--name", "Bob", "--role", "admin"]).exit_code == 0
    granted = _run(cli_app, ["--db", path, "staff", "grant", "alice", "--role", "clerk", "--json"], login="bob")
    assert granted.exit_code == 0, granted.output
    assert json.loads(granted.stdout)["roles"] == ["admin", "clerk"]
    assert _run(cli_app, ["--db", path, "staff", "revoke", "bob", "--role", "admin"], login="bob").exit_code == 1


def test_staff_name_refuses_terminal_escapes(tmp_path, monkeypatch) -> None:
    """A staff name is shown in every audit line and title: it follows the one text policy."""
    from console.errors import BadInput
    from console.services.identity import resolve_actor
    from console.services.staff import add_staff, init_database
    from db.connection import open_database

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    result = init_database(tmp_path / "hall.db")
    db = open_database(result.path, create=False)
    try:
        admin = resolve_actor(db, result.admin_login)
        with pytest.raises(BadInput) as err:
            add_staff(db, admin, "bob", "\x1b[2J鲍", ["clerk"])
        assert err.value.key == "text.forbidden_char"
        assert db.execute("SELECT count(*) FROM staff WHERE login = 'bob'").fetchone()[0] == 0
    finally:
        db.close()
