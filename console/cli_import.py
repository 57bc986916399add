"""``retire import`` and ``retire export``: bulk data in and out, for clerks and night-shift scripts.

Thin: parse, call ``console.services.importing`` / ``exporter``, print.
Exit status: 0 done, 2 bad input (any bad row when not ``--skip-invalid``,
an unreadable file, wrong columns), 1 refusal (role).  Data and reports go to
stdout (``--json`` for machines); the progress bar and the summary line go to
stderr, and the bar only when stderr is a terminal.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from console.cli_support import RetireTyper, print_json, print_table, session, warn
from console.i18n import t
from console.services.importing.columns import KINDS

import_app = RetireTyper(help="批量导入（CSV、JSON Lines、Excel） / Bulk import from CSV, JSON Lines or Excel.")
export_app = RetireTyper(help="导出（默认身份证号码脱敏） / Export (ID numbers masked unless --unmasked).")

EXPORT_KINDS = ("cases", "tasks", "persons", "contributions")

_IMPORT_HELP = {
    "persons": "导入人员名册 / Import the persons roster (key: ID number).",
    "employers": "导入单位名册 / Import employers (key: unified social credit code).",
    "archive": "导入档案材料记录 / Import archive records (key: person + document kind + date).",
    "contributions": "导入缴费期间 / Import contribution periods (key: person + from + to + kind).",
    "cases": ("导入办件（新办件只能以草稿 draft 导入；已登记的办件状态不变，状态列须为空或与现状相同）"
              " / Import cases (key: case number). A new case is imported as a draft only; a registered case keeps"
              " its status (the status column must be empty or equal to it): every later status is reached"
              " through the workflow's commands, which write its notices and tasks."),
    "ratings": ("导入评价器导出的好差评（办件编号、评价时间、等级、意见；一件一评，差评生成回访）"
                " / Import a rating device's export (case number, time, level, comment): one rating per finished"
                " case; a level 1-2 rating opens the supervisor's follow-up."),
}
_EXPORT_HELP = {
    "cases": "导出办件 / Export cases (same filters as `case list`).",
    "tasks": "导出部门任务 / Export department tasks of the selected cases.",
    "persons": "导出人员（导入模板的列） / Export persons (the import template's columns).",
    "contributions": "导出缴费期间 / Export contribution periods (the import template's columns).",
}


class ProgressBar:
    """Progress on stderr: a bar redrawn in place on a terminal, nothing otherwise.

    ``--progress`` forces it for logs (a plain line per phase and per tenth,
    no carriage returns); ``--no-progress`` silences it.
    """

    def __init__(self, mode: bool | None = None) -> None:
        tty = sys.stderr.isatty()
        self.enabled = tty if mode is None else mode
        self.inplace = tty
        self.last = 0.0
        self.phase = ""
        self.tenth = -1

    def __call__(self, phase: str, fraction: float, rows: int) -> None:
        if not self.enabled:
            return
        label = t(f"importer.cli.phase_{phase}")
        if not self.inplace:
            tenth = int(fraction * 10)
            if phase != self.phase or tenth != self.tenth:
                self.phase, self.tenth = phase, tenth
                sys.stderr.write(f"{label} {fraction:.0%} {rows:,} {t('importer.cli.rows')}\n")
                sys.stderr.flush()
            return
        now = time.monotonic()
        if phase == self.phase and fraction < 1.0 and now - self.last < 0.1:
            return
        if phase != self.phase and self.phase:
            sys.stderr.write("\n")
        self.phase, self.last = phase, now
        width = 30
        filled = int(width * max(0.0, min(fraction, 1.0)))
        sys.stderr.write(f"\r{label:<8} [{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}  {rows:,} {t('importer.cli.rows')}")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.inplace and self.phase:
            sys.stderr.write("\n")
            sys.stderr.flush()
        self.phase = ""


def _report_out(report: Any, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
    elif report.errors:
        print_table(
            [[e["line"], e["column"], e["value"], e["reason"]] for e in report.errors],
            [t("importer.cli.line"), t("importer.cli.column"), t("importer.cli.value"), t("importer.cli.reason")],
        )
    if not report.ok:
        warn(t("cli.error", message=t("importer.cli.refused", invalid=report.invalid, rows=report.rows)))
        raise typer.Exit(2)
    if report.encoding and report.encoding_source:  # (--json carries it too; a refusal stays one line)
        warn(t(f"importer.cli.encoding_{report.encoding_source}", encoding=report.encoding))
    if report.dry_run:
        key = "importer.cli.dry_run_skip" if report.invalid else "importer.cli.dry_run_ok"
        warn(t(key, rows=report.rows, valid=report.valid, invalid=report.invalid))
        return
    main = report.tables.get(_TABLES[report.kind], {})
    warn(t("importer.cli.summary", kind=report.kind, rows=report.valid, inserted=main.get("inserted", 0),
           updated=main.get("updated", 0), unchanged=main.get("unchanged", 0), seconds=f"{report.seconds:.1f}"))
    for table, counts in report.tables.items():
        if table != _TABLES[report.kind] and (counts["inserted"] or counts["updated"]):
            warn(t("importer.cli.summary_table", table=table, **counts))
    if report.rejects_file:
        warn(t("importer.cli.rejected", invalid=report.invalid, path=report.rejects_file))


_TABLES = {"persons": "persons", "employers": "employers", "archive": "archive_records",
           "contributions": "contribution_periods", "cases": "cases", "ratings": "ratings"}

FileArg = Annotated[str, typer.Argument(help="CSV / JSON Lines / XLSX file; '-' reads standard input.")]
SkipOpt = Annotated[bool, typer.Option("--skip-invalid", help="Write the good rows; bad rows go to FILE.rejects.csv.")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Validate and report only; write nothing.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
FormatOpt = Annotated[str | None, typer.Option("--format", help="csv | jsonl | xlsx (default: by extension or content).")]
EncodingOpt = Annotated[str | None, typer.Option("--encoding",
        help="CSV/JSONL encoding (default: from the first megabyte: a BOM, else UTF-8 if valid, else GB18030;"
             " the whole file is then read with it, a byte it cannot decode stops the import).")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet name (default: the first).")]
ProgressOpt = Annotated[bool | None, typer.Option("--progress/--no-progress", help="Progress on stderr (default: only on a terminal).")]
RejectsOpt = Annotated[Path | None, typer.Option("--rejects", help="Where to write the rejected rows (default FILE.rejects.csv).")]


def _make_import(kind: str) -> Callable[..., None]:
    def command(
        file: FileArg,
        skip_invalid: SkipOpt = False,
        dry_run: DryOpt = False,
        as_json: JsonOpt = False,
        fmt: FormatOpt = None,
        encoding: EncodingOpt = None,
        sheet: SheetOpt = None,
        rejects: RejectsOpt = None,
        progress: ProgressOpt = None,
    ) -> None:
        from console.services.importing.run import run_import

        db, actor = session()
        bar = ProgressBar(progress)
        try:
            report = run_import(db, actor, kind, file, fmt=fmt, encoding=encoding, sheet=sheet, skip_invalid=skip_invalid,
                                dry_run=dry_run, rejects=rejects, progress=bar)
        finally:
            bar.done()
            db.close()
        _report_out(report, as_json)

    command.__name__ = f"import_{kind}"
    command.__doc__ = _IMPORT_HELP[kind]
    return command


for _kind in KINDS:
    import_app.command(_kind)(_make_import(_kind))


@import_app.command("template")
def import_template(
    kind: Annotated[str, typer.Argument(help="persons | employers | archive | contributions | cases")],
    fmt: Annotated[str, typer.Option("--format", help="csv | xlsx")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Output file, '-' for standard output (CSV: the default).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out file (never a symlink).")] = False,
) -> None:
    """空白导入模板（表头“中文(field)”，* 为必填） / An empty import template: header 中文(field), * = required."""
    from console.safe_files import is_stdout
    from console.services.importing.template import write_template

    write_template(kind, fmt, out, sys.stdout, force=force)
    if out is not None and not is_stdout(out):
        warn(t("importer.cli.template_written", path=str(out)))


StatusOpt = Annotated[list[str] | None, typer.Option("--status", help="Case status (repeat).")]
DeptOpt = Annotated[str | None, typer.Option("--department", help="Cases with an unfinished task of: hrss, medical, housing_fund, health.")]
OverdueOpt = Annotated[bool, typer.Option("--overdue", help="Only cases past their time limit.")]
DueSoonOpt = Annotated[bool, typer.Option("--due-soon", help="Only cases due within the warning days.")]
FromOpt = Annotated[str | None, typer.Option("--from", help="Received on or after YYYY-MM-DD.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Received on or before YYYY-MM-DD.")]
OutFormatOpt = Annotated[str, typer.Option("--format", help="csv | jsonl | xlsx")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Output file; '-' or none: standard output (xlsx needs --out, '-' included).")]
UnmaskedOpt = Annotated[bool, typer.Option("--unmasked", help="Full ID numbers (supervisor/admin only; audited).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite an existing --out file (never a symlink, a device or a FIFO).")]
RawOpt = Annotated[bool, typer.Option("--raw", help="Cells exactly as stored: no ' before =, +, -, @ (spreadsheets may run them as formulas; audited).")]
HeaderOpt = Annotated[str | None, typer.Option("--header", help="en | zh | both (default: en on stdout, both in files).")]


def _make_export(kind: str) -> Callable[..., None]:
    def command(
        fmt: OutFormatOpt = "csv",
        out: OutOpt = None,
        status: StatusOpt = None,
        department: DeptOpt = None,
        overdue: OverdueOpt = False,
        due_soon: DueSoonOpt = False,
        received_from: FromOpt = None,
        received_to: ToOpt = None,
        unmasked: UnmaskedOpt = False,
        header: HeaderOpt = None,
        force: ForceOpt = False,
        raw: RawOpt = False,
    ) -> None:
        from console.cli_case import _filter
        from console.services.case_queries import build_filter
        from console.services.exporter import export

        given = _filter(status, department, overdue, due_soon, received_from, received_to)
        db, actor = session()
        try:
            result = export(db, actor, kind, build_filter(db=db, **given), fmt=fmt, out=out, stream=sys.stdout,
                            unmasked=unmasked, raw=raw, force=force, header=header,
                            filters={k: v for k, v in given.items() if v})
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_broken_pipe()
            return
        finally:
            db.close()
        warn(t("exporter.summary", rows=result.rows, kind=kind, path=result.out or t("exporter.stdout")))
        if raw:
            warn(t("exporter.raw_cells"))

    command.__name__ = f"export_{kind}"
    command.__doc__ = _EXPORT_HELP[kind]
    return command


def _quiet_broken_pipe() -> None:
    """``retire export cases | head``: the reader left; end without a traceback (Python docs' recipe)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


for _kind in EXPORT_KINDS:
    export_app.command(_kind)(_make_export(_kind))


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
