"""Reading import files row by row: CSV (UTF-8, UTF-8 with BOM, GB18030), JSON Lines, XLSX.

Readers stream: each yields ``(line, cells)`` and holds one row at a time, so
a million-row file costs the same memory as a ten-row one.  ``line`` is the
row number a person sees (Excel's row number; for CSV the header is line 1;
for JSON Lines the physical line), because the report must let a clerk find
the row.  A row that cannot be read at all (a broken JSON line, extra cells
past the header) comes back as a ``RowProblem`` instead of cells, so it is
reported with the others rather than stopping the whole run.

The importer reads a file twice (validate, then write), so the source must be
a real file; standard input is first copied to a temporary file.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from console.errors import BadInput

FORMATS = ("csv", "jsonl", "xlsx")
_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".json": "jsonl", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_SNIFF_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that could not be split into cells: a catalogue key, the column (if any), the raw text."""

    code: str
    column: str = ""
    value: str = ""
    params: tuple[tuple[str, Any], ...] = ()


@dataclass
class Source:
    """An import file, identified: where, what format, which encoding, its size and sha256."""

    path: Path
    display: str
    format: str
    encoding: str | None
    encoding_guessed: bool
    size: int
    mtime_ns: int
    sha256: str
    sheet: str | None = None
    delimiter: str = ","
    temporary: bool = False
    header: list[str] = field(default_factory=list)
    regular: bool = False
    """Set by the validating pass: every row had exactly the header's width (no mending needed)."""

    def unchanged(self) -> bool:
        """Whether the file is still the one that was validated (size and mtime)."""
        try:
            st = self.path.stat()
        except OSError:
            return False
        return st.st_size == self.size and st.st_mtime_ns == self.mtime_ns

    def cleanup(self) -> None:
        if self.temporary:
            try:
                self.path.unlink()
            except OSError:
                pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sniff_format(path: Path, head: bytes) -> str:
    """By extension, else by content: a zip is XLSX, a leading '{' is JSON Lines, else CSV."""
    by_ext = _EXTENSIONS.get(path.suffix.lower())
    if by_ext:
        return by_ext
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    return "csv"


def detect_encoding(head: bytes) -> str:
    """BOM first; else UTF-8 if the sample decodes strictly; else GB18030 (which covers GBK).

    UTF-8 is tried first because it is strict: GBK text almost never happens
    to be valid UTF-8, while the reverse is not true.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _spool_stdin() -> Path:
    fd, name = tempfile.mkstemp(prefix="retire-import-", suffix=".stdin")
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
    return Path(name)


def open_source(path: Path | str, fmt: str | None = None, encoding: str | None = None, sheet: str | None = None) -> Source:
    """Identify the file (``-`` is standard input); BadInput when it cannot be read."""
    temporary = str(path) == "-"
    real = _spool_stdin() if temporary else Path(path)
    display = "<stdin>" if temporary else str(path)
    if fmt and fmt not in FORMATS:
        raise BadInput("importer.bad_format", value=fmt, allowed=", ".join(FORMATS))
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise BadInput("importer.bad_encoding", value=encoding) from None
    try:
        if real.is_dir():
            raise BadInput("cli.bad_file", path=display, reason="is a directory")
        st = real.stat()
        with real.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
        digest = _sha256(real)
    except OSError as exc:
        raise BadInput("cli.bad_file", path=display, reason=exc.strerror or str(exc)) from None
    kind = fmt or sniff_format(real, head)
    guessed = False
    if kind != "xlsx" and not encoding:
        encoding, guessed = detect_encoding(head), True
    delimiter = ","
    if kind == "csv":
        first = head.split(b"\n", 1)[0]
        if b"\t" in first and b"," not in first:
            delimiter = "\t"
    return Source(real, display, kind, encoding if kind != "xlsx" else None, guessed, st.st_size,
                  st.st_mtime_ns, digest, sheet, delimiter, temporary)


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
            try:
                closer()
            except Exception:  # closing a read-only file cannot lose data
                pass
        self._closers.clear()

    def position(self) -> float:
        return self._position()

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        raise NotImplementedError


class CsvReader(Reader):
    def __init__(self, source: Source) -> None:
        super().__init__(source)
        raw = source.path.open("rb")
        self._closers.append(raw.close)
        size = max(source.size, 1)
        self._position = lambda: min(raw.tell() / size, 1.0)
        text = io.TextIOWrapper(raw, encoding=source.encoding or "utf-8", newline="")
        self._reader = csv.reader(text, delimiter=source.delimiter)
        self.header = []
        self._line = 0
        for row in self._reader:
            self._line += 1
            if any(c.strip() for c in row):
                self.header = row
                break
        if self.header and self.header[0].startswith("\ufeff"):
            self.header[0] = self.header[0][1:]

    regular = True
    """False once a row needed mending (blank line, short or long row): set by a full pass."""

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        width = len(self.header)
        line = self._line
        for row in self._reader:
            line += 1
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
                    yield line, RowProblem("importer.row.extra_cells", value=extra[0][:50], params=(("count", n), ("width", width)))
                else:
                    yield line, row[:width]

    def raw_rows(self) -> Iterator[list[str]]:
        """The csv module's own iterator after the header: for a file a full pass found regular."""
        return self._reader


