"""The pre-retirement pipeline: who reaches retirement soon, and what stands in the way.

Every person's statutory month and flags are computed by the rules engine
and stored (db/person_status.py); triggers drop a row when its inputs
change, and a change of policy version drops them all, so the list never
shows a stale fact.  The recompute reads the county in batches of persons,
each read, computed and written in one transaction.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.errors import BadInput, NotFound
from console.i18n import t
from console.rules.birth_date import decide_birth_date
from console.rules.contribution_minimum import minimum_contribution
from console.rules.flexible import flexible_window
from console.rules.intervals import summarise
from console.rules.months import Month
from console.rules.parameters import LocalParameters, policy_version
from console.rules.retirement_age import group_for, statutory_retirement
from console.rules.retirement_facts import PersonFacts
from console.services import door
from console.services.identity import Actor, require_role
from console.services.person_facts import build_person_facts
from console.services.role_matrix import BY_CODE
from console.settings import load_hall, load_parameters
from db import audit
from db import person_status as status_db
from db import persons as persons_db
from db.clock import now_iso
from db.connection import transaction

if TYPE_CHECKING:
    from db.engine import Database

FLAGS = tuple(status_db.FLAG_SQL)
BATCH = 1000  # persons per transaction: a clerk's save waits for at most one batch
LIST_ROLES = BY_CODE["upcoming.list"].roles
"""The list holds ID numbers, phones and addresses of the whole county: HRSS staff only."""
CONTACT_CHANNELS = ("phone", "sms", "visit", "letter", "wechat")
EXPORT_COLUMNS = ("statutory_month", "name", "id_number", "sex", "phone", "address", "grp", "earliest_month", "latest_month",
                  "counted_months", "min_months", "short_months", "outside_months", "deemed_months", "case_no", "last_contact", "flags")
Progress = Callable[[int, int], None]


PERSON_KEYS = ("id", "sex", "birth_date_id", "staff_category", "female_group", "archive_lost", "employer_id", "insured_before_2011_07")
ARCHIVE_KEYS = ("person_id", "doc_kind", "doc_date", "birth_date_recorded", "altered", "altered_confirmed")
PERIOD_KEYS = ("person_id", "from_month", "to_month", "kind", "place")
"""Column names of db.person_status.read_batch's tuples, in its order (person_status.py's SELECTs); zip is not
strict in the hot loop, test_batch_facts_are_the_stored_facts catches a column added there."""


def facts_of(person: tuple[Any, ...], recs: list[tuple[Any, ...]], pers: list[tuple[Any, ...]]) -> PersonFacts:
    """PersonFacts from the raw rows of db.person_status.read_batch, through the one builder.

    The batch reads tuples (a million persons: no row factory); naming their
    columns here lets ``build_person_facts`` read them exactly as it reads a
    stored person or a screen's rows, so the list and a case's pre-review can
    never disagree on a person.  The batch does not read the pension inputs
    (average index, account balance): the list's status needs neither.
    """
    return build_person_facts(dict(zip(PERSON_KEYS, person, strict=False)),
                              [dict(zip(ARCHIVE_KEYS, r, strict=False)) for r in recs],
                              [dict(zip(PERIOD_KEYS, r, strict=False)) for r in pers])


_LOCAL: dict[int, tuple[LocalParameters, tuple[tuple[str, ...], Month, str]]] = {}


def _local(params: LocalParameters) -> tuple[tuple[str, ...], Month, str]:
    """(county places, personal contribution start, flexible workers' female group), read once per parameter set."""
    found = _LOCAL.get(0)
    if found is None or found[0] is not params:
        found = _LOCAL[0] = (params, (params.county_places, params.personal_contribution_start, params.flexible_worker_female_group))
    return found[1]


_DATES: dict[tuple[Month, str, str], tuple[str, str, str, str, int]] = {}


def _dates(birth: Month, group: str, version: str) -> tuple[str, str, str, str, int]:
    """(birth, statutory, earliest, latest month, minimum months) of a birth month and group.

    Pure functions of their arguments and the policy tables, so memoised by
    policy version: a county has a few hundred birth months and a million persons.
    """
    key = (birth, group, version)
    found = _DATES.get(key)
    if found is None:
        s = statutory_retirement(birth, group)
        window = flexible_window(s)
        # the minimum of the statutory year (retiring at the statutory month: 6.3's "earlier of" is that year)
        need = minimum_contribution(s.statutory_month, s.statutory_month).months
        found = _DATES[key] = (str(s.birth), str(s.statutory_month), str(window.earliest), str(window.latest), need)
    return found


def status_row(person_id: int, pf: PersonFacts, params: LocalParameters, version: str, now: str) -> tuple[Any, ...]:
    """One person_status row: statutory month, window, and every flag of the list.

    The parts of ``compute_facts`` the list needs, through the same rules
    functions (group, birth date, contribution summary, statutory age,
    window, minimum); the chosen-month check, benefit start, divisor and
    archive completeness belong to a case's pre-review, not to the list, and
    would double the cost of a county-wide recompute.
    """
    places, start, flexible_group = _local(params)
    group = group_for(pf.sex, pf.staff_category, pf.female_group, flexible_group)
    decision = decide_birth_date(pf.archive_records, pf.id_birth, pf.archive_lost)
    c = summarise(pf.periods, places, start)
    counted = c.county_actual_months if pf.archive_lost else c.county_months
    everywhere = c.actual_months if pf.archive_lost else c.total_months
    mismatch = any(x.code == "rules.birth.id_mismatch" for x in decision.findings)
    birth = statutory = earliest = latest = need = None
    if decision.birth_date is not None:
        birth, statutory, earliest, latest, need = _dates(Month.from_date(decision.birth_date), group, version)
    return (
        person_id, group, birth, decision.source, statutory, earliest, latest,
        need, counted, max(0, need - counted) if need is not None else 0, c.total_months,
        max(0, everywhere - counted), c.deemed_months, int(mismatch), int(pf.archive_lost), version, now,
    )


@dataclass
class RecomputeResult:
    persons: int
    seconds: float
    dropped_for_policy: int
    skipped: list[int] = field(default_factory=list)
    """Person ids whose stored rows could not be computed (a birth date in
    Arabic-Indic digits put in by SQL...): left without a status, reported, and
    listed by ``retire doctor``; everyone else is computed."""


def recompute(db: Database, actor: Actor | None, everyone: bool = True, progress: Progress | None = None) -> RecomputeResult:
    """Recompute the status of everyone (or only those without a current row), in batches.

    Each batch is read, computed and written in one transaction: an
    interruption leaves every stored row correct and the rest missing, to be
    computed next time; a clerk saving a person meanwhile waits for at most
    one batch, and the trigger then drops that person's fresh row.
    """
    import time

    started = time.perf_counter()
    params = load_parameters()
    version = policy_version(params)
    dropped = 0
    if status_db.has_other_policies(db, version):  # a read first: listing must not take the write lock every time
        with transaction(db):
            dropped = status_db.drop_other_policies(db, version)
    total = status_db.count_persons(db, only_missing=not everyone)
    if total == 0:
        return RecomputeResult(0, time.perf_counter() - started, dropped)
    now = now_iso()
    done = 0
    after = 0
    skipped: list[int] = []
    while True:
        with transaction(db):
            inputs = status_db.read_batch(db, after, BATCH, only_missing=not everyone)
            if inputs:
                status_db.write(db, _rows_of(inputs, params, version, now, skipped))
        if not inputs:
            break
        after = inputs[-1][0][0]
        done += len(inputs)
        if progress:
            progress(min(done, total), total)
        if len(inputs) < BATCH:
            break  # the last batch: no need to scan for more
    if actor is not None and done:
        with transaction(db):
            audit.append(db, actor.audit_name, "prereview.recompute", entity="person_status",
                         detail={"persons": done - len(skipped), "everyone": everyone, "policy_version": version,
                                 "skipped": len(skipped), "skipped_ids": skipped[:SKIPPED_IN_AUDIT]})
    return RecomputeResult(done - len(skipped), time.perf_counter() - started, dropped, skipped)


SKIPPED_IN_AUDIT = 100


def _rows_of(inputs: list[Any], params: LocalParameters, version: str, now: str, skipped: list[int]) -> list[tuple[Any, ...]]:
    """The status rows of one batch; a person whose stored rows cannot be read is skipped and noted.

    One poisoned row (a date in another digit script, a month that is not
    one) must not stop the county: the builder refuses it with BadInput (a
    bad ISO date or month), the rules with ValueError, a non-text value with
    TypeError, and nothing else is caught.
    """
    rows = []
    for p, r, q in inputs:
        try:
            rows.append(status_row(p[0], facts_of(p, r, q), params, version, now))
        except (BadInput, ValueError, TypeError):
            skipped.append(int(p[0]))
    return rows


def list_upcoming(
    db: Database,
    actor: Actor,
    months: int = 6,
    first: str | None = None,
    flags: Iterable[str] = (),
    today: date | None = None,
    limit: int | None = None,
    refresh: bool = True,
) -> list[dict[str, Any]]:
    """Who reaches the statutory month in [first, first + months - 1], with flags."""
    require_role(actor, *LIST_ROLES)
    flags = list(flags)
    for flag in flags:
        if flag not in FLAGS:
            raise BadInput("upcoming.bad_flag", value=flag, allowed=", ".join(FLAGS))
    if months < 1 or months > 120:
        raise BadInput("upcoming.bad_months", value=months)
    start = door.month(first) or Month.from_date(today or date.today())  # blank: from this month
    if refresh:
        recompute(db, None, everyone=False)
    rows = status_db.upcoming(db, str(start), str(start + (months - 1)), flags, limit)
    for r in rows:
        r["flags"] = flags_of(r)
        r["extended_month"] = extended_month(r)
    return rows


def extended_month(r: dict[str, Any]) -> str | None:
    """The month continued payment (延长缴费) meets the minimum, for a person short of it that a transfer
    cannot cover; it may lie beyond the 36-month deferral limit (issue 15).  Counted from the statutory
    month, one paid month after another: early enough to tell the person before the day."""
    missing = r["short_months"] - r["outside_months"]
    if missing <= 0 or not r["statutory_month"]:
        return None
    return str(Month.parse(r["statutory_month"]) + missing)


def flags_of(r: dict[str, Any]) -> list[str]:
    """The flags of one listed row, in FLAGS order (db.person_status.FLAG_SQL says the same in SQL)."""
    out = []
    if r["short_months"] > 0:
        out.append("short")
    if r["deemed_months"] > 0:
        out.append("deemed")
    if not r["has_prereview"]:
        out.append("no_prereview")
    if r["birth_mismatch"]:
        out.append("birth_mismatch")
    if r["archive_lost"]:
        out.append("lost_archive")
    if r["outside_months"] > 0:
        out.append("outside")
    return out


def _person(db: Database, id_number: str) -> dict[str, Any]:
    person = persons_db.by_id_number(db, door.id_number(id_number))
    if person is None:
        raise NotFound("upcoming.no_person", id_number=id_number)
    return person


def record_contact(db: Database, actor: Actor, id_number: str, channel: str, note: str | None = None, on: date | None = None) -> dict[str, Any]:
    """Record that the person was told (date, channel, note)."""
    require_role(actor, "clerk", "hrss_reviewer", "supervisor")
    if channel not in CONTACT_CHANNELS:
        raise BadInput("upcoming.bad_channel", value=channel, allowed=", ".join(CONTACT_CHANNELS))
    if on is not None and on > date.today():
        raise BadInput("upcoming.future_date", value=on.isoformat())
    at = (on or date.today()).isoformat()
    note = door.text(note, "note")
    with transaction(db):
        person = _person(db, id_number)
        contact_id = status_db.add_contact(db, person["id"], at, channel, note, actor.staff_id)
        audit.append(db, actor.audit_name, "person.contacted", entity="person", entity_id=person["id"], detail={"channel": channel, "at": at, "note": note})
    return {"id": contact_id, "id_number": person["id_number"], "at": at, "channel": channel, "note": note}


def _passes(check: Callable[[Any], Any], value: Any) -> Any:
    """A stored optional value handed back to intake only if it passes the door now; else None,
    which leaves the stored value as it is (an imported phone in an older format must not
    stop the pre-review from starting; ``retire doctor`` lists what breaks the policy)."""
    try:
        return check(value)
    except BadInput:
        return None


def start_prereview(db: Database, actor: Actor, id_number: str, today: date | None = None) -> dict[str, Any]:
    """Open a draft case for the person so the archive pre-review can start before the day."""
    from console.services.intake import INTAKE_ROLES, Applicant, open_case

    require_role(actor, *INTAKE_ROLES)  # before the person is looked up
    person = _person(db, id_number)
    employer = persons_db.get_employer(db, person["employer_id"]) if person.get("employer_id") else None
    applicant = Applicant(
        id_number=person["id_number"], name=person["name"], phone=_passes(door.phone, person["phone"]),
        address=_passes(lambda v: door.text(v, "address"), person["address"]), hukou=_passes(lambda v: door.text(v, "hukou"), person["hukou"]),
        staff_category=person["staff_category"] or "worker", female_group=person["female_group"],
        employer_code=employer["credit_code"] if employer else None, employer_name=employer["name"] if employer else None,
        archive_lost=bool(person["archive_lost"]),
        insured_before_2011_07=None if person["insured_before_2011_07"] is None else bool(person["insured_before_2011_07"]),
        bank_card=_passes(lambda v: door.digits(v, "bank_card"), person["bank_card"]),
    )
    return open_case(db, actor, applicant, "lost_archive" if person["archive_lost"] else "normal", today=today)


def reminder_lines(db: Database, actor: Actor, id_number: str, lang: str | None = None) -> tuple[str, list[str]]:
    """The greeting and the lines of a reminder notice (告知提醒) for one person on the list."""
    require_role(actor, *LIST_ROLES)
    person = _person(db, id_number)
    recompute(db, None, everyone=False)
    s = status_db.status_for(db, person["id"])
    if s is None:
        raise NotFound("upcoming.no_person", id_number=id_number)
    hall = load_hall()["hall"]
    greeting = t("upcoming.reminder.greeting", lang, name=person["name"])
    lines = [t("upcoming.reminder.month", lang, month=s["statutory_month"], earliest=s["earliest_month"], latest=s["latest_month"])]
    if s["short_months"]:
        lines.append(t("upcoming.reminder.short", lang, short=s["short_months"], need=s["min_months"]))
        if extended_month(s):
            lines.append(t("upcoming.reminder.extend", lang, month=extended_month(s)))
    if s["outside_months"]:
        lines.append(t("upcoming.reminder.outside", lang, months=s["outside_months"]))
    if s["deemed_months"]:
        lines.append(t("upcoming.reminder.deemed", lang))
    if s["birth_mismatch"]:
        lines.append(t("upcoming.reminder.birth", lang))
    if s["archive_lost"]:
        lines.append(t("upcoming.reminder.lost", lang))
    lines.append(t("upcoming.reminder.bring", lang))
    lines.append(t("upcoming.reminder.contact", lang, window=hall["window"], address=hall["address"], phone=hall["phone"]))
    return greeting, lines


def reminder_text(db: Database, actor: Actor, id_number: str, lang: str | None = None) -> str:
    """The text of a reminder notice (告知提醒) for one person on the list."""
    greeting, lines = reminder_lines(db, actor, id_number, lang)
    return "\n".join([greeting, *lines])


def reminder_docx(db: Database, actor: Actor, id_number: str, lang: str | None = None,
                  today: date | None = None) -> bytes:
    """The reminder letter as DOCX (console/templates/reminder.toml): the same lines as the text, dated, unnumbered."""
    from datetime import datetime, time

    from console.documents.docx_writer import render_docx
    from console.i18n import current_lang, normalise_lang
    from console.services import notices

    lang = normalise_lang(lang) if lang else current_lang()
    today = today or date.today()
    greeting, lines = reminder_lines(db, actor, id_number, lang)
    hall = dict(load_hall()["hall"])
    context = {"hall": notices.hall_context(hall, lang), "issued_date": notices.fmt_date(today, lang), "number": "",
               "greeting": greeting, "lines": [{"text": line} for line in lines]}
    model = notices.fill_template("reminder", lang, context)
    author = hall.get("department" if lang == "zh" else "department_en") or hall.get("department", "")
    return render_docx(model, datetime.combine(today, time(9, 0)), author=author)


def reminder_path(id_number: str, name: str) -> Path:
    """Where the reminder letter is saved unless the clerk names another file: the hall's documents folder."""
    from console.settings import documents_folder

    return documents_folder() / t("upcoming.reminder.file", name=name, tail=id_number[-4:])


def write_reminder(db: Database, actor: Actor, id_number: str, path: Path | None = None, lang: str | None = None,
                   force: bool = False, today: date | None = None) -> Path:
    """Write the reminder DOCX (default: ``reminder_path`` in the documents folder, created on first save)."""
    from console.safe_files import check_target, write_bytes
    from console.settings import ensure_folder

    person = _person(db, door.id_number(id_number))
    target = Path(path).expanduser() if path is not None else reminder_path(person["id_number"], person["name"])
    check_target(target, force=force)
    data = reminder_docx(db, actor, id_number, lang, today)
    write_bytes(ensure_folder(target), data, force=force)
    return target


def flag_text(flags: Iterable[str]) -> str:
    """'缴费不足、未初审' for a row's flags."""
    return t("upcoming.flag_sep").join(t(f"upcoming.flag.{f}") for f in flags)


def export_rows(rows: list[dict[str, Any]], path: Path | str, force: bool = False) -> Path:
    """Write listed rows to CSV (UTF-8 with BOM, for Excel) or XLSX, one row per person, for phone calls.

    The format follows the extension; anything else, or a file that cannot
    be written, is ``BadInput``.  Written through ``console.safe_files`` (an
    existing file needs ``force``, a symlink is refused, the file is
    private); cells are spreadsheet-safe like ``retire export``'s (a text
    cell beginning with = + - @ gets a ' in CSV, XLSX text is never a
    formula).  Returns the path written.
    """
    from console.display import sheet_text
    from console.safe_files import atomic_writer
    from console.settings import documents_folder, ensure_folder

    if Path(path).expanduser().parent == documents_folder():
        ensure_folder(Path(path).expanduser())  # the hall's documents folder is made on its first save

    path = Path(path)
    header = [t(f"upcoming.col.{c}") for c in EXPORT_COLUMNS]
    values = [[flag_text(r["flags"]) if c == "flags" else r.get(c) for c in EXPORT_COLUMNS] for r in rows]
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import Workbook

        from console.services.exporter import xlsx_cell

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(t("upcoming.sheet"))
        ws.append(header)
        for v in values:
            ws.append([xlsx_cell(ws, x) for x in v])
        with atomic_writer(path, force=force) as fh:
            wb.save(fh)
    elif suffix == ".csv":
        import csv

        with atomic_writer(path, force=force, binary=False, encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows([sheet_text(x) for x in v] for v in values)
    else:
        raise BadInput("upcoming.bad_export", path=str(path))
    return path
