"""``retire case promises`` and ``retire case paper``: the promises of acceptance on a promise (承诺办)."""
from __future__ import annotations

from typing import Annotated, Any

import typer

from console.cli_support import RetireTyper, print_fields, print_json, print_table, session
from console.i18n import t
from console.vocabulary import PROMISE_ACTION, PROMISE_STATUS

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def promises_command(
    case_no: Annotated[str | None, typer.Option("--case", help="Only this case's promises (open or closed).")] = None,
    expired: Annotated[bool, typer.Option("--expired", help="Only open promises past their deadline (the supervisor's list).")] = False,
    enforce: Annotated[bool, typer.Option("--enforce", help="Apply the rule of every expired promise (supervisor; the nightly job).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """承诺办：未兑现的承诺 / Promises: open ones, expired ones, and applying their rule."""
    from console.services.promises import enforce as enforce_rule
    from console.services.promises import list_promises

    db, actor = session()
    if enforce:
        done = enforce_rule(db, actor)
        if as_json:
            print_json(done)
            return
        print_table([[d["case_no"], t(f"materials.{d['material']}"), t(PROMISE_ACTION.key(d["action"])),
                      ", ".join(str(i) for i in d["held_tasks"]) or "-"] for d in done],
                    [t("cli_case.case_no"), t("promises.material"), t("promises.action"), t("promises.held_tasks")])
        typer.echo(t("promises.enforced", count=len(done)))
        return
    rows = list_promises(db, actor, expired=expired, case_no=case_no)
    if as_json:
        print_json([_public(r) for r in rows])
        return
    print_table(
        [[r["case_no"], r["person_name"], t(f"materials.{r['material']}"), r["deadline"],
          _days(r), t(PROMISE_STATUS.key(r["status"])), t(PROMISE_ACTION.key(r["on_expiry"]))] for r in rows],
        [t("cli_case.case_no"), t("promises.person"), t("promises.material"), t("promises.deadline"), t("promises.days_left"),
         t("promises.status"), t("promises.action")],
    )


def _days(row: dict[str, Any]) -> str:
    clock = row["clock"]
    text = t(f"clock_state.{clock['state']}") if clock["state"] in ("done", "done_late") else str(clock["days_left"])
    return f"{text} !" if clock["colour"] == "red" else text


def _public(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("case_no", "material", "joint_item", "promised_on", "deadline", "limit_days", "on_expiry", "status",
            "notice_no", "held_tasks", "closed_by", "closed_at", "clock", "expired")
    return {k: row.get(k) for k in keys}


def paper_command(
    case_no: Annotated[str, typer.Argument(help="Case number.")],
    material: Annotated[str, typer.Option("--material", help="The promised material code handed in.")],
    as_json: JsonOpt = False,
) -> None:
    """承诺材料已补交 / The promised paper arrived: the promise closes, a held task runs again."""
    from console.services.promises import paper_arrived

    db, actor = session()
    out = paper_arrived(db, actor, case_no, material)
    if as_json:
        print_json(out)
        return
    print_fields([(t("cli_case.case_no"), out["case_no"]), (t("promises.material"), t(f"materials.{out['material']}")),
                  (t("promises.status"), t(PROMISE_STATUS.key("fulfilled")))])


def register_promises(case_app: RetireTyper) -> None:
    case_app.command("promises")(promises_command)
    case_app.command("paper")(paper_command)
