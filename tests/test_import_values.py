"""Cell values: months and dates in every form the hall types, codes, amounts, ID numbers."""
from __future__ import annotations

import random
from datetime import date, datetime

import pytest

from console.rules.idcard import make_id, parse_id
from console.services.importing import values as v
from console.services.importing.codes import DOC_KIND, PERIOD_KIND, SEX, STAFF_CATEGORY, parse_joint
from console.services.importing.headers import header_resolver
from console.services.importing.identifiers import id_problem, parse_credit_code
from console.services.importing.values import FieldError


@pytest.mark.parametrize("raw", [
    "1966-06", "1966-6", "１９６６－０６", "1966年6月", "1966年06月", "1966.06", "1966/6", "196606",
    " 1966-06 ", "1966-06-15", "1966年6月15日", "19660615", "１９６６年６月", datetime(1966, 6, 15), date(1966, 6, 1),
])
def test_months_are_normalised_to_iso(raw: object) -> None:
    assert v.parse_month(raw) == (1966 * 12 + 5, "1966-06")


@pytest.mark.parametrize("raw", ["1966-13", "1966-00", "196613", "1966", "June 1966", "1966-02-30", "1899-12", ""])
def test_bad_months_are_refused(raw: str) -> None:
    assert isinstance(v.parse_month(raw), FieldError)


@pytest.mark.parametrize("raw", [
    "1966-06-15", "1966年6月15日", "1966.06.15", "1966/6/15", "19660615", "１９６６－０６－１５", "1966年06月15",
    datetime(1966, 6, 15, 0, 0), date(1966, 6, 15),
])
def test_dates_are_normalised_to_iso(raw: object) -> None:
    assert v.parse_date(raw) == "1966-06-15"


@pytest.mark.parametrize("raw", ["1966-06", "1966-02-30", "15/06/1966", "19661315", "abc"])
def test_bad_dates_are_refused(raw: str) -> None:
    assert isinstance(v.parse_date(raw), FieldError)


def test_timestamps_keep_the_time() -> None:
    assert v.parse_timestamp("2026-05-09 15:30") == "2026-05-09T15:30:00"
    assert v.parse_timestamp("2026-05-09T15:30:00+0800") == "2026-05-09T15:30:00+08:00"
    assert v.parse_timestamp("2026年5月9日") == "2026-05-09"


def test_codes_accept_chinese_and_english_words() -> None:
    assert PERIOD_KIND.parse("视同缴费") == "deemed" and PERIOD_KIND.parse("Actual") == "actual"
    assert SEX.parse("女") == "F" and SEX.parse("m") == "M"
    assert STAFF_CATEGORY.parse("干部") == "cadre" and STAFF_CATEGORY.parse("灵活就业人员") == "flexible"
    assert DOC_KIND.parse("招工登记表") == "recruitment_form" and DOC_KIND.parse("school_record") == "school_record"
    assert isinstance(PERIOD_KIND.parse("paid"), FieldError)
    assert parse_joint("医保、公积金") == '["housing_fund", "medical"]'
    assert isinstance(parse_joint("medical, dental"), FieldError)


def test_amounts_bools_and_credit_codes() -> None:
    assert v.parse_amount("3500") == "3500.00" and v.parse_amount("3,500.5") == "3500.50"
    assert isinstance(v.parse_amount("-1"), FieldError)
    assert v.parse_bool("是") == 1 and v.parse_bool("N") == 0 and isinstance(v.parse_bool("maybe"), FieldError)
    assert parse_credit_code("91110000600037341L") == "91110000600037341L"
    assert isinstance(parse_credit_code("9111000060003734XL"), FieldError)


def test_headers_chinese_english_or_both() -> None:
    resolve = header_resolver("contributions")
    for text in ("*身份证号码(id_number)", "身份证号码", "id_number", "ID_NUMBER", "身份证号码（id_number）", "公民身份号码"):
        assert resolve(text) == "id_number"
    assert resolve("行号(line)") is None and resolve("") is None
    with pytest.raises(KeyError):
        resolve("颜色")


def test_id_problem_agrees_with_parse_id() -> None:
    """The importer's fast check must give parse_id's verdict on valid, mistyped and odd numbers."""
    today = date(2026, 6, 1)
    rng = random.Random(4)
    numbers = []
    for _ in range(3000):
        born = date(1900, 1, 1).toordinal() + rng.randrange(0, 130 * 366)
        place = rng.choice(["150222", "150299", "110101", "999999"])
        good = make_id(place, date.fromordinal(min(born, date(2030, 1, 1).toordinal())), rng.randrange(1000))
        numbers.append(good)
        mutated = list(good)
        mutated[rng.randrange(18)] = rng.choice("0123456789X")
        numbers.append("".join(mutated))
    numbers += ["15022219660230001X", "150222196602300012", "1502221966063000", "15022219660615001x"]
    for number in numbers:
        card = parse_id(number, today=today)
        assert id_problem(number, today) == (None if card.valid else card.error), number


def test_place_codes_unknown_to_stdnum_are_valid() -> None:
    number = make_id("150299", date(1966, 6, 15), 123)
    assert id_problem(number, date(2026, 1, 1)) is None


ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


@pytest.mark.parametrize("parse, raw", [
    (v.parse_month, "1966-06"), (v.parse_date, "1966-06-15"), (v.parse_timestamp, "2025-03-02 09:30"),
    (v.parse_phone, "13800000000"), (v.parse_bank_card, "6222021234567890123"), (v.parse_amount, "3500.00"),
    (v.parse_index, "1.0235"),
])
def test_other_digit_scripts_are_refused_not_converted(parse: object, raw: str) -> None:
    """Python's int() and \\d accept Arabic-Indic digits: stored, they broke every later date parse."""
    assert not isinstance(parse(raw), FieldError)  # type: ignore[operator]
    for table in (ARABIC, DEVANAGARI):
        refused = parse(raw.translate(table))  # type: ignore[operator]
        assert isinstance(refused, FieldError) and refused.code == "text.foreign_digit"


def test_full_width_and_superscript_digits_become_ascii() -> None:
    assert v.parse_phone("１３８００００００００") == "13800000000"
    assert v.parse_date("１９６６年６月１５日") == "1966-06-15"
    assert v.parse_month("196²-06") == (1962 * 12 + 5, "1962-06")
    assert v.digits("１２３—４", "phone") == "123-4"


def test_free_text_goes_through_the_text_policy() -> None:
    assert v.parse_text("  吴静 ") == "吴静"
    for bad in ("吴\x1b静", "吴\u202e静", "吴\u200b静", "吴\ud800静", "吴\t静"):
        assert v.parse_text(bad).code == "text.forbidden_char"  # type: ignore[union-attr]
    assert v.parse_text("x" * 501).code == "text.too_long"  # type: ignore[union-attr]
    assert v.text_parser("name", 4)("吴静吴静吴") == FieldError("text.too_long", (("field", "name"), ("length", 5), ("limit", 4)))


@pytest.mark.parametrize("raw", ["1e30", "1E+400", "9" * 40, "-1", "NaN", "sNaN", "Infinity"])
def test_amounts_out_of_range_are_bad_cells_not_exceptions(raw: str) -> None:
    """Found by the fuzz suite: Decimal('1e30').quantize(...) raised InvalidOperation."""
    assert v.parse_amount(raw) == FieldError("importer.value.bad_amount")
