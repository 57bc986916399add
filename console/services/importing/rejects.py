"""The rejects file: the bad rows of an import, with their reasons, to correct and import again.

Written beside the input (``FILE.rejects.csv``) to a private temporary name
and renamed only when the import commits; its two extra columns (line,
reason) are ignored when a corrected rejects file is imported.  An existing
file is replaced only when it is a previous run's rejects file.
"""
from __future__ import annotations

import contextlib
import csv
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from console.display import sheet_text
from console.errors import BadInput
from console.i18n import t
from console.safe_files import remove_stale_temps
from console.services.importing.readers import RowProblem
from console.services.importing.sources import Source
from console.services.importing.values import clean


def default_rejects_path(source: Source, kind: str) -> Path:
    """FILE.rejects.csv beside the input (for standard input: in the current directory)."""
    if source.temporary and source.display == "<stdin>":
        return Path.cwd() / f"stdin.{kind}.rejects.csv"
    named = Path(source.display) if source.temporary else source.path  # a spooled file: beside the one named
    return named.with_name(named.name + ".rejects.csv")


class Rejects:
    """The rejects file, written to a temporary name and renamed only after the commit."""

    def __init__(self, path: Path, header: list[str], reasons: dict[int, str]) -> None:
        from console.safe_files import atomic_writer

        self.path = path
        self.reasons = reasons
        # a private temporary file beside it (O_EXCL|O_NOFOLLOW), renamed on commit; a symlink is refused.
        # force: a rejects file left by the previous run of the same import is replaced (never written through)
        self._writer = atomic_writer(path, force=True, binary=False, encoding="utf-8-sig", newline="")
        self.fh = self._writer.__enter__()
        self.writer = csv.writer(self.fh)
        self.writer.writerow([*header, t("importer.rejects.line_header"), t("importer.rejects.reason_header")])
        self.width = len(header)
        self.count = 0

    def write(self, line: int, cells: Any) -> None:
        values: list[Any]
        values = [""] * self.width if type(cells) is RowProblem else [sheet_text(clean(c) or "") for c in cells][:self.width]
        # a rejects file is opened in a spreadsheet to be fixed: no cell may run as a formula there
        self.writer.writerow([*values, line, sheet_text(self.reasons.get(line, ""))])
        self.count += 1

    def commit(self) -> None:
        self._writer.__exit__(None, None, None)

    def discard(self) -> None:
        with contextlib.suppress(_Discarded):
            self._writer.__exit__(_Discarded, _Discarded(), None)


class _Discarded(Exception):
    """Thrown into the rejects writer to drop its temporary file."""


def check_rejects_target(target: Path, source: Path | None = None) -> None:
    """An existing file is replaced only when it is a rejects file (a previous run's), before anything is read.

    ``--rejects`` once named the hall's own database, the source or any other
    file, and the rejects replaced it (the writer replaces a previous run's
    rejects file, so it is forced).  Now a regular file whose first line is
    not a rejects header is refused.  Links, directories and devices are the
    safe writer's to refuse.
    """
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError:
        return  # the writer names the fault when it opens the file
    if not stat.S_ISREG(info.st_mode):
        return
    with contextlib.suppress(OSError):
        if source is not None and os.path.samefile(source, target):
            raise BadInput("importer.rejects_not_ours", path=str(target))  # the file being imported
    try:
        with open(target, "rb") as fh:
            head = fh.read(64 * 1024)
    except OSError:
        return
    first = head.decode("utf-8", errors="replace").lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    if not first.endswith(f"{t('importer.rejects.line_header')},{t('importer.rejects.reason_header')}"):
        raise BadInput("importer.rejects_not_ours", path=str(target))


def remove_stale_rejects(target: Path) -> list[Path]:
    """Temporary files a killed import left beside its rejects file (``FILE.rejects.csv``).

    Both the safe writer's ``.FILE.rejects.csv.<hex>.part`` and the
    ``FILE.rejects.csv.part`` that versions before it wrote; only regular
    files of ours, never through a link.
    """
    removed = remove_stale_temps(target)
    legacy = target.with_name(target.name + ".part")
    try:
        info = os.lstat(legacy)
    except OSError:
        return removed
    if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid():
        with contextlib.suppress(OSError):
            legacy.unlink()
            removed.append(legacy)
    return removed


def reasons_by_line(report_errors: Iterable[dict[str, Any]]) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    for e in report_errors:
        text = f"{e['column']}: {e['reason']}" if e["column"] else e["reason"]
        if e["value"]:
            text += f" [{e['value']}]"
        out.setdefault(e["line"], []).append(text)
    return {line: "；".join(items) for line, items in out.items()}
