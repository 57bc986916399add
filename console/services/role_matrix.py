"""Who may do what: every use-case of the services layer and the roles allowed it.

This table is the contract.  ``tests/test_role_matrix.py`` walks every role
against every row, calling the service functions themselves (not the CLI),
and requires each forbidden pair to raise PermissionDenied with the
database unchanged and each allowed pair to pass; ``docs/roles.md`` carries
the same table as rendered by ``render_markdown`` (a test compares them), so
the documentation cannot drift from what the code enforces.

The services keep their own role tuples (``INTAKE_ROLES`` and friends) next
to the code they guard; this table is the independent statement they are
checked against.  The principles (等保2.0 level 3: least privilege, system /
security / audit duties kept apart):

- business roles (clerk, hrss_reviewer, medical, housing_fund, health,
  supervisor) work cases and never manage staff;
- admin manages accounts (never their own roles), backups and imports, and
  reads cases to support the hall, but does no casework;
- auditor reads and verifies the audit trail and nothing else: no case
  reads, no business, no staff management.
"""
from __future__ import annotations

from dataclasses import dataclass

from console.vocabulary import JOINT_ITEMS, ROLE, ROLE_DEPARTMENT

ROLES: tuple[str, ...] = ROLE.codes

CASE_READERS: tuple[str, ...] = tuple(r for r in ROLES if r != "auditor")
"""Who may read cases, tasks, notices, exports and statistics: every role but the auditor."""

INTAKE = ("clerk", "supervisor")
PREREVIEW = ("clerk", "hrss_reviewer", "supervisor")
HRSS_TASKS = ("clerk", "hrss_reviewer")


@dataclass(frozen=True)
class UseCase:
    code: str
    service: str  # module.function in console.services
    roles: tuple[str, ...]
    what: str  # one line for docs/roles.md


def _joint_department_tasks() -> tuple[UseCase, ...]:
    """Claim, complete and return for each joint department, by the roles that work it (a new department has them too)."""
    out: list[UseCase] = []
    for dept in JOINT_ITEMS:
        roles = tuple(role for role, works in ROLE_DEPARTMENT.items() if works == dept)
        name = dept.replace("_", " ")  # the code, not the catalogue: this module is on the lookup path
        out += [
            UseCase(f"task.claim.{dept}", "tasks.claim", roles, f"claim a {name} task"),
            UseCase(f"task.complete.{dept}", "tasks.complete", roles, f"complete a {name} task"),
            UseCase(f"task.return.{dept}", "tasks.return_task", roles, f"return a {name} task"),
        ]
    return tuple(out)


