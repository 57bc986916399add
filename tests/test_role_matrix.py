"""Every role x every use-case of the services layer, against console.services.role_matrix.MATRIX.

The service functions are called directly (never the CLI): a forbidden pair
must raise PermissionDenied and leave the database (every row of every
table) and its folder as they were; an allowed pair must pass the role gate
and do its work.  Each pair runs on its own copy of one prepared hall, which
holds a case at every stage a use-case needs.  docs/roles.md must carry the
table exactly as the matrix renders it.
"""
from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from console.errors import PermissionDenied
from console.services import (
    audit_log,
    case_archive,
    case_edits,
    case_queries,
    delivery,
    exporter,
    intake,
    maintenance,
    notices,
    person_records,
    prereview,
    prereview_edits,
    previews,
    promises,
    ratings,
    staff,
    stats,
    tasks,
    upcoming,
)
from console.services.identity import Actor, resolve_actor
from console.services.importing import run as importer
from console.services.role_matrix import BEGIN, END, MATRIX, render_markdown
from db import audit
from db import staff as staff_db
from db.connection import open_database, transaction
from db.schema import ROLES, migrate
from tests.workflow_helpers import BASIC_MATERIALS, TODAY, applicant, id_number, open_case, ready_case, record_prereview, task_ids

DOCS = Path(__file__).resolve().parents[1] / "docs" / "roles.md"
JOINT = ("health", "housing_fund", "medical")
LATE = date(2027, 1, 4)  # past the promise deadline of a case accepted on TODAY
JOINT_MATERIALS = (*BASIC_MATERIALS, "one_child_certificate")
EMPLOYERS_CSV = "credit_code,name\n91150222MA00000008,固阳县第1工贸有限公司\n"

SETUP_STAFF = {
    "s_clerk": ("clerk",), "s_rev": ("hrss_reviewer",), "s_med": ("medical",), "s_hf": ("housing_fund",),
    "s_health": ("health",), "s_admin": ("admin",), "s_sup": ("supervisor",), "target": ("clerk",),
}


def login_of(role: str) -> str:
    return f"as_{role}"


@dataclass
class Hall:
    """The prepared hall: where it is, and what each stage's case or task is."""

    folder: Path
    cases: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)
    person: str = ""
    backup: Path | None = None
    followup: int = 0


def _add_staff(db: sqlite_utils.Database, login: str, roles: tuple[str, ...]) -> None:
    with transaction(db):
        staff_db.insert(db, login, login, roles)
        audit.append(db, "test", "staff.add", entity="staff", entity_id=login, detail={"roles": sorted(roles)})


