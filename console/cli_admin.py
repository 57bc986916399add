"""Administration commands: ``retire init``, ``retire staff ...``, ``retire audit CASE``.

Thin: parse, call a service, print.  Reads take --json (data on stdout,
diagnostics on stderr); refusals exit 1, bad input exits 2 (see cli_support).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from console.cli_support import OPTIONS, RetireTyper, print_fields, print_json, print_table, session
from console.errors import BadInput
from console.i18n import t

staff_app = RetireTyper(help="工作人员与角色 / Staff and roles.")


def init_command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """创建或升级数据库；首次运行者成为管理员 / Create or upgrade the database; the first login becomes admin."""
    from console.services.staff import init_database

    result = init_database(OPTIONS.db)
    if as_json:
        print_json(
            {
                "path": str(result.path),
                "schema_version": result.schema_version,
                "migrations_applied": list(result.migrations_applied),
                "admin_created": result.admin_created,
                "admin_login": result.admin_login,
            }
        )
        return
    print_fields(
        [
            (t("init.path"), str(result.path)),
            (t("init.schema_version"), result.schema_version),
            (t("init.migrations"), ", ".join(map(str, result.migrations_applied)) or t("init.none")),
            (
                t("init.admin_created") if result.admin_created else t("init.admin_exists"),
                result.admin_login or "",
            ),
        ]
    )


_session = session


@staff_app.command("add")
def staff_add(
    login: Annotated[str, typer.Argument(help="OS login of the staff member.")],
    name: Annotated[str, typer.Option("--name", help="Full name.")] = "",
    role: Annotated[Optional[list[str]], typer.Option("--role", help="Role (repeatable): clerk, hrss_reviewer, medical, housing_fund, health, supervisor, admin, auditor.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the new row as JSON.")] = False,
) -> None:
    """添加工作人员（仅管理员）/ Add a staff member (admin only)."""
    from console.services.staff import add_staff

    db, actor = _session()
    try:
        row = add_staff(db, actor, login, name, role or [])
    finally:
        db.close()
    if as_json:
        print_json(row)
    else:
        typer.echo(t("staff.added", login=row["login"], name=row["name"], roles=", ".join(row["roles"])))


@staff_app.command("list")
def staff_list(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    active_only: Annotated[bool, typer.Option("--active", help="Only active staff.")] = False,
) -> None:
    """列出工作人员 / List staff."""
    from console.services.staff import list_staff

    db, actor = _session()
    try:
        rows = list_staff(db, actor, include_inactive=not active_only)
    finally:
        db.close()
    if as_json:
        print_json(rows)
        return
    print_table(
        (
            [r["login"], r["name"], ", ".join(r["roles"]), t("staff.yes") if r["active"] else t("staff.no"), r["created_at"] or ""]
            for r in rows
        ),
        headers=[t("staff.col_login"), t("staff.col_name"), t("staff.col_roles"), t("staff.col_active"), t("staff.col_created")],
    )


@staff_app.command("grant")
def staff_grant(
    login: Annotated[str, typer.Argument(help="Login to give roles to.")],
    role: Annotated[list[str], typer.Option("--role", help="Role to give (repeat).")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """授予角色（不能给自己） / Give another staff member more roles (never your own login)."""
    _roles_out(_change(login, grant=role), as_json)


@staff_app.command("revoke")
def staff_revoke(
    login: Annotated[str, typer.Argument(help="Login to take roles from.")],
    role: Annotated[list[str], typer.Option("--role", help="Role to take away (repeat).")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """收回角色（不能对自己） / Take roles away from another staff member (never your own login)."""
    _roles_out(_change(login, revoke=role), as_json)


def _change(login: str, grant: list[str] | None = None, revoke: list[str] | None = None) -> dict[str, Any]:
    from console.services.staff import change_roles

    db, actor = _session()
    try:
        return change_roles(db, actor, login, grant or [], revoke or [])
    finally:
        db.close()


def _roles_out(row: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json({"login": row["login"], "name": row["name"], "roles": row["roles"], "active": bool(row["active"])})
    else:
        typer.echo(t("staff.roles_now", login=row["login"], roles=", ".join(row["roles"])))


@staff_app.command("disable")
def staff_disable(
    login: Annotated[str, typer.Argument(help="Login to disable.")],
) -> None:
    """停用工作人员（仅管理员）/ Disable a staff member (admin only)."""
    from console.services.staff import disable_staff

    db, actor = _session()
    try:
        row = disable_staff(db, actor, login)
    finally:
        db.close()
    typer.echo(t("staff.disabled", login=row["login"]))


def audit_command(
    case_no: Annotated[str, typer.Argument(help="Case number, e.g. GY-2026-000123.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Also check the whole audit chain (supervisor/admin); exit 1 if broken.")] = False,
) -> None:
    """办件审计记录 / A case's audit history."""
    from console.services.audit_log import case_history, verify as verify_chain

    db, actor = _session()
    try:
        rows = case_history(db, actor, case_no)
        report = verify_chain(db, actor) if verify else None
    finally:
        db.close()
    if as_json:
        data: dict[str, Any] = {"case_no": case_no, "rows": rows}
        if report is not None:
            data["chain"] = {"ok": report.ok, "rows": report.rows, "first_broken_id": report.first_broken_id}
        print_json(data)
    else:
        if rows:
            print_table(
                (
                    [
                        r["id"], r["at"], r["actor"], r["action"],
                        "/".join(str(x) for x in (r["entity"], r["entity_id"]) if x is not None),
                        "" if r["detail"] is None else json.dumps(r["detail"], ensure_ascii=False),
                    ]
                    for r in rows
                ),
                headers=[t("audit.col_id"), t("audit.col_at"), t("audit.col_actor"), t("audit.col_action"), t("audit.col_entity"), t("audit.col_detail")],
            )
        else:
            typer.echo(t("audit.empty", case_no=case_no))
        if report is not None:
            if report.ok:
                typer.echo(t("audit.chain_ok", rows=report.rows))
            else:
                typer.echo(t("audit.chain_broken", id=report.first_broken_id, rows=report.rows))
    if report is not None and not report.ok:
        raise typer.Exit(1)


