"""Import templates: an empty file with the kind's header row, for the clerk to fill in."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from console.errors import BadInput
from console.i18n import t
from console.services.importing.columns import COLUMNS, KINDS, template_headers


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
    headers = template_headers(kind)
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
