"""Exports for departments and scripts: cases, tasks, persons, contribution periods.

Rows stream from one SELECT straight into the writer (CSV, JSON Lines or
XLSX in openpyxl's write-only mode), so an export of the whole county costs
no more memory than one of ten cases.

ID numbers leave the building masked (150222********1234, bank cards the
same way) unless a supervisor or admin asks for them unmasked; that request
is written to the audit log before the first row goes out, so even an
interrupted export is on record.

Persons and contribution exports use the import templates' columns, so an
unmasked export can be corrected in Excel and imported again.

A file is never written through a planted name: ``console.safe_files``
writes a private temporary file beside the target (O_EXCL|O_NOFOLLOW, 0600,
0640 in the hall's setgid directory, whatever the umask) and renames it when
complete; an existing target needs ``--force``, a symlink is refused.  Cells
are made safe for spreadsheets (``console.display``): a text cell that begins
with = + - @ TAB or CR gets a leading ' in CSV and is a string cell in XLSX;
numbers stay numbers.  ``--raw`` (audited) writes text exactly as stored.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from console.display import clean, json_safe, sheet_text
from console.errors import BadInput, PermissionDenied
from console.rules.idcard import mask_id
from console.safe_files import STDOUT, atomic_writer, check_target, is_stdout, os_failure
from console.services.identity import Actor, require_role
from console.services.importing.columns import COLUMNS
from console.services.role_matrix import CASE_READERS
from db import audit
from db import exports as exports_db
from db.cases import CaseFilter
from db.connection import transaction

if TYPE_CHECKING:
    from db.engine import Database

EXPORT_KINDS = ("cases", "tasks", "persons", "contributions")
FORMATS = ("csv", "jsonl", "xlsx")
HEADER_STYLES = ("en", "zh", "both")
UNMASK_ROLES = ("supervisor", "admin")

_CASE_COLUMNS = (
    ("case_no", "办件编号"), ("name", "姓名"), ("id_number", "身份证号码"), ("kind", "办件类型"),
    ("status", "办件状态"), ("received_at", "收件时间"), ("accepted_at", "受理时间"), ("completed_at", "办结时间"),
    ("due_date", "办结时限"), ("working_days_left", "剩余工作日"), ("clock", "时限状态"), ("paused_since", "暂停计时自"),
    ("chosen_month", "选择退休年月"), ("joint_items", "联办事项"), ("acceptance_notice_no", "受理通知书编号"),
    ("assignee", "经办人"), ("version", "版本"),
)
_TASK_COLUMNS = (
    ("case_no", "办件编号"), ("name", "姓名"), ("id_number", "身份证号码"), ("task_id", "任务号"),
    ("department", "部门"), ("item", "事项"), ("status", "任务状态"), ("assignee", "经办人"), ("due_date", "办结时限"),
    ("opened_at", "开始时间"), ("done_at", "完成时间"), ("result", "办理结果"), ("missing", "缺少材料"),
)


def columns(kind: str) -> list[tuple[str, str]]:
    """(field, Chinese header) of an export, in order."""
    if kind == "cases":
        return list(_CASE_COLUMNS)
    if kind == "tasks":
        return list(_TASK_COLUMNS)
    source = "persons" if kind == "persons" else "contributions"
    return [(c.name, c.zh) for c in COLUMNS[source]]


def header_row(kind: str, style: str) -> list[str]:
    if style == "en":
        return [name for name, _ in columns(kind)]
    if style == "zh":
        return [zh for _, zh in columns(kind)]
    return [f"{zh}({name})" for name, zh in columns(kind)]


@dataclass
class ExportResult:
    kind: str
    format: str
    rows: int
    out: str | None
    unmasked: bool
    audit_id: int | None
    raw: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def mask_card(number: str | None) -> str | None:
    """Bank card numbers: only the last four digits stay."""
    if not number:
        return number
    return "*" * max(len(number) - 4, 0) + number[-4:]


def _rows(db: Database, kind: str, f: CaseFilter, masked: bool, today: date) -> Iterator[dict[str, Any]]:
    if kind == "cases":
        from console.services.clocks import calendar_for, queue_clock

        cal = calendar_for(db)
        for row in exports_db.iter_cases(db, f):
            left, state, _colour = queue_clock(row, today, cal)
            row["working_days_left"] = left
            row["clock"] = state or None
            yield row
    elif kind == "tasks":
        yield from exports_db.iter_tasks(db, f)
    elif kind == "persons":
        for row in exports_db.iter_persons(db, f):
            if masked:
                row["bank_card"] = mask_card(row["bank_card"])
            yield row
    else:
        yield from exports_db.iter_periods(db, f)


def _masking(rows: Iterable[dict[str, Any]], masked: bool) -> Iterator[dict[str, Any]]:
    for row in rows:
        if masked and row.get("id_number"):
            row["id_number"] = mask_id(row["id_number"])
        yield row


def xlsx_cell(sheet: Any, value: Any, *, raw: bool = False) -> Any:
    """A value for a write-only openpyxl sheet: text is a string cell, never a formula.

    openpyxl makes a formula of any text that begins with ``=``; a string
    cell (``data_type = 's'``) is shown as typed and never evaluated, so no
    quote is needed.  Numbers and dates stay as they are.  Forbidden
    characters are removed (an XLSX file cannot hold C0 controls at all, so
    even ``raw`` loses those; ``raw`` keeps formulas).
    """
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if raw:
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value=clean(value))
    cell.data_type = "s"
    return cell


class _Writer:
    """A format writer: ``header`` once, ``row`` per record, ``close`` at the end.

    Unless ``raw``, CSV and XLSX text cells are made safe for a spreadsheet
    (``console.display``): forbidden characters removed, a CSV cell that
    begins with = + - @ TAB CR gets a leading ', and every XLSX text value is
    a string cell, never a formula.  JSON Lines keeps the stored text (JSON
    escapes control characters).
    """

    def __init__(self, fmt: str, fh: IO[Any], *, file: bool, names: list[str], header: list[str], raw: bool) -> None:
        self.fmt = fmt
        self.names = names
        self.raw = raw
        self._fh = fh
        if fmt == "csv":
            self._csv = csv.writer(fh, lineterminator="\r\n" if file else "\n")
            self._csv.writerow(header)
        elif fmt == "xlsx":
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet("export")
            self._sheet.append(header)

    def row(self, record: dict[str, Any]) -> None:
        if self.fmt == "csv":
            values = ["" if record.get(n) is None else record.get(n) for n in self.names]
            self._csv.writerow(values if self.raw else [sheet_text(v) for v in values])
        elif self.fmt == "jsonl":
            self._fh.write(json_safe(json.dumps({n: record.get(n) for n in self.names}, ensure_ascii=False)) + "\n")
        else:
            self._sheet.append([xlsx_cell(self._sheet, record.get(n), raw=self.raw) for n in self.names])

    def close(self) -> None:
        if self.fmt == "xlsx":
            self._book.save(self._fh)


def _audit_flags(db: Database, actor: Actor, kind: str, fmt: str, out: str, filters: dict[str, Any],
                 unmasked: bool, raw: bool) -> int | None:
    """One audit row per risky option, written before the first row goes out; the id of the first."""
    first = None
    with transaction(db):
        for flag, action in ((unmasked, "export.unmasked"), (raw, "export.raw")):
            if flag:
                row_id = audit.append(
                    db, actor.audit_name, action, entity="export", entity_id=kind,
                    detail={"kind": kind, "format": fmt, "out": out, "filters": filters},
                )
                first = row_id if first is None else first
    return first


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def export(
    db: Database,
    actor: Actor,
    kind: str,
    f: CaseFilter,
    *,
    fmt: str = "csv",
    out: Path | str | None = None,
    stream: IO[Any] | None = None,
    unmasked: bool = False,
    raw: bool = False,
    force: bool = False,
    header: str | None = None,
    filters: dict[str, Any] | None = None,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the rows of ``kind`` selected by ``f`` to ``out``, or to standard output.

    ``out`` None or ``-`` is standard output (``stream`` when given: a text
    stream for CSV / JSON Lines, a binary one for XLSX).  A file is written
    through ``console.safe_files.atomic_writer``: a private temporary file
    beside it, renamed when complete (0600, 0640 in the hall's setgid
    directory, whatever the umask); an existing file needs ``force``; a
    symlink, a device or a FIFO is refused.  A CSV file gets a UTF-8 BOM
    (Excel opens it right); a CSV on a stream does not (it pipes into other
    tools).  The header style defaults to English field names on a stream
    and bilingual ``中文(field)`` in files.  ``raw`` writes text cells exactly
    as stored (no formula neutralisation) and is audited, like ``unmasked``.
    """
    require_role(actor, *CASE_READERS)  # every role but the auditor (docs/roles.md)
    if kind not in EXPORT_KINDS:
        raise BadInput("exporter.bad_kind", value=kind, allowed=", ".join(EXPORT_KINDS))
    if fmt not in FORMATS:
        raise BadInput("exporter.bad_format", value=fmt)
    to_stdout = out is None or is_stdout(out)
    if fmt == "xlsx" and out is None:
        raise BadInput("exporter.xlsx_needs_out")
    if header is not None and header not in HEADER_STYLES:
        raise BadInput("exporter.bad_header", value=header)
    if unmasked and not actor.has_role(*UNMASK_ROLES):
        raise PermissionDenied("exporter.unmasked_role", login=actor.login)
    today = today or date.today()
    style = header or ("en" if to_stdout or fmt == "jsonl" else "both")
    names = [name for name, _ in columns(kind)]
    target = STDOUT if to_stdout or out is None else Path(out).expanduser()
    if not to_stdout:
        check_target(Path(target), force=force)  # refuse before anything is audited or read
    audit_id = None
    if unmasked or raw:
        where = "-" if to_stdout else str(Path(target).resolve())
        audit_id = _audit_flags(db, actor, kind, fmt, where, filters or {}, unmasked, raw)
    count = 0
    binary = fmt == "xlsx"
    if binary and to_stdout and _is_terminal(stream if stream is not None else sys.stdout):
        raise BadInput("exporter.xlsx_needs_out")  # a workbook is no text for a terminal
    if to_stdout and stream is not None:
        opened: Any = contextlib.nullcontext(stream)
    else:
        opened = atomic_writer(target, force=force, binary=binary, newline="",
                               encoding="utf-8-sig" if fmt == "csv" and not to_stdout else "utf-8")
    try:
        with opened as fh:
            if binary and to_stdout and isinstance(fh, io.TextIOWrapper):
                fh = fh.buffer
            writer = _Writer(fmt, fh, file=not to_stdout, names=names, header=header_row(kind, style), raw=raw)
            for record in _masking(_rows(db, kind, f, not unmasked, today), not unmasked):
                writer.row(record)
                count += 1
                if progress is not None and not count % 10000:
                    progress(count)
            writer.close()
    except BrokenPipeError:
        raise  # the reader went away (| head): the CLI ends quietly
    except OSError as exc:
        raise os_failure(exc, str(out or "-")) from None
    return ExportResult(kind, fmt, count, None if to_stdout else str(target), unmasked, audit_id, raw)
