"""Bulk import of rosters and records: validate everything, then write all of it or nothing.

The night-shift script and the clerk with an Excel file get the same
promise: a file is checked completely before anything is written, and the
report lists every bad row at once (line, column, value, reason), like the
one-time correction notice the hall gives applicants.  By default one bad
row means nothing is written; ``skip_invalid`` writes the good rows and puts
the bad ones, with their reasons, in a rejects file beside the input that can
be corrected and imported again.

Streaming, in two passes, so memory stays flat as files grow:

* pass 1 reads the file and checks every row; each row's natural key goes,
  with its line, to a scratch TEMP table on disk (``db.imports.RowKeys``,
  written in batches, dropped when validation is over; it lives in the
  connection's temp file, never in the hall's database), and one
  ``GROUP BY`` after the pass finds the duplicates.  What stays in memory is
  per distinct *person* (``PersonRefs``: a county has ~200,000 people, a
  bound that does not grow with the rows), the parsers' capped caches and
  the bad rows themselves (at most ``MAX_ERRORS``) -- see ``import_kinds``;
* pass 2 reads it again and writes batches of ``BATCH`` rows with
  ``executemany``, all inside ONE ``BEGIN IMMEDIATE`` transaction, with the
  single audit row for the import.  Ctrl-C or kill -9 at any point leaves the
  database exactly as it was.

Writes are upserts on natural keys (ID number, credit code, case number,
person + period), so importing the same file twice changes nothing the
second time, and the audit row says so (``changed: 0``).
"""
from __future__ import annotations

import contextlib
import csv
import gc
import os
import stat
import time
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable

import sqlite_utils

from console.errors import BadInput
from console.i18n import t
from console.services.identity import Actor, require_role
from console.safe_files import remove_stale_temps
from console.display import sheet_text
from console.services.import_kinds import (
    COLUMNS, KINDS, Errors, Plan, TooManyErrors, field_names, header_resolver, json_types, map_header, new_plan,
)
from console.services.import_readers import ImportLimits, RowProblem, Source, current_limits, open_reader, open_source
from console.services.import_values import clean
from console.text_policy import for_display
from db import audit
from db import imports as imports_db
from db.connection import transaction

IMPORT_ROLES = ("clerk", "supervisor", "admin")
BATCH = 5000
PROGRESS_EVERY = 4096

Progress = Callable[[str, float, int], None]
"""progress(phase, fraction done, rows so far); phases: validate, check, write."""


@dataclass
class ImportReport:
    """What an import found and did; ``errors`` are in file order."""

    kind: str
    file: str
    sha256: str
    format: str
    encoding: str | None
    encoding_source: str | None = None
    """'detected' (from the first megabyte: BOM, valid UTF-8, else GB18030) or 'given' (--encoding)."""
    rows: int = 0
    invalid: int = 0
    dry_run: bool = False
    skip_invalid: bool = False
    written: bool = False
    rejects_file: str | None = None
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    audit_id: int | None = None
    seconds: float = 0.0

    @property
    def valid(self) -> int:
        return self.rows - self.invalid

    @property
    def changed(self) -> int:
        return sum(c["inserted"] + c["updated"] for c in self.tables.values())

    @property
    def ok(self) -> bool:
        """True unless bad rows stopped the import (or would have, on a dry run)."""
        return self.invalid == 0 or self.skip_invalid

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "file": self.file, "sha256": self.sha256, "format": self.format,
            "encoding": self.encoding, "encoding_source": self.encoding_source, "rows": self.rows, "valid": self.valid, "invalid": self.invalid,
            "dry_run": self.dry_run, "skip_invalid": self.skip_invalid, "written": self.written,
            "changed": self.changed, "tables": self.tables, "rejects_file": self.rejects_file,
            "audit_id": self.audit_id, "seconds": round(self.seconds, 3), "errors": self.errors,
        }


@dataclass
class _Validated:
    plan: Plan
    errors: Errors
    rows: int
    labels: dict[str, str]
    width: int


