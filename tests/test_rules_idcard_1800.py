"""ID numbers from 1800 (GB 11643 allows them; its own example is 440524188001010014), the future still refused."""
from __future__ import annotations

from datetime import date

from console.rules.idcard import make_id, parse_id


def test_the_standards_own_example_is_valid() -> None:
    card = parse_id("440524188001010014", today=date(2026, 12, 2))
    assert card.valid, card.error
    assert card.birth_date == date(1880, 1, 1)
    assert card.sex == "M"


def test_born_in_1800_is_valid_and_1799_is_not() -> None:
    assert parse_id(make_id("440524", date(1800, 1, 1), 1)).valid
    earlier = parse_id(make_id("440524", date(1799, 12, 31), 1))
    assert not earlier.valid and earlier.error == "rules.id.birth_date"


def test_a_future_birth_date_is_still_refused() -> None:
    card = parse_id(make_id("150222", date(2027, 1, 1), 11), today=date(2026, 12, 2))
    assert not card.valid and card.error == "rules.id.birth_date"
