"""Reading import files row by row: CSV (UTF-8, UTF-8 with BOM, GB18030), JSON Lines, XLSX.

Readers stream: each yields ``(line, cells)`` and holds one row at a time, so
a million-row file costs the same memory as a ten-row one.  ``line`` is the
row number a person sees (Excel's row number; for CSV the header is line 1;
for JSON Lines the physical line), because the report must let a clerk find
the row.  A row that cannot be read at all (a broken JSON line, extra cells
past the header, a field over the size limit) comes back as a ``RowProblem``
instead of cells, so it is reported with the others rather than stopping
the whole run.

Hostile files are expected (a file is input, whoever made it):

* **Encodings are decided once.**  The encoding is the one given with
  ``--encoding``, else the one the first megabyte shows (a BOM: UTF-8 with
  BOM; a sample that is valid UTF-8: UTF-8; else GB18030), and the whole file
  is then decoded strictly with it.  A byte that does not decode, however
  late in the file, stops the import with the line and byte offset: a file
  that mixes encodings is never re-read with another one (that silently
  turned every 吴静 of a UTF-8 roster into 鍚撮潤).
* **Limits** (``limits.ImportLimits``, from the ``[import]`` table of the parameters
  file): a line longer than ``line_chars`` is a bad row, skipped as it is
  read (a file without newlines cannot fill the memory); a CSV field longer
  than ``field_chars`` is a bad row; a JSON line is parsed only when it is
  nested at most
  ``json_depth`` deep (checked by a bracket count before parsing, without
  recursion) and with numbers of at most ``json_number_chars`` characters;
  every JSON value must have the type its column takes, and strings must be
  valid Unicode (no lone surrogates from ``\\ud800`` escapes); an XLSX file's
  members are checked against ``xlsx_uncompressed_bytes`` and
  ``xlsx_ratio`` from the zip directory before openpyxl opens it, and its
  XML is parsed through defusedxml (no entity expansion).  Every failure of
  zipfile, openpyxl or the XML parser is one ``BadInput`` line.

The file itself (format, encoding, standard input's spool) is ``sources``'.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from console.errors import BadInput, EnvironmentFailure
from console.services.importing.columns import JSON_TEXT
from console.services.importing.sources import Source, locate_decode_error


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that could not be split into cells: a catalogue key, the column (if any), the raw text."""

    code: str
    column: str = ""
    value: str = ""
    params: tuple[tuple[str, Any], ...] = ()


class Reader:
    """One pass over a source.  ``header`` is read on open; iterate for ``(line, cells)``.

    ``position()`` says how far the pass has got, as a fraction (for the
    progress bar); it is cheap and approximate.
    """

    def __init__(self, source: Source) -> None:
        self.source = source
        self.header: list[str] = []
        self._closers: list[Callable[[], None]] = []
        self._position: Callable[[], float] = lambda: 0.0

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for closer in reversed(self._closers):
            with contextlib.suppress(Exception):  # closing a read-only file cannot lose data
                closer()
        self._closers.clear()

    def position(self) -> float:
        return self._position()

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        raise NotImplementedError

    def _undecodable(self) -> BadInput:
        """The error for a byte the file's encoding cannot decode: where it is, exactly."""
        source = self.source
        encoding = source.encoding or "utf-8"
        try:
            found = locate_decode_error(source.path, encoding)
        except OSError as exc:
            return BadInput("services.bad_file", path=source.display, reason=exc.strerror or str(exc))
        line, offset, raw = found if found is not None else (0, 0, "")
        key = "importer.undecodable_detected" if source.encoding_guessed else "importer.undecodable"
        return BadInput(key, path=source.display, encoding=encoding, line=line, offset=offset, bytes=raw)


_FIELD_LIMIT_RE = re.compile(r"field larger than field limit")


def bounded_lines(text: io.TextIOBase, limit: int, overlong: list[int]) -> Iterator[str]:
    """The physical lines of ``text``, each read with at most ``limit`` characters held.

    A longer line is skipped to its end as it is read; in its place comes a
    bare newline, and ``overlong`` gets one entry (the reader turns it into a
    bad row for the record that line belonged to).
    """
    readline = text.readline
    size = limit + 1
    while True:
        line = readline(size)
        if not line:
            return
        if len(line) == size and line[-1] != "\n":
            while True:
                more = readline(1 << 16)
                if not more or more[-1] == "\n":
                    break
            overlong.append(1)
            yield "\n"
            continue
        yield line


