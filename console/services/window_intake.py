"""The intake window's one keystroke as one transaction: open a case and decide on it.

A refusal by the rules rolls the whole thing back, so the clerk can fix the
form and retry (the case is not left half-opened as a draft).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from console.errors import Refused
from console.services import intake, promises
from console.services.identity import Actor
from db.connection import transaction

if TYPE_CHECKING:
    from db.engine import Database


@dataclass
class WindowDecision:
    """A case opened at the window and what was decided on it."""

    case_no: str
    status: str
    decision: intake.Decision | None
    letter_number: str | None = None
    """The promise letter's number when the case was accepted on a promise."""


def open_and_decide(
    db: Database,
    actor: Actor,
    applicant: intake.Applicant,
    kind: str,
    joint_items: Iterable[str],
    received: Iterable[str],
    chosen_month: str | None,
    decide: str | None,
    today: date,
    details: Mapping[str, Any] | None = None,
) -> WindowDecision:
    """Open a case and, in the same transaction, accept it or issue the correction notice.

    ``decide`` is None (keep the draft), "accept", "promise" (accept on a written
    promise for every missing paper that may be promised) or "correction".  A refusal by
    the rules rolls the whole thing back, so the clerk can fix the form and retry.
    ``details``: the retirement type's (``intake.open_case``).
    """
    with transaction(db):
        case = intake.open_case(db, actor, applicant, kind, joint_items, received, chosen_month, today, details)
        if decide is None:
            return WindowDecision(case["case_no"], case["status"], None)
        if decide == "accept":
            decision = intake.accept_case(db, actor, case["case_no"], today=today)
        elif decide == "promise":
            offered = promises.offer(db, intake.load_case(db, case["case_no"]), today)
            if not offered:
                raise Refused("promises.not_offered", case_no=case["case_no"])
            outcome = promises.accept_on_promise(db, actor, case["case_no"], offered, today=today)
            return WindowDecision(case["case_no"], "accepted", outcome.decision, outcome.letter_number)
        else:
            decision = intake.request_correction(db, actor, case["case_no"], today=today)
    return WindowDecision(decision.case_no, decision.status, decision)
