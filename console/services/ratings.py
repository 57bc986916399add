"""Service ratings (好差评) tied to the case number, and the follow-up of every bad rating.

GB/T 39734/39735 ask for one rating per service, on five levels (1 非常不满意 ..
5 非常满意).  A case is one service, so a case has at most one rating, whatever
channel it came by (window, phone, online, the rating device): a second one
is refused, not averaged in, so the satisfaction rate counts services, not
button presses.  A service can be rated once it is done (completed or
delivered).  A bad rating (level 1-2) opens a follow-up for the hall's
supervisor, due in 15 working days (``console.rules.time_limits``
``rating.followup``); it closes only after a callback is recorded and with the
remedy.  Every change is audited.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from console.errors import BadInput, NotFound, Refused
from console.i18n import t
from console.services import door
from console.services.clocks import calendar_for, limit_days
from console.services.identity import Actor, require_role
from console.services.role_matrix import BY_CODE
from console.vocabulary import BAD_LEVELS, CASE_STATUS, RATABLE_STATUSES, RATING_CHANNEL, RATING_LEVEL
from db import audit
from db import cases as cases_db
from db import ratings as ratings_db
from db.clock import now_iso
from db.connection import transaction
from db.versioning import update_versioned

if TYPE_CHECKING:
    from db.engine import Database

RATING_ROLES = BY_CODE["rating.add"].roles
FOLLOWUP_ROLES = BY_CODE["rating.followups"].roles
FOLLOWUP_ITEM = "rating.followup"
"""The time-limit item of a bad rating's follow-up."""


