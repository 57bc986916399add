"""The template engine: TOML files with ``{placeholders}`` -> a document model.

Template file shape (one file per document kind)::

    [style]                     # optional: fonts and sizes for the DOCX
    title_font = "宋体"

    [zh]                        # one table per language (zh and en)
    header = "{hall.department}"            # optional line above the title
    title = "受理通知单"
    number_line = "{number}"                # optional, default "{number}"
    closing = ["{hall.seal}", "{issued_date}"]

    [[zh.blocks]]               # the body, in order
    type = "paragraph"          # paragraph | heading | list | table | fields
    text = "{person.name}："
    indent = false              # paragraph: first-line indent (default true)
    align = "left"              # paragraph: left | center | right
    when = "reason"             # any block: only when this value is non-empty
    unless = "findings"         # any block: only when this value is empty

    [[zh.blocks]]
    type = "table"
    headers = ["序号", "事项"]
    each = "items"              # a list in the context: one row per element
    row = ["{n}", "{name}"]     # inside a row, names are looked up in the element first
    empty = "（无）"            # printed instead of the table when the list is empty
    widths = [1.5, 14.5]        # optional column widths in cm (DOCX)

A ``table`` may give fixed ``rows = [[...], ...]`` instead of ``each``/``row``;
``fields`` is a two-column label/value table with fixed ``rows``; ``list``
repeats ``text`` once per element of ``each``.  ``{{`` and ``}}`` print
literal braces.  A name the context does not define is an error; a defined
but empty value prints as the ``blank`` text ("—").
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODEL_VERSION = 1
BLOCK_TYPES = ("paragraph", "heading", "list", "table", "fields")
ALIGNS = ("left", "center", "right")
STYLE_DEFAULTS: dict[str, Any] = {
    "header_font": "黑体",
    "title_font": "宋体",
    "heading_font": "黑体",
    "body_font": "仿宋",
    "latin_font": "Times New Roman",
    "header_size": 16,
    "title_size": 22,
    "body_size": 16,
    "table_size": 12,
    "margin_cm": 2.5,
}
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")


class TemplateError(Exception):
    """A template that cannot be read or used: the file and the problem, in one line."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass(frozen=True)
class Template:
    path: Path
    style: dict[str, Any]
    langs: dict[str, dict[str, Any]] = field(default_factory=dict)