def _finish_hrss(db: sqlite_utils.Database, reviewer: Actor, case_no: str) -> None:
    """Claim and complete every task of a case without joint items (HRSS only, all reviewer-doable)."""
    for _ in range(4):
        for tid in task_ids(db, case_no).values():
            status = db.execute("SELECT status FROM tasks WHERE id = ?", [tid]).fetchone()[0]
            if status in ("open", "returned"):
                tasks.claim(db, reviewer, tid)
                tasks.complete(db, reviewer, tid, "办结", today=TODAY)


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Hall:
    folder = tmp_path_factory.mktemp("matrix")
    h = Hall(folder)
    db = open_database(folder / "hall.db")
    try:
        migrate(db)
        for role in ROLES:
            _add_staff(db, login_of(role), (role,))
        for login, roles in SETUP_STAFF.items():
            _add_staff(db, login, roles)
        clerk, reviewer, admin = (resolve_actor(db, x) for x in ("s_clerk", "s_rev", "s_admin"))
        h.cases["ready"] = ready_case(db, clerk, seq=11)
        h.cases["recorded"] = open_case(db, clerk, seq=35)  # a recorded pre-review awaiting the reviewer
        record_prereview(db, clerk, h.cases["recorded"])
        h.cases["missing"] = open_case(db, clerk, seq=13, received=("id_card_hukou", "personal_archive"))
        record_prereview(db, clerk, h.cases["missing"])
        h.cases["paused"] = open_case(db, clerk, seq=15, received=("id_card_hukou", "personal_archive"))
        record_prereview(db, clerk, h.cases["paused"])
        intake.request_correction(db, clerk, h.cases["paused"], today=TODAY)
        # accepted, pre-review confirmed, approval still open (HRSS tasks and the approval to act on)
        h.cases["accepted"] = ready_case(db, clerk, seq=17, joint=JOINT, received=JOINT_MATERIALS)
        intake.accept_case(db, clerk, h.cases["accepted"], today=TODAY)
        ids = task_ids(db, h.cases["accepted"])
        h.tasks["hrss"], h.tasks["approval"] = ids["hrss.card"], ids["hrss.approval"]
        # accepted and approved: every department's task is open
        h.cases["approved"] = ready_case(db, clerk, seq=19, joint=JOINT, received=JOINT_MATERIALS)
        intake.accept_case(db, clerk, h.cases["approved"], today=TODAY)
        ids = task_ids(db, h.cases["approved"])
        tasks.claim(db, reviewer, ids["hrss.approval"])
        tasks.complete(db, reviewer, ids["hrss.approval"], "审批通过", today=TODAY)
        h.tasks["medical"], h.tasks["housing_fund"], h.tasks["health"] = (
            ids["medical.transfer"], ids["housing_fund.withdrawal"], ids["health.reward"])
        # completed (ready to send) and sent (waiting for the courier's word)
        for stage, seq in (("completed", 21), ("sent", 23)):
            h.cases[stage] = ready_case(db, clerk, seq=seq, joint=())
            intake.accept_case(db, clerk, h.cases[stage], today=TODAY)
            _finish_hrss(db, reviewer, h.cases[stage])
        delivery.send(db, clerk, h.cases["sent"], "EMS", "1100000000001")
        h.cases["returned"] = ready_case(db, clerk, seq=37, joint=())  # a parcel that came back, to re-address
        intake.accept_case(db, clerk, h.cases["returned"], today=TODAY)
        _finish_hrss(db, reviewer, h.cases["returned"])
        delivery.send(db, clerk, h.cases["returned"], "EMS", "1100000000003")
        delivery.returned(db, clerk, h.cases["returned"], "查无此人")
        # missing only the only-child certificate: one to accept on a promise, one accepted so
        h.cases["promisable"] = ready_case(db, clerk, seq=27, joint=("health",))
        h.cases["promised"] = ready_case(db, clerk, seq=29, joint=("health",))
        promises.accept_on_promise(db, clerk, h.cases["promised"], ["one_child_certificate"], today=TODAY)
        # a completed case rated badly: its follow-up for the supervisor's use-cases
        h.cases["rated"] = ready_case(db, clerk, seq=31, joint=())
        intake.accept_case(db, clerk, h.cases["rated"], today=TODAY)
        _finish_hrss(db, reviewer, h.cases["rated"])
        h.followup = ratings.add(db, clerk, h.cases["rated"], 2)["followup"]["id"]
        # a person with no case, for the upcoming-retirement use-cases
        intake.register_applicant(db, clerk, applicant(25, "李四"))
        h.person = id_number(25)
        h.backup = folder / "source.bak"
        maintenance.backup(db, admin, h.backup)
        assert {r[0] for r in db.execute("SELECT status FROM cases")} >= {
            "draft", "awaiting_correction", "accepted", "in_progress", "completed"}
    finally:
        db.close()
    (folder / "employers.csv").write_text(EMPLOYERS_CSV, encoding="utf-8")
    return h


# -- one cell ---------------------------------------------------------------------

@dataclass
class Cell:
    """What one pair runs on: its own copy of the hall, the actor, and the hall's landmarks."""

    hall: Hall
    folder: Path
    path: Path
    db: sqlite_utils.Database
    actor: Actor

    def setup_actor(self, login: str) -> Actor:
        return resolve_actor(self.db, login)

    def in_department(self, department: str) -> bool:
        return self.actor.in_department(department)