def _labels(kind: str, header: list[str], fields: dict[str, int], fmt: str) -> dict[str, str]:
    """field -> the column as the file names it (what the clerk will look for)."""
    if fmt == "jsonl":
        return {c.name: c.name for c in COLUMNS[kind]}
    return {name: for_display(header[i]).strip()[:80] for name, i in fields.items()}


def _pass(source: Source, kind: str, make_step: Callable[[dict[str, int]], Callable[[int, Any], None]],
          on_problem: Callable[[int, RowProblem], None], phase: str,
          progress: Progress | None) -> tuple[list[str], dict[str, int], int]:
    """One read of the file: ``make_step(fields)`` gives the per-row function; returns (header, fields, rows)."""
    resolve = header_resolver(kind)
    rows = 0
    # a byte the encoding cannot decode is BadInput from the reader, naming its line and offset
    with open_reader(source, field_names(kind), resolve, json_types(kind)) as reader:
        header = reader.header
        fields = ({name: i for i, name in enumerate(field_names(kind))} if source.format == "jsonl"
                  else map_header(kind, header))
        step = make_step(fields)
        position = reader.position
        for rows, (line, cells) in enumerate(reader, 1):
            if cells.__class__ is list:
                step(line, cells)
            else:
                on_problem(line, cells)
            if progress is not None and not rows % PROGRESS_EVERY:
                progress(phase, position(), rows)
    if progress is not None:
        progress(phase, 1.0, rows)
    source.regular = getattr(reader, "regular", False)
    return header, fields, rows


def _validate(db: sqlite_utils.Database, source: Source, kind: str, today: date, progress: Progress | None) -> _Validated:
    """Pass 1 (+ the fix-up pass when a reference or duplicate needs every line named).

    The file is read with ONE encoding (``source.encoding``): a byte it cannot
    decode stops the import (BadInput naming the line and byte offset); it is
    never read again with another encoding.
    """
    errors = Errors()
    errors.order = {name: i for i, name in enumerate(field_names(kind))}
    plans: list[Plan] = []

    def make_check(fields: dict[str, int]) -> Callable[[int, Any], None]:
        errors.order = dict(fields)  # a row's errors in the order of the file's columns
        plan = new_plan(kind, fields, errors, today, source.limits)
        plans.append(plan)
        plan.open(db)  # the scratch table for the rows' keys
        return plan.check

    def problem(line: int, cells: RowProblem) -> None:
        errors.add_code(line, cells.column, cells.value, cells.code, **dict(cells.params))

    try:
        try:
            header, fields, rows = _pass(source, kind, make_check, problem, "validate", progress)
        except TooManyErrors:
            raise BadInput("importer.too_many_errors", limit=errors.limit) from None
        plan = plans[0]
        try:
            if plan.finish(db):
                _pass(source, kind, lambda _fields: plan.fixup, lambda _l, _c: None, "check", progress)
        except TooManyErrors:
            raise BadInput("importer.too_many_errors", limit=errors.limit) from None
    finally:
        for used in plans:
            used.close()  # validation is over (or failed): the keys are not needed any more
    return _Validated(plan, errors, rows, _labels(kind, header, fields, source.format), len(header))


def _error_dicts(validated: _Validated) -> list[dict[str, Any]]:
    out = []
    for line, name, value, code, params in validated.errors.sorted():
        out.append({
            "line": line, "column": validated.labels.get(name, name), "field": name, "value": value,
            "code": code, "reason": for_display(t(code, **params)), "params": params,
        })
    return out


def default_rejects_path(source: Source, kind: str) -> Path:
    """FILE.rejects.csv beside the input (for standard input: in the current directory)."""
    if source.temporary and source.display == "<stdin>":
        return Path.cwd() / f"stdin.{kind}.rejects.csv"
    named = Path(source.display) if source.temporary else source.path  # a spooled file: beside the one named
    return named.with_name(named.name + ".rejects.csv")