class CsvReader(Reader):
    def __init__(self, source: Source) -> None:
        super().__init__(source)
        raw = source.path.open("rb")
        self._closers.append(raw.close)
        size = max(source.size, 1)
        self._position = lambda: min(raw.tell() / size, 1.0)
        text = io.TextIOWrapper(raw, encoding=source.encoding or "utf-8", errors="strict", newline="")
        csv.field_size_limit(source.limits.field_chars)
        self._text = text  # held here: when the line generator ends, the wrapper must not close the file
        self._overlong: list[int] = []
        self._reader = csv.reader(bounded_lines(text, source.limits.line_chars, self._overlong),
                                  delimiter=source.delimiter)
        self.header = []
        self._line = 0
        try:
            for row in self._reader:
                self._line += 1
                if self._overlong:
                    raise csv.Error(f"a line longer than {source.limits.line_chars} characters")
                if any(c.strip() for c in row):
                    self.header = row
                    break
        except UnicodeDecodeError:
            self.close()
            raise self._undecodable() from None
        except csv.Error as exc:
            self.close()
            raise BadInput("importer.bad_csv_header", path=source.display, reason=str(exc)) from None
        if self.header and self.header[0].startswith("\ufeff"):
            self.header[0] = self.header[0][1:]

    regular = True
    """False once a row needed mending (blank line, short or long row): set by a full pass."""

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        width = len(self.header)
        line = self._line
        reader = self._reader
        overlong = self._overlong
        while True:
            try:
                for row in reader:
                    line += 1
                    if overlong:  # a line of this record was too long to read
                        overlong.clear()
                        self.regular = False
                        yield line, RowProblem("importer.row.line_too_long",
                                               params=(("limit", self.source.limits.line_chars),))
                        continue
                    n = len(row)
                    if n == width:
                        yield line, row
                        continue
                    self.regular = False
                    if n < width:
                        if n == 0 or (n == 1 and not row[0].strip()):
                            continue  # a blank line
                        yield line, row + [""] * (width - n)
                    else:
                        extra = [c for c in row[width:] if c.strip()]
                        if extra:
                            yield line, RowProblem("importer.row.extra_cells", value=extra[0][:50],
                                                   params=(("count", n), ("width", width)))
                        else:
                            yield line, row[:width]
                return
            except UnicodeDecodeError:
                raise self._undecodable() from None
            except csv.Error as exc:
                # the csv module drops the rest of that line and goes on with the next one
                line += 1
                self.regular = False
                if _FIELD_LIMIT_RE.search(str(exc)):
                    yield line, RowProblem("importer.row.field_too_long",
                                           params=(("limit", self.source.limits.field_chars),))
                else:
                    yield line, RowProblem("importer.row.bad_csv", params=(("reason", str(exc)),))

    def raw_rows(self) -> Iterator[list[str]]:
        """The csv module's own iterator after the header: for a file a full pass found regular."""
        return self._reader


# --- JSON Lines -------------------------------------------------------------------------

_JSON_TYPE_WORDS = {str: "string", int: "integer", float: "number", bool: "true/false", list: "list", dict: "object"}


class _TooLong(ValueError):
    pass


class _Constant(ValueError):
    pass


