"""The schema, as an ordered list of migrations.

A migration is (version, description, SQL script) and is never edited once
released: a change is a new migration.  ``migrate`` applies the missing ones,
each in its own BEGIN IMMEDIATE transaction that re-reads the version first,
so two processes starting at once cannot apply one twice, and a crash leaves
the file at a whole version.

Tables are STRICT (a text in an integer column is an error, not a surprise
in a report).  Dates are ISO text (YYYY-MM-DD, months YYYY-MM, timestamps
from db.clock); JSON columns hold text that ``json_valid`` accepts.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from console import vocabulary
from console.errors import BadInput, Refused
from db.clock import now_iso
from db.connection import transaction

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database
    from db.hall_database import HallDatabase  # migrations use sqlite-utils (table_names, transforms)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str
    rebuilds: bool = False
    """It drops and recreates tables (db.migration_gen): run with foreign keys off, checked before commit."""


# The code lists live in console.vocabulary; these names stay for the modules that import
# them from here.  The released migrations below hold their own literal copies, frozen as
# released: a change to a list is a new migration (``python -m db.migration_gen``).
ROLES = vocabulary.ROLE.codes
DEPARTMENTS = vocabulary.DEPARTMENT.codes
CASE_STATUSES = vocabulary.CASE_STATUS.codes
CASE_KINDS = vocabulary.CASE_KIND.codes
TASK_STATUSES = vocabulary.TASK_STATUS.codes

V1 = """
CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT
) STRICT;

CREATE TABLE staff_roles (
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    role TEXT NOT NULL CHECK (role IN ('clerk', 'hrss_reviewer', 'medical', 'housing_fund', 'health', 'supervisor', 'admin')),
    PRIMARY KEY (staff_id, role)
) STRICT, WITHOUT ROWID;

CREATE TABLE employers (
    id INTEGER PRIMARY KEY,
    credit_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT,
    phone TEXT
) STRICT;

CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    id_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_initials TEXT,
    sex TEXT CHECK (sex IN ('M', 'F')),
    birth_date_id TEXT,
    hukou TEXT,
    phone TEXT,
    address TEXT,
    staff_category TEXT CHECK (staff_category IN ('worker', 'cadre', 'flexible')),
    female_group TEXT CHECK (female_group IN ('female50', 'female55')),
    employer_id INTEGER REFERENCES employers(id),
    archive_lost INTEGER NOT NULL DEFAULT 0 CHECK (archive_lost IN (0, 1)),
    insured_before_2011_07 INTEGER CHECK (insured_before_2011_07 IN (0, 1)),
    bank_card TEXT,
    created_at TEXT,
    updated_by TEXT,
    updated_at TEXT,
    version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX persons_name ON persons(name);
CREATE INDEX persons_name_initials ON persons(name_initials);
CREATE INDEX persons_employer ON persons(employer_id);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    case_no TEXT NOT NULL UNIQUE,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    kind TEXT NOT NULL DEFAULT 'normal' CHECK (kind IN ('normal', 'lost_archive', 'special_work', 'illness', 'work_injury')),
    status TEXT NOT NULL CHECK (status IN ('draft', 'awaiting_correction', 'accepted', 'in_progress', 'completed', 'delivered', 'refused', 'withdrawn')),
    joint_items TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(joint_items)),
    received_at TEXT,
    accepted_at TEXT,
    completed_at TEXT,
    chosen_month TEXT,
    policy_version TEXT,
    due_date TEXT,
    paused_since TEXT,
    paused_days INTEGER NOT NULL DEFAULT 0,
    assignee_id INTEGER REFERENCES staff(id),
    acceptance_notice_no TEXT,
    created_by TEXT,
    updated_by TEXT,
    created_at TEXT,
    updated_at TEXT,
    version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX cases_status ON cases(status);
CREATE INDEX cases_person ON cases(person_id);
CREATE INDEX cases_received_at ON cases(received_at);
CREATE INDEX cases_due_date ON cases(due_date);
CREATE INDEX cases_assignee ON cases(assignee_id);

CREATE TABLE case_counters (
    prefix TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
) STRICT, WITHOUT ROWID;