class _Rejects:
    """The rejects file, written to a temporary name and renamed only after the commit."""

    def __init__(self, path: Path, header: list[str], reasons: dict[int, str]) -> None:
        from console.safe_files import atomic_writer

        self.path = path
        self.reasons = reasons
        # a private temporary file beside it (O_EXCL|O_NOFOLLOW), renamed on commit; a symlink is refused.
        # force: a rejects file left by the previous run of the same import is replaced (never written through)
        self._writer = atomic_writer(path, force=True, binary=False, encoding="utf-8-sig", newline="")
        self.fh = self._writer.__enter__()
        self.writer = csv.writer(self.fh)
        self.writer.writerow([*header, t("importer.rejects.line_header"), t("importer.rejects.reason_header")])
        self.width = len(header)
        self.count = 0

    def write(self, line: int, cells: Any) -> None:
        if type(cells) is RowProblem:
            values = [""] * self.width
        else:
            values = [sheet_text(clean(c) or "") for c in cells][: self.width]
        # a rejects file is opened in a spreadsheet to be fixed: no cell may run as a formula there
        self.writer.writerow([*values, line, sheet_text(self.reasons.get(line, ""))])
        self.count += 1

    def commit(self) -> None:
        self._writer.__exit__(None, None, None)

    def discard(self) -> None:
        try:
            self._writer.__exit__(_Discarded, _Discarded(), None)
        except _Discarded:
            pass


class _Discarded(Exception):
    """Thrown into the rejects writer to drop its temporary file."""


def check_rejects_target(target: Path, source: Path | None = None) -> None:
    """An existing file is replaced only when it is a rejects file (a previous run's), before anything is read.

    ``--rejects`` once named the hall's own database, the source or any other
    file, and the rejects replaced it (the writer replaces a previous run's
    rejects file, so it is forced).  Now a regular file whose first line is
    not a rejects header is refused.  Links, directories and devices are the
    safe writer's to refuse.
    """
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError:
        return  # the writer names the fault when it opens the file
    if not stat.S_ISREG(info.st_mode):
        return
    with contextlib.suppress(OSError):
        if source is not None and os.path.samefile(source, target):
            raise BadInput("importer.rejects_not_ours", path=str(target))  # the file being imported
    try:
        with open(target, "rb") as fh:
            head = fh.read(64 * 1024)
    except OSError:
        return
    first = head.decode("utf-8", errors="replace").lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    if not first.endswith(f"{t('importer.rejects.line_header')},{t('importer.rejects.reason_header')}"):
        raise BadInput("importer.rejects_not_ours", path=str(target))


def remove_stale_rejects(target: Path) -> list[Path]:
    """Temporary files a killed import left beside its rejects file (``FILE.rejects.csv``).

    Both the safe writer's ``.FILE.rejects.csv.<hex>.part`` and the
    ``FILE.rejects.csv.part`` that versions before it wrote; only regular
    files of ours, never through a link.
    """
    removed = remove_stale_temps(target)
    legacy = target.with_name(target.name + ".part")
    try:
        info = os.lstat(legacy)
    except OSError:
        return removed
    if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid():
        with contextlib.suppress(OSError):
            legacy.unlink()
            removed.append(legacy)
    return removed


def _reasons(report_errors: Iterable[dict[str, Any]]) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    for e in report_errors:
        text = f"{e['column']}: {e['reason']}" if e["column"] else e["reason"]
        if e["value"]:
            text += f" [{e['value']}]"
        out.setdefault(e["line"], []).append(text)
    return {line: "；".join(items) for line, items in out.items()}


def _write_rows(reader: Any, convert: Callable[[Any], tuple[Any, ...]] | None, write: Callable[[list[Any]], None],
                batch_size: int, progress: Progress | None, bad_lines: set[int] | None = None,
                rejects: _Rejects | None = None) -> int:
    """Pass 2's loop: batches of ``batch_size`` rows to ``write``; bad lines to the rejects file.

    ``convert`` None means the cells go to SQLite as they are (a canonical
    CSV file, see ``Plan.raw_cells_sql``): the loop is then as tight as a
    plain load's.
    """
    batch: list[Any] = []
    append = batch.append
    written = 0
    position = reader.position
    if convert is None and not bad_lines and reader.source.regular and hasattr(reader, "raw_rows"):
        rows = reader.raw_rows()  # every row has the header's width: C all the way to SQLite
        while True:
            chunk = list(islice(rows, batch_size))
            if not chunk:
                break
            write(chunk)
            written += len(chunk)
            if progress is not None:
                progress("write", position(), written)
        return written
    if convert is None and not bad_lines:
        for _line, cells in reader:
            append(cells)
            if len(batch) >= batch_size:
                write(batch)
                written += len(batch)
                batch.clear()
                if progress is not None:
                    progress("write", position(), written)
    else:
        for line, cells in reader:
            if bad_lines and line in bad_lines:
                rejects.write(line, cells)  # type: ignore[union-attr]
                continue
            append(convert(cells) if convert is not None else cells)
            if len(batch) >= batch_size:
                write(batch)
                written += len(batch)
                batch.clear()
                if progress is not None:
                    progress("write", position(), written)
    if batch:
        write(batch)
        written += len(batch)
    return written


