"""A document model as DOCX (python-docx), byte-for-byte reproducible.

A4, margins from the model's style (2.5 cm by default), the title centred in
a large bold CJK face, the body in 仿宋 (or the template's choice), lists as
tables, the seal and date at the bottom right.  Every run names its East
Asian font through ``w:rFonts/@w:eastAsia`` so Word and LibreOffice pick a
CJK face.  The core properties are fixed (created = modified = issue time)
and the ZIP entries carry the issue time too, so the same stored notice
always gives the same bytes.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from console.display import clean, clean_tree

_ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}


def _set_fonts(rpr_owner: Any, latin: str, east_asia: str, lang: str) -> None:
    """Set ascii/hAnsi to the Latin face and eastAsia to the CJK face on a run or style rPr."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    lang_el = rpr.find(qn("w:lang"))
    if lang_el is None:
        lang_el = OxmlElement("w:lang")
        rpr.append(lang_el)
    lang_el.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-GB")
    lang_el.set(qn("w:eastAsia"), "zh-CN")


def _run(paragraph: Any, text: str, font: str, latin: str, size: float, lang: str, bold: bool = False) -> Any:
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    _set_fonts(run._element, latin, font, lang)
    return run


def _spacing(paragraph: Any, before: float = 0, after: float = 0, exact: float | None = None) -> None:
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    if exact is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(exact)


def _table(doc: Any, headers: list[str], rows: list[list[str]], widths: list[float] | None, style: Mapping[str, Any], lang: str,
           label_column: bool = False) -> None:
    ncol = len(headers) if headers else max(len(r) for r in rows)
    table = doc.add_table(rows=0, cols=ncol)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    body, latin, size = style["body_font"], style["latin_font"], float(style["table_size"])
    all_rows = ([headers] if headers else []) + rows
    for r_index, cells in enumerate(all_rows):
        row = table.add_row()
        is_header = bool(headers) and r_index == 0
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))  # a row never breaks across pages
        if is_header:  # repeat the header row on every page
            trpr.append(OxmlElement("w:tblHeader"))
        for c_index in range(ncol):
            cell = row.cells[c_index]
            p = cell.paragraphs[0]
            _spacing(p, 2, 2)
            bold = is_header or (label_column and c_index == 0)
            if is_header:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            text = cells[c_index] if c_index < len(cells) else ""
            lines = text.split("\n")
            for k, line in enumerate(lines):
                run = _run(p, line, style["heading_font"] if is_header else body, latin, size, lang, bold)
                if k < len(lines) - 1:
                    run.add_break()
    text_width = 21.0 - 2 * float(style["margin_cm"])
    if not widths or len(widths) != ncol:
        widths = [text_width / ncol] * ncol
    scale = min(1.0, text_width / sum(widths))  # never wider than the text block
    table.autofit = False
    for c_index, w in enumerate(widths):
        table.columns[c_index].width = Cm(w * scale)  # w:gridCol (what LibreOffice reads)
    for row in table.rows:
        for c_index, w in enumerate(widths):
            row.cells[c_index].width = Cm(w * scale)  # w:tcW (what Word reads)


def _core(doc: Any, model: Mapping[str, Any], issued_at: datetime, author: str) -> None:
    cp = doc.core_properties
    stamp = issued_at.astimezone(UTC).replace(tzinfo=None) if issued_at.tzinfo else issued_at
    cp.created = stamp
    cp.modified = stamp
    cp.last_printed = stamp
    cp.revision = 1
    cp.author = author
    cp.last_modified_by = author
    cp.title = model.get("title", "")
    cp.subject = model.get("number", "")
    cp.keywords = model.get("kind", "")
    cp.comments = ""
    cp.category = ""
    cp.content_status = ""
    cp.identifier = model.get("number", "")
    cp.language = "zh-CN" if model.get("lang") == "zh" else "en-GB"
    cp.version = ""


def _normalise_zip(data: bytes, when: datetime) -> bytes:
    """Rewrite the package with fixed entry times and attributes (zip stamps the wall clock otherwise)."""
    tm = when.timetuple()
    stamp = (max(tm.tm_year, 1980), tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)  # zip starts at 1980
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 0
            fixed.external_attr = 0
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def render_docx(model: Mapping[str, Any], issued_at: datetime, author: str = "") -> bytes:
    """The DOCX bytes of a document model; ``issued_at`` fixes every timestamp inside.

    Stored text is written without control characters (a name put in by SQL
    must not break the XML nor reach the reader's screen).
    """
    model = clean_tree(dict(model))
    author = clean(author)
    style = model["style"]
    lang = model.get("lang", "zh")
    latin = style["latin_font"]
    body, size = style["body_font"], float(style["body_size"])
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    margin = Cm(float(style["margin_cm"]))
    section.top_margin = section.bottom_margin = section.left_margin = section.right_margin = margin
    normal = doc.styles["Normal"]
    normal.font.size = Pt(size)
    _set_fonts(normal.element, latin, body, lang)
    for name in ("Table Grid",):
        _set_fonts(doc.styles[name].element, latin, body, lang)

    if model.get("header"):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _spacing(p, 0, 6)
        _run(p, model["header"], style["header_font"], latin, float(style["header_size"]), lang)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(p, 6, 12)
    _run(p, model["title"], style["title_font"], latin, float(style["title_size"]), lang, bold=True)
    if model.get("number"):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _spacing(p, 0, 12)
        _run(p, model["number"], body, latin, size, lang)

    line = size * 1.5
    for block in model.get("blocks", []):
        kind = block["type"]
        if kind == "heading":
            p = doc.add_paragraph()
            _spacing(p, 6, 0, line)
            p.paragraph_format.keep_with_next = True
            _run(p, block["text"], style["heading_font"], latin, size, lang)
        elif kind == "paragraph":
            p = doc.add_paragraph()
            p.alignment = _ALIGN.get(block.get("align", "left"), WD_ALIGN_PARAGRAPH.LEFT)
            _spacing(p, 0, 0, line)
            if block.get("indent", True):
                p.paragraph_format.first_line_indent = Pt(size * 2)
            _run(p, block["text"], body, latin, size, lang, bold=bool(block.get("bold")))
        elif kind in ("table", "fields"):
            headers = list(block.get("headers") or []) if kind == "table" else []
            _table(doc, headers, [list(r) for r in block["rows"]], block.get("widths"), style, lang, label_column=kind == "fields")
            spacer = doc.add_paragraph()
            _spacing(spacer, 0, 0)
    if model.get("closing"):
        last = doc.paragraphs[-1]
        if last.text:  # keep the last words of the body on the seal's page
            last.paragraph_format.keep_with_next = True
        p = doc.add_paragraph()
        _spacing(p, 0, 0, line * 1.5)
        p.paragraph_format.keep_with_next = True
        for k, text in enumerate(model["closing"]):
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _spacing(p, 0, 0, line)
            p.paragraph_format.right_indent = Pt(size * 2)
            p.paragraph_format.keep_with_next = k < len(model["closing"]) - 1
            _run(p, text, body, latin, size, lang)
    _core(doc, model, issued_at, author)
    buf = io.BytesIO()
    doc.save(buf)
    # the wall-clock time as stored (with its own offset), never the machine's zone
    return _normalise_zip(buf.getvalue(), issued_at)