CREATE TABLE archive_records (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    doc_kind TEXT NOT NULL,
    doc_date TEXT,
    birth_date_recorded TEXT,
    altered INTEGER NOT NULL DEFAULT 0 CHECK (altered IN (0, 1)),
    altered_confirmed INTEGER NOT NULL DEFAULT 0 CHECK (altered_confirmed IN (0, 1)),
    note TEXT
) STRICT;
CREATE INDEX archive_records_person ON archive_records(person_id);

CREATE TABLE contribution_periods (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    from_month TEXT NOT NULL,
    to_month TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('actual', 'deemed')),
    place TEXT,
    base TEXT,
    evidence TEXT,
    UNIQUE (person_id, from_month, to_month, kind)
) STRICT;

CREATE TABLE materials (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    code TEXT NOT NULL,
    received INTEGER NOT NULL DEFAULT 0 CHECK (received IN (0, 1)),
    note TEXT,
    PRIMARY KEY (case_id, code)
) STRICT, WITHOUT ROWID;

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    department TEXT NOT NULL CHECK (department IN ('hrss', 'medical', 'housing_fund', 'health')),
    item TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('waiting', 'open', 'claimed', 'done', 'returned')),
    assignee_id INTEGER REFERENCES staff(id),
    result TEXT,
    missing TEXT,
    due_date TEXT,
    opened_at TEXT,
    done_at TEXT,
    updated_by TEXT,
    updated_at TEXT,
    version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX tasks_department_status ON tasks(department, status);
CREATE INDEX tasks_case ON tasks(case_id);

CREATE TABLE facts (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    person_id INTEGER REFERENCES persons(id),
    computed_at TEXT,
    policy_version TEXT,
    data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
    confirmed_by TEXT,
    confirmed_at TEXT,
    updated_by TEXT,
    updated_at TEXT,
    version INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    case_id INTEGER REFERENCES cases(id),
    kind TEXT NOT NULL,
    number TEXT UNIQUE,
    year INTEGER,
    body TEXT,
    data TEXT CHECK (data IS NULL OR json_valid(data)),
    issued_by TEXT,
    issued_at TEXT
) STRICT;
CREATE INDEX notices_case ON notices(case_id);

CREATE TABLE notice_counters (
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (kind, year)
) STRICT, WITHOUT ROWID;

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    courier TEXT,
    waybill TEXT,
    address TEXT,
    sent_at TEXT,
    delivered_at TEXT,
    returned_at TEXT,
    note TEXT,
    updated_by TEXT,
    updated_at TEXT,
    version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX deliveries_case ON deliveries(case_id);

CREATE TABLE holiday_overrides (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    note TEXT
) STRICT, WITHOUT ROWID;

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    at TEXT NOT NULL,
    channel TEXT,
    note TEXT,
    staff_id INTEGER REFERENCES staff(id)
) STRICT;
CREATE INDEX contacts_person ON contacts(person_id);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id INTEGER,
    task_id INTEGER,
    entity TEXT,
    entity_id TEXT,
    detail TEXT CHECK (detail IS NULL OR json_valid(detail)),
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_case ON audit(case_id);
CREATE INDEX audit_task ON audit(task_id);
CREATE INDEX audit_entity ON audit(entity, entity_id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only: DELETE refused');
END;
"""

V2 = """
ALTER TABLE cases ADD COLUMN pauses TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(pauses));
ALTER TABLE cases ADD COLUMN delay_cause TEXT NOT NULL DEFAULT 'none' CHECK (delay_cause IN ('none', 'applicant', 'office'));
CREATE INDEX tasks_status_due ON tasks(status, due_date);
"""
"""v2: a case's clock pauses (while awaiting correction) as a JSON list of
[paused_from, resumed_on] so the clock can be replayed for any day, and who
caused a late approval (it decides the benefit start)."""

V3 = """
CREATE TABLE person_status (
    person_id INTEGER PRIMARY KEY REFERENCES persons(id),
    grp TEXT NOT NULL,
    birth_month TEXT,
    birth_source TEXT,
    statutory_month TEXT,
    earliest_month TEXT,
    latest_month TEXT,
    min_months INTEGER,
    counted_months INTEGER NOT NULL DEFAULT 0,
    short_months INTEGER NOT NULL DEFAULT 0,
    total_months INTEGER NOT NULL DEFAULT 0,
    outside_months INTEGER NOT NULL DEFAULT 0,
    deemed_months INTEGER NOT NULL DEFAULT 0,
    birth_mismatch INTEGER NOT NULL DEFAULT 0,
    archive_lost INTEGER NOT NULL DEFAULT 0,
    policy_version TEXT NOT NULL,
    computed_at TEXT NOT NULL
) STRICT;
CREATE INDEX person_status_month ON person_status(statutory_month);
CREATE INDEX cases_person_status ON cases(person_id, status);