Prepare = Callable[[Cell], None]
Call = Callable[[Cell], Any]


def _claim_first(task: str, department: str, setup_login: str, reviewer_only: bool = False) -> Prepare:
    """Before completing: the actor holds the task if they may, else a colleague who may does."""

    def prepare(c: Cell) -> None:
        tid = c.hall.tasks[task]
        may = c.in_department(department) and (not reviewer_only or c.actor.has_role("hrss_reviewer"))
        tasks.claim(c.db, c.actor if may else c.setup_actor(setup_login), tid)

    return prepare


def _restore(c: Cell) -> Any:
    assert c.hall.backup is not None
    c.db.close()
    try:
        return maintenance.restore(c.path, c.actor, c.hall.backup, force=True)
    finally:
        c.db = open_database(c.path, create=False)


def _delivered(c: Cell) -> None:
    """Before filing: the sent case's parcel arrived (a colleague at the window recorded it)."""
    delivery.delivered(c.db, c.setup_actor("s_clerk"), c.hall.cases["sent"])


def _archived(c: Cell) -> None:
    """Before verifying: a clerk filed the delivered case into the cell's folder."""
    _delivered(c)
    case_archive.archive_case(c.db, c.setup_actor("s_clerk"), c.hall.cases["sent"], c.folder)


def _filter() -> Any:
    return case_queries.build_filter()


