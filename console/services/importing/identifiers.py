"""Parsers of the identifiers a file keys its rows on: ID numbers, credit codes, case numbers.

An ID number is folded to ASCII and checked cheaply (17 digits and a check
character) on every row; the full check (``parse_id``: check digit, birth
date, place) runs once per distinct new number, in ``PersonRefs.finish``.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from stdnum.cn import uscc

from console.errors import BadInput
from console.rules.idcard import parse_id
from console.services.importing.values import FieldError, cell_digits, clean, digits, error


def compact_id(raw: Any) -> str | FieldError:
    """The ID number of a cell: ASCII digits (full-width and superscript folded, other scripts refused)."""
    text = raw if isinstance(raw, str) else (clean(raw) or "")
    number = digits(text, "id_number")
    if isinstance(number, FieldError):
        return number
    return number.replace(" ", "").replace("-", "").strip().upper()


def well_formed(number: str) -> bool:
    return len(number) == 18 and number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")


def id_format_error(number: str, today: date) -> FieldError:
    """Why a number that is not 17 digits and a check character is refused (never an exception)."""
    try:
        card = parse_id(number, today=today)
    except Exception:  # stdnum on a character it does not expect (the '²'): still just a bad number
        return error("rules.id.format")
    return error(card.error or "rules.id.format")


def id_problem(number: str, today: date) -> str | None:
    """None for a valid ID number, else ``parse_id``'s error code (the place lookup is skipped)."""
    card = parse_id(number, today=today)
    return None if card.valid else (card.error or "rules.id.format")


def parse_credit_code(raw: Any) -> str | FieldError:
    folded = cell_digits(raw, "credit_code")
    if isinstance(folded, FieldError):
        return folded
    code = uscc.compact(folded)
    if not uscc.is_valid(code):
        return error("importer.value.bad_credit_code")
    return code


def parse_case_no(raw: Any) -> str | FieldError:
    from db.case_numbers import normalise_case_no

    folded = cell_digits(raw, "case_no")
    if isinstance(folded, FieldError):
        return folded
    try:
        return normalise_case_no(folded)
    except BadInput:
        return error("importer.value.bad_case_no")
