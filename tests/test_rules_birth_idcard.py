"""Birth date for retirement (DOMAIN.md 6.4) and resident ID numbers (GB 11643)."""
from __future__ import annotations

from datetime import date

import pytest

from console.rules.birth_date import ArchiveRecord, BirthDecision, decide_birth_date
from console.rules.idcard import make_id, mask_id, parse_id

# ------------------------------------------------------------------ ID numbers

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_digit(body17: str) -> str:
    """GB 11643-1999 check character, written independently of the code under test."""
    total = sum(int(c) * w for c, w in zip(body17, WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def with_check(body17: str) -> str:
    return body17 + check_digit(body17)


def test_make_id_agrees_with_the_standard() -> None:
    for seq in range(0, 40):
        number = make_id("150222", date(1966, 6, 15), seq)
        assert len(number) == 18
        assert number == with_check(number[:17])


def test_valid_number_gives_birth_date_and_sex() -> None:
    man = parse_id(make_id("150222", date(1966, 6, 15), 11))  # 17th digit 1: odd
    assert man.valid
    assert man.birth_date == date(1966, 6, 15)
    assert man.sex == "M"
    assert man.place_code == "150222"
    woman = parse_id(make_id("150203", date(1976, 1, 9), 24))  # 17th digit 4: even
    assert woman.valid
    assert woman.sex == "F"
    assert woman.birth_date == date(1976, 1, 9)


@pytest.mark.parametrize("digit", list("0123456789"))
def test_sex_from_17th_digit(digit: str) -> None:
    number = with_check("15022219700101" + "12" + digit)
    assert parse_id(number).sex == ("M" if int(digit) % 2 else "F")


def test_x_check_digit_accepted() -> None:
    number = with_check("15022219660615002")
    assert number == "15022219660615002X"  # weight sum mod 11 == 2 -> X
    card = parse_id(number)
    assert card.valid
    assert card.birth_date == date(1966, 6, 15)
    assert card.sex == "F"  # 17th digit 2
    assert parse_id(number.lower()).valid  # typed with a small x


def test_unknown_place_code_is_still_valid() -> None:
    """A migrant's place code the library does not know is no reason to refuse a real person."""
    number = with_check("99999919660615001")
    card = parse_id(number)
    assert card.valid
    assert card.place_code == "999999"
    assert card.birth_date == date(1966, 6, 15)
    assert card.sex == "M"


def test_bad_checksum_invalid() -> None:
    good = make_id("150222", date(1966, 6, 15), 11)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    card = parse_id(wrong)
    assert not card.valid
    assert card.error == "rules.id.checksum"
    assert card.birth_date is None


@pytest.mark.parametrize("number", ["15022219660615001", "1502221966061500111", "", "150222660615001"])
def test_bad_length_invalid(number: str) -> None:
    card = parse_id(number)
    assert not card.valid
    assert card.error == "rules.id.length"


@pytest.mark.parametrize("body", ["15022219660230001", "15022219661301001", "15022219660631001", "15022219660000001"])
def test_impossible_date_invalid_even_with_right_checksum(body: str) -> None:
    card = parse_id(with_check(body))
    assert not card.valid
    assert card.error == "rules.id.birth_date"


def test_letters_inside_invalid() -> None:
    card = parse_id("15022219660615A011")
    assert not card.valid


def test_mask() -> None:
    assert mask_id("150222196606150011") == "150222********0011"


# ------------------------------------------------------------------ birth date

ID_BIRTH = date(1966, 6, 15)


def rec(kind: str, doc: date | None, born: date | None, altered: bool = False, confirmed: bool = False) -> ArchiveRecord:
    return ArchiveRecord(kind, doc, born, altered, confirmed)


def codes(decision: BirthDecision) -> dict[str, str]:
    return {f.code: f.severity for f in decision.findings}


def test_earliest_document_wins_whatever_the_order_given() -> None:
    school = rec("school_record", date(1978, 9, 1), date(1966, 3, 2))
    recruit = rec("recruitment_form", date(1984, 5, 1), date(1966, 6, 15))
    for records in ([school, recruit], [recruit, school]):
        d = decide_birth_date(records, ID_BIRTH)
        assert d.birth_date == date(1966, 3, 2)
        assert d.source == "archive"
        assert d.record_index is not None and records[d.record_index] is school
        c = codes(d)
        assert c.get("rules.birth.id_mismatch") == "review"  # archive differs from ID: a human decides
        assert "rules.birth.records_disagree" in c and c["rules.birth.records_disagree"] == "warning"


def test_agreeing_records_and_id_have_no_findings() -> None:
    d = decide_birth_date(
        [rec("league_form", date(1981, 5, 4), ID_BIRTH), rec("recruitment_form", date(1984, 5, 1), ID_BIRTH)],
        ID_BIRTH,
    )
    assert d.birth_date == ID_BIRTH
    assert d.findings == []


def test_altered_unconfirmed_entry_is_ignored() -> None:
    altered = rec("school_record", date(1978, 9, 1), date(1967, 1, 1), altered=True)
    later = rec("recruitment_form", date(1984, 5, 1), ID_BIRTH)
    d = decide_birth_date([altered, later], ID_BIRTH)
    assert d.birth_date == ID_BIRTH
    assert "rules.birth.altered_ignored" in codes(d)
    assert "rules.birth.id_mismatch" not in codes(d)


def test_altered_confirmed_entry_is_used() -> None:
    altered = rec("school_record", date(1978, 9, 1), date(1967, 1, 1), altered=True, confirmed=True)
    later = rec("recruitment_form", date(1984, 5, 1), ID_BIRTH)
    d = decide_birth_date([later, altered], ID_BIRTH)
    assert d.birth_date == date(1967, 1, 1)
    assert "rules.birth.altered_ignored" not in codes(d)
    assert codes(d).get("rules.birth.id_mismatch") == "review"


def test_lost_archive_goes_to_review_and_uses_the_id_date() -> None:
    d = decide_birth_date([], ID_BIRTH, archive_lost=True)
    assert d.birth_date == ID_BIRTH
    assert d.source == "id_card"
    assert "review" in codes(d).values()


def test_only_altered_records_review_and_id_date() -> None:
    d = decide_birth_date([rec("school_record", date(1978, 9, 1), date(1967, 1, 1), altered=True)], ID_BIRTH)
    assert d.birth_date == ID_BIRTH
    assert d.source == "id_card"
    assert "review" in codes(d).values()


def test_nothing_known() -> None:
    d = decide_birth_date([], None, archive_lost=True)
    assert d.birth_date is None
    assert d.source == "none"


def test_undated_document_does_not_beat_a_dated_one() -> None:
    undated = rec("other", None, date(1965, 1, 1))
    school = rec("school_record", date(1978, 9, 1), ID_BIRTH)
    d = decide_birth_date([undated, school], ID_BIRTH)
    assert d.birth_date == ID_BIRTH
