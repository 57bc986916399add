"""Case detail: the due date reads as a date people say, like the other dates on the screen."""
from __future__ import annotations

from screens.case_detail import clock_text


def test_due_date_is_shown_in_words() -> None:
    clock = {"state": "overdue", "working_days_left": -3, "due_date": "2026-03-10"}
    from console.i18n import current_lang, set_lang

    before = current_lang()
    try:
        set_lang("zh")
        assert "2026年3月10日" in clock_text(clock, "accepted").plain
        assert "2026-03-10" not in clock_text(clock, "accepted").plain
        set_lang("en")
        assert "10 Mar 2026" in clock_text(clock, "accepted").plain
    finally:
        set_lang(before)