def backup_command(
    target: Annotated[Path, typer.Argument(help="Backup file to write.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """在线备份（他人可继续工作） / Online backup, consistent while others write."""
    from console.services.maintenance import backup

    db, actor = _session()
    info = backup(db, actor, target, force)
    print_json(info) if as_json else print_fields([(t("maintenance.backup_done"), info["path"]), ("bytes", f"{info['bytes']:,}")])


def restore_command(
    source: Annotated[Path, typer.Argument(help="Backup file to restore from.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite the current database.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """从备份恢复（先检查备份） / Restore from a checked backup (needs --force to overwrite)."""
    from console.services.maintenance import check_backup, restore
    from db.location import resolve_db_path

    path = resolve_db_path(OPTIONS.db)
    if path.exists():
        db, actor = _session()
        db.close()
    else:
        check_backup(source)
        raise BadInput("maintenance.restore_no_db", path=str(path))
    info = restore(path, actor, source, force)
    print_json(info) if as_json else print_fields([(t("maintenance.restored"), str(path)), ("audit_rows", info["audit_rows"])])


def doctor_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """数据库体检：完整性、外键、结构版本、WAL、孤立记录、审计链 / Health checks; non-zero exit when anything is wrong."""
    from console.services.maintenance import doctor
    from console.services.store import open_store
    from db.location import resolve_db_path

    path = resolve_db_path(OPTIONS.db)
    db = open_store(OPTIONS.db, allow_older=True)  # an older schema is reported (exit 1), not refused
    try:
        report = doctor(db, path)
    finally:
        db.close()
    if as_json:
        print_json({"path": report.path, "ok": report.ok, "checks": [c.__dict__ for c in report.checks], "facts": report.facts})
    else:
        print_table([[c.name, t("maintenance.ok") if c.ok else t("maintenance.bad"), c.detail] for c in report.checks],
                    [t("maintenance.check"), t("maintenance.result"), t("maintenance.detail")])
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Attach the admin commands to the root app (called from console.cli._register)."""
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
    app.command("doctor")(doctor_command)
    app.command("init")(init_command)
    app.add_typer(staff_app, name="staff")
    app.command("audit")(audit_command)
