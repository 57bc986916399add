"""Administration commands: ``retire init``, ``retire staff ...``, ``retire audit [CASE] | anchor | verify``.

Thin: parse, call a service, print.  Reads take --json (data on stdout,
diagnostics on stderr); refusals exit 1, bad input exits 2 (see cli_support).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from console.cli_support import OPTIONS, RetireTyper, action_words, print_fields, print_json, print_table, session
from console.errors import BadInput
from console.human_time import human_time
from console.i18n import t
from console.vocabulary import ROLE

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
    role: Annotated[list[str] | None, typer.Option("--role", help=f"Role (repeatable): {', '.join(ROLE)}.")] = None,
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
            [r["login"], r["name"], ", ".join(t(ROLE.key(x)) if x in ROLE else x for x in r["roles"]),
             t("staff.yes") if r["active"] else t("staff.no"), human_time(r["created_at"])]
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


class _AuditGroup(TyperGroup):
    """``retire audit [CASE] [--verify]`` as before, beside ``retire audit anchor|verify``.

    Anything that is not a subcommand's name (a case number, ``--verify``,
    nothing at all) goes to the hidden ``show`` command.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["show", *args]
        return super().parse_args(ctx, args)


audit_app = RetireTyper(
    cls=_AuditGroup,
    no_args_is_help=False,
    help=(
        "审计记录 / The audit trail.\n\n"
        "\b\n"
        "retire audit CASE [--verify] [--json]        a case's history (any staff)\n"
        "retire audit [--limit N] [--before ID]       the whole trail (auditor, supervisor)\n"
        "retire audit [CASE] --verify                 also check the chain, key and anchors; exit 1 if broken\n"
        "retire audit verify [--anchors FILE]         check the chain, key and anchors\n"
        "retire audit anchor [--to FILE]              append the head to the anchor log (root, auditor, admin)"
    ),
)


def _audit_rows_table(rows: list[dict[str, Any]]) -> None:
    print_table(
        (
            [
                r["id"], human_time(r["at"]), r["actor"], action_words(r["action"]),
                "/".join(str(x) for x in (r["entity"], r["entity_id"]) if x is not None),
                "" if r["detail"] is None else json.dumps(r["detail"], ensure_ascii=False),
            ]
            for r in rows
        ),
        headers=[t("audit.col_id"), t("audit.col_at"), t("audit.col_actor"), t("audit.col_action"), t("audit.col_entity"), t("audit.col_detail")],
    )


@audit_app.command("show", hidden=True)
def audit_command(
    case_no: Annotated[str | None, typer.Argument(help="Case number, e.g. GY-2026-000123 (none: the whole trail, auditor/supervisor).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    verify: Annotated[bool, typer.Option(
        "--verify", help="Also check the whole chain against its key and anchors (auditor/supervisor); exit 1 if broken.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="Without CASE: how many of the last rows to show.")] = 50,
    before: Annotated[int | None, typer.Option("--before", help="Without CASE: rows before this id.")] = None,
) -> None:
    """办件审计记录；不带办件号为全部记录 / A case's audit history; without CASE, the whole trail."""
    from console.services.audit_log import case_history, trail
    from console.services.audit_log import verify as verify_chain

    db, actor = _session()
    try:
        if case_no is not None:
            rows = case_history(db, actor, case_no)
        elif verify:
            rows = None
        else:
            rows = trail(db, actor, limit, before)
        report = verify_chain(db, actor) if verify else None
        total = None if case_no is not None or rows is None else _audit_count(db)
    finally:
        db.close()
    if as_json:
        data: dict[str, Any] = {"case_no": case_no} if case_no is not None else {}
        if rows is not None:
            data["rows"] = [{**r, "action_text": action_words(r["action"])} for r in rows]
        if report is not None:
            data["chain"] = report.as_dict()
        print_json(data)
    else:
        if rows:
            _audit_rows_table(rows)
            if total is not None and rows and total > len(rows):
                typer.echo(t("audit_chain.hint_trail", count=len(rows), rows=total, before=rows[0]["id"]))
        elif rows is not None:
            typer.echo(t("audit.empty", case_no=case_no) if case_no is not None else t("audit_chain.empty_trail"))
        if report is not None:
            typer.echo(report.message())
    if report is not None and not report.ok:
        raise typer.Exit(1)


def _audit_count(db: Any) -> int:
    from db.audit import count_rows

    return count_rows(db)


@audit_app.command("verify")
def audit_verify_command(
    anchors: Annotated[Path | None, typer.Option("--anchors", help="Anchor log to check (default: this database's).")] = None,
    key: Annotated[Path | None, typer.Option("--key", help="Key file to check with (root only; default: the database's own).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """核验全部审计记录：密钥、连续编号、锚点（审计员/主管）/ Verify the whole trail: key, contiguous ids, anchors (auditor/supervisor)."""
    from console.services.audit_log import use_explicit_key
    from console.services.audit_log import verify as verify_chain

    db, actor = _session()
    try:
        if key is not None:
            use_explicit_key(db, key)
        report = verify_chain(db, actor, anchors)
    finally:
        db.close()
    if as_json:
        print_json(report.as_dict())
    else:
        typer.echo(report.message())
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor_command(
    to: Annotated[Path | None, typer.Option("--to", help="Anchor log to append to (default: beside the key, or the hall's anchor directory).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """把审计链末行追加到锚点日志（root、审计员或管理员）/ Append the chain's head to an anchor log (root, auditor or admin)."""
    import os

    from console.errors import PermissionDenied
    from console.services.audit_log import anchor
    from console.services.identity import resolve_actor
    from console.services.store import open_store

    db = open_store(OPTIONS.db)
    try:
        try:
            actor = resolve_actor(db)
        except PermissionDenied:
            if os.geteuid() != 0:
                raise
            actor = None  # root, not on staff: the nightly job
        line = anchor(db, actor, to)
    finally:
        db.close()
    if as_json:
        print_json(line)
        return
    print_fields(
        [
            (t("audit_chain.anchored"), human_time(line["at"])),
            (t("audit_chain.anchor_file"), line["file"]),
            (t("audit_chain.anchor_line"), line["n"]),
            (t("audit_chain.anchor_row"), line["id"]),
            (t("audit_chain.anchor_count"), line["count"]),
            (t("audit_chain.anchor_mac"), line["mac"]),
        ]
    )


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
    app.add_typer(audit_app, name="audit")
