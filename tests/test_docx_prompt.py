"""The shared DOCX save question: wrong suffix refused, an existing file confirmed first, a new path written."""
from __future__ import annotations

from pathlib import Path

from textual.app import App

from screens.widgets.docx_prompt import ask_docx_path


class _Host(App[None]):
    def __init__(self, default: Path) -> None:
        super().__init__()
        self.default = default
        self.written: list[tuple[Path, bool]] = []

    def on_mount(self) -> None:
        ask_docx_path(self.screen, "where?", self.default, lambda path, force: self.written.append((path, force)))


async def test_new_path_is_written_without_force(tmp_path: Path) -> None:
    app = _Host(tmp_path / "a.docx")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
    assert app.written == [(tmp_path / "a.docx", False)]


async def test_existing_file_is_confirmed_then_forced(tmp_path: Path) -> None:
    (tmp_path / "a.docx").write_bytes(b"old")
    app = _Host(tmp_path / "a.docx")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert app.written == []  # asked first
        await pilot.press("y")
        await pilot.pause()
    assert app.written == [(tmp_path / "a.docx", True)]


async def test_wrong_suffix_is_refused(tmp_path: Path) -> None:
    app = _Host(tmp_path / "a.txt")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
    assert app.written == []
