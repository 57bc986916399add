"""``retire notice``: print a case's notices and forms (DOCX or plain text), list them.

    retire notice CASE --kind acceptance|correction|refusal|joint-form|approval-form
                       [--format txt|docx] [--out FILE|-] [--force] [--lang zh|en] [--number N] [--reissue]
    retire notice list CASE [--json]

Plain text goes to stdout unless --out; DOCX goes to --out, or to
CASE-kind.docx in the current directory, and the path is printed (``--out -``:
to stdout).  A file is written through ``console.safe_files``: an existing
one needs --force, a symlink is refused, the file is private (0600; 0640 in
the hall's setgid directory).  Text on a terminal is shown without control
characters.  Printing a decision notice reprints what was issued; a form is
issued on first request and reprinted afterwards (--reissue gives it a new
number).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from console.cli_support import OPTIONS, print_json, print_table, session
from console.display import clean
from console.errors import BadInput
from console.human_time import human_time
from console.i18n import t
from console.safe_files import check_target, is_stdout

FORMATS = ("txt", "docx")


def notice_command(
    target: Annotated[str, typer.Argument(help="Case number (GY-2026-000123), or 'list' followed by the case number.", metavar="CASE|list")],
    case: Annotated[str | None, typer.Argument(help="With 'list': the case number.", metavar="[CASE]", show_default=False)] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="acceptance | correction | refusal | promise | joint-form | approval-form")] = None,
    fmt: Annotated[str, typer.Option("--format", help="txt (stdout unless --out) or docx.")] = "txt",
    out: Annotated[Path | None, typer.Option("--out", help="Output file, '-' for stdout (docx default: CASE-kind.docx in the current directory).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out file (never a symlink).")] = False,
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en (default: the console language).")] = None,
    number: Annotated[str | None, typer.Option("--number", help="Print this numbered notice instead of the latest of its kind.")] = None,
    reissue: Annotated[bool, typer.Option("--reissue", help="Forms only: issue again with a new number.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With 'list': print JSON.")] = False,
) -> None:
    """打印通知书和表单 / Print a case's notices and forms; 'retire notice list CASE' lists them."""
    from console.services import notices

    if target == "list":
        if not case:
            raise BadInput("notices.cli.list_needs_case")
        db, actor = session()
        try:
            rows = notices.list_notices(db, actor, case)
        finally:
            db.close()
        if as_json:
            print_json(rows)
        elif not rows:
            typer.echo(t("notices.cli.none", case_no=case))
        else:
            print_table(
                ([r["number"], t(f"notices.kind.{r['kind']}"), human_time(r["issued_at"]), r["issued_by"]] for r in rows),
                headers=[t("notices.cli.number"), t("notices.cli.kind"), t("notices.cli.issued_at"), t("notices.cli.issued_by")],
            )
        return
    if case is not None:
        raise BadInput("notices.cli.list_needs_case")
    if not kind:
        raise BadInput("notices.cli.kind_required")
    k = notices.normalise_kind(kind)
    f = fmt.strip().lower()
    if f not in FORMATS:
        raise BadInput("notices.cli.bad_format", value=fmt)
    doc_lang = lang or OPTIONS.lang
    dest = out if f == "txt" else out or Path.cwd() / f"{target}-{k.replace('_', '-')}.docx"
    if dest is not None and not is_stdout(dest):
        check_target(dest, force=force)  # refused before a form is issued for nothing
    db, actor = session()
    try:
        notice = notices.get_notice(db, actor, target, k, number=number, reissue=reissue)
    finally:
        db.close()
    if f == "txt":
        text = notices.notice_text(notice, doc_lang)
        if out is None or is_stdout(out):
            typer.echo(clean(text), nl=False)
            return
        path = notices.write_file(out, clean(text).encode("utf-8"), force=force)
    else:
        assert dest is not None  # a .docx always has a destination: --out or the default name
        path = notices.write_file(dest, notices.notice_docx(notice, doc_lang), force=force)
    if not is_stdout(path):
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    app.command("notice")(notice_command)
