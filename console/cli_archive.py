"""``retire archive``: file finished cases as electronic case files (电子归档), and verify them.

    retire archive CASE --out DIR [--zip] [--force] [--json]
    retire archive --delivered-from YYYY-MM-DD --delivered-to YYYY-MM-DD --out DIR [--zip] [--force] [--json]
    retire archive verify DIR|ZIP

A package is one folder (``DIR/CASE``) or one zip (``DIR/CASE.zip``) per
case, written whole or not at all; an existing one is replaced only with
--force (exit 2 without).  ``verify`` prints one line per problem and exits
1 when there is any, 0 when the package and the audit rows it holds agree
with the database (console/services/case_archive.py says what is checked).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from console.cli_support import Progress, print_json, session
from console.display import clean
from console.errors import BadInput
from console.i18n import t


def _day(value: str | None, option: str) -> date:
    if not value:
        raise BadInput("archive.cli.period_needs_both")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput("archive.cli.bad_date", option=option, value=value) from None


def archive_command(
    target: Annotated[str | None, typer.Argument(help="Case number, or 'verify' followed by a package.", metavar="CASE|verify")] = None,
    package: Annotated[str | None, typer.Argument(help="With 'verify': the package folder or zip.", metavar="[PACKAGE]",
                                                  show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Directory the package(s) are written into.")] = None,
    delivered_from: Annotated[str | None, typer.Option("--delivered-from", help="Every case delivered from this day (YYYY-MM-DD).")] = None,
    delivered_to: Annotated[str | None, typer.Option("--delivered-to", help="... to this day (YYYY-MM-DD), inclusive.")] = None,
    as_zip: Annotated[bool, typer.Option("--zip", help="One zip per case instead of a folder.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing package of the same case.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """电子归档 / File finished cases as electronic case files; 'retire archive verify PACKAGE' checks one."""
    from console.services import case_archive

    if target == "verify":
        if not package:
            raise BadInput("archive.cli.verify_needs_package")
        db, actor = session()
        try:
            problems = case_archive.verify_package(db, actor, Path(package))
        finally:
            db.close()
        if as_json:
            print_json({"ok": not problems, "problems": [p.text() for p in problems]})
        else:
            for problem in problems:
                typer.echo(clean(problem.text()))
            if not problems:
                typer.echo(t("archive.cli.verified", path=package))
        if problems:
            raise typer.Exit(1)
        return
    if package is not None:
        raise BadInput("archive.cli.verify_needs_package")
    period = delivered_from is not None or delivered_to is not None
    if period == (target is not None):
        raise BadInput("archive.cli.case_or_period")
    if out is None:
        raise BadInput("archive.cli.out_required")
    db, actor = session()
    try:
        if target is not None:
            results = [case_archive.archive_case(db, actor, target, out, as_zip=as_zip, force=force)]
        else:
            first, last = _day(delivered_from, "--delivered-from"), _day(delivered_to, "--delivered-to")
            progress = Progress(t("archive.cli.progress"))
            try:
                results = case_archive.archive_delivered(db, actor, first, last, out, as_zip=as_zip, force=force,
                                                         progress=progress)
            finally:
                progress.close()
    finally:
        db.close()
    if as_json:
        print_json([{"case_no": r.case_no, "path": str(r.path), "files": r.files, "manifest_sha256": r.manifest_sha256}
                    for r in results])
        return
    for r in results:
        typer.echo(t("archive.cli.written", case_no=r.case_no, path=str(r.path), files=r.files))
    if target is None:
        typer.echo(t("archive.cli.period_done", count=len(results)))


def register(app: typer.Typer) -> None:
    app.command("archive")(archive_command)
