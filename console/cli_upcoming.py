"""``retire upcoming``: who reaches retirement soon, with what stands in the way.

Lists (or exports) the pre-retirement pipeline; ``start``, ``told`` and
``remind`` act on one person of the list.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from console.cli_support import (
    OPTIONS,
    RetireTyper,
    print_fields,
    print_json,
    print_table,
    session,
)
from console.errors import BadInput
from console.i18n import t
from console.vocabulary import CASE_STATUS

app = RetireTyper(help="即将退休人员名单 / The pre-retirement list.", no_args_is_help=False, invoke_without_command=True)


def __getattr__(name: str) -> Any:
    """``EXPORT_COLUMNS`` now lives with the export writer in console.services.upcoming (loaded on first use)."""
    if name == "EXPORT_COLUMNS":
        from console.services.upcoming import EXPORT_COLUMNS

        return EXPORT_COLUMNS
    raise AttributeError(name)


def _flag_text(flags: list[str]) -> str:
    from console.services.upcoming import flag_text

    return flag_text(flags)


def _export(rows: list[dict[str, Any]], path: Path, force: bool = False) -> None:
    """CSV (UTF-8 with BOM, for Excel) or XLSX, one row per person: console.services.upcoming.export_rows."""
    from console.services.upcoming import export_rows

    export_rows(rows, path, force=force)


def _print_rows(rows: list[dict[str, Any]]) -> None:
    """A JSON array on stdout, one person per line, written as it is encoded.

    print_json's indent=2 makes the json module fall back to its pure-Python
    encoder, a third of a second for a county's six months; one compact object
    per line stays on the C encoder and is as easy to grep and diff.
    """
    import sys

    out = sys.stdout
    if not rows:
        out.write("[]\n")
        return
    from console.display import json_safe

    plain_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode

    def encode(row: Any) -> str:
        return json_safe(plain_encode(row))  # the stored text, with terminal-driving characters escaped
    out.write("[\n")
    last = len(rows) - 1
    for i, r in enumerate(rows):
        r.pop("policy_version", None)
        out.write(encode(r))
        out.write(",\n" if i < last else "\n]\n")
    out.flush()


@app.callback()
def upcoming(
    ctx: typer.Context,
    months: Annotated[int, typer.Option("--months", help="How many months ahead (from --from).")] = 6,
    first: Annotated[str | None, typer.Option("--from", help="First month YYYY-MM (default: this month).")] = None,
    flag: Annotated[list[str] | None, typer.Option(
        "--flag", help="Only persons with this flag (repeat; all must hold): short, deemed, no_prereview, birth_mismatch, lost_archive, outside.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, max=10_000_000, help="At most this many rows.")] = None,
    export: Annotated[Path | None, typer.Option("--export", help="Write the list to FILE.csv or FILE.xlsx for phone calls.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --export: overwrite an existing file (never a symlink).")] = False,
) -> None:
    """即将达到法定退休年龄的人员及其问题 / Who reaches the statutory age in the next months, and what stands in the way."""
    if ctx.invoked_subcommand is not None:
        return
    from console.cli_support import guard
    from console.services.upcoming import list_upcoming

    @guard
    def run() -> None:
        db, actor = session()
        rows = list_upcoming(db, actor, months, first, flag or [], limit=limit)
        if export is not None:
            _export(rows, export, force=force)
            typer.echo(t("upcoming.exported", count=len(rows), path=str(export)), err=True)
            return
        if as_json:
            _print_rows(rows)
            return
        print_table(
            [[r["statutory_month"], r["name"], r["id_number"], r["phone"] or "", f"{r['counted_months']}/{r['min_months']}", _flag_text(r["flags"]),
                    r["case_no"] or ""] for r in rows],
            [t(f"upcoming.col.{c}") for c in ("statutory_month", "name", "id_number", "phone", "months", "flags", "case_no")],
        )
        typer.echo(t("upcoming.total", count=len(rows)), err=True)

    run()


@app.command("start")
def start(
    id_number: Annotated[str, typer.Argument(help="ID number of a person on the list.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """为此人新建草稿办件，开始档案初审 / Open a draft case to start the archive pre-review."""
    from console.services.upcoming import start_prereview

    db, actor = session()
    case = start_prereview(db, actor, id_number)
    data = {"case_no": case["case_no"], "status": case["status"]}
    print_json(data) if as_json else print_fields([(t("cli_case.case_no"), case["case_no"]), (t("cli_case.status"), t(CASE_STATUS.key(case['status'])))])


@app.command("told")
def told(
    id_number: Annotated[str, typer.Argument(help="ID number.")],
    channel: Annotated[str, typer.Option("--channel", help="phone, sms, visit, letter, wechat")] = "phone",
    note: Annotated[str | None, typer.Option("--note")] = None,
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default today).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """记录已告知本人 / Record that the person was told."""
    from console.rules.months import BadMonth, parse_date
    from console.services.upcoming import record_contact

    try:
        day = parse_date(on) if on else None
    except BadMonth:
        raise BadInput("cli.bad_month", value=on) from None
    db, actor = session()
    row = record_contact(db, actor, id_number, channel, note, day)
    print_json(row) if as_json else print_fields(list(row.items()))


@app.command("remind")
def remind(
    id_number: Annotated[str, typer.Argument(help="ID number.")],
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en.")] = None,
    docx: Annotated[bool, typer.Option("--docx", help="Write the letter as DOCX (default: the hall's documents folder).")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="The DOCX file to write (implies --docx).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """生成提醒告知书（文本或 DOCX） / The reminder letter: its text, or a DOCX with --docx."""
    from console.services.upcoming import reminder_text, write_reminder

    db, actor = session()
    from console.display import clean

    if docx or out is not None:
        path = write_reminder(db, actor, id_number, out, lang or OPTIONS.lang, force=force)
        typer.echo(t("upcoming.reminder.written", path=str(path)))
        return
    typer.echo(clean(reminder_text(db, actor, id_number, lang or OPTIONS.lang)))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="upcoming")
