"""The DOCX save question shared by the notices and upcoming screens: a path, a .docx check, overwrite asked first."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.i18n import t


def ask_docx_path(screen: Any, question: str, default: Path, write: Callable[[Path, bool], None]) -> None:
    """Ask where to save; call ``write(path, force)`` once the path ends in .docx (an existing file is confirmed first)."""
    from screens.widgets.confirm import ConfirmModal
    from screens.widgets.prompt import TextPrompt

    def chosen(text: str | None) -> None:
        if not text:
            return
        path = Path(text).expanduser()
        if path.suffix.lower() != ".docx":
            screen.notify(t("tui.notices.bad_suffix", path=str(path)), severity="error", markup=False)
            return
        if path.exists():
            screen.app.push_screen(ConfirmModal(t("tui.notices.overwrite", path=str(path))),
                                   lambda yes: write(path, True) if yes else None)
            return
        write(path, False)

    screen.app.push_screen(TextPrompt(question, value=str(default)), chosen)
