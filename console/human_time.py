"""Times as a person reads them: the hall's local time, to the minute, in the reader's language.

Stored times are ISO 8601 with an offset (``db.clock``); an older row may be
naive, meaning the server's local time, or end in ``Z``.  People at the
window read ``2026年12月1日 15:38`` (English ``1 Dec 2026 15:38``) in the
hall's own time zone (``[hall] timezone`` in hall.toml, Asia/Shanghai by
default), never a raw UTC stamp.  Machine output (``--json``, CSV, the
audit chain) keeps the ISO text.
"""
from __future__ import annotations

from datetime import date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.i18n import current_lang, t

DEFAULT_ZONE = "Asia/Shanghai"


@lru_cache(maxsize=1)
def hall_zone() -> tzinfo:
    """The hall's time zone (hall.toml ``[hall] timezone``), falling back to the server's own."""
    from console.settings import load_hall

    name = load_hall().get("hall", {}).get("timezone") or DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local


def parse_stamp(text: str) -> datetime | None:
    """An ISO stamp as an aware datetime in the hall's zone; None for text that is not one."""
    raw = (text or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive: the server's local time, as older rows were written
    return moment.astimezone(hall_zone())


def human_time(text: str | None, lang: str | None = None) -> str:
    """``2026年12月1日 15:38`` / ``1 Dec 2026 15:38`` for an ISO stamp; a bare date as ``human_date``.

    Text that is neither is returned as it is (never an exception on a
    screen), and None or empty as ``""``.
    """
    if not text:
        return ""
    if len(text.strip()) == 10:
        try:
            return human_date(date.fromisoformat(text.strip()), lang)
        except ValueError:
            return text
    moment = parse_stamp(text)
    if moment is None:
        return text
    return t("time.minute", lang or current_lang(), day=human_date(moment.date(), lang),
             hh=f"{moment.hour:02d}", mm=f"{moment.minute:02d}")


def human_date(day: date, lang: str | None = None) -> str:
    """``2026年12月1日`` / ``1 Dec 2026``."""
    lang = lang or current_lang()
    month = t(f"time.month_{day.month}", lang)
    return t("time.day", lang, year=day.year, month=day.month, month_name=month, day=day.day)
