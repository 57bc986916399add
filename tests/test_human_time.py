"""Times people read: the hall's local time to the minute, never a raw UTC stamp."""
from __future__ import annotations

from datetime import date

from console.human_time import human_date, human_time


def test_utc_stamp_reads_in_the_halls_zone_in_chinese() -> None:
    assert human_time("2026-12-01T07:38:12+00:00", "zh") == "2026年12月1日 15:38"
    assert human_time("2026-12-01T07:38:12Z", "zh") == "2026年12月1日 15:38"


def test_english_reads_day_month_year() -> None:
    assert human_time("2026-12-01T15:38:00+08:00", "en") == "1 Dec 2026 15:38"
    assert human_date(date(2026, 3, 5), "en") == "5 Mar 2026"


def test_a_bare_date_and_odd_text() -> None:
    assert human_time("2026-03-16", "zh") == "2026年3月16日"
    assert human_time("not a time", "zh") == "not a time"
    assert human_time(None) == "" and human_time("") == ""