-- A person's retirement facts are stale as soon as anything they rest on changes.
CREATE TRIGGER person_status_stale_person AFTER UPDATE OF sex, birth_date_id, staff_category, female_group,
    archive_lost, employer_id ON persons
BEGIN
    DELETE FROM person_status WHERE person_id = NEW.id;
END;
CREATE TRIGGER person_status_stale_period_ins AFTER INSERT ON contribution_periods
BEGIN
    DELETE FROM person_status WHERE person_id = NEW.person_id;
END;
CREATE TRIGGER person_status_stale_period_upd AFTER UPDATE ON contribution_periods
BEGIN
    DELETE FROM person_status WHERE person_id IN (OLD.person_id, NEW.person_id);
END;
CREATE TRIGGER person_status_stale_period_del AFTER DELETE ON contribution_periods
BEGIN
    DELETE FROM person_status WHERE person_id = OLD.person_id;
END;
CREATE TRIGGER person_status_stale_archive_ins AFTER INSERT ON archive_records
BEGIN
    DELETE FROM person_status WHERE person_id = NEW.person_id;
END;
CREATE TRIGGER person_status_stale_archive_upd AFTER UPDATE ON archive_records
BEGIN
    DELETE FROM person_status WHERE person_id IN (OLD.person_id, NEW.person_id);
END;
CREATE TRIGGER person_status_stale_archive_del AFTER DELETE ON archive_records
BEGIN
    DELETE FROM person_status WHERE person_id = OLD.person_id;
END;
"""
"""v3: every insured person's statutory retirement month and flags, indexed
by month for the pre-retirement list; triggers drop a row the moment the
data under it changes, so a stale fact is recomputed, never shown."""

V4 = """
CREATE INDEX person_status_policy ON person_status(policy_version);
"""
"""v4: the pre-retirement list checks for rows of another policy version on every call."""

V5 = """
CREATE INDEX cases_status_due ON cases(status, due_date);
CREATE INDEX tasks_dept_status_case ON tasks(department, status, case_id);
DROP INDEX tasks_department_status;
"""
"""v5: the queue's overdue / due-soon and department filters at 100,000 cases."""

V6 = """
ALTER TABLE persons ADD COLUMN average_index TEXT;
ALTER TABLE persons ADD COLUMN account_balance TEXT;
"""
"""v6: the two figures of a pension estimate that only the social-insurance
system knows (average indexed contribution wage index, personal account
balance), imported with the roster; decimals kept as text."""

V7 = """
CREATE TABLE staff_roles_v7 (
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    role TEXT NOT NULL CHECK (role IN ('clerk', 'hrss_reviewer', 'medical', 'housing_fund', 'health', 'supervisor', 'admin', 'auditor')),
    PRIMARY KEY (staff_id, role)
) STRICT, WITHOUT ROWID;
INSERT INTO staff_roles_v7 (staff_id, role) SELECT staff_id, role FROM staff_roles;
DROP TABLE staff_roles;
ALTER TABLE staff_roles_v7 RENAME TO staff_roles;

CREATE TABLE hall_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    set_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
"""
"""v7: the auditor role (reads and verifies the audit trail, nothing else;
等保2.0 separates audit duties from system and business ones), and a small
key/value table for facts about the hall itself: whether it is a demo hall
(written once, when the demo creates the file), the audit MAC scheme."""

V8 = """
ALTER TABLE tasks ADD COLUMN completed_by TEXT;
UPDATE tasks SET completed_by = (SELECT s.login FROM staff s WHERE s.id = tasks.assignee_id)
 WHERE status = 'done' AND assignee_id IS NOT NULL;
"""
"""v8: the login that completed a task.  Before it, a done task named only its
claimant (assignee); a task finished by a colleague on take-over named the wrong
person.  Done tasks of older halls take their claimant, the best record there is."""

