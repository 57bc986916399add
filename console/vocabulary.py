"""Every list of codes the product knows, in one place.

A code is what the database, the rules and the files speak (``housing_fund``,
``awaiting_correction``); a word is what a person reads (公积金中心).  Each
family of codes is a :class:`Family`: its codes in display order, and the
catalogue table that holds a word for each (``terms.<family>`` in every
``console/locales/<lang>/terms.toml``).  The database's CHECK constraints,
the services' state sets, the screens' filter cycles, the importer's aliases
and the demo all derive from here, so adding a department or a case kind is
one entry below, its catalogue lines, and one generated migration
(``python -m db.migration_gen``); ``tests/test_vocabulary.py`` compares this
module with the constraints of a freshly migrated database.

This module is a leaf: it imports nothing of ours, so db/ and rules/ may use it.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """One list of codes and the catalogue table that names them."""

    name: str
    codes: tuple[str, ...]
    terms: str
    """The catalogue table of the full word for each code (``terms.case_status``)."""
    short_terms: str | None = None
    """A second table with a short word where a column is narrow, if the family has one."""

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __iter__(self) -> Iterator[str]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def key(self, code: str) -> str:
        """The catalogue key of ``code``'s word: ``DEPARTMENT.key("hrss")`` -> ``terms.department.hrss``."""
        return f"{self.terms}.{code}"

    def short_key(self, code: str) -> str:
        """The catalogue key of ``code``'s short word (the full word when there is none)."""
        return f"{self.short_terms or self.terms}.{code}"

    def sql_list(self) -> str:
        """The codes as an SQL list, for a generated migration's CHECK (``'a', 'b'``)."""
        return sql_list(self.codes)


def sql_list(codes: tuple[str, ...]) -> str:
    """Codes as a literal SQL list (``'a', 'b'``): for query text built once at import, where a
    set of codes is part of the statement (and of the index the planner picks), not a parameter."""
    return ", ".join("'" + code.replace("'", "''") + "'" for code in codes)


def _family(name: str, *codes: str, short: bool = False) -> Family:
    return Family(name, tuple(codes), f"terms.{name}", f"terms.{name}_short" if short else None)


CASE_KIND = _family("case_kind", "normal", "lost_archive", "special_work", "illness", "work_injury", short=True)
CASE_STATUS = _family(
    "case_status",
    "draft", "awaiting_correction", "accepted", "in_progress",
    "completed", "delivered", "refused", "withdrawn",
    short=True,
)
DEPARTMENT = _family("department", "hrss", "medical", "housing_fund", "health", short=True)
ROLE = _family("role", "clerk", "hrss_reviewer", "medical", "housing_fund", "health", "supervisor", "admin", "auditor")
TASK_STATUS = _family("task_status", "waiting", "open", "claimed", "done", "returned", "held")
"""``held``: stopped because a promised paper did not arrive in time (console.services.promises)."""
SEX = _family("sex", "M", "F")
STAFF_CATEGORY = _family("staff_category", "worker", "cadre", "flexible")
AGE_GROUP = _family("age_group", "male", "female55", "female50", short=True)
"""The original statutory retirement age a person's delay is counted from (60, 55, 50)."""
FEMALE_GROUP = Family("female_group", ("female50", "female55"), AGE_GROUP.terms, AGE_GROUP.short_terms)
"""A woman's group where her category does not decide it; named with the age group's words."""
PERIOD_KIND = _family("period_kind", "actual", "deemed", short=True)
DELAY_CAUSE = _family("delay_cause", "none", "applicant", "office")
DAY_KIND = _family("day_kind", "holiday", "workday")
PROMISE_STATUS = _family("promise_status", "open", "fulfilled", "enforced")
"""A written promise (承诺书) to hand a paper in: still open, the paper came, or its rule was applied."""
PROMISE_ACTION = _family("promise_action", "hold", "withdraw")
"""What an unmet promise leads to: hold the joint item's tasks, or withdraw the acceptance."""
RATING_LEVEL = _family("rating_level", "1", "2", "3", "4", "5")
"""GB/T 39734 service rating (好差评): 非常不满意 (1) .. 非常满意 (5); the code is the level's digit."""
RATING_CHANNEL = _family("rating_channel", "window", "phone", "online", "device")
"""Where a rating was given: at the window (staff record it), by phone, online, or on the rating device."""
FOLLOWUP_STATUS = _family("followup_status", "open", "called_back", "closed")
"""A bad rating's follow-up: opened, the applicant called back, closed with a remedy."""
SPECIAL_WORK = _family("special_work", "high_altitude", "heavy_manual", "underground", "high_temperature", "other_harmful")
"""The kinds of special (arduous) work whose years count towards special-work retirement (console.rules.policy)."""

AUDIT_ACTION = _family(
    "audit_action",
    "person.register", "person.update", "person.contacted",
    "case.open", "case.accept", "case.correction_requested", "case.resume", "case.refuse", "case.complete",
    "case.archive", "case.kind_details", "case.edit", "case.withdraw", "person.edit",
    "prereview.compute", "prereview.changed_after_confirmation", "prereview.confirm", "prereview.recompute",
    "task.open", "task.claim", "task.take_over", "task.done", "task.return", "task.hold", "task.release",
    "task.paper_arrived", "task.applicant_told",
    "promise.accept", "promise.fulfilled", "promise.enforce",
    "delivery.send", "delivery.delivered", "delivery.returned", "delivery.readdress",
    "notice.issue", "notice.reissue", "notice.render_stored",
    "rating.add", "rating.followup_open", "rating.callback", "rating.close",
    "staff.bootstrap_admin", "staff.add", "staff.roles", "staff.grant_roles", "staff.disable",
    "import.persons", "import.employers", "import.archive", "import.contributions", "import.cases", "import.ratings",
    "export.unmasked", "export.raw",
    "db.backup", "db.restore",
)
"""What an audit row records (``audit.action``): tests/test_cli_audit_words.py finds every code the
code base writes and holds it to this list; words in ``[terms.audit_action]``.  No CHECK: an older
hall's rows keep the codes they were written with."""