def parse_level(value: object) -> int:
    """A level typed or read from a device: 1..5 (full-width digits accepted), else BadInput."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = door.digits(value, "level") or ""
    if text not in RATING_LEVEL:
        raise BadInput("rating.bad_level", value=str(value))
    return int(text)


def parse_channel(value: object) -> str:
    code = str(value or "").strip().lower()
    if code not in RATING_CHANNEL:
        raise BadInput("rating.bad_channel", value=str(value), allowed=", ".join(RATING_CHANNEL.codes))
    return code


def followup_due(db: Database, opened_on: date) -> str:
    """The day a follow-up opened on ``opened_on`` is due: 15 working days later (the start day not counted)."""
    due, _provisional = calendar_for(db).add_working_days(opened_on, limit_days(FOLLOWUP_ITEM))
    return due.isoformat()


def open_followup(db: Database, actor_login: str, rating_id: int, case_id: int, rated_at: str) -> int:
    """Open the follow-up of a bad rating (inside the caller's transaction); audited."""
    opened_on = date.fromisoformat(rated_at[:10])
    due = followup_due(db, opened_on)
    followup_id = ratings_db.insert_followup(db, rating_id, case_id, opened_on.isoformat(), due, actor_login)
    audit.append(db, actor_login, "rating.followup_open", case_id=case_id, entity="rating_followup", entity_id=followup_id,
                 detail={"rating_id": rating_id, "due_date": due})
    return followup_id


def check_ratable(case: dict[str, Any]) -> None:
    if case["status"] not in RATABLE_STATUSES:
        raise Refused("rating.not_finished", case_no=case["case_no"], status=t(CASE_STATUS.key(case["status"])))


def add(db: Database, actor: Actor, case_no: str, level: object, channel: object = "window",
        comment: str | None = None) -> dict[str, Any]:
    """Record the applicant's rating of a finished case; a bad one opens the supervisor's follow-up."""
    require_role(actor, *RATING_ROLES)
    lv = parse_level(level)
    ch = parse_channel(channel)
    note = door.text(comment, "comment")
    with transaction(db):
        case = cases_db.load(db, case_no)
        check_ratable(case)
        if ratings_db.for_case(db, case["id"]) is not None:
            raise Refused("rating.already_rated", case_no=case["case_no"])
        rated_at = now_iso()
        rating_id = ratings_db.insert(db, case["id"], lv, ch, note, rated_at, actor.login)
        audit.append(db, actor.audit_name, "rating.add", case_id=case["id"], entity="rating", entity_id=rating_id,
                     detail={"level": lv, "channel": ch, "comment": note})
        if str(lv) in BAD_LEVELS:
            open_followup(db, actor.audit_name, rating_id, case["id"], rated_at)
    return rating_of(db, case["id"])


def rating_of(db: Database, case_id: int) -> dict[str, Any]:
    """The case's rating and, for a bad one, its follow-up."""
    rating = ratings_db.for_case(db, case_id) or {}
    if rating:
        rating["followup"] = ratings_db.followup_for_case(db, case_id)
    return rating


def case_rating(db: Database, actor: Actor, case_no: str) -> dict[str, Any]:
    """The rating of one case ({} when it has none): for the delivery screen and ``case show``."""
    require_role(actor, *BY_CODE["case.show"].roles)
    case = cases_db.load(db, case_no)
    return rating_of(db, case["id"])


def followups(db: Database, actor: Actor, *, include_closed: bool = False,
              today: date | None = None) -> list[dict[str, Any]]:
    """The supervisor's list: open and called-back follow-ups, the earliest due first, each with the
    working days left (negative: overdue) so the late ones stand out."""
    require_role(actor, *FOLLOWUP_ROLES)
    statuses = ("open", "called_back", "closed") if include_closed else ("open", "called_back")
    rows = ratings_db.followups(db, statuses)
    cal = calendar_for(db)
    day = today or date.today()
    for row in rows:
        due = date.fromisoformat(row["due_date"])
        row["days_left"] = None if row["status"] == "closed" else (
            cal.working_days_between(day, due) if due >= day else -cal.working_days_between(due, day))
    return rows


def _load_followup(db: Database, followup_id: int) -> dict[str, Any]:
    row = ratings_db.followup(db, int(followup_id))
    if row is None:
        raise NotFound("rating.followup_not_found", id=followup_id)
    return row


def callback(db: Database, actor: Actor, followup_id: int, note: str) -> dict[str, Any]:
    """Record the call back to the applicant (what they said); needed before the follow-up can close."""
    require_role(actor, *BY_CODE["rating.callback"].roles)
    if not (note or "").strip():
        raise BadInput("rating.note_required")
    text = door.required_text(note, "note")
    with transaction(db):
        row = _load_followup(db, followup_id)
        if row["status"] == "closed":
            raise Refused("rating.followup_closed", id=row["id"])
        update_versioned(db, "rating_followups", row["id"], row["version"],
                         {"status": "called_back", "callback_note": text, "called_back_at": now_iso(),
                          "called_back_by": actor.login}, actor.login)
        audit.append(db, actor.audit_name, "rating.callback", case_id=row["case_id"], entity="rating_followup",
                     entity_id=row["id"], detail={"note": text})
    return _load_followup(db, followup_id)


def close(db: Database, actor: Actor, followup_id: int, remedy: str) -> dict[str, Any]:
    """Close a follow-up with the remedy; refused until the applicant has been called back."""
    require_role(actor, *BY_CODE["rating.close"].roles)
    if not (remedy or "").strip():
        raise BadInput("rating.remedy_required")
    text = door.required_text(remedy, "remedy")
    with transaction(db):
        row = _load_followup(db, followup_id)
        if row["status"] == "closed":
            raise Refused("rating.followup_closed", id=row["id"])
        if row["status"] != "called_back":
            raise Refused("rating.callback_first", id=row["id"])
        update_versioned(db, "rating_followups", row["id"], row["version"],
                         {"status": "closed", "remedy": text, "closed_at": now_iso(), "closed_by": actor.login}, actor.login)
        audit.append(db, actor.audit_name, "rating.close", case_id=row["case_id"], entity="rating_followup",
                     entity_id=row["id"], detail={"remedy": text})
    return _load_followup(db, followup_id)
