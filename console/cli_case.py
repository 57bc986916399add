"""``retire case``, ``retire prereview``, ``retire task``, ``retire delivery``: the workflow from the shell.

Thin: parse, call a service, print.  Every read has --json; a refusal by the
rules exits 1 with the full list, bad input exits 2.

Versions: ``case show --json``, ``case list --json`` and ``task list --json``
carry the version of the case, its tasks, deliveries and pre-review facts;
every command that changes one takes ``--version N`` and a stale one is
refused naming who saved and when (exit 1).  Without ``--version`` the
service acts on the row as it is at the start of its transaction, and
refuses what would undo a colleague: a task someone else claimed is neither
claimed again nor finished without ``--take-over`` (audited).

``case show -`` reads case numbers from stdin, one a line, and writes one
JSON object a line (JSON Lines: the object of ``case show --json``, or
``{"case_no": ..., "error": ...}`` for a number that is malformed or not
found), all on one read-only connection; it exits 2 at the end when any
number failed.  A lookup runs on plain sqlite3 (``session(read_only=True)``).

``case correct`` issues the correction notice (补正); ``case refuse`` refuses
for good (不予受理, status refused); ``case reject`` is the hidden old name of
``refuse``, kept for one release with a deprecation line on stderr.  (Until
this release ``refuse`` meant the correction: a script that still says
``refuse`` for a correction is told by ``--help`` and the README's Changes.)

``prereview --all`` skips a person whose stored rows cannot be read, names
them on stderr (and under "skipped" with --json) and exits 0: everyone else
was computed, and ``retire doctor`` lists the rows to correct.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from console.cli_support import (
    RetireTyper,
    action_words,
    fail,
    print_fields,
    print_json,
    print_table,
    read_text_file,
    session,
)
from console.errors import BadInput
from console.human_time import human_time
from console.i18n import t
from console.vocabulary import CASE_KIND, CASE_STATUS, DEPARTMENT, TASK_STATUS

case_app = RetireTyper(help="办件：受理、查询、补正、不予受理 / Cases: intake, lookup, correction, refusal.")
task_app = RetireTyper(help="部门任务 / Department tasks.")
delivery_app = RetireTyper(help="快递送达 / Courier delivery.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
CASE_NO_CHARS = 40
"""Longer than any case number: a pasted page of digits is bad input before int() meets it."""


def _case_no_arg(value: str) -> str:
    if value is not None and len(value) > CASE_NO_CHARS:
        raise fail(BadInput("db.bad_case_no", value=value[:CASE_NO_CHARS] + "…"))  # said here: parsing is outside session()
    return value


CaseArg = Annotated[str, typer.Argument(help="Case number, e.g. GY-2026-000123.", callback=_case_no_arg)]
VersionOpt = Annotated[int | None, typer.Option("--version", help="The version you read (stale saves are refused).")]


def _decision_out(decision: Any, as_json: bool) -> None:
    data = {
        "case_no": decision.case_no,
        "status": decision.status,
        "version": decision.version,
        "notice_number": decision.notice_number,
        "tasks": decision.tasks,
        "assessment": decision.assessment.as_dict(),
    }
    if as_json:
        print_json(data)
        return
    print_fields([
        (t("cli_case.case_no"), decision.case_no),
        (t("cli_case.status"), t(CASE_STATUS.key(decision.status))),
        (t("cli_case.notice"), decision.notice_number or "-"),
    ])
    for f in decision.assessment.findings:
        if f.severity in ("unmet", "missing", "review"):
            typer.echo(f"  [{t('severity.' + f.severity)}] {t(f.code, **f.params)}")


@case_app.command("new")
def case_new(
    id_number: Annotated[str, typer.Option("--id", help="18-character ID number.")],
    name: Annotated[str, typer.Option("--name", help="Applicant's name.")],
    kind: Annotated[str, typer.Option("--kind", help="normal | lost_archive | special_work | illness | work_injury")] = "normal",
    joint: Annotated[list[str] | None, typer.Option("--joint", help="Joint item opted into (repeat): medical, housing_fund, health.")] = None,
    received: Annotated[list[str] | None, typer.Option("--received", help="Material code received (repeat).")] = None,
    category: Annotated[str, typer.Option("--category", help="worker | cadre | flexible")] = "worker",
    female_group: Annotated[str | None, typer.Option("--female-group", help="female50 | female55 (women; else by category).")] = None,
    retire_at: Annotated[str | None, typer.Option("--retire-at", help="Chosen retirement month (flexible retirement).")] = None,
    phone: Annotated[str | None, typer.Option("--phone")] = None,
    address: Annotated[str | None, typer.Option("--address", help="Delivery address.")] = None,
    hukou: Annotated[str | None, typer.Option("--hukou")] = None,
    employer: Annotated[str | None, typer.Option("--employer", help="Employer's unified social credit code.")] = None,
    employer_name: Annotated[str | None, typer.Option("--employer-name")] = None,
    archive_lost: Annotated[bool, typer.Option("--archive-lost", help="The personal archive is lost.")] = False,
    insured_before_2011_07: Annotated[bool | None, typer.Option("--insured-before-2011-07/--insured-after-2011-07")] = None,
    bank_card: Annotated[str | None, typer.Option("--bank-card")] = None,
    as_json: JsonOpt = False,
) -> None:
    """登记申请人并新建办件 / Register the applicant and open a case (status: to accept)."""
    from console.services.intake import Applicant, open_case

    db, actor = session()
    applicant = Applicant(
        id_number=id_number, name=name, phone=phone, address=address, hukou=hukou, staff_category=category,
        female_group=female_group, employer_code=employer, employer_name=employer_name, archive_lost=archive_lost,
        insured_before_2011_07=insured_before_2011_07, bank_card=bank_card,
    )
    case = open_case(db, actor, applicant, kind, joint or [], received or [], retire_at)
    _warn_mixed_name(name)
    data = {"case_no": case["case_no"], "status": case["status"], "version": case["version"], "due_date": case["due_date"]}
    if as_json:
        print_json(data)
    else:
        print_fields([(t("cli_case.case_no"), case["case_no"]), (t("cli_case.status"), t(CASE_STATUS.key(case['status']))),
                      (t("cli_case.due"), case["due_date"])])


def _warn_mixed_name(name: str) -> None:
    """A name partly in Han, partly in Latin letters is accepted (生僻字 typed in pinyin) but said on stderr."""
    from console.services.door import mixes_han_and_latin

    if mixes_han_and_latin(name):
        typer.echo(t("door.mixed_name", name=name.strip()), err=True)


def _who(task: dict[str, Any]) -> str:
    """A done task names who completed it; an open one its claimant."""
    if task["status"] == "done":
        return task.get("completed_by") or task.get("assignee") or ""
    return task.get("assignee") or ""


def _show_text(c: dict[str, Any]) -> None:
    p = c["person"]
    clock = c["clock"] or {}
    print_fields([
        (t("cli_case.case_no"), c["case_no"]),
        (t("cli_case.applicant"), f"{p['name']}  {p['id_number']}"),
        (t("cli_case.kind"), t(CASE_KIND.key(c['kind']))),
        (t("cli_case.status"), t(CASE_STATUS.key(c['status']))),
        (t("cli_case.received"), human_time(c["received_at"])),
        (t("cli_case.due"), clock.get("due_date") or "-"),
        (t("cli_case.days_left"), "" if not clock else f"{clock['working_days_left']} ({t('clock_state.' + clock['state'])})"),
        (t("cli_case.joint"), "、".join(t(f"joint_items.{j}") for j in c["joint_items"]) or "-"),
        (t("cli_case.notice"), c["acceptance_notice_no"] or "-"),
    ])
    facts = (c["prereview"] or {}).get("facts")
    if facts:
        typer.echo("")
        print_fields([
            (t("cli_case.birth"), facts["birth_date"]),
            (t("cli_case.statutory"), f"{facts['statutory_age']}  {facts['statutory_month']}"),
            (t("cli_case.window"), f"{facts['earliest_month']} .. {facts['latest_month']}"),
            (t("cli_case.months"), f"{facts['total_months']} / {facts['min_contribution_months']}"),
            (t("cli_case.benefit"), facts["benefit_start_month"]),
            (t("cli_case.confirmed"), c["prereview"]["confirmed_by"] or "-"),
        ])
    if c["tasks"]:
        typer.echo("")
        print_table(
            [[x["id"], t(DEPARTMENT.key(x['department'])), t(f"items.{x['item']}"), t(TASK_STATUS.key(x['status'])),
              _who(x), (x["clock"] or {}).get("due_date") or ""] for x in c["tasks"]],
            [t("cli_case.task_id"), t("cli_case.department"), t("cli_case.item"), t("cli_case.status"), t("cli_case.assignee"), t("cli_case.due")],
        )
    if c.get("promises"):
        from console.vocabulary import PROMISE_ACTION, PROMISE_STATUS

        typer.echo("")
        print_table(
            [[t(f"materials.{p['material']}"), t(PROMISE_STATUS.key(p["status"])), p["deadline"],
              "" if not p["clock"] or p["status"] != "open" else f"{p['clock']['working_days_left']} ({t('clock_state.' + p['clock']['state'])})",
              t(PROMISE_ACTION.key(p["on_expiry"]))] for p in c["promises"]],
            [t("promises.material"), t("promises.status"), t("promises.deadline"), t("promises.days_left"), t("promises.action")],
        )
    typer.echo("")
    print_table([[human_time(a["at"]), a["actor"], action_words(a["action"])] for a in c["audit"]],
                [t("cli_case.at"), t("cli_case.actor"), t("cli_case.action")])


@case_app.command("show")
def case_show(
    case_no: Annotated[str, typer.Argument(
        help="Case number, e.g. GY-2026-000123; - reads case numbers from stdin (one a line) and writes JSON Lines.",
        callback=_case_no_arg)],
    as_json: JsonOpt = False,
) -> None:
    """办件详情（含任务、初审、审计） / One case in full: tasks, pre-review facts, audit trail.

    With - as the case number: one JSON object per line of stdin (blank lines
    skipped), the object of --json; a number that is malformed or unknown is
    {"case_no": ..., "error": ...} and the command exits 2 at the end.
    """
    from console.services.case_queries import show

    db, actor = session(read_only=True)
    if case_no == "-":
        _show_stdin(db, actor)
        return
    data = show(db, actor, case_no)
    if as_json:
        print_json(data)
    else:
        _show_text(data)


STDIN_LINES_PER_WRITE = 50
"""``case show -`` writes its JSON Lines in batches: one flush per line cost a lookup of 1,000 a quarter of its time."""


def _show_stdin(db: Any, actor: Any) -> None:
    """``case show -``: JSON Lines for the case numbers on stdin; BadInput (exit 2) at the end if any failed."""
    import sys

    from console.display import json_safe
    from console.services.case_queries import show

    failed = total = 0
    pending: list[str] = []
    for raw in sys.stdin.buffer:
        number = raw.decode("utf-8", "replace").strip()
        if not number:
            continue
        total += 1
        try:
            if len(number) > CASE_NO_CHARS:
                raise BadInput("db.bad_case_no", value=number[:CASE_NO_CHARS] + "…")
            data: dict[str, Any] = show(db, actor, number)
        except BadInput as err:  # malformed or unknown: this line fails, the others go on
            failed += 1
            data = {"case_no": number[:CASE_NO_CHARS], "error": err.text()}
        pending.append(json_safe(json.dumps(data, ensure_ascii=False, default=str)) + "\n")
        if len(pending) >= STDIN_LINES_PER_WRITE:
            sys.stdout.write("".join(pending))
            pending.clear()
    sys.stdout.write("".join(pending))
    if failed:
        raise BadInput("case_lookup.stdin_failed", failed=failed, total=total)


def _list_out(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json(rows)
        return
    print_table(
        [[r["case_no"], r["name"], t(CASE_KIND.key(r['kind'])), t(CASE_STATUS.key(r['status'])), (r["received_at"] or "")[:10],
          "" if r["working_days_left"] is None else r["working_days_left"], r["assignee"] or ""] for r in rows],
        [t("cli_case.case_no"), t("cli_case.applicant"), t("cli_case.kind"), t("cli_case.status"), t("cli_case.received"), t("cli_case.days_left"),
                t("cli_case.assignee")],
    )


@case_app.command("list")
def case_list(
    status: Annotated[list[str] | None, typer.Option("--status", help=f"Status (repeat): {', '.join(CASE_STATUS)}.")] = None,
    department: Annotated[str | None, typer.Option("--department", help=f"Cases with an unfinished task of: {', '.join(DEPARTMENT)}.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only cases past their time limit.")] = False,
    due_soon: Annotated[bool, typer.Option("--due-soon", help="Only cases due within the warning days.")] = False,
    received_from: Annotated[str | None, typer.Option("--from", help="Received on or after YYYY-MM-DD.")] = None,
    received_to: Annotated[str | None, typer.Option("--to", help="Received on or before YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100000)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """办件列表 / List cases (paged; newest first)."""
    from console.services.case_queries import build_filter, list_cases

    f = _filter(status, department, overdue, due_soon, received_from, received_to)
    db, actor = session()
    _list_out(list_cases(db, actor, build_filter(db=db, **f), limit=limit, offset=offset), as_json)


def _filter(status: list[str] | None, department: str | None, overdue: bool, due_soon: bool, received_from: str | None,
        received_to: str | None) -> dict[str, Any]:
    """Validate list/export filters (shared with ``retire export``)."""
    from console.rules.months import BadMonth, parse_date
    from db.schema import CASE_STATUSES, DEPARTMENTS

    for s in status or []:
        if s not in CASE_STATUSES:
            raise BadInput("cli_case.bad_status", value=s, allowed=", ".join(CASE_STATUSES))
    if department and department not in DEPARTMENTS:
        raise BadInput("cli_case.bad_department", value=department, allowed=", ".join(DEPARTMENTS))
    from console.services.door import digits

    received_from, received_to = digits(received_from, "date"), digits(received_to, "date")
    for d in (received_from, received_to):
        if d:
            try:
                parse_date(d)
            except BadMonth:
                raise BadInput("cli.bad_month", value=d) from None
    return {"statuses": status or [], "department": department, "overdue": overdue, "due_soon": due_soon,
            "received_from": received_from, "received_to": received_to}


@case_app.command("search")
def case_search(
    text: Annotated[str, typer.Argument(help="Case number, ID number, name, or pinyin initials (zs finds 张三).")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """查找办件 / Find cases by number, ID number, name or pinyin initials."""
    from console.services.case_queries import build_filter, list_cases
    from console.text_policy import check_text

    if not text.strip():
        raise BadInput("cli_case.empty_search")
    text = check_text(text, "text")
    db, actor = session()
    _list_out(list_cases(db, actor, build_filter(text=text), limit=limit), as_json)


@case_app.command("accept")
def case_accept(
    case_no: CaseArg,
    version: VersionOpt = None,
    promise: Annotated[list[str] | None, typer.Option(
        "--promise", help="Accept on a written promise for this missing material code (repeat); 容缺受理.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """受理（条件齐备时，或以承诺容缺） / Accept: acceptance notice, department tasks; refused with the full list otherwise."""
    from console.services.intake import accept_case

    db, actor = session()
    if promise:
        from console.services.promises import accept_on_promise

        outcome = accept_on_promise(db, actor, case_no, promise, version)
        if not as_json:
            _decision_out(outcome.decision, False)
            print_fields([(t("promises.letter"), outcome.letter_number)])
            return
        print_json({
            "case_no": outcome.decision.case_no, "status": outcome.decision.status, "version": outcome.decision.version,
            "notice_number": outcome.decision.notice_number, "tasks": outcome.decision.tasks,
            "promise_letter": outcome.letter_number, "promised": outcome.promised})
        return
    _decision_out(accept_case(db, actor, case_no, version), as_json)


@case_app.command("correct")
def case_correct(case_no: CaseArg, version: VersionOpt = None, as_json: JsonOpt = False) -> None:
    """一次性告知补正（暂停计时） / Ask for correction: one notice listing everything missing; the clock pauses."""
    from console.services.intake import request_correction

    db, actor = session()
    _decision_out(request_correction(db, actor, case_no, version), as_json)


@case_app.command("resume")
def case_resume(
    case_no: CaseArg,
    received: Annotated[list[str] | None, typer.Option("--received", help="Material code that arrived (repeat).")] = None,
    version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """补正材料到达，恢复计时 / The materials arrived: tick them and restart the clock."""
    from console.services.intake import resume_case

    db, actor = session()
    _decision_out(resume_case(db, actor, case_no, received or [], version), as_json)


ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Written reason (required when no rule is unmet).")]


@case_app.command("refuse")
def case_refuse(case_no: CaseArg, reason: ReasonOpt = None, version: VersionOpt = None, as_json: JsonOpt = False) -> None:
    """不予受理：办件终结（状态：不予受理） / Refuse for good: the case ends with status refused.

    For conditions that papers cannot fix.  To ask for missing papers instead
    (the correction notice, 补正) use `retire case correct`: until this
    release `refuse` was the name of the correction, so for this release
    --reason is required: a script written for the old meaning stops with
    exit 2 instead of ending a case.
    """
    from console.services.intake import refuse_case

    if reason is None:  # the old `case refuse CASE` (a correction) must not end a case: see the docstring
        raise BadInput("cli_case.refuse_needs_reason", case_no=case_no)
    db, actor = session()
    _decision_out(refuse_case(db, actor, case_no, reason, version), as_json)


@case_app.command("reject", hidden=True)
def case_reject(case_no: CaseArg, reason: ReasonOpt = None, version: VersionOpt = None, as_json: JsonOpt = False) -> None:
    """The old name of `retire case refuse` (不予受理), kept for one release."""
    typer.echo(t("case_lookup.reject_deprecated"), err=True)
    case_refuse(case_no, reason, version, as_json)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    import csv
    import io

    text = read_text_file(path)
    rows: list[dict[str, str]] = []
    try:
        for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
            if None in row:  # more cells than the header names
                raise BadInput("prereview.bad_file", path=str(path), reason=t("cli_case.csv_extra_cells", line=number))
            rows.append({k: v or "" for k, v in row.items()})  # a short row's missing cells are empty, not None
    except csv.Error as exc:
        raise BadInput("prereview.bad_file", path=str(path), reason=str(exc)) from None
    return rows


PREREVIEW_JSON_DEPTH = 32
"""A pre-review file is an object of lists of flat records: deeper nesting is not ours (and
would make the parser recurse past Python's limit)."""
PREREVIEW_NUMBER_CHARS = 30


def _bounded_int(text: str) -> int:
    if len(text) > PREREVIEW_NUMBER_CHARS:
        raise ValueError(t("cli_case.json_number_too_long", limit=PREREVIEW_NUMBER_CHARS))
    return int(text)


def _json_file(path: Path) -> dict[str, Any]:
    from console.services.importing.readers import json_depth

    text = read_text_file(path)
    if json_depth(text, PREREVIEW_JSON_DEPTH) > PREREVIEW_JSON_DEPTH:
        raise BadInput("prereview.bad_file", path=str(path), reason=t("cli_case.json_too_deep", limit=PREREVIEW_JSON_DEPTH))
    try:
        data = json.loads(text, parse_int=_bounded_int)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise BadInput("prereview.bad_file", path=str(path), reason=str(exc)) from None
    if not isinstance(data, dict):
        raise BadInput("prereview.bad_file", path=str(path), reason=t("cli_case.json_object"))
    return data


def prereview_command(
    case_no: Annotated[str | None, typer.Argument(help="Case number (omit with --all).", callback=_case_no_arg)] = None,
    everyone: Annotated[bool, typer.Option("--all", help="Recompute the retirement facts of every insured person (the pre-retirement list).")] = False,
    file: Annotated[Path | None, typer.Option("--file", help='JSON: {"archive_records": [...], "periods": [...]}.')] = None,
    archive: Annotated[Path | None, typer.Option("--archive", help="CSV: doc_kind,doc_date,birth_date_recorded,altered,altered_confirmed")] = None,
    periods: Annotated[Path | None, typer.Option("--periods", help="CSV: from,to,kind[,place]")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why a confirmed pre-review changes.")] = None,
    confirm: Annotated[bool, typer.Option("--confirm", help="Confirm the stored facts (HRSS reviewer).")] = False,
    version: Annotated[int | None, typer.Option("--version", help="The facts version you read (0: none stored); stale saves are refused.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """档案初审：录入档案与缴费记录、计算、确认 / Archive pre-review: record, compute, confirm."""
    from console.services import prereview

    if everyone:
        _recompute_all(as_json)
        return
    if not case_no:
        raise BadInput("cli_case.case_or_all")
    records = rows = None
    if file is not None:
        data = _json_file(file)
        records = data.get("archive_records")
        rows = data.get("periods")
    if archive is not None:
        records = [{**r, "altered": (r.get("altered") or "").strip().lower() in ("1", "true", "yes", "是")} for r in _csv_rows(archive)]
    if periods is not None:
        rows = _csv_rows(periods)
    db, actor = session()
    if records is not None or rows is not None:
        result = prereview.record(db, actor, case_no, records, rows, reason, expected_version=version)
        version = result.version  # a --confirm after recording confirms what was just stored
    elif not confirm:
        result = prereview.preview(db, actor, case_no)
    if confirm:
        result = prereview.confirm(db, actor, case_no, version)
    out = {"case_no": result.case_no, "confirmed": result.confirmed, "version": result.version, "facts": result.facts,
           "assessment": result.assessment}
    if as_json:
        print_json(out)
        return
    f = result.facts
    print_fields([(k, f.get(k)) for k in (
        "birth_date", "birth_source", "group", "statutory_age", "statutory_month", "earliest_month", "latest_month",
        "retire_month", "min_contribution_months", "total_months", "actual_months", "deemed_months", "county_months",
        "benefit_start_month", "divisor_months")] + [("confirmed", result.confirmed)])
    for item in f.get("findings", []):
        typer.echo(f"  [{t('severity.' + item['severity'])}] {t(item['code'], **item['params'])}")


def _recompute_all(as_json: bool) -> None:
    from console.cli_support import Progress
    from console.services.upcoming import recompute

    db, actor = session()
    bar = Progress(t("cli_case.recompute"))
    try:
        result = recompute(db, actor, everyone=True, progress=bar)
    finally:
        bar.close()
    rate = result.persons / result.seconds if result.seconds else 0
    data = {"persons": result.persons, "seconds": round(result.seconds, 2), "persons_per_second": round(rate), "dropped_for_policy": result.dropped_for_policy,
            "skipped": {"count": len(result.skipped), "person_ids": result.skipped}}
    if as_json:
        print_json(data)
    else:
        typer.echo(t("cli_case.recomputed", **{k: v for k, v in data.items() if k != "skipped"}))
    if result.skipped:
        # partial success is still success (exit 0): everyone else is computed; the doctor lists the bad rows
        shown = ", ".join(str(i) for i in result.skipped[:SKIPPED_SHOWN])
        more = len(result.skipped) - SKIPPED_SHOWN
        typer.echo(t("cli_case.recompute_skipped", count=len(result.skipped), ids=shown + (f" (+{more})" if more > 0 else "")), err=True)


SKIPPED_SHOWN = 20


@task_app.command("list")
def task_list(
    department: Annotated[str | None, typer.Option("--department", help="hrss, medical, housing_fund, health (default: yours).")] = None,
    status: Annotated[list[str] | None, typer.Option("--status", help="waiting, open, claimed, done, returned (repeat).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100000)] = 200,
    as_json: JsonOpt = False,
) -> None:
    """部门任务列表 / Tasks of a department."""
    from console.services.tasks import list_for

    db, actor = session()
    rows = list_for(db, actor, department, tuple(status or ()), limit)
    if as_json:
        print_json(rows)
        return
    print_table(
        [[r["id"], r["case_no"], t(DEPARTMENT.key(r['department'])), t(f"items.{r['item']}"), t(TASK_STATUS.key(r['status'])), r["assignee"] or "",
                r["due_date"] or ""] for r in rows],
        [t("cli_case.task_id"), t("cli_case.case_no"), t("cli_case.department"), t("cli_case.item"), t("cli_case.status"), t("cli_case.assignee"),
                t("cli_case.due")],
    )


def _task_out(task: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(task)
    else:
        print_fields([(t("cli_case.task_id"), task["id"]), (t("cli_case.case_no"), task["case_no"]), (t("cli_case.item"), t(f"items.{task['item']}")),
                (t("cli_case.status"), t(TASK_STATUS.key(task['status'])))])


TaskArg = Annotated[int, typer.Argument(help="Task id (see retire task list).")]


@task_app.command("claim")
def task_claim(task_id: TaskArg, version: VersionOpt = None, as_json: JsonOpt = False) -> None:
    """认领任务 / Claim a task of your department."""
    from console.services.tasks import claim

    db, actor = session()
    _task_out(claim(db, actor, task_id, version), as_json)


@task_app.command("done")
def task_done(
    task_id: TaskArg,
    result: Annotated[str, typer.Option("--result", help="What was done (e.g. approved, card issued).")],
    version: VersionOpt = None,
    take_over: Annotated[bool, typer.Option("--take-over", help="Complete a task a colleague claimed (audited as a take-over).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """办结任务 / Complete a claimed task with its result."""
    from console.services.tasks import complete

    db, actor = session()
    _task_out(complete(db, actor, task_id, result, version, take_over=take_over), as_json)


@task_app.command("return")
def task_return(
    task_id: TaskArg,
    missing: Annotated[str, typer.Option("--missing", help="What is missing.")],
    version: VersionOpt = None,
    take_over: Annotated[bool, typer.Option("--take-over", help="Return a task a colleague claimed (audited as a take-over).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """退回任务并写明缺少什么 / Return a task naming what is missing."""
    from console.services.tasks import return_task

    db, actor = session()
    _task_out(return_task(db, actor, task_id, missing, version, take_over=take_over), as_json)


def _delivery_out(row: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(row)
    else:
        print_fields([(k, human_time(row.get(k)) if k.endswith("_at") else row.get(k))
                      for k in ("courier", "waybill", "address", "sent_at", "delivered_at", "returned_at", "note", "version")])


@delivery_app.command("send")
def delivery_send(
    case_no: CaseArg,
    courier: Annotated[str, typer.Option("--courier", help="Courier, e.g. EMS.")],
    waybill: Annotated[str, typer.Option("--waybill", help="Waybill number.")],
    address: Annotated[str | None, typer.Option("--address", help="Default: the applicant's address.")] = None,
    version: Annotated[int | None, typer.Option("--version", help="The CASE version you read (case show --json).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """寄送办理结果 / Send the results by courier."""
    from console.services.delivery import send

    db, actor = session()
    _delivery_out(send(db, actor, case_no, courier, waybill, address, expected_version=version), as_json)


DeliveryVersionOpt = Annotated[int | None, typer.Option("--version", help="The DELIVERY version you read (delivery output, case show --json).")]


@delivery_app.command("delivered")
def delivery_delivered(case_no: CaseArg, version: DeliveryVersionOpt = None, as_json: JsonOpt = False) -> None:
    """签收 / The parcel was delivered: the case is closed."""
    from console.services.delivery import delivered

    db, actor = session()
    _delivery_out(delivered(db, actor, case_no, expected_version=version), as_json)


@delivery_app.command("returned")
def delivery_returned(
    case_no: CaseArg,
    note: Annotated[str, typer.Option("--note", help="Why it came back.")],
    version: DeliveryVersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """退件 / The parcel came back."""
    from console.services.delivery import returned

    db, actor = session()
    _delivery_out(returned(db, actor, case_no, note, expected_version=version), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(case_app, name="case")
    app.add_typer(task_app, name="task")
    app.add_typer(delivery_app, name="delivery")
    app.command("prereview")(prereview_command)
    from console.cli_promise import register_promises

    register_promises(case_app)
    from console.cli_edit import register_edits

    register_edits(case_app, delivery_app)