class JsonLinesReader(Reader):
    """Each line one JSON object; keys are matched to columns by the caller's ``columns`` list."""

    def __init__(self, source: Source, columns: list[str], resolve: Callable[[str], str | None]) -> None:
        super().__init__(source)
        raw = source.path.open("rb")
        self._closers.append(raw.close)
        size = max(source.size, 1)
        self._position = lambda: min(raw.tell() / size, 1.0)
        self._text = io.TextIOWrapper(raw, encoding=source.encoding or "utf-8")
        self.header = list(columns)
        self._index = {name: i for i, name in enumerate(columns)}
        self._resolve = resolve
        self._keys: dict[str, int | None] = {}

    def _key_index(self, key: str) -> int | None | bool:
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
        width = len(self.header)
        line = 0
        for text in self._text:
            line += 1
            if line == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line, RowProblem("importer.row.bad_json", value=text.strip()[:50], params=(("reason", exc.msg),))
                continue
            if not isinstance(obj, dict):
                yield line, RowProblem("importer.row.not_object", value=text.strip()[:50])
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
                if isinstance(value, (list, dict)):  # cells must be hashable: the parsers cache by value
                    value = json.dumps(value, ensure_ascii=False)
                cells[idx] = value
            yield line, problem if problem is not None else cells


class XlsxReader(Reader):
    """openpyxl in read_only mode: rows come from the zip as they are parsed."""

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        try:
            import openpyxl
            from openpyxl.utils.exceptions import InvalidFileException
        except ImportError:  # pragma: no cover - a dependency of the package
            raise BadInput("importer.no_openpyxl") from None
        try:
            book = openpyxl.load_workbook(source.path, read_only=True, data_only=True)
        except (InvalidFileException, OSError, KeyError, ValueError) as exc:
            raise BadInput("cli.bad_file", path=source.display, reason=str(exc) or type(exc).__name__) from None
        except Exception as exc:  # zipfile.BadZipFile and friends
            raise BadInput("cli.bad_file", path=source.display, reason=str(exc) or type(exc).__name__) from None
        self._closers.append(book.close)
        if source.sheet:
            if source.sheet not in book.sheetnames:
                raise BadInput("importer.no_sheet", sheet=source.sheet, sheets=", ".join(book.sheetnames))
            sheet = book[source.sheet]
        else:
            sheet = book.worksheets[0]
        total = sheet.max_row or 0
        self._rows = sheet.iter_rows(values_only=True)
        self._line = 0
        self._position = lambda: min(self._line / total, 1.0) if total else 0.0
        for row in self._rows:
            self._line += 1
            if any(c is not None and str(c).strip() for c in row):
                self.header = ["" if c is None else str(c) for c in row]
                break
        while self.header and not self.header[-1].strip():
            self.header.pop()

    def __iter__(self) -> Iterator[tuple[int, Any]]:
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


def open_reader(source: Source, columns: list[str] | None = None, resolve: Callable[[str], str | None] | None = None) -> Reader:
    """A fresh pass over ``source`` (JSON Lines needs the kind's columns and header resolver)."""
    if source.format == "csv":
        return CsvReader(source)
    if source.format == "jsonl":
        assert columns is not None and resolve is not None
        return JsonLinesReader(source, columns, resolve)
    return XlsxReader(source)