CALLS: dict[str, tuple[Call, Prepare | None]] = {
    "person.register": (lambda c: intake.register_applicant(c.db, c.actor, applicant(31, "王五")), None),
    "case.open": (lambda c: intake.open_case(c.db, c.actor, applicant(33, "赵六"), "normal", [], list(BASIC_MATERIALS), today=TODAY), None),
    "case.materials": (lambda c: intake.resume_case(c.db, c.actor, c.hall.cases["paused"], ["ssc_card"], today=TODAY), None),
    "case.correction": (lambda c: intake.request_correction(c.db, c.actor, c.hall.cases["missing"], today=TODAY), None),
    "case.refuse": (lambda c: intake.refuse_case(c.db, c.actor, c.hall.cases["ready"], "申请人撤回材料", today=TODAY), None),
    "case.accept": (lambda c: intake.accept_case(c.db, c.actor, c.hall.cases["ready"], today=TODAY), None),
    "promise.accept": (lambda c: promises.accept_on_promise(c.db, c.actor, c.hall.cases["promisable"], ["one_child_certificate"],
                                                            today=TODAY), None),
    "promise.paper": (lambda c: promises.paper_arrived(c.db, c.actor, c.hall.cases["promised"], "one_child_certificate", today=TODAY), None),
    "promise.list": (lambda c: promises.list_promises(c.db, c.actor, expired=True, today=LATE), None),
    "promise.enforce": (lambda c: promises.enforce(c.db, c.actor, today=LATE), None),
    "prereview.record": (lambda c: record_prereview(c.db, c.actor, c.hall.cases["missing"]), None),
    "prereview.preview": (lambda c: prereview.preview(c.db, c.actor, c.hall.cases["ready"], today=TODAY), None),
    "prereview.confirm": (lambda c: prereview.confirm(c.db, c.actor, c.hall.cases["recorded"]), None),
    "prereview.state": (lambda c: prereview_edits.prereview_state(c.db, c.actor, c.hall.cases["ready"]), None),
    "person.lookup": (lambda c: person_records.person_by_id_number(c.db, c.actor, c.hall.person), None),
    "task.claim.hrss": (lambda c: tasks.claim(c.db, c.actor, c.hall.tasks["hrss"]), None),
    "task.complete.hrss": (lambda c: tasks.complete(c.db, c.actor, c.hall.tasks["hrss"], "社保卡已变更", today=TODAY),
                           _claim_first("hrss", "hrss", "s_clerk")),
    "task.return.hrss": (lambda c: tasks.return_task(c.db, c.actor, c.hall.tasks["hrss"], "缺照片"), None),
    "task.claim.approval": (lambda c: tasks.claim(c.db, c.actor, c.hall.tasks["approval"]), None),
    "task.complete.approval": (lambda c: tasks.complete(c.db, c.actor, c.hall.tasks["approval"], "审批通过", today=TODAY),
                               _claim_first("approval", "hrss", "s_rev", reviewer_only=True)),
    "task.list": (lambda c: tasks.list_for(c.db, c.actor, "medical"), None),
    "delivery.send": (lambda c: delivery.send(c.db, c.actor, c.hall.cases["completed"], "EMS", "1100000000002"), None),
    "delivery.delivered": (lambda c: delivery.delivered(c.db, c.actor, c.hall.cases["sent"]), None),
    "delivery.returned": (lambda c: delivery.returned(c.db, c.actor, c.hall.cases["sent"], "地址不详"), None),
    "delivery.readdress": (lambda c: delivery.readdress(c.db, c.actor, c.hall.cases["returned"], "固阳县金山镇9号", "EMS",
                                                        "1100000000004"), None),
    "person.edit": (lambda c: case_edits.edit_person(c.db, c.actor, c.hall.person, {"phone": "13900000009"}), None),
    "case.edit": (lambda c: case_edits.edit_case(c.db, c.actor, c.hall.cases["accepted"], remove=["health"], today=TODAY), None),
    "case.withdraw": (lambda c: case_edits.withdraw_case(c.db, c.actor, c.hall.cases["ready"], "申请人撤回"), None),
    "notice.issue": (lambda c: notices.issue_document(c.db, c.actor, c.hall.cases["accepted"], "approval_form", today=TODAY), None),
    "notice.read": (lambda c: (notices.list_notices(c.db, c.actor, c.hall.cases["accepted"]),
                               notices.get_notice(c.db, c.actor, c.hall.cases["accepted"], "acceptance")), None),
    "notice.preview": (lambda c: previews.preview_text(c.db, c.actor, c.hall.cases["accepted"], "approval_form", today=TODAY), None),
    "case.show": (lambda c: case_queries.show(c.db, c.actor, c.hall.cases["accepted"], today=TODAY), None),
    "case.list": (lambda c: case_queries.list_cases(c.db, c.actor, _filter(), today=TODAY), None),
    "stats.dashboard": (lambda c: stats.dashboard(c.db, c.actor, today=TODAY), None),
    "import": (lambda c: importer.run_import(c.db, c.actor, "employers", c.hall.folder / "employers.csv", today=TODAY), None),
    "export.masked": (lambda c: exporter.export(c.db, c.actor, "cases", _filter(), out=c.folder / "out.csv", today=TODAY), None),
    "export.unmasked": (lambda c: exporter.export(c.db, c.actor, "cases", _filter(), out=c.folder / "full.csv", unmasked=True, today=TODAY), None),
    "upcoming.list": (lambda c: upcoming.list_upcoming(c.db, c.actor, today=TODAY), None),
    "upcoming.start": (lambda c: upcoming.start_prereview(c.db, c.actor, c.hall.person, today=TODAY), None),
    "upcoming.told": (lambda c: upcoming.record_contact(c.db, c.actor, c.hall.person, "phone", "电话告知"), None),
    "staff.list": (lambda c: staff.list_staff(c.db, c.actor), None),
    "staff.add": (lambda c: staff.add_staff(c.db, c.actor, "newcomer", "新人", ["clerk"]), None),
    "staff.disable": (lambda c: staff.disable_staff(c.db, c.actor, "target"), None),
    "staff.grant": (lambda c: staff.change_roles(c.db, c.actor, "target", grant=["supervisor"]), None),
    "staff.revoke": (lambda c: staff.change_roles(c.db, c.actor, "target", grant=["health"], revoke=["clerk"]), None),
    "archive.make": (lambda c: case_archive.archive_case(c.db, c.actor, c.hall.cases["sent"], c.folder), _delivered),
    "archive.verify": (lambda c: case_archive.verify_package(c.db, c.actor, c.folder / c.hall.cases["sent"]), _archived),
    "audit.read": (lambda c: audit_log.case_history(c.db, c.actor, c.hall.cases["accepted"]), None),
    "audit.trail": (lambda c: audit_log.trail(c.db, c.actor), None),
    "audit.verify": (lambda c: audit_log.verify(c.db, c.actor), None),
    "audit.anchor": (lambda c: audit_log.anchor(c.db, c.actor, c.folder / "anchors.jsonl"), None),
    "db.backup": (lambda c: maintenance.backup(c.db, c.actor, c.folder / "copy.bak"), None),
    "db.restore": (_restore, None),
    "db.doctor": (lambda c: maintenance.doctor(c.db, c.path), None),
    "rating.add": (lambda c: ratings.add(c.db, c.actor, c.hall.cases["completed"], 5), None),
    "rating.followups": (lambda c: ratings.followups(c.db, c.actor), None),
    "rating.callback": (lambda c: ratings.callback(c.db, c.actor, c.hall.followup, "已回访"), None),
    "rating.close": (lambda c: ratings.close(c.db, c.actor, c.hall.followup, "已整改"),
                     lambda c: ratings.callback(c.db, c.setup_actor("s_sup"), c.hall.followup, "已回访") and None),
}
for _dept, _setup in (("medical", "s_med"), ("housing_fund", "s_hf"), ("health", "s_health")):
    CALLS[f"task.claim.{_dept}"] = ((lambda d: lambda c: tasks.claim(c.db, c.actor, c.hall.tasks[d]))(_dept), None)
    CALLS[f"task.complete.{_dept}"] = (
        (lambda d: lambda c: tasks.complete(c.db, c.actor, c.hall.tasks[d], "已办结", today=TODAY))(_dept),
        _claim_first(_dept, _dept, _setup),
    )
    CALLS[f"task.return.{_dept}"] = ((lambda d: lambda c: tasks.return_task(c.db, c.actor, c.hall.tasks[d], "缺材料"))(_dept), None)


