"""Courier delivery: send, delivered, returned (and a new send after a return)."""
from __future__ import annotations

import pytest

from console.errors import BadInput, PermissionDenied, Refused
from console.services import delivery, tasks
from tests.workflow_helpers import TODAY, accepted_case, audit_actions, audit_count, case_row, task_ids


@pytest.fixture
def carol(staff):
    return staff("carol", "clerk", "hrss_reviewer")


def _complete_all(db, actor, case_no) -> None:
    ids = task_ids(db, case_no)
    for item in ("hrss.card", "hrss.approval", "hrss.benefit", "hrss.social_management"):
        tasks.claim(db, actor, ids[item])
        tasks.complete(db, actor, ids[item], "ok", today=TODAY)


@pytest.fixture
def completed(db, carol):
    case_no, _ = accepted_case(db, carol, joint=())
    _complete_all(db, carol, case_no)
    assert case_row(db, case_no)["status"] == "completed"
    return case_no


def test_send_then_delivered(db, carol, completed) -> None:
    before = audit_count(db)
    row = delivery.send(db, carol, completed, "EMS", "EA123456789CN")
    assert row["courier"] == "EMS" and row["waybill"] == "EA123456789CN"
    assert row["address"] == "固阳县金山镇1号"  # the applicant's address by default
    assert row["sent_at"] and row["delivered_at"] is None
    assert case_row(db, completed)["status"] == "completed"
    row = delivery.delivered(db, carol, completed)
    assert row["delivered_at"]
    case = case_row(db, completed)
    assert case["status"] == "delivered"
    assert audit_actions(db)[before:] == ["delivery.send", "delivery.delivered"]


def test_returned_keeps_the_case_completed_and_allows_a_new_send(db, carol, completed) -> None:
    delivery.send(db, carol, completed, "EMS", "E1")
    before = audit_count(db)
    with pytest.raises(Refused) as info:
        delivery.send(db, carol, completed, "EMS", "E2")
    assert info.value.key == "delivery.already_sent" and info.value.params["waybill"] == "E1"
    with pytest.raises(BadInput):
        delivery.returned(db, carol, completed, " ")
    assert audit_count(db) == before
    row = delivery.returned(db, carol, completed, "地址错误")
    assert row["returned_at"] and row["note"] == "地址错误"
    assert case_row(db, completed)["status"] == "completed"
    with pytest.raises(Refused) as info:
        delivery.delivered(db, carol, completed)
    assert info.value.key == "delivery.none_open"
    second = delivery.send(db, carol, completed, "EMS", "E2", address="固阳县金山镇2号")
    assert second["waybill"] == "E2" and second["address"] == "固阳县金山镇2号"
    delivery.delivered(db, carol, completed)
    assert case_row(db, completed)["status"] == "delivered"
    assert audit_actions(db)[before:] == ["delivery.returned", "delivery.send", "delivery.delivered"]
    n = db.execute("SELECT count(*) FROM deliveries").fetchone()[0]
    assert n == 2


def test_send_needs_a_completed_case(db, carol) -> None:
    case_no, _ = accepted_case(db, carol, joint=())
    before = audit_count(db)
    with pytest.raises(Refused) as info:
        delivery.send(db, carol, case_no, "EMS", "E1")
    assert info.value.key == "delivery.not_completed"
    with pytest.raises(Refused) as info:
        delivery.delivered(db, carol, case_no)
    assert info.value.key == "delivery.none_open"
    assert audit_count(db) == before


def test_delivered_case_cannot_be_sent_again(db, carol, completed) -> None:
    delivery.send(db, carol, completed, "EMS", "E1")
    delivery.delivered(db, carol, completed)
    with pytest.raises(Refused):
        delivery.send(db, carol, completed, "EMS", "E2")
    with pytest.raises(Refused):
        delivery.delivered(db, carol, completed)
    with pytest.raises(Refused):
        delivery.returned(db, carol, completed, "late")


def test_courier_and_waybill_required(db, carol, completed) -> None:
    with pytest.raises(BadInput) as info:
        delivery.send(db, carol, completed, "EMS", " ")
    assert info.value.key == "delivery.courier_waybill_required"
    with pytest.raises(BadInput):
        delivery.send(db, carol, completed, "", "E1")


@pytest.mark.parametrize("roles", [("medical",), ("hrss_reviewer",), ("admin",)])
def test_delivery_roles(db, carol, staff, completed, roles) -> None:
    other = staff("other", *roles)
    with pytest.raises(PermissionDenied):
        delivery.send(db, other, completed, "EMS", "E1")
    delivery.send(db, carol, completed, "EMS", "E1")
    with pytest.raises(PermissionDenied):
        delivery.delivered(db, other, completed)
    with pytest.raises(PermissionDenied):
        delivery.returned(db, other, completed, "x")


@pytest.mark.parametrize("typed", [None, "", "   "])
def test_send_without_any_address_is_refused(db, carol, completed, typed) -> None:
    """No address typed and none on the applicant's record: refused, nothing sent, nothing audited."""
    db.execute("UPDATE persons SET address = NULL")
    before = audit_count(db)
    with pytest.raises(Refused) as err:
        delivery.send(db, carol, completed, "EMS", "EA123456789CN", address=typed)
    assert err.value.key == "delivery.no_address" and completed in err.value.text("en")
    assert err.value.exit_code == 1
    assert audit_count(db) == before
    assert db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0


def test_blank_typed_address_falls_back_to_the_applicants(db, carol, completed) -> None:
    row = delivery.send(db, carol, completed, "EMS", "EA123456789CN", address="   ")
    assert row["address"] == "固阳县金山镇1号"