V9 = """
CREATE TABLE promises (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    material TEXT NOT NULL,
    joint_item TEXT,
    promised_on TEXT NOT NULL,
    deadline TEXT NOT NULL,
    limit_days INTEGER NOT NULL CHECK (limit_days >= 0),
    on_expiry TEXT NOT NULL CHECK (on_expiry IN ('hold', 'withdraw')),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'fulfilled', 'enforced')),
    notice_no TEXT,
    held_tasks TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(held_tasks)),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_by TEXT,
    closed_at TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    updated_by TEXT,
    updated_at TEXT,
    UNIQUE (case_id, material)
) STRICT;
CREATE INDEX promises_open_deadline ON promises(status, deadline);
"""
"""v9: acceptance on a written promise (容缺受理 / 承诺办, 国发〔2024〕3号): one row per
material promised on a case, its deadline in working days, what happens when it
passes (hold the joint item's tasks or withdraw the acceptance), and who closed it."""

V10 = """
-- generated by python -m db.migration_gen; rebuilds tasks
-- tasks.status: waiting, open, claimed, done, returned -> waiting, open, claimed, done, returned, held

CREATE TABLE tasks_v10 (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    department TEXT NOT NULL CHECK (department IN ('hrss', 'medical', 'housing_fund', 'health')),
    item TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('waiting', 'open', 'claimed', 'done', 'returned', 'held')),
    assignee_id INTEGER REFERENCES staff(id),
    result TEXT,
    missing TEXT,
    due_date TEXT,
    opened_at TEXT,
    done_at TEXT,
    updated_by TEXT,
    updated_at TEXT,
    version INTEGER NOT NULL DEFAULT 1
, completed_by TEXT) STRICT;
INSERT INTO tasks_v10 (id, case_id, department, item, status, assignee_id, result, missing, due_date, opened_at, done_at,
  updated_by, updated_at, version, completed_by)
 SELECT id, case_id, department, item, status, assignee_id, result, missing, due_date, opened_at, done_at,
  updated_by, updated_at, version, completed_by FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_v10 RENAME TO tasks;
CREATE INDEX tasks_case ON tasks(case_id);
CREATE INDEX tasks_dept_status_case ON tasks(department, status, case_id);
CREATE INDEX tasks_status_due ON tasks(status, due_date);
"""
"""v10: the CHECK lists of tasks.status follow
console.vocabulary (generated by db.migration_gen; frozen once released)."""

V11 = """
CREATE TABLE ratings (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL UNIQUE REFERENCES cases(id),
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    channel TEXT NOT NULL CHECK (channel IN ('window', 'phone', 'online', 'device')),
    comment TEXT,
    rated_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
) STRICT;
CREATE INDEX ratings_rated_at ON ratings(rated_at);

CREATE TABLE rating_followups (
    id INTEGER PRIMARY KEY,
    rating_id INTEGER NOT NULL UNIQUE REFERENCES ratings(id),
    case_id INTEGER NOT NULL REFERENCES cases(id),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'called_back', 'closed')),
    opened_on TEXT NOT NULL,
    due_date TEXT NOT NULL,
    callback_note TEXT,
    called_back_at TEXT,
    called_back_by TEXT,
    remedy TEXT,
    closed_at TEXT,
    closed_by TEXT,
    updated_by TEXT,
    updated_at TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    CHECK (status = 'open' OR callback_note IS NOT NULL),
    CHECK (status <> 'closed' OR remedy IS NOT NULL)
) STRICT;
CREATE INDEX rating_followups_status_due ON rating_followups(status, due_date);
"""
"""v11: service ratings (好差评, GB/T 39734/39735): one rating per case (one
service, one rating), five levels, the channel it came by; and the follow-up a
bad rating (level 1-2) opens for the supervisor, which closes only with a
callback record and a remedy (the CHECKs hold that even against a script)."""

V12 = """
ALTER TABLE contribution_periods ADD COLUMN arrears INTEGER NOT NULL DEFAULT 0 CHECK (arrears IN (0, 1));
ALTER TABLE tasks ADD COLUMN reason TEXT CHECK (reason IS NULL OR json_valid(reason));
"""
"""v12: a contribution period the record holds as owed (欠费, 应缴未缴: imported so or a
gap the hall marks), which puts the arrears back-payment declaration on the case
(county plan 四（三）); and why a task was added to its case (the task plan's
reason as JSON: code, params, source), kept as it was at acceptance."""