FAMILIES: tuple[Family, ...] = (
    CASE_KIND, CASE_STATUS, DEPARTMENT, ROLE, TASK_STATUS,
    SEX, STAFF_CATEGORY, AGE_GROUP, FEMALE_GROUP, PERIOD_KIND, DELAY_CAUSE, DAY_KIND,
    PROMISE_STATUS, PROMISE_ACTION,
    RATING_LEVEL, RATING_CHANNEL, FOLLOWUP_STATUS,
    AUDIT_ACTION,
    SPECIAL_WORK,
)
"""Every family, for the parity and constraint tests and the migration generator."""

# --- sets of codes the workflow reasons about --------------------------------

SATISFIED_LEVELS: tuple[str, ...] = ("4", "5")
"""满意 and 非常满意: the numerator of the satisfaction rate (levels 4-5 over all ratings)."""
BAD_LEVELS: tuple[str, ...] = ("1", "2")
"""差评 (非常不满意, 不满意): each opens a follow-up for the supervisor (called back, remedied)."""
RATABLE_STATUSES: tuple[str, ...] = ("completed", "delivered")
"""A service can be rated once it is done: the results handed over or sent (delivery or completion)."""

OPEN_STATUSES: tuple[str, ...] = ("draft", "awaiting_correction", "accepted", "in_progress")
"""A case that is still being handled: one person has at most one."""
CLOSED_STATUSES: tuple[str, ...] = tuple(s for s in CASE_STATUS.codes if s not in OPEN_STATUSES)
RETIRED_STATUSES: tuple[str, ...] = ("completed", "delivered")
"""A retirement that was decided: the person is retired, a second retirement case is refused
(a refused or withdrawn case decided nothing and does not block)."""
DRAFT_STATUSES: tuple[str, ...] = ("draft", "awaiting_correction")
"""Before acceptance: the intake form may still change, the case may be refused."""
WORKING_STATUSES: tuple[str, ...] = ("accepted", "in_progress")
"""Accepted and not yet finished: the departments' tasks are running."""
FINISHED_STATUSES: tuple[str, ...] = ("completed", "delivered")
"""Closed with a result: the retirement was approved (and perhaps the papers delivered)."""
QUEUE_HIDDEN_STATUSES: tuple[str, ...] = ("withdrawn",)
"""Statuses the queue's status filter does not cycle through (still searchable)."""

ACTIVE_TASK_STATUSES: tuple[str, ...] = ("open", "claimed", "returned")
"""A task a department has to act on."""
CLAIMABLE_TASK_STATUSES: tuple[str, ...] = ("open", "returned")
RETURNABLE_TASK_STATUSES: tuple[str, ...] = ("open", "claimed")
HOLDABLE_TASK_STATUSES: tuple[str, ...] = ("waiting", "open", "claimed", "returned")
"""A task an unmet promise may hold (anything not done and not already held)."""
"""A task its department may send back naming what is missing (before or after claiming it)."""
PENDING_TASK_STATUSES: tuple[str, ...] = ("waiting", *ACTIVE_TASK_STATUSES, "held")
"""Not done yet: waiting for an earlier task, or for the department to act."""
TASK_ATTENTION_ORDER: tuple[str, ...] = ("held", "returned", "open", "claimed", "waiting", "done")
"""Most urgent first, for sorting a case's tasks."""

LEAD_DEPARTMENT = "hrss"
"""The department that approves the retirement; the others are joint items."""
JOINT_ITEMS: tuple[str, ...] = tuple(d for d in DEPARTMENT.codes if d != LEAD_DEPARTMENT)
"""Items an applicant may ask for on the one form, one per other department."""

ROLE_DEPARTMENT: dict[str, str] = {
    "clerk": "hrss",
    "hrss_reviewer": "hrss",
    "medical": "medical",
    "housing_fund": "housing_fund",
    "health": "health",
}
"""The department whose tasks a role works; supervisor, admin and auditor have none."""


def check_consistent() -> None:
    """Fail loudly if the sets above name a code their family does not have."""
    pairs = [
        (CASE_STATUS, OPEN_STATUSES), (CASE_STATUS, DRAFT_STATUSES), (CASE_STATUS, WORKING_STATUSES),
        (CASE_STATUS, QUEUE_HIDDEN_STATUSES), (CASE_STATUS, FINISHED_STATUSES),
        (TASK_STATUS, ACTIVE_TASK_STATUSES), (TASK_STATUS, PENDING_TASK_STATUSES),
        (TASK_STATUS, CLAIMABLE_TASK_STATUSES), (TASK_STATUS, RETURNABLE_TASK_STATUSES),
        (TASK_STATUS, HOLDABLE_TASK_STATUSES), (TASK_STATUS, TASK_ATTENTION_ORDER),
        (DEPARTMENT, JOINT_ITEMS), (DEPARTMENT, tuple(ROLE_DEPARTMENT.values())), (ROLE, tuple(ROLE_DEPARTMENT)),
        (DEPARTMENT, (LEAD_DEPARTMENT,)),
        (RATING_LEVEL, SATISFIED_LEVELS), (RATING_LEVEL, BAD_LEVELS), (CASE_STATUS, RATABLE_STATUSES),
    ]
    for family, codes in pairs:
        unknown = [c for c in codes if c not in family.codes]
        if unknown:
            raise ValueError(f"vocabulary: {unknown} not in {family.name}")
