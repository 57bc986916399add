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
  the bad rows themselves (at most ``MAX_ERRORS``) -- see ``base``;
* pass 2 reads it again and writes batches of ``BATCH`` rows with
  ``executemany``, all inside ONE ``BEGIN IMMEDIATE`` transaction, with the
  single audit row for the import.  Ctrl-C or kill -9 at any point leaves the
  database exactly as it was.

Writes are upserts on natural keys (ID number, credit code, case number,
person + period), so importing the same file twice changes nothing the
second time, and the audit row says so (``changed: 0``).
"""
from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.errors import BadInput
from console.i18n import t
from console.services.identity import Actor, require_role
from console.services.importing.base import Plan
from console.services.importing.columns import COLUMNS, KINDS, field_names, json_types, template_headers
from console.services.importing.errors import Errors, TooManyErrors
from console.services.importing.headers import header_resolver, map_header
from console.services.importing.kinds import new_plan
from console.services.importing.limits import ImportLimits, current_limits
from console.services.importing.readers import RowProblem, open_reader
from console.services.importing.rejects import (
    Rejects,
    check_rejects_target,
    default_rejects_path,
    reasons_by_line,
    remove_stale_rejects,
)
from console.services.importing.sources import Source, open_source
from console.text_policy import for_display
from db import audit
from db import imports as imports_db
from db.connection import transaction

if TYPE_CHECKING:
    from db.engine import Database

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


def _validate(db: Database, source: Source, kind: str, today: date, progress: Progress | None) -> _Validated:
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


def _kept_rows(reader: Any, convert: Callable[[Any], tuple[Any, ...]] | None, bad_lines: set[int] | None,
               rejects: Rejects | None) -> Iterator[Any]:
    """The rows pass 2 writes, converted; a bad line goes to the rejects file instead."""
    if not bad_lines:
        if convert is None:
            return (cells for _line, cells in reader)
        return (convert(cells) for _line, cells in reader)

    def kept() -> Iterator[Any]:
        for line, cells in reader:
            if line in bad_lines:  # never written; kept in the rejects file (pass 2 opens one whenever lines are bad)
                if rejects is not None:
                    rejects.write(line, cells)
                continue
            yield convert(cells) if convert is not None else cells

    return kept()


def _write_rows(reader: Any, convert: Callable[[Any], tuple[Any, ...]] | None, write: Callable[[list[Any]], None],
                batch_size: int, progress: Progress | None, bad_lines: set[int] | None = None,
                rejects: Rejects | None = None) -> int:
    """Pass 2's loop: batches of ``batch_size`` rows to ``write``; bad lines to the rejects file.

    ``convert`` None means the cells go to SQLite as they are (a canonical
    CSV file, see ``Plan.raw_cells_sql``): the loop is then as tight as a
    plain load's.
    """
    written = 0
    position = reader.position
    if convert is None and not bad_lines and reader.source.regular and hasattr(reader, "raw_rows"):
        rows = reader.raw_rows()  # every row has the header's width: C all the way to SQLite
    else:
        rows = _kept_rows(reader, convert, bad_lines, rejects)
    while True:
        batch = list(islice(rows, batch_size))
        if not batch:
            return written
        write(batch)
        written += len(batch)
        if progress is not None:
            progress("write", position(), written)


def _tables(plan: Plan) -> list[str]:
    tables = [plan.table]
    if plan.uses_persons:
        tables.append("persons")
    if plan.kind == "persons":
        tables.append("employers")
    return tables


def run_import(
    db: Database,
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


def _write(db: Database, actor: Actor, source: Source, validated: _Validated, report: ImportReport,
           rejects_path: Path | None, progress: Progress | None, batch_size: int) -> None:
    """Pass 2: one transaction for the whole file, its audit row included."""
    plan = validated.plan
    bad_lines = validated.errors.lines
    rejects: Rejects | None = None
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
                    header = [str(h) for h in reader.header] if source.format != "jsonl" else template_headers(plan.kind)
                    rejects = Rejects(rejects_path or default_rejects_path(source, plan.kind), header, reasons_by_line(report.errors))
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