def _tables(plan: Plan) -> list[str]:
    tables = [plan.table]
    if plan.uses_persons:
        tables.append("persons")
    if plan.kind == "persons":
        tables.append("employers")
    return tables


def run_import(
    db: sqlite_utils.Database,
    actor: Actor,
    kind: str,
    path: Path | str,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    rejects: Path | None = None,
    progress: Progress | None = None,
    today: date | None = None,
    batch_size: int = BATCH,
    limits: ImportLimits | None = None,
) -> ImportReport:
    """Validate ``path`` as ``kind`` and (unless refused or a dry run) write it in one transaction.

    Returns the report; bad rows without ``skip_invalid`` leave ``written``
    False (the CLI exits 2).  Raises BadInput for a file that cannot be read
    as this kind at all (wrong columns, unreadable, wrong encoding).
    """
    require_role(actor, *IMPORT_ROLES)
    if kind not in KINDS:
        raise BadInput("importer.bad_kind", value=kind, allowed=", ".join(KINDS))
    started = time.monotonic()
    today = today or date.today()
    source = open_source(path, fmt, encoding, sheet, limits or current_limits())
    try:
        if skip_invalid and not dry_run:
            check_rejects_target(rejects or default_rejects_path(source, kind), None if source.temporary else source.path)
        remove_stale_rejects(rejects or default_rejects_path(source, kind))  # a killed run's leftovers
    except BaseException:
        source.cleanup()
        raise
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of short-lived row lists, no cycles: collections would only rescan the caches
    try:
        validated = _validate(db, source, kind, today, progress)
        report = ImportReport(kind, source.display, source.sha256, source.format, source.encoding,
                              source.encoding_source, rows=validated.rows, invalid=len(validated.errors), dry_run=dry_run,
                              skip_invalid=skip_invalid)
        report.errors = _error_dicts(validated)
        if (report.invalid and not skip_invalid) or dry_run:
            report.seconds = time.monotonic() - started
            return report
        _write(db, actor, source, validated, report, rejects, progress, batch_size)
        report.seconds = time.monotonic() - started
        return report
    finally:
        if gc_was_on:
            gc.enable()
        source.cleanup()