def _check_text(path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TemplateError(path, f"{where} must be a string, not {type(value).__name__}")
    for m in _TOKEN.finditer(value):
        tok = m.group(0)
        if tok in ("{{", "}}"):
            continue
        if m.group(1) is None:
            raise TemplateError(path, f"{where}: unmatched '{tok}' (write '{tok}{tok}' for a literal brace)")
        if not _NAME.match(m.group(1).strip()):
            raise TemplateError(path, f"{where}: bad placeholder '{tok}'")
    return value


def _check_texts(path: Path, where: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise TemplateError(path, f"{where} must be a list of strings")
    return [_check_text(path, f"{where}[{i}]", v) for i, v in enumerate(value)]


def _check_name(path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise TemplateError(path, f"{where} must name a context value (e.g. \"findings\"), not {value!r}")
    return value


def _check_block(path: Path, where: str, block: Any) -> dict[str, Any]:
    if not isinstance(block, dict):
        raise TemplateError(path, f"{where} must be a table")
    kind = block.get("type", "paragraph")
    if kind not in BLOCK_TYPES:
        raise TemplateError(path, f"{where}.type '{kind}' is not one of {', '.join(BLOCK_TYPES)}")
    for key in ("when", "unless"):
        if key in block:
            _check_name(path, f"{where}.{key}", block[key])
    if kind in ("paragraph", "heading", "list"):
        if "text" not in block:
            raise TemplateError(path, f"{where} ({kind}) needs text")
        _check_text(path, f"{where}.text", block["text"])
        if block.get("align", "left") not in ALIGNS:
            raise TemplateError(path, f"{where}.align must be one of {', '.join(ALIGNS)}")
    if kind == "list":
        _check_name(path, f"{where}.each", block.get("each"))
    if kind == "table":
        headers = _check_texts(path, f"{where}.headers", block.get("headers"))
        if "each" in block:
            _check_name(path, f"{where}.each", block["each"])
            row = _check_texts(path, f"{where}.row", block.get("row"))
            if len(row) != len(headers):
                raise TemplateError(path, f"{where}.row has {len(row)} cells but headers has {len(headers)}")
        else:
            rows = block.get("rows")
            if not isinstance(rows, list) or not rows:
                raise TemplateError(path, f"{where} (table) needs each + row, or rows")
            for i, r in enumerate(rows):
                if len(_check_texts(path, f"{where}.rows[{i}]", r)) != len(headers):
                    raise TemplateError(path, f"{where}.rows[{i}] has {len(r)} cells but headers has {len(headers)}")
    if kind == "fields":
        rows = block.get("rows")
        if not isinstance(rows, list) or not rows:
            raise TemplateError(path, f"{where} (fields) needs rows = [[label, value], ...]")
        for i, r in enumerate(rows):
            if len(_check_texts(path, f"{where}.rows[{i}]", r)) != 2:
                raise TemplateError(path, f"{where}.rows[{i}] must be [label, value]")
    if "empty" in block:
        _check_text(path, f"{where}.empty", block["empty"])
    if "widths" in block:
        widths = block["widths"]
        if not isinstance(widths, list) or not all(isinstance(w, (int, float)) and w > 0 for w in widths):
            raise TemplateError(path, f"{where}.widths must be a list of positive numbers (cm)")
    return block


def load_template(path: Path, langs: Sequence[str]) -> Template:
    """Read and check a template file; every problem is a ``TemplateError`` naming the file."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise TemplateError(path, "file not found") from None
    except OSError as exc:
        raise TemplateError(path, exc.strerror or str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(path, f"not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise TemplateError(path, "not UTF-8 text") from None
    style = dict(STYLE_DEFAULTS)
    raw_style = data.get("style", {})
    if not isinstance(raw_style, dict):
        raise TemplateError(path, "[style] must be a table")
    for key, value in raw_style.items():
        if key not in STYLE_DEFAULTS:
            raise TemplateError(path, f"[style] has unknown key '{key}' (known: {', '.join(STYLE_DEFAULTS)})")
        if type(value) is not type(STYLE_DEFAULTS[key]) and not (isinstance(value, (int, float)) and isinstance(STYLE_DEFAULTS[key], (int, float))):
            raise TemplateError(path, f"[style].{key} has the wrong type")
        style[key] = value
    out: dict[str, dict[str, Any]] = {}
    for lang in langs:
        section = data.get(lang)
        if not isinstance(section, dict):
            raise TemplateError(path, f"has no [{lang}] section")
        _check_text(path, f"{lang}.title", section.get("title"))
        for key in ("header", "number_line"):
            if key in section:
                _check_text(path, f"{lang}.{key}", section[key])
        _check_texts(path, f"{lang}.closing", section.get("closing", []))
        blocks = section.get("blocks", [])
        if not isinstance(blocks, list):
            raise TemplateError(path, f"{lang}.blocks must be an array of tables ([[{lang}.blocks]])")
        for i, block in enumerate(blocks):
            _check_block(path, f"{lang}.blocks[{i}]", block)
        out[lang] = section
    return Template(path=path, style=style, langs=out)


class _Scope:
    def __init__(self, template: Template, lang: str, context: Mapping[str, Any], blank: str) -> None:
        self.template = template
        self.lang = lang
        self.context = context
        self.blank = blank

    def lookup(self, name: str, where: str, row: Mapping[str, Any] | None = None) -> Any:
        parts = name.strip().split(".")
        for scope in ([row] if row is not None else []) + [self.context]:
            value: Any = scope
            for part in parts:
                if isinstance(value, Mapping) and part in value:
                    value = value[part]
                else:
                    break
            else:
                return value
        raise TemplateError(self.template.path, f"{where}: unknown placeholder {{{name}}}")

    def text(self, template_text: str, where: str, row: Mapping[str, Any] | None = None) -> str:
        def sub(m: re.Match[str]) -> str:
            tok = m.group(0)
            if tok == "{{":
                return "{"
            if tok == "}}":
                return "}"
            value = self.lookup(m.group(1), where, row)
            if value is None or value == "" or value == []:
                return self.blank
            return str(value)

        return _TOKEN.sub(sub, template_text)

    def items(self, name: str, where: str) -> list[Mapping[str, Any]]:
        value = self.lookup(name, where)
        if value is None:
            return []
        if not isinstance(value, list):
            raise TemplateError(self.template.path, f"{where}: {{{name}}} is not a list")
        return [v if isinstance(v, Mapping) else {"value": v} for v in value]


def fill(template: Template, lang: str, context: Mapping[str, Any], blank: str = "—") -> dict[str, Any]:
    """The document model of ``template`` in ``lang`` for ``context`` (JSON-able, stored with the notice)."""
    if lang not in template.langs:
        raise TemplateError(template.path, f"has no [{lang}] section")
    s = _Scope(template, lang, context, blank)
    section = template.langs[lang]
    blocks: list[dict[str, Any]] = []
    for i, block in enumerate(section.get("blocks", [])):
        where = f"{lang}.blocks[{i}]"
        if "when" in block and not s.lookup(block["when"], f"{where}.when"):
            continue
        if "unless" in block and s.lookup(block["unless"], f"{where}.unless"):
            continue
        kind = block.get("type", "paragraph")
        if kind in ("paragraph", "heading"):
            out: dict[str, Any] = {"type": kind, "text": s.text(block["text"], where)}
            if kind == "paragraph":
                out.update(indent=bool(block.get("indent", True)), align=block.get("align", "left"), bold=bool(block.get("bold", False)))
            blocks.append(out)
        elif kind == "list":
            elements = s.items(block["each"], where)
            if not elements and "empty" in block:
                blocks.append({"type": "paragraph", "text": s.text(block["empty"], where), "indent": True, "align": "left", "bold": False})
            for element in elements:
                blocks.append({"type": "paragraph", "text": s.text(block["text"], where, element),
                               "indent": bool(block.get("indent", True)), "align": block.get("align", "left"), "bold": False})
        elif kind == "table":
            headers = [s.text(h, where) for h in block["headers"]]
            if "each" in block:
                elements = s.items(block["each"], where)
                rows = [[s.text(c, where, e) for c in block["row"]] for e in elements]
            else:
                rows = [[s.text(c, where) for c in r] for r in block["rows"]]
            if not rows and "empty" in block:
                blocks.append({"type": "paragraph", "text": s.text(block["empty"], where), "indent": True, "align": "left", "bold": False})
                continue
            blocks.append({"type": "table", "headers": headers, "rows": rows, "widths": block.get("widths")})
        elif kind == "fields":
            rows = [[s.text(label, where), s.text(value, where)] for label, value in block["rows"]]
            blocks.append({"type": "fields", "rows": rows, "widths": block.get("widths")})
    return {
        "model": MODEL_VERSION,
        "lang": lang,
        "header": s.text(section["header"], f"{lang}.header") if section.get("header") else "",
        "title": s.text(section["title"], f"{lang}.title"),
        "number": s.text(section.get("number_line", "{number}"), f"{lang}.number_line"),
        "blocks": blocks,
        "closing": [s.text(c, f"{lang}.closing") for c in section.get("closing", [])],
        "style": dict(template.style),
    }
