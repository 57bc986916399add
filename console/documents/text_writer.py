"""A document model as plain text (what the notice stores as its body).

Fixed width (72 display columns, a CJK character counts two), title centred,
number and closing right-aligned, tables with wrapped cells.  Pure function of
the model: the same model always gives the same text.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from console.display import clean_tree

WIDTH = 72
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\u2018-\u201f"
_TOKENS = re.compile(rf"[^\s{_CJK}]+\s*|\s+|.", re.S)
NO_LINE_START = set("，。、；：？！）」』”’》〉】,.;:?!)")
"""Punctuation that may not begin a line: it hangs at the end of the previous one."""


def cell_width(text: str) -> int:
    """Display width: East Asian wide and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 0 if unicodedata.combining(ch) else 1 for ch in text)


def wrap(text: str, width: int, hang: bool = True) -> list[str]:
    """Wrap to ``width`` columns: CJK anywhere, Latin words kept whole where they fit.

    With ``hang`` a closing punctuation mark that would start a line hangs at
    the end of the previous one instead (tables pass False to keep columns).
    """
    lines: list[str] = []
    for raw in text.split("\n"):
        line, used = "", 0
        for tok in _TOKENS.findall(raw):
            w = cell_width(tok)
            if used + cell_width(tok.rstrip()) <= width or (hang and tok in NO_LINE_START and line.strip()):
                line, used = line + tok, used + w
                continue
            if line.strip():
                lines.append(line.rstrip())
            tok = tok.lstrip() if tok.strip() else ""
            line, used = "", 0
            while cell_width(tok) > width:  # a word longer than the line: cut it
                cut, cw = "", 0
                for ch in tok:
                    if cw + cell_width(ch) > width:
                        break
                    cut, cw = cut + ch, cw + cell_width(ch)
                lines.append(cut)
                tok = tok[len(cut):]
            line, used = tok, cell_width(tok)
        lines.append(line.rstrip())
    return lines


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_width(text))


def _centre(text: str) -> str:
    return " " * max(0, (WIDTH - cell_width(text)) // 2) + text


def _right(text: str) -> str:
    return " " * max(0, WIDTH - cell_width(text)) + text


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    ncol = len(headers) if headers else max((len(r) for r in rows), default=0)
    if ncol == 0:
        return []
    gap = 2
    budget = WIDTH - gap * (ncol - 1)
    widths = [max([cell_width(h) for h in headers[i:i + 1]] + [cell_width(r[i]) for r in rows if i < len(r)] + [2]) for i in range(ncol)]
    while sum(widths) > budget:
        i = widths.index(max(widths))
        if widths[i] <= 6:
            break
        widths[i] -= 1
    out: list[str] = []

    def emit(cells: list[str]) -> None:
        wrapped = [wrap(c, widths[i], hang=False) for i, c in enumerate(cells)]
        for k in range(max(len(w) for w in wrapped)):
            parts = [_pad(w[k] if k < len(w) else "", widths[i]) for i, w in enumerate(wrapped)]
            out.append((" " * gap).join(parts).rstrip())

    if headers:
        emit(headers)
        out.append((" " * gap).join("-" * w for w in widths))
    for r in rows:
        emit(list(r) + [""] * (ncol - len(r)))
    return out


def render_text(model: Mapping[str, Any]) -> str:
    """The plain-text document (ends with one newline), without control characters in stored text."""
    model = clean_tree(dict(model))
    zh = model.get("lang") == "zh"
    indent = "\u3000\u3000" if zh else "    "
    lines: list[str] = []
    if model.get("header"):
        lines.append(_centre(model["header"]))
    lines.append(_centre(model["title"]))
    if model.get("number"):
        lines.append(_right(model["number"]))
    lines.append("")
    for block in model.get("blocks", []):
        kind = block["type"]
        if kind == "heading":
            lines.append("")
            lines += wrap(block["text"], WIDTH)
        elif kind == "paragraph":
            first = indent if block.get("indent", True) else ""
            wrapped = wrap(first + block["text"], WIDTH)
            if block.get("align") == "center":
                wrapped = [_centre(w) for w in wrapped]
            elif block.get("align") == "right":
                wrapped = [_right(w) for w in wrapped]
            lines += wrapped
        elif kind == "table":
            lines.append("")
            lines += _table(list(block.get("headers") or []), [list(r) for r in block["rows"]])
            lines.append("")
        elif kind == "fields":
            label_w = max(cell_width(r[0]) for r in block["rows"]) if block["rows"] else 0
            sep = "：" if zh else ": "
            for label, value in block["rows"]:
                head = _pad(label, label_w) + sep
                body = wrap(value, max(10, WIDTH - cell_width(head)))
                lines.append(head + body[0])
                lines += [" " * cell_width(head) + b for b in body[1:]]
    if model.get("closing"):
        lines += ["", ""]
        lines += [_right(c) for c in model["closing"]]
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines) + "\n"