MATRIX: tuple[UseCase, ...] = (
    UseCase("person.register", "intake.register_applicant", INTAKE, "register or update an applicant"),
    UseCase("case.open", "intake.open_case", INTAKE, "open a case at the window (intake)"),
    UseCase("person.edit", "case_edits.edit_person", INTAKE, "change an applicant's phone, address or bank card after registration"),
    UseCase("case.edit", "case_edits.edit_case", INTAKE, "add or remove a joint item (only while its task has not started)"),
    UseCase("case.withdraw", "case_edits.withdraw_case", INTAKE, "withdraw an open case at the applicant's word (撤回)"),
    UseCase("case.materials", "intake.resume_case", INTAKE, "record the materials brought after a correction notice"),
    UseCase("case.correction", "intake.request_correction", INTAKE, "issue a correction notice (一次性告知)"),
    UseCase("case.refuse", "intake.refuse_case", INTAKE, "refuse a case (不予受理)"),
    UseCase("case.accept", "intake.accept_case", INTAKE, "accept a case (受理): tasks are created"),
    UseCase("promise.accept", "promises.accept_on_promise", INTAKE, "accept on a written promise (容缺受理): the promise letter is issued"),
    UseCase("promise.paper", "promises.paper_arrived", INTAKE, "record a promised paper handed in: the promise closes"),
    UseCase("promise.list", "promises.list_promises", CASE_READERS, "list open and expired promises"),
    UseCase("promise.enforce", "promises.enforce", ("supervisor", "admin"), "apply the rule of expired promises (hold the item or withdraw)"),
    UseCase("prereview.record", "prereview.record", PREREVIEW, "record the archive and contribution periods"),
    UseCase("prereview.preview", "prereview.preview", PREREVIEW, "compute the pre-review without storing it"),
    UseCase("prereview.confirm", "prereview.confirm", ("hrss_reviewer",), "confirm the pre-review facts"),
    UseCase("prereview.state", "prereview_edits.prereview_state", PREREVIEW, "read a case's pre-review state"),
    UseCase("person.lookup", "person_records.person_by_id_number", PREREVIEW, "look a person up by ID number"),
    UseCase("task.claim.hrss", "tasks.claim", HRSS_TASKS, "claim an HRSS task (e.g. the social security card)"),
    UseCase("task.complete.hrss", "tasks.complete", HRSS_TASKS, "complete an HRSS task"),
    UseCase("task.return.hrss", "tasks.return_task", HRSS_TASKS, "return an HRSS task naming what is missing"),
    UseCase("task.claim.approval", "tasks.claim", ("hrss_reviewer",), "claim the retirement approval"),
    UseCase("task.complete.approval", "tasks.complete", ("hrss_reviewer",), "complete the retirement approval"),
    *_joint_department_tasks(),
    UseCase("task.list", "tasks.list_for", CASE_READERS, "list a department's tasks"),
    UseCase("delivery.send", "delivery.send", INTAKE, "hand the results to the courier"),
    UseCase("delivery.delivered", "delivery.delivered", INTAKE, "record the delivery"),
    UseCase("delivery.returned", "delivery.returned", INTAKE, "record a returned parcel"),
    UseCase("delivery.readdress", "delivery.readdress", INTAKE, "re-address a returned parcel and send it again"),
    UseCase("rating.add", "ratings.add", INTAKE, "record the applicant's rating of a finished case (好差评)"),
    UseCase("rating.followups", "ratings.followups", ("supervisor",), "list the follow-ups of bad ratings"),
    UseCase("rating.callback", "ratings.callback", ("supervisor",), "record the callback of a bad rating"),
    UseCase("rating.close", "ratings.close", ("supervisor",), "close a bad rating's follow-up with its remedy"),
    UseCase("notice.issue", "notices.issue_document", ("clerk", "hrss_reviewer", "supervisor"), "issue a form (joint form, approval form)"),
    UseCase("notice.read", "notices.list_notices", CASE_READERS, "list and reprint a case's notices"),
    UseCase("notice.preview", "previews.preview_text", ("clerk", "hrss_reviewer", "supervisor"),
            "preview a notice or form without a number (nothing stored)"),
    UseCase("case.show", "case_queries.show", CASE_READERS, "read one case"),
    UseCase("case.list", "case_queries.list_cases", CASE_READERS, "list the queue"),
    UseCase("stats.dashboard", "stats.dashboard", CASE_READERS, "the statistics dashboard"),
    UseCase("import", "importing.run.run_import", ("clerk", "supervisor", "admin"), "bulk import (nightly scripts)"),
    UseCase("export.masked", "exporter.export", CASE_READERS, "export with ID numbers masked"),
    UseCase("export.unmasked", "exporter.export", ("supervisor", "admin"), "export with full ID numbers (audited)"),
    UseCase("upcoming.list", "upcoming.list_upcoming", ("clerk", "hrss_reviewer", "supervisor", "admin"), "list upcoming retirements"),
    UseCase("upcoming.start", "upcoming.start_prereview", INTAKE, "open a case early for an upcoming retirement"),
    UseCase("upcoming.told", "upcoming.record_contact", PREREVIEW, "record that a person was told"),
    UseCase("staff.list", "staff.list_staff", ROLES, "list staff (who is who in the audit)"),
    UseCase("staff.add", "staff.add_staff", ("admin",), "add a staff member (never one's own login)"),
    UseCase("staff.disable", "staff.disable_staff", ("admin",), "disable a staff member"),
    UseCase("staff.grant", "staff.change_roles", ("admin",), "grant roles (never to one's own login)"),
    UseCase("staff.revoke", "staff.change_roles", ("admin",), "revoke roles (never one's own)"),
    UseCase("archive.make", "case_archive.archive_case", INTAKE, "file a finished case as an electronic case file (电子归档)"),
    UseCase("archive.verify", "case_archive.verify_package", ("supervisor", "auditor"),
            "verify a case file against its manifest and the audit chain"),
    UseCase("audit.read", "audit_log.case_history", ROLES, "read a case's audit trail"),
    UseCase("audit.trail", "audit_log.trail", ("supervisor", "auditor"), "read the whole audit trail"),
    UseCase("audit.verify", "audit_log.verify", ("supervisor", "auditor"), "verify the chain and its anchors (admins run the doctor)"),
    UseCase("audit.anchor", "audit_log.anchor", ("admin", "auditor"), "append the chain's head to the anchor log"),
    UseCase("db.backup", "maintenance.backup", ("supervisor", "admin"), "online backup"),
    UseCase("db.restore", "maintenance.restore", ("admin",), "restore from a checked backup"),
    UseCase("db.doctor", "maintenance.doctor", ROLES, "health checks (no login needed: cron runs it)"),
)

BY_CODE: dict[str, UseCase] = {u.code: u for u in MATRIX}

ROLE_HEADERS: dict[str, str] = {r: {"hrss_reviewer": "reviewer", "housing_fund": "housing"}.get(r, r) for r in ROLES}
"""A role's column header in docs/roles.md: its code, shortened where the column would be wide."""

BEGIN = "<!-- role-matrix:begin (rendered by console.services.role_matrix.render_markdown; tests/test_role_matrix.py checks it) -->"
END = "<!-- role-matrix:end -->"


def allowed(code: str, role: str) -> bool:
    return role in BY_CODE[code].roles


def render_markdown() -> str:
    """The table for docs/roles.md, between its markers."""
    head = "| use-case | service | " + " | ".join(ROLE_HEADERS[r] for r in ROLES) + " |"
    rule = "|---|---|" + "|".join(":-:" for _ in ROLES) + "|"
    lines = [BEGIN, head, rule]
    for u in MATRIX:
        marks = " | ".join("✓" if r in u.roles else "" for r in ROLES)
        lines.append(f"| {u.what} | `{u.service}` | {marks} |")
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":  # python -m console.services.role_matrix > table.md
    print(render_markdown())
