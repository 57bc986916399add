"""``retire hall setup`` / ``retire hall check``: install a hall whose data only its service account can touch.

Thin: parse, call console.services.hall_setup, print.  Both need root.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from console.cli_support import OPTIONS, RetireTyper, print_json, print_table
from console.i18n import current_lang, t

hall_app = RetireTyper(help="大厅安装：服务账户、sudo 规则、权限检查 / Hall install: service account, sudo rule, permission check.")


@hall_app.command("setup")
def setup_command(
    directory: Annotated[Path, typer.Option("--dir", help="The hall's directory (the service account's home).")] = Path("/srv/retire"),
    group: Annotated[str, typer.Option("--group", help="Staff group: its members may run retire as the service account.")] = "retire-staff",
    account: Annotated[str, typer.Option("--account", help="The service account that alone owns the hall's files.")] = "retire",
    admin: Annotated[str | None, typer.Option("--admin",
            help="OS login made the first admin (needed when the database is new); added to the staff group.")] = None,
    retire: Annotated[Path | None, typer.Option("--retire", "--python",
            help="The installed retire executable the sudo rule names (default: this installation's).")] = None,
    wrapper: Annotated[Path, typer.Option("--wrapper", help="Where the `retire` wrapper for staff goes (on their PATH).")] = Path("/usr/local/bin/retire"),
    sudoers: Annotated[Path | None, typer.Option("--sudoers", help="The sudoers drop-in (default /etc/sudoers.d/ACCOUNT).")] = None,
    cron: Annotated[Path | None, typer.Option("--cron", help="Root's nightly anchor job (default /etc/cron.d/ACCOUNT-anchor).")] = None,
    anchor_dir: Annotated[Path | None, typer.Option("--anchor-dir",
            help="Root-owned directory of the audit anchor log (default /var/lib/ACCOUNT-anchors).")] = None,
    force_wrapper: Annotated[bool, typer.Option("--force-wrapper", help="Replace a file at --wrapper that hall setup did not write.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """以 root 安装或修复大厅（可重复运行） / As root: install or repair a hall (safe to repeat)."""
    from console.services.hall_setup import SetupRequest, setup

    result = setup(SetupRequest(
        directory=directory, group=group, account=account, retire=retire, admin=admin, wrapper=wrapper,
        sudoers=sudoers, cron=cron, anchor_dir=anchor_dir, lang=OPTIONS.lang or current_lang(),
        force_wrapper=force_wrapper,
    ))
    if as_json:
        print_json(result.as_dict())
    else:
        print_table(([t(f"hall.item.{s.what}"), s.target, t(f"hall.done.{s.done}")] for s in result.steps),
                    [t("hall.col.item"), t("hall.col.target"), t("hall.col.done")])
        typer.echo("")
        if result.admin_created:
            typer.echo(t("hall.setup.admin_created", login=result.admin))
        typer.echo(t("hall.setup.done", account=result.config.account, group=result.config.group,
                     wrapper=str(result.config.wrapper), config=str(result.config.path)))
        _print_problems(result.problems)
    if result.problems:
        raise typer.Exit(1)


@hall_app.command("check")
def check_command(
    account: Annotated[str, typer.Option("--account", help="The hall's service account (its config is /etc/retire/ACCOUNT.toml).")] = "retire",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """以 root 检查大厅文件的属主与权限；有误则退出码 1 / As root: report every wrong owner or mode; exit 1 if any."""
    from dataclasses import asdict

    from console.hall_config import config_path
    from console.services.hall_setup import check

    problems = check(account)
    if as_json:
        print_json({"config": str(config_path(account)), "ok": not problems, "problems": [asdict(p) for p in problems]})
    else:
        if not problems:
            typer.echo(t("hall.check.all_good", config=str(config_path(account))))
        _print_problems(problems)
    if problems:
        raise typer.Exit(1)


def _print_problems(problems: Sequence[Any]) -> None:
    if not problems:
        return
    print_table(([t(f"hall.item.{p.what}"), p.path, p.found, p.expected] for p in problems),
                [t("hall.col.item"), t("hall.col.target"), t("hall.col.found"), t("hall.col.expected")])
    typer.echo(t("hall.check.count", count=len(problems)), err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(hall_app, name="hall")