_JSON_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET_RE = re.compile(r"[\[\]{}]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def json_depth(text: str, limit: int) -> int:
    """How deep ``text``'s brackets nest, outside strings, counted without recursion (stops past ``limit``)."""
    if text.count("[") + text.count("{") <= limit:
        return min(text.count("[") + text.count("{"), limit)  # cannot nest deeper than it opens
    depth = top = 0
    for match in _BRACKET_RE.finditer(_JSON_STRING_RE.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > top:
                top = depth
                if top > limit:
                    return top
        else:
            depth -= 1
    return top


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE_RE.search(value) is not None
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    return False


class JsonLinesReader(Reader):
    """Each line one JSON object; keys are matched to columns by the caller's ``columns`` list.

    ``types`` gives, per column, the JSON types its values may have (a name
    is a string; a base may be a number; a flag may be true/false); a value
    of another type (an object for a name, 123 for a name) is a bad row.
    """

    def __init__(self, source: Source, columns: list[str], resolve: Callable[[str], str | None],
                 types: Mapping[str, tuple[type, ...]] | None = None) -> None:
        super().__init__(source)
        raw = source.path.open("rb")
        self._closers.append(raw.close)
        size = max(source.size, 1)
        self._position = lambda: min(raw.tell() / size, 1.0)
        self._text = io.TextIOWrapper(raw, encoding=source.encoding or "utf-8", errors="strict")
        self.header = list(columns)
        self._index = {name: i for i, name in enumerate(columns)}
        self._resolve = resolve
        self._keys: dict[str, int | None] = {}
        self._types = [tuple((types or {}).get(name, JSON_TEXT)) for name in columns]
        limits = source.limits
        self._line_limit = limits.line_chars
        self._depth_limit = limits.json_depth
        number_limit = limits.json_number_chars

        def parse_int(text: str) -> int:
            if len(text) > number_limit:
                raise _TooLong(text)
            return int(text)

        def parse_float(text: str) -> float:
            if len(text) > number_limit:
                raise _TooLong(text)
            value = float(text)
            if value != value or value in (float("inf"), float("-inf")):
                raise _Constant(text)
            return value

        def parse_constant(text: str) -> Any:
            raise _Constant(text)

        self._decode = json.JSONDecoder(parse_int=parse_int, parse_float=parse_float,
                                        parse_constant=parse_constant).decode

    def _key_index(self, key: str) -> int | bool | None:
        """Column index of a JSON key; None when the key is to be ignored; False when unknown."""
        try:
            return self._keys[key]
        except KeyError:
            pass
        try:
            name = self._resolve(key)
        except KeyError:
            self._keys[key] = -1
            return False
        idx = None if name is None else self._index.get(name)
        self._keys[key] = idx
        return idx

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        try:
            yield from self._rows()
        except UnicodeDecodeError:
            raise self._undecodable() from None

    def _rows(self) -> Iterator[tuple[int, Any]]:
        width = len(self.header)
        types = self._types
        decode = self._decode
        depth_limit = self._depth_limit
        line = 0
        overlong: list[int] = []
        for text in bounded_lines(self._text, self._line_limit, overlong):
            line += 1
            if overlong:
                overlong.clear()
                yield line, RowProblem("importer.row.line_too_long", params=(("limit", self._line_limit),))
                continue
            if line == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if not text.strip():
                continue
            shown = text.strip()[:50]
            if json_depth(text, depth_limit) > depth_limit:
                yield line, RowProblem("importer.row.too_deep", value=shown, params=(("limit", depth_limit),))
                continue
            try:
                obj = decode(text)
            except json.JSONDecodeError as exc:
                yield line, RowProblem("importer.row.bad_json", value=shown, params=(("reason", exc.msg),))
                continue
            except _TooLong as exc:
                yield line, RowProblem("importer.row.number_too_long", value=str(exc)[:50],
                                       params=(("limit", self.source.limits.json_number_chars),))
                continue
            except _Constant as exc:
                yield line, RowProblem("importer.row.bad_number", value=str(exc)[:50])
                continue
            except (RecursionError, ValueError) as exc:  # the depth check should have caught it; be sure
                yield line, RowProblem("importer.row.bad_json", value=shown, params=(("reason", type(exc).__name__),))
                continue
            if not isinstance(obj, dict):
                yield line, RowProblem("importer.row.not_object", value=shown)
                continue
            if "\\u" in text and _has_surrogate(obj):
                yield line, RowProblem("importer.row.bad_unicode", value=shown)
                continue
            cells: list[Any] = [None] * width
            problem = None
            for key, value in obj.items():
                idx = self._key_index(key)
                if idx is None:
                    continue
                if idx is False or idx == -1:
                    problem = RowProblem("importer.row.unknown_key", column=key, value=str(value)[:50])
                    break
                if value is not None:
                    allowed = types[idx]
                    if type(value) not in allowed or (type(value) is list and not all(type(x) is str for x in value)):
                        problem = RowProblem(
                            "importer.row.bad_type", column=key, value=json.dumps(value, ensure_ascii=False)[:50],
                            params=(("type", _JSON_TYPE_WORDS.get(type(value), type(value).__name__)),
                                    ("allowed", "/".join(_JSON_TYPE_WORDS[t] for t in allowed))),
                        )
                        break
                    if type(value) is list:  # cells must be hashable: the parsers cache by value
                        value = json.dumps(value, ensure_ascii=False)
                cells[idx] = value
            yield line, problem if problem is not None else cells


# --- XLSX -------------------------------------------------------------------------------

def _shown(text: str) -> str:
    from console.text_policy import for_display

    return for_display(text)[:80]


def check_zip(source: Source) -> None:
    """Refuse a zip bomb from its directory, before anything is inflated.

    The sizes come from the central directory; zipfile never inflates a
    member past the size it declares (a lying member fails its CRC when
    read), so checking the declared sizes bounds what parsing can cost.
    """
    limits = source.limits
    try:
        with zipfile.ZipFile(source.path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise BadInput("importer.bad_xlsx", path=source.display, reason=str(exc) or type(exc).__name__) from None
    if len(members) > limits.xlsx_members:
        raise BadInput("importer.xlsx_members", path=source.display, count=len(members), limit=limits.xlsx_members)
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size >= limits.xlsx_ratio_from_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.xlsx_ratio:
                raise BadInput("importer.xlsx_ratio", path=source.display, member=_shown(info.filename),
                               size=info.file_size, ratio=int(ratio), limit=limits.xlsx_ratio)
    if total > limits.xlsx_uncompressed_bytes:
        raise BadInput("importer.xlsx_too_big", path=source.display, size=total, limit=limits.xlsx_uncompressed_bytes)


class XlsxReader(Reader):
    """openpyxl in read_only mode, XML through defusedxml: rows come from the zip as they are parsed."""

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        try:
            import openpyxl
            import openpyxl.xml
        except ImportError:  # pragma: no cover - a dependency of the package
            raise EnvironmentFailure("importer.no_openpyxl") from None
        if not openpyxl.xml.DEFUSEDXML:
            raise EnvironmentFailure("importer.no_defusedxml")
        check_zip(source)
        try:
            book = openpyxl.load_workbook(source.path, read_only=True, data_only=True)
        except Exception as exc:  # zipfile, openpyxl, XML (defusedxml's refusals included): all one line
            raise self._bad(exc) from None
        self._closers.append(book.close)
        try:
            if source.sheet:
                if source.sheet not in book.sheetnames:
                    raise BadInput("importer.no_sheet", sheet=source.sheet, sheets=", ".join(book.sheetnames))
                sheet = book[source.sheet]
            else:
                sheet = book.worksheets[0]
            total = sheet.max_row or 0  # as the sheet declares it: only for the progress bar
            # read_only openpyxl stops at the sheet's <dimension>, which some generators write too small:
            # rows and columns past it would be dropped without a word.  Read what the XML holds.
            reset = getattr(sheet, "reset_dimensions", None)
            if reset is not None:
                reset()
            self._rows = sheet.iter_rows(values_only=True)
            self._line = 0
            self._position = lambda: min(self._line / total, 1.0) if total else 0.0
            for row in self._rows:
                self._line += 1
                if any(c is not None and str(c).strip() for c in row):
                    self.header = ["" if c is None else str(c) for c in row]
                    break
        except BadInput:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise self._bad(exc) from None
        while self.header and not self.header[-1].strip():
            self.header.pop()

    def _bad(self, exc: BaseException) -> BadInput:
        from console.text_policy import for_display

        root = exc  # openpyxl wraps the parser's error ("Unable to read workbook"): name the parser's own
        for _ in range(10):
            inner = root.__cause__ or root.__context__
            if inner is None:
                break
            root = inner
        text = str(root).strip()
        detail = for_display(text.splitlines()[0])[:200] if text else ""
        reason = f"{type(root).__name__}: {detail}" if detail else type(root).__name__
        return BadInput("importer.bad_xlsx", path=self.source.display, reason=reason)

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        try:
            yield from self._iter_rows()
        except BadInput:
            raise
        except Exception as exc:  # a sheet's XML broken half-way: ParseError, a bad cell, a CRC error
            raise self._bad(exc) from None

    def _iter_rows(self) -> Iterator[tuple[int, Any]]:
        width = len(self.header)
        for row in self._rows:
            self._line += 1
            if not any(c is not None and (not isinstance(c, str) or c.strip()) for c in row):
                continue
            n = len(row)
            if n == width:
                yield self._line, list(row)
            elif n < width:
                yield self._line, list(row) + [None] * (width - n)
            else:
                extra = [c for c in row[width:] if c is not None and str(c).strip()]
                if extra:
                    yield self._line, RowProblem("importer.row.extra_cells", value=str(extra[0])[:50], params=(("count", n), ("width", width)))
                else:
                    yield self._line, list(row[:width])


def open_reader(source: Source, columns: list[str] | None = None, resolve: Callable[[str], str | None] | None = None,
                types: Mapping[str, tuple[type, ...]] | None = None) -> Reader:
    """A fresh pass over ``source`` (JSON Lines needs the kind's columns, header resolver and value types)."""
    if source.format == "csv":
        return CsvReader(source)
    if source.format == "jsonl":
        assert columns is not None and resolve is not None
        return JsonLinesReader(source, columns, resolve, types)
    return XlsxReader(source)
