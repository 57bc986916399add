"""Archive pre-review: record, compute, confirm; a change after confirmation needs a reason."""
from __future__ import annotations

import json

import pytest

from console.errors import BadInput, PermissionDenied, Refused
from console.services import intake, prereview
from db import facts as facts_db
from tests.workflow_helpers import (
    PRE_REVIEW,
    TODAY,
    accepted_case,
    audit_actions,
    audit_count,
    case_row,
    open_case,
    record_prereview,
)


@pytest.fixture
def clerk(staff):
    return staff("carol", "clerk")


@pytest.fixture
def reviewer(staff):
    return staff("rita", "hrss_reviewer")


def _facts(db, case_no):
    return facts_db.get(db, case_row(db, case_no)["id"])


def test_record_computes_and_stores_unconfirmed_facts(db, clerk) -> None:
    case_no = open_case(db, clerk)
    before = audit_count(db)
    result = record_prereview(db, clerk, case_no)
    assert result.confirmed is False
    f = result.facts
    assert f["birth_date"] == "1966-06-15" and f["birth_source"] == "archive"
    assert f["statutory_month"] == "2026-11"
    assert (f["deemed_months"], f["actual_months"], f["total_months"]) == (132, 370, 502)
    assert f["benefit_start_month"] == "2026-12"
    assert result.assessment["decision"] == "accept"
    stored = _facts(db, case_no)
    assert stored["data"]["total_months"] == 502
    assert stored["policy_version"] == f["policy_version"]
    assert stored["confirmed_at"] is None
    assert audit_actions(db)[before:] == ["prereview.compute"]
    detail = json.loads(db.execute("SELECT detail FROM audit ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert detail["archive_records"] == 2 and detail["periods"] == 2


def test_confirm_needs_a_reviewer(db, clerk, reviewer) -> None:
    case_no = open_case(db, clerk)
    record_prereview(db, clerk, case_no)
    before = audit_count(db)
    with pytest.raises(PermissionDenied):
        prereview.confirm(db, clerk, case_no)
    assert audit_count(db) == before
    result = prereview.confirm(db, reviewer, case_no)
    assert result.confirmed
    stored = _facts(db, case_no)
    assert stored["confirmed_by"] == "rita" and stored["confirmed_at"]
    assert audit_actions(db)[before:] == ["prereview.confirm"]


def test_confirm_refusals(db, clerk, reviewer) -> None:
    case_no = open_case(db, clerk)
    with pytest.raises(Refused) as info:
        prereview.confirm(db, reviewer, case_no)
    assert info.value.key == "prereview.nothing_to_confirm"
    record_prereview(db, clerk, case_no)
    prereview.confirm(db, reviewer, case_no)
    with pytest.raises(Refused) as info:
        prereview.confirm(db, reviewer, case_no)
    assert info.value.key == "prereview.already_confirmed"
    assert info.value.params["who"] == "rita"


def test_change_after_confirmation_needs_a_reason(db, clerk, reviewer) -> None:
    case_no = open_case(db, clerk)
    record_prereview(db, clerk, case_no)
    prereview.confirm(db, reviewer, case_no)
    confirmed = _facts(db, case_no)
    before = audit_count(db)
    with pytest.raises(Refused) as info:
        record_prereview(db, clerk, case_no)
    assert info.value.key == "prereview.reason_required"
    assert info.value.params["who"] == "rita"
    with pytest.raises(Refused):
        record_prereview(db, clerk, case_no, reason="   ")
    assert audit_count(db) == before
    assert _facts(db, case_no)["confirmed_at"] == confirmed["confirmed_at"]

    changed = {**PRE_REVIEW, "periods": [{"from": "1985-01", "to": "1995-12", "kind": "deemed"},
                                          {"from": "1996-01", "to": "2026-09", "kind": "actual"}]}
    result = record_prereview(db, clerk, case_no, changed, reason="招工表复核：1996年起缴费记录更正")
    assert result.facts["actual_months"] == 369
    stored = _facts(db, case_no)
    assert stored["confirmed_at"] is None and stored["confirmed_by"] is None
    assert stored["data"]["actual_months"] == 369
    assert audit_actions(db)[before:] == ["prereview.changed_after_confirmation"]
    detail = json.loads(db.execute("SELECT detail FROM audit ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert detail["reason"] == "招工表复核：1996年起缴费记录更正"
    # confirmable again
    assert prereview.confirm(db, reviewer, case_no).confirmed


def test_record_is_closed_once_the_case_is_done(db, clerk) -> None:
    case_no = open_case(db, clerk)
    intake.refuse_case(db, clerk, case_no, reason="withdrew", today=TODAY)
    with pytest.raises(Refused) as info:
        record_prereview(db, clerk, case_no)
    assert info.value.key == "prereview.closed"


def test_record_allowed_while_accepted(db, staff) -> None:
    carol = staff("carol", "clerk", "hrss_reviewer")
    case_no, _ = accepted_case(db, carol)  # confirmed before acceptance: a change now says why
    assert record_prereview(db, carol, case_no, reason="档案补充").facts["total_months"] == 502


@pytest.mark.parametrize("roles", [("medical",), ("admin",), ("housing_fund",)])
def test_record_role(db, clerk, staff, roles) -> None:
    case_no = open_case(db, clerk)
    with pytest.raises(PermissionDenied):
        record_prereview(db, staff("x", *roles), case_no)


@pytest.mark.parametrize(
    "payload, key",
    [
        ({"archive_records": [{"doc_kind": "diary"}], "periods": []}, "prereview.bad_doc_kind"),
        ({"archive_records": [{"doc_kind": "school_record", "doc_date": "1980-99-01"}], "periods": []}, "prereview.bad_date"),
        ({"archive_records": [], "periods": [{"from": "1990-01", "to": "1991-01", "kind": "imagined"}]}, "prereview.bad_period_kind"),
        ({"archive_records": [], "periods": [{"from": "1990", "to": "1991-01", "kind": "actual"}]}, "prereview.bad_period_month"),
        ({"archive_records": [], "periods": [{"from": "1992-01", "to": "1991-01", "kind": "actual"}]}, "prereview.period_reversed"),
    ],
)
def test_bad_rows_are_bad_input_and_write_nothing(db, clerk, payload, key) -> None:
    case_no = open_case(db, clerk)
    before = audit_count(db)
    with pytest.raises(BadInput) as info:
        record_prereview(db, clerk, case_no, payload)
    assert info.value.key == key
    assert audit_count(db) == before
    assert _facts(db, case_no) is None


def test_preview_does_not_store(db, clerk) -> None:
    case_no = open_case(db, clerk)
    record_prereview(db, clerk, case_no)
    facts_before = _facts(db, case_no)
    before = audit_count(db)
    out = prereview.preview(db, clerk, case_no, today=TODAY)
    assert out.facts["total_months"] == 502 and out.confirmed is False
    assert audit_count(db) == before
    assert _facts(db, case_no)["version"] == facts_before["version"]
