"""Courier delivery of the results (快递送达): sent, delivered, returned."""
from __future__ import annotations

from typing import Any

import sqlite_utils

from console.errors import BadInput, Refused
from console.i18n import t
from console.services import door
from console.services.identity import Actor, require_role
from console.services.intake import load_case
from console.services.role_matrix import BY_CODE
from console.vocabulary import CASE_STATUS
from db import audit
from db import deliveries as deliveries_db
from db import persons as persons_db
from db.clock import now_iso
from db.connection import transaction
from db.versioning import check_version, update_versioned

DELIVERY_ROLES = BY_CODE["delivery.send"].roles


def send(
    db: sqlite_utils.Database, actor: Actor, case_no: str, courier: str, waybill: str, address: str | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Hand the results to the courier (the case must be completed).

    ``expected_version`` is the CASE's version the caller read: a case changed
    since (by a colleague) is refused naming who and when.
    """
    require_role(actor, *DELIVERY_ROLES)
    if not (courier or "").strip() or not (waybill or "").strip():
        raise BadInput("delivery.courier_waybill_required")
    courier = door.required_text(courier, "courier", limit=door.CODE_LIMIT)
    waybill = door.digits(waybill, "waybill") or ""
    address = door.text(address, "address")
    with transaction(db):
        case = load_case(db, case_no)
        if expected_version is not None:
            check_version(db, "cases", case["id"], expected_version)
        if case["status"] != "completed":
            raise Refused("delivery.not_completed", case_no=case["case_no"], status=t(CASE_STATUS.key(case['status'])))
        last = deliveries_db.latest(db, case["id"])
        if last is not None and not last["delivered_at"] and not last["returned_at"]:
            raise Refused("delivery.already_sent", case_no=case["case_no"], waybill=last["waybill"])
        person = persons_db.get(db, case["person_id"])
        address = address or (person or {}).get("address")
        if not (address or "").strip():  # neither typed nor on the applicant's record: the parcel would go nowhere
            raise Refused("delivery.no_address", case_no=case["case_no"])
        delivery_id = deliveries_db.insert(db, case["id"], courier, waybill, address, actor.login)
        audit.append(db, actor.audit_name, "delivery.send", case_id=case["id"], entity="delivery", entity_id=delivery_id,
                     detail={"courier": courier, "waybill": waybill, "address": address})
    return deliveries_db.latest(db, case["id"]) or {}


def _open_delivery(db: sqlite_utils.Database, case: dict[str, Any], expected_version: int | None = None) -> dict[str, Any]:
    last = deliveries_db.latest(db, case["id"])
    if last is not None and expected_version is not None and int(last["version"]) != int(expected_version):
        # a colleague recorded it first (delivered, returned): say who and when, not "nothing open"
        check_version(db, "deliveries", last["id"], expected_version)
    if last is None or last["delivered_at"] or last["returned_at"]:
        raise Refused("delivery.none_open", case_no=case["case_no"])
    return last


def _delivery_version(last: dict[str, Any], expected: int | None) -> int:
    """The DELIVERY's version the caller read (``delivery`` output and ``case show --json`` carry it)."""
    return int(last["version"]) if expected is None else int(expected)


def delivered(db: sqlite_utils.Database, actor: Actor, case_no: str, expected_version: int | None = None) -> dict[str, Any]:
    """The courier confirms delivery: the case is closed as delivered."""
    require_role(actor, *DELIVERY_ROLES)
    with transaction(db):
        case = load_case(db, case_no)
        last = _open_delivery(db, case, expected_version)
        update_versioned(db, "deliveries", last["id"], _delivery_version(last, expected_version), {"delivered_at": now_iso()}, actor.login)
        update_versioned(db, "cases", case["id"], case["version"], {"status": "delivered"}, actor.login)
        audit.append(db, actor.audit_name, "delivery.delivered", case_id=case["id"], entity="delivery", entity_id=last["id"],
                detail={"waybill": last["waybill"]})
    return deliveries_db.latest(db, case["id"]) or {}


def returned(db: sqlite_utils.Database, actor: Actor, case_no: str, note: str, expected_version: int | None = None) -> dict[str, Any]:
    """The parcel came back (wrong address, refused): noted; the case stays completed for a new send."""
    require_role(actor, *DELIVERY_ROLES)
    if not (note or "").strip():
        raise BadInput("delivery.note_required")
    note = door.required_text(note, "note")
    with transaction(db):
        case = load_case(db, case_no)
        last = _open_delivery(db, case, expected_version)
        update_versioned(db, "deliveries", last["id"], _delivery_version(last, expected_version), {"returned_at": now_iso(), "note": note}, actor.login)
        audit.append(db, actor.audit_name, "delivery.returned", case_id=case["id"], entity="delivery", entity_id=last["id"], detail={"note": note})
    return deliveries_db.latest(db, case["id"]) or {}


def readdress(
    db: sqlite_utils.Database, actor: Actor, case_no: str, address: str, courier: str, waybill: str,
    note: str | None = None, expected_version: int | None = None,
) -> dict[str, Any]:
    """A returned parcel goes out again to a new address with a new waybill; the first attempt stays in the history.

    ``note`` records the return in the same step when the parcel is still
    marked on its way (the clerk holds it in hand).  ``expected_version`` is
    the last DELIVERY's version the caller read.
    """
    require_role(actor, *DELIVERY_ROLES)
    if not (address or "").strip():
        raise BadInput("delivery.address_required")
    new_address = door.required_text(address, "address")
    with transaction(db):
        case = load_case(db, case_no)
        last = deliveries_db.latest(db, case["id"])
        if last is not None and expected_version is not None:
            check_version(db, "deliveries", last["id"], expected_version)
        if last is not None and not last["returned_at"] and not last["delivered_at"] and (note or "").strip():
            returned(db, actor, case_no, note or "", int(last["version"]))
            last = deliveries_db.latest(db, case["id"])
        if last is None or not last["returned_at"]:
            raise Refused("delivery.not_returned", case_no=case["case_no"])
        if new_address == (last["address"] or ""):
            raise BadInput("delivery.same_address", address=new_address)
        sent = send(db, actor, case_no, courier, waybill, new_address, int(case["version"]))
        audit.append(db, actor.audit_name, "delivery.readdress", case_id=case["id"], entity="delivery", entity_id=sent["id"],
                     detail={"before": {"address": last["address"], "waybill": last["waybill"]},
                             "after": {"address": new_address, "waybill": sent["waybill"]}})
    return sent
