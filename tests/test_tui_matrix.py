"""Snapshots of every screen at 80x24 in Chinese and English and at 120x40 in Chinese (issue 14, Done-when).

The screens and how each is reached: tests/tui_matrix.py.  Regenerate with
``pytest tests/test_tui_matrix.py --snapshot-update`` and read every changed
SVG's text before accepting it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.tui_matrix import SCREENS, build_app, english_screens

VARIANTS = [
    pytest.param(("zh", (80, 24)), id="zh-80x24"),
    pytest.param(("en", (80, 24)), id="en-80x24"),
    pytest.param(("zh", (120, 40)), id="zh-120x40"),
]


@pytest.mark.parametrize("name", list(SCREENS))
@pytest.mark.parametrize("variant", VARIANTS)
def test_screen(hall: Path, snap_compare: Any, monkeypatch: pytest.MonkeyPatch, name: str,
                variant: tuple[str, tuple[int, int]]) -> None:
    lang, size = variant
    from console import i18n

    monkeypatch.setenv("RETIRE_LANG", lang)
    monkeypatch.setattr(i18n, "_current", lang)
    if lang == "en":
        with english_screens():
            assert snap_compare(build_app(hall, lang), terminal_size=size, run_before=SCREENS[name])
    else:
        assert snap_compare(build_app(hall, lang), terminal_size=size, run_before=SCREENS[name])
