"""``retire rating``: the service rating (好差评) of a finished case and the follow-up of bad ones;
``retire stats``: the dashboard's figures, ratings included.

    retire rating add CASE --level 1..5 [--channel window|phone|online|device] [--comment TEXT] [--json]
    retire rating show CASE [--json]
    retire rating followups [--all] [--json]        (supervisor)
    retire rating callback ID --note TEXT [--json]  (supervisor)
    retire rating close ID --remedy TEXT [--json]   (supervisor; after the callback)
    retire stats [--json]

One rating per case (GB/T 39734: one service, one rating), on any channel; a
level 1-2 rating opens a follow-up due in 15 working days.  Device exports
come in through ``retire import ratings FILE``.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from console.cli_support import RetireTyper, print_fields, print_json, print_table, session
from console.human_time import human_time
from console.i18n import t

rating_app = RetireTyper(help="好差评 / Service ratings and the follow-up of bad ones.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
CaseArg = Annotated[str, typer.Argument(help="Case number, e.g. GY-2026-000123.")]
IdArg = Annotated[int, typer.Argument(help="The follow-up's number (retire rating followups).")]


def _level_word(level: Any) -> str:
    from console.vocabulary import RATING_LEVEL

    return f"{level} {t(RATING_LEVEL.key(str(level)))}"


def _rating_out(rating: dict[str, Any], as_json: bool) -> None:
    from console.vocabulary import FOLLOWUP_STATUS, RATING_CHANNEL

    if as_json:
        print_json(rating)
        return
    if not rating:
        typer.echo(t("rating.cli.none"))
        return
    pairs = [
        (t("rating.cli.level"), _level_word(rating["level"])),
        (t("rating.cli.channel"), t(RATING_CHANNEL.key(rating["channel"]))),
        (t("rating.cli.rated_at"), human_time(rating["rated_at"])),
        (t("rating.cli.comment"), rating.get("comment") or ""),
    ]
    f = rating.get("followup")
    if f:
        pairs += [(t("rating.cli.followup"), f"#{f['id']} {t(FOLLOWUP_STATUS.key(f['status']))}"),
                  (t("rating.cli.due"), f["due_date"])]
    print_fields(pairs)


def _followup_out(row: dict[str, Any], as_json: bool) -> None:
    from console.vocabulary import FOLLOWUP_STATUS

    if as_json:
        print_json(row)
        return
    print_fields([
        (t("rating.cli.id"), row["id"]), (t("rating.cli.case"), row["case_no"]),
        (t("rating.cli.status"), t(FOLLOWUP_STATUS.key(row["status"]))), (t("rating.cli.due"), row["due_date"]),
        (t("rating.cli.level"), _level_word(row["level"])), (t("rating.cli.comment"), row.get("comment") or ""),
        (t("rating.cli.callback"), row.get("callback_note") or ""), (t("rating.cli.remedy"), row.get("remedy") or ""),
    ])


@rating_app.command("add")
def rating_add(
    case_no: CaseArg,
    level: Annotated[str, typer.Option("--level", help="1 非常不满意 .. 5 非常满意.")],
    channel: Annotated[str, typer.Option("--channel", help="window | phone | online | device")] = "window",
    comment: Annotated[str | None, typer.Option("--comment", help="What the applicant said.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """记录评价 / Record the applicant's rating of a completed or delivered case."""
    from console.services import ratings

    db, actor = session()
    try:
        rating = ratings.add(db, actor, case_no, level, channel, comment)
    finally:
        db.close()
    if not as_json:
        typer.echo(t("rating.cli.added", case_no=case_no.upper()))
        if rating.get("followup"):
            typer.echo(t("rating.cli.followup_opened", id=rating["followup"]["id"], due=rating["followup"]["due_date"]))
    _rating_out(rating, as_json)


@rating_app.command("show")
def rating_show(case_no: CaseArg, as_json: JsonOpt = False) -> None:
    """查看评价 / A case's rating and its follow-up."""
    from console.services import ratings

    db, actor = session(read_only=True)
    try:
        rating = ratings.case_rating(db, actor, case_no)
    finally:
        db.close()
    _rating_out(rating, as_json)


@rating_app.command("followups")
def rating_followups(
    include_closed: Annotated[bool, typer.Option("--all", help="Closed follow-ups too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """差评回访整改清单 / The follow-ups of bad ratings, the earliest due first (supervisor)."""
    from console.services import ratings
    from console.vocabulary import FOLLOWUP_STATUS

    db, actor = session(read_only=True)
    try:
        rows = ratings.followups(db, actor, include_closed=include_closed)
    finally:
        db.close()
    if as_json:
        print_json(rows)
    elif not rows:
        typer.echo(t("rating.cli.no_followups"))
    else:
        print_table(
            ([r["id"], r["case_no"], _level_word(r["level"]), t(FOLLOWUP_STATUS.key(r["status"])), r["due_date"],
              "" if r["days_left"] is None else r["days_left"], r.get("comment") or ""] for r in rows),
            headers=[t("rating.cli.id"), t("rating.cli.case"), t("rating.cli.level"), t("rating.cli.status"),
                     t("rating.cli.due"), t("rating.cli.days_left"), t("rating.cli.comment")],
        )


@rating_app.command("callback")
def rating_callback(
    followup_id: IdArg,
    note: Annotated[str, typer.Option("--note", help="What the applicant said on the call back.")],
    as_json: JsonOpt = False,
) -> None:
    """记录回访 / Record the call back of a bad rating (supervisor)."""
    from console.services import ratings

    db, actor = session()
    try:
        row = ratings.callback(db, actor, followup_id, note)
    finally:
        db.close()
    _followup_out(row, as_json)


@rating_app.command("close")
def rating_close(
    followup_id: IdArg,
    remedy: Annotated[str, typer.Option("--remedy", help="What the hall did to put it right.")],
    as_json: JsonOpt = False,
) -> None:
    """整改办结 / Close a follow-up with its remedy, after the call back (supervisor)."""
    from console.services import ratings

    db, actor = session()
    try:
        row = ratings.close(db, actor, followup_id, remedy)
    finally:
        db.close()
    _followup_out(row, as_json)


def stats_command(as_json: JsonOpt = False) -> None:
    """统计 / The dashboard's figures: cases by status, overdue, speed, and the service ratings."""
    from console.services import stats

    db, actor = session(read_only=True)
    try:
        dash = stats.dashboard(db, actor)
    finally:
        db.close()
    figures = asdict(dash)
    figures["today"] = dash.today.isoformat()
    figures["ratings"] = dash.ratings.as_dict() if dash.ratings else None
    if as_json:
        print_json(figures)
        return
    r = dash.ratings
    rate = "-" if r is None or r.total.rate is None else f"{r.total.rate:.1%}"
    print_fields([
        (t("rating.cli.stats_total"), dash.total),
        (t("rating.cli.stats_overdue"), dash.overdue_cases),
        (t("rating.cli.stats_ratings"), r.total.ratings if r else 0),
        (t("rating.cli.stats_rate"), rate),
        (t("rating.cli.stats_bad"), t("rating.cli.stats_bad_value", open=r.total.bad_open if r else 0,
                                      closed=r.bad_closed if r else 0)),
    ])


def register(app: typer.Typer) -> None:
    app.add_typer(rating_app, name="rating")
    app.command("stats")(stats_command)