V13 = """
ALTER TABLE cases ADD COLUMN kind_details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(kind_details) AND json_type(kind_details) = 'object');
UPDATE cases SET kind_details = (
    SELECT json_extract(a.detail, '$.kind_details') FROM audit a
     WHERE a.case_id = cases.id AND a.action IN ('case.open', 'case.kind_details')
       AND json_type(a.detail, '$.kind_details') = 'object'
     ORDER BY a.id DESC LIMIT 1)
 WHERE EXISTS (
    SELECT 1 FROM audit a
     WHERE a.case_id = cases.id AND a.action IN ('case.open', 'case.kind_details')
       AND json_type(a.detail, '$.kind_details') = 'object');
"""
"""v13: a case's retirement-type details (the special work and its months, the appraisal
or determination number) on the case itself, as a JSON object; a hall at V12 kept them
only in the audited opening or correction, so the last such row is copied in here."""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema: staff, persons, cases, tasks, notices, audit", V1),
    Migration(2, "case clock pauses and delay cause", V2),
    Migration(3, "person retirement status for the pre-retirement pipeline", V3),
    Migration(4, "index person status by policy version", V4),
    Migration(5, "queue filter indexes", V5),
    Migration(6, "pension estimate inputs on persons", V6),
    Migration(7, "auditor role and hall facts", V7),
    Migration(8, "who completed a task", V8),
    Migration(9, "promises: acceptance on a written promise", V9),
    Migration(10, "code lists: tasks.status", V10, rebuilds=True),
    Migration(11, "service ratings and bad-rating follow-ups", V11),
    Migration(12, "owed contribution periods; why a task was added", V12),
    Migration(13, "retirement-type details on the case", V13),
)
SCHEMA_VERSION = MIGRATIONS[-1].version

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL,
    description TEXT NOT NULL
) STRICT
"""


def current_version(db: Database | sqlite3.Connection) -> int:
    """The highest applied migration, 0 for a fresh (or foreign) file (a read-only connection will do)."""
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def _check_ours(db: HallDatabase) -> None:
    """Refuse to add our tables to some other application's database."""
    if current_version(db) == 0:
        others = [n for n in db.table_names() if not n.startswith("sqlite_") and n != "schema_version"]
        if others:
            raise BadInput("db.not_retire", tables=", ".join(sorted(others)[:5]))


def statements(script: str) -> Iterator[str]:
    """The statements of a migration script, one at a time.

    ``executescript`` would COMMIT the open transaction before it starts, so a
    crash half-way through a migration would leave half a schema; running the
    statements one by one keeps them inside ``migrate``'s BEGIN IMMEDIATE.
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    rest = "\n".join(x for x in pending.splitlines() if x.strip() and not x.strip().startswith("--"))
    if rest:
        yield rest


def _apply(db: HallDatabase, migration: Migration) -> bool:
    """Apply one migration in one transaction; False when it was already there."""
    with transaction(db):
        db.execute(_VERSION_TABLE)
        if current_version(db) >= migration.version:
            return False  # already there, or another process just applied it
        for statement in statements(migration.sql):
            db.conn.execute(statement)
        if migration.rebuilds:
            broken = db.conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise Refused("db.migration_breaks_keys", version=migration.version, table=str(broken[0][0]))
        db.execute(
            "INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)",
            [migration.version, now_iso(), migration.description],
        )
    return True


def migrate(db: HallDatabase) -> list[int]:
    """Apply the missing migrations; returns the versions applied (empty when up to date).

    A migration that rebuilds tables runs with foreign keys off (dropping a table
    that rows point at would otherwise fail or cascade) and is committed only when
    ``PRAGMA foreign_key_check`` finds every reference still valid.
    """
    _check_ours(db)
    if current_version(db) > SCHEMA_VERSION:
        raise Refused("db.schema_newer", found=current_version(db), known=SCHEMA_VERSION)
    applied: list[int] = []
    for migration in MIGRATIONS:
        if migration.version <= current_version(db):
            continue
        keys_on = bool(db.conn.execute("PRAGMA foreign_keys").fetchone()[0])
        if migration.rebuilds and keys_on:
            db.conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: set before it
        try:
            done = _apply(db, migration)
        finally:
            if migration.rebuilds and keys_on:
                db.conn.execute("PRAGMA foreign_keys = ON")
        if done:
            applied.append(migration.version)
    return applied
