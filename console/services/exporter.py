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
"""
from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TextIO

import sqlite_utils

from console.errors import BadInput, PermissionDenied
from console.rules.idcard import mask_id
from console.services.identity import Actor
from console.services.import_kinds import COLUMNS
from db import audit
from db import exports as exports_db
from db.cases import CaseFilter
from db.connection import transaction

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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def mask_card(number: str | None) -> str | None:
    """Bank card numbers: only the last four digits stay."""
    if not number:
        return number
    return "*" * max(len(number) - 4, 0) + number[-4:]


def _rows(db: sqlite_utils.Database, kind: str, f: CaseFilter, masked: bool, today: date) -> Iterator[dict[str, Any]]:
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


class _Writer:
    """A format writer: ``header`` once, ``row`` per record, ``close`` at the end."""

    def __init__(self, fmt: str, fh: TextIO | None, path: Path | None, names: list[str], header: list[str]) -> None:
        self.fmt = fmt
        self.names = names
        if fmt == "csv":
            assert fh is not None
            self._csv = csv.writer(fh, lineterminator="\r\n" if path else "\n")
            self._csv.writerow(header)
        elif fmt == "jsonl":
            assert fh is not None
            self._fh = fh
        else:
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet("export")
            self._sheet.append(header)
            self._path = path

    def row(self, record: dict[str, Any]) -> None:
        if self.fmt == "csv":
            self._csv.writerow(["" if record.get(n) is None else record.get(n) for n in self.names])
        elif self.fmt == "jsonl":
            self._fh.write(json.dumps({n: record.get(n) for n in self.names}, ensure_ascii=False) + "\n")
        else:
            self._sheet.append([record.get(n) for n in self.names])

    def close(self) -> None:
        if self.fmt == "xlsx":
            self._book.save(self._path)


def export(
    db: sqlite_utils.Database,
    actor: Actor,
    kind: str,
    f: CaseFilter,
    *,
    fmt: str = "csv",
    out: Path | None = None,
    stream: TextIO | None = None,
    unmasked: bool = False,
    header: str | None = None,
    filters: dict[str, Any] | None = None,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the rows of ``kind`` selected by ``f`` to ``out`` (or ``stream`` for CSV / JSON Lines).

    A CSV file gets a UTF-8 BOM (Excel opens it right); a CSV on a stream
    does not (it pipes into other tools).  The header style defaults to
    English field names on a stream and bilingual ``中文(field)`` in files.
    """
    if kind not in EXPORT_KINDS:
        raise BadInput("exporter.bad_kind", value=kind, allowed=", ".join(EXPORT_KINDS))
    if fmt not in FORMATS:
        raise BadInput("exporter.bad_format", value=fmt)
    if fmt == "xlsx" and out is None:
        raise BadInput("exporter.xlsx_needs_out")
    if header is not None and header not in HEADER_STYLES:
        raise BadInput("exporter.bad_header", value=header)
    if unmasked and not actor.has_role(*UNMASK_ROLES):
        raise PermissionDenied("exporter.unmasked_role", login=actor.login)
    today = today or date.today()
    style = header or ("en" if out is None or fmt == "jsonl" else "both")
    names = [name for name, _ in columns(kind)]
    audit_id = None
    if unmasked:
        with transaction(db):
            audit_id = audit.append(
                db, actor.audit_name, "export.unmasked", entity="export", entity_id=kind,
                detail={"kind": kind, "format": fmt, "out": str(out.resolve()) if out else "-", "filters": filters or {}},
            )
    tmp = out.with_name(out.name + ".part") if out is not None else None
    fh: TextIO | None = None
    count = 0
    try:
        if tmp is not None and fmt != "xlsx":
            try:
                fh = tmp.open("w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="")
            except OSError as exc:
                raise BadInput("exporter.cannot_write", path=str(out), reason=exc.strerror or str(exc)) from None
        writer = _Writer(fmt, fh or stream, tmp, names, header_row(kind, style))
        for record in _masking(_rows(db, kind, f, not unmasked, today), not unmasked):
            writer.row(record)
            count += 1
            if progress is not None and not count % 10000:
                progress(count)
        writer.close()
        if fh is not None:
            fh.close()
            fh = None
        if tmp is not None and out is not None:
            os.replace(tmp, out)
            tmp = None
    except BrokenPipeError:
        raise  # the reader went away (| head): the CLI ends quietly
    except OSError as exc:
        raise BadInput("exporter.cannot_write", path=str(out or "-"), reason=exc.strerror or str(exc)) from None
    finally:
        if fh is not None:
            fh.close()
        if tmp is not None and tmp.exists():
            tmp.unlink()
    return ExportResult(kind, fmt, count, str(out) if out else None, unmasked, audit_id)