def _state(c: Cell) -> tuple[str, list[str]]:
    """Every row of every table (a hash) and the files of the cell's folder."""
    digest = hashlib.sha256()
    for line in c.db.conn.iterdump():
        digest.update(line.encode("utf-8"))
    files = sorted(p.name for p in c.folder.iterdir() if not p.name.endswith(("-wal", "-shm")))
    return digest.hexdigest(), files


def _cell(hall: Hall, tmp_path: Path, role: str) -> Cell:
    path = tmp_path / "hall.db"
    shutil.copyfile(hall.folder / "hall.db", path)
    db = open_database(path, create=False)
    return Cell(hall, tmp_path, path, db, resolve_actor(db, login_of(role)))


PAIRS = [(u.code, role) for u in MATRIX for role in ROLES]


def test_every_use_case_of_the_matrix_is_exercised() -> None:
    assert sorted(CALLS) == sorted(u.code for u in MATRIX)


@pytest.mark.parametrize(("code", "role"), PAIRS, ids=[f"{c}-{r}" for c, r in PAIRS])
def test_role_matrix(hall: Hall, tmp_path: Path, code: str, role: str) -> None:
    use = next(u for u in MATRIX if u.code == code)
    call, prepare = CALLS[code]
    c = _cell(hall, tmp_path, role)
    try:
        if prepare is not None:
            prepare(c)
        if role in use.roles:
            try:
                call(c)
            except PermissionDenied as err:  # pragma: no cover - the failure message
                pytest.fail(f"{role} may {code} ({use.service}) but was refused: {err.text('en')}")
        else:
            before = _state(c)
            with pytest.raises(PermissionDenied):
                call(c)
            assert _state(c) == before, f"{role} was refused {code} but something changed"
    finally:
        c.db.close()


def test_the_docs_carry_the_matrix() -> None:
    text = DOCS.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    assert text[start:end] == render_markdown(), "docs/roles.md is stale: paste `python -m console.services.role_matrix`"