def _write(db: sqlite_utils.Database, actor: Actor, source: Source, validated: _Validated, report: ImportReport,
           rejects_path: Path | None, progress: Progress | None, batch_size: int) -> None:
    """Pass 2: one transaction for the whole file, its audit row included."""
    plan = validated.plan
    bad_lines = validated.errors.lines
    rejects: _Rejects | None = None
    committed = False
    try:
        with transaction(db):
            tables = _tables(plan)
            before = {name: imports_db.count_rows(db, name) for name in tables}
            raw_sql = (plan.raw_cells_sql(validated.width)
                       if source.format == "csv" and not bad_lines else None)
            plan.prepare(db, actor.login, convert=raw_sql is None)
            written = 0
            resolve = header_resolver(plan.kind)
            with open_reader(source, field_names(plan.kind), resolve, json_types(plan.kind)) as reader:
                if bad_lines:
                    header = [str(h) for h in reader.header] if source.format != "jsonl" else [c.header for c in COLUMNS[plan.kind]]
                    rejects = _Rejects(rejects_path or default_rejects_path(source, plan.kind), header, _reasons(report.errors))
                if raw_sql is not None:
                    written = _write_rows(reader, None, lambda rows: plan.write_raw(db, raw_sql, rows), batch_size, progress)
                else:
                    written = _write_rows(reader, plan.convert, lambda rows: plan.write(db, rows), batch_size, progress,
                                          bad_lines, rejects)
            if progress is not None:
                progress("write", 1.0, written)
            if not source.unchanged():
                raise BadInput("importer.file_changed", path=source.display)
            for name in tables:
                grown = imports_db.count_rows(db, name) - before[name]
                c = plan.counts.get(name, {"inserted": 0, "updated": 0})
                changes = c["inserted"] + c["updated"]
                report.tables[name] = {"inserted": grown, "updated": max(changes - grown, 0)}
            main = report.tables[plan.table]
            main["unchanged"] = max(written - main["inserted"] - main["updated"], 0)
            if rejects is not None:
                report.rejects_file = str(rejects.path)
            report.audit_id = audit.append(
                db, actor.login, f"import.{plan.kind}", entity="import", entity_id=plan.kind,
                detail={
                    "file": source.display if source.temporary else str(source.path.resolve()),
                    "sha256": source.sha256, "format": source.format, "encoding": source.encoding,
                    "encoding_source": source.encoding_source,
                    "rows": report.rows, "valid": report.valid, "rejected": report.invalid,
                    "changed": report.changed, "tables": report.tables,
                    "skip_invalid": report.skip_invalid, "rejects_file": report.rejects_file,
                },
            )
        committed = True
        report.written = True
    finally:
        if rejects is not None:
            if committed:
                rejects.commit()
            else:
                rejects.discard()


def write_template(kind: str, fmt: str, out: Path | None, stream: Any = None, force: bool = False) -> None:
    """An empty import file: one header row, ``中文(field)``, '*' on required columns.

    CSV goes to ``stream`` when there is no ``out`` or it is ``-`` (no BOM,
    for pipes) or to ``out`` with a BOM (so Excel opens it as UTF-8).  XLSX
    needs ``out`` (``-``: standard output) and carries a second sheet
    explaining every column.  A file is written through
    ``console.safe_files`` (private temporary file renamed when whole; an
    existing file needs ``force``; a symlink is refused).
    """
    import sys

    from console.safe_files import atomic_writer, is_stdout

    if kind not in KINDS:
        raise BadInput("importer.bad_kind", value=kind, allowed=", ".join(KINDS))
    headers = [c.header for c in COLUMNS[kind]]
    if fmt == "csv":
        if out is None or is_stdout(out):
            csv.writer(stream if stream is not None else sys.stdout, lineterminator="\n").writerow(headers)
            return
        with atomic_writer(out, force=force, binary=False, encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerow(headers)
        return
    if fmt != "xlsx":
        raise BadInput("importer.bad_template_format", value=fmt)
    if out is None:
        raise BadInput("importer.xlsx_needs_out")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = kind
    sheet.append(headers)
    for i, col in enumerate(COLUMNS[kind], start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font = Font(bold=True, color="C00000" if col.required else None)
        sheet.column_dimensions[cell.column_letter].width = max(14, len(col.header) + 6)
        cell.number_format = "@"
    for i in range(1, len(headers) + 1):  # text cells: Excel must not turn ID numbers into 1.5E+17
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(t("importer.template.notes_sheet"))
    notes.append([t("importer.template.column"), t("importer.template.required"), t("importer.template.format")])
    for col in COLUMNS[kind]:
        notes.append([col.header, t("importer.template.yes") if col.required else "", _hint(kind, col.name)])
    notes.column_dimensions["A"].width = 32
    notes.column_dimensions["C"].width = 90
    with atomic_writer(out, force=force) as fh:
        book.save(fh)


def _hint(kind: str, name: str) -> str:
    """The format note of a column (a kind-specific one first: 'name' of an employer is not a person's)."""
    from console.i18n import catalogue, current_lang

    specific = f"importer.hint.{kind}_{name}"
    return t(specific) if specific in catalogue(current_lang()) else t(f"importer.hint.{name}")
