"""The file an import reads: identified once (format, encoding, size, sha256) before any row.

* **Encodings are decided once.**  The encoding is the one given with
  ``--encoding``, else the one the first megabyte shows (a BOM: UTF-8 with
  BOM; a sample that is valid UTF-8: UTF-8; else GB18030); the readers then
  decode the whole file strictly with it (``locate_decode_error`` names the
  first byte that does not decode).
* **The importer reads a file twice** (validate, then write), so the source
  must be a real file: standard input is first copied to a private spool,
  and so is the caller's file under a hall's service account (read through
  one descriptor whose real path is checked).
"""
from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from console.errors import BadInput
from console.faults import pid_alive
from console.services.importing.limits import ImportLimits

FORMATS = ("csv", "jsonl", "xlsx")
_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".json": "jsonl", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_SNIFF_BYTES = 1 << 20
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""The signature of the old binary Excel (.xls) and WPS files."""


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
    limits: ImportLimits = field(default_factory=ImportLimits)

    @property
    def encoding_source(self) -> str | None:
        """'detected' (sniffed from the first megabyte), 'given' (--encoding), None for XLSX."""
        if self.encoding is None:
            return None
        return "detected" if self.encoding_guessed else "given"

    def unchanged(self) -> bool:
        """Whether the file is still the one that was validated (size and mtime)."""
        try:
            st = self.path.stat()
        except OSError:
            return False
        return st.st_size == self.size and st.st_mtime_ns == self.mtime_ns

    def cleanup(self) -> None:
        if self.temporary:
            with contextlib.suppress(OSError):
                self.path.unlink()


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
    to be valid UTF-8, while the reverse is not true.  The answer holds for
    the whole file: a later byte that does not decode is an error, never a
    reason to start again with another encoding.
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


def locate_decode_error(path: Path, encoding: str) -> tuple[int, int, str] | None:
    """(line, byte offset, the offending bytes in hex) of the first byte ``encoding`` cannot decode.

    Streams the file once with a strict incremental decoder (only called when
    a reader has already met the error, to name the place exactly: readers
    decode ahead of the row they hand out).  None when the file decodes.
    """
    factory = codecs.getincrementaldecoder(encoding)
    decoder = factory("strict")
    line = 1
    consumed = 0
    with path.open("rb") as fh:
        while True:
            block = fh.read(1 << 20)
            final = not block
            state = decoder.getstate()
            pending = state[0]
            try:
                text = decoder.decode(block, final)
            except UnicodeDecodeError as exc:
                skipped = len(pending) + len(block) - len(exc.object)  # a BOM the decoder dropped
                offset = consumed - len(pending) + skipped + exc.start
                into = offset - consumed
                if into > 0:
                    before = factory("strict")
                    before.setstate(state)
                    line += before.decode(block[:into], False).count("\n")
                return line, offset, exc.object[exc.start:exc.end].hex(" ")
            line += text.count("\n")
            consumed += len(block)
            if final:
                return None


SPOOL_PREFIX = "retire-import-"
SPOOL_SUFFIX = ".stdin"


def _remove_stale_spools() -> None:
    """Remove the copies of standard input that killed imports left (``retire-import-<pid>-XXXX.stdin``).

    A roster holds ID numbers and bank cards: a ``kill -9`` must not leave a
    copy in the temporary directory for ever.  Only regular files of ours
    whose pid no longer runs are removed.
    """
    directory = Path(tempfile.gettempdir())
    try:
        candidates = list(directory.glob(f"{SPOOL_PREFIX}*{SPOOL_SUFFIX}"))
    except OSError:
        return
    for candidate in candidates:
        pid, dash, _rest = candidate.name[len(SPOOL_PREFIX):].partition("-")
        if not (dash and pid.isdigit()):
            continue
        try:
            info = os.lstat(candidate)
        except OSError:  # gone already
            continue
        if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not pid_alive(int(pid)):
            with contextlib.suppress(OSError):
                candidate.unlink()


def _spool_stdin() -> Path:
    _remove_stale_spools()
    fd, name = tempfile.mkstemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-", suffix=SPOOL_SUFFIX)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
    return Path(name)


def _spool_checked(path: Path, display: str) -> Path:
    """Under a hall's service account: the caller's file, read through ONE descriptor whose real
    path is checked, copied to a private spool that every later read uses.

    Checking the path and opening it later would let a clerk swap a directory
    of theirs for a link into the hall between the two (and read the audit
    key through the importer's error lines).
    """
    from console.hall_config import protected_target

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise BadInput("services.bad_file", path=display, reason=exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise BadInput("services.bad_file", path=display, reason="is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise BadInput("services.bad_file", path=display, reason="not a regular file (use - to read a pipe)")
        if protected_target(os.readlink(f"/proc/self/fd/{fd}")):
            raise BadInput("hall.protected_path", path=display)
        os.set_blocking(fd, True)
        _remove_stale_spools()
        out_fd, name = tempfile.mkstemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-", suffix=SPOOL_SUFFIX)
        with os.fdopen(out_fd, "wb") as out, os.fdopen(os.dup(fd), "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        return Path(name)
    finally:
        os.close(fd)


def open_source(path: Path | str, fmt: str | None = None, encoding: str | None = None, sheet: str | None = None,
                limits: ImportLimits | None = None) -> Source:
    """Identify the file (``-`` is standard input); BadInput when it cannot be read."""
    if fmt and fmt not in FORMATS:
        raise BadInput("importer.bad_format", value=fmt, allowed=", ".join(FORMATS))
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise BadInput("importer.bad_encoding", value=encoding) from None
        if not _is_text_encoding(encoding):
            raise BadInput("importer.bad_encoding", value=encoding)
    temporary = str(path) == "-"
    display = "<stdin>" if temporary else str(path)
    named = Path("-") if temporary else Path(path)
    if temporary:
        real = _spool_stdin()
    else:
        from console.hall_config import guards_hall

        real = Path(path)
        if guards_hall():
            real, temporary = _spool_checked(real, display), True
    try:
        if real.is_dir():
            raise BadInput("services.bad_file", path=display, reason="is a directory")
        st = real.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO blocks the open, a device never ends: '-' is for a pipe
            raise BadInput("services.bad_file", path=display, reason="not a regular file (use - to read a pipe)")
        with real.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
        digest = _sha256(real)
    except OSError as exc:
        raise BadInput("services.bad_file", path=display, reason=exc.strerror or str(exc)) from None
    if head.startswith(_OLE2) and fmt != "csv":
        raise BadInput("importer.old_excel", path=display)  # .xls (or .et): binary, never text
    kind = fmt or sniff_format(named, head)
    guessed = False
    if kind != "xlsx" and not encoding:
        encoding, guessed = detect_encoding(head), True
    delimiter = ","
    if kind == "csv":
        first = head.split(b"\n", 1)[0]
        if b"\t" in first and b"," not in first:
            delimiter = "\t"
    return Source(real, display, kind, encoding if kind != "xlsx" else None, guessed, st.st_size,
                  st.st_mtime_ns, digest, sheet, delimiter, temporary, limits=limits or ImportLimits())


def _is_text_encoding(name: str) -> bool:
    """A codec that turns bytes into text (not base64, zlib or rot13)."""
    try:
        info = codecs.lookup(name)
        return isinstance(info.decode(b"a")[0], str)
    except Exception:  # a codec that cannot decode one plain byte is not one for CSV
        return False
