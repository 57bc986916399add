"""Changes after registration from the shell: ``retire person edit``, ``retire case edit``,
``retire case withdraw`` and ``retire delivery readdress``.

Thin like the other command groups: parse, call ``console.services.case_edits``
(or ``delivery.readdress``), print.  ``--version`` names the version read
(``case show --json``); a stale one is refused naming who saved and when.
"""
from __future__ import annotations

from typing import Annotated, Any

import typer

from console.cli_support import RetireTyper, print_fields, print_json, session
from console.errors import BadInput
from console.i18n import t
from console.vocabulary import CASE_STATUS

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
VersionOpt = Annotated[int | None, typer.Option("--version", help="The version you read (stale saves are refused).")]
person_app = RetireTyper(help="登记后修改申请人信息 / The applicant's details after registration.")


def person_edit(
    id_number: Annotated[str, typer.Argument(help="ID number of the registered person.")],
    phone: Annotated[str | None, typer.Option("--phone", help="New phone (\"\" clears it).")] = None,
    address: Annotated[str | None, typer.Option("--address", help="New address (\"\" clears it).")] = None,
    bank_card: Annotated[str | None, typer.Option("--bank-card", help="New bank card number (\"\" clears it).")] = None,
    version: Annotated[int | None, typer.Option("--version", help="The PERSON version you read (case show --json).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """修改电话、地址、银行卡（留痕） / Change phone, address or bank card (versioned, audited)."""
    from console.services.case_edits import edit_person

    changes = {k: v for k, v in (("phone", phone), ("address", address), ("bank_card", bank_card)) if v is not None}
    if not changes:
        raise BadInput("cli_edit.nothing_to_change")
    db, actor = session()
    out = edit_person(db, actor, id_number, changes, version)
    if as_json:
        print_json(out)
        return
    person = out["person"]
    print_fields([(t("cli_edit.person"), f"{person['name']} {person['id_number']}"),
                  (t("cli_edit.changed"), t("cli_edit.sep").join(t(f"cli_edit.field.{f}") for f in out["changed"]) or t("cli_edit.unchanged")),
                  (t("cli_edit.version"), out["version"])])


def _joint_words(value: list[str] | None) -> tuple[list[str], list[str]]:
    """``+medical`` adds, ``-health`` removes; a bare code adds."""
    add: list[str] = []
    remove: list[str] = []
    for word in value or []:
        (remove if word.startswith("-") else add).append(word.lstrip("+-"))
    return add, remove


def case_edit(
    case_no: Annotated[str, typer.Argument(help="Case number, e.g. GY-2026-000123.")],
    joint: Annotated[list[str] | None, typer.Option(
        "--joint", help="+item adds a joint item, -item removes it (repeat): medical, housing_fund, health.")] = None,
    version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """增减联办事项（任务未开始时） / Add or remove joint items while their task has not started."""
    from console.services.case_edits import edit_case

    add, remove = _joint_words(joint)
    if not add and not remove:
        raise BadInput("cli_edit.nothing_to_change")
    db, actor = session()
    out = edit_case(db, actor, case_no, add, remove, version)
    if as_json:
        print_json(out)
        return
    print_fields([(t("cli_case.case_no"), out["case_no"]),
                  (t("cli_edit.joint_items"), t("cli_edit.sep").join(t(f"joint_items.{i}") for i in out["joint_items"]) or "-"),
                  (t("cli_edit.tasks_added"), ", ".join(map(str, out["tasks_added"])) or "-"),
                  (t("cli_edit.tasks_removed"), ", ".join(map(str, out["tasks_removed"])) or "-"),
                  (t("cli_edit.version"), out["version"])])


def case_withdraw(
    case_no: Annotated[str, typer.Argument(help="Case number, e.g. GY-2026-000123.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (e.g. the applicant asked in writing).")],
    version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """撤回申请：在办案件终结，任务暂停（留痕） / Withdraw: the open case ends, its tasks are held."""
    from console.services.case_edits import withdraw_case

    db, actor = session()
    out = withdraw_case(db, actor, case_no, reason, version)
    if as_json:
        print_json(out)
        return
    print_fields([(t("cli_case.case_no"), out["case_no"]), (t("cli_case.status"), t(CASE_STATUS.key(out["status"]))),
                  (t("cli_edit.reason"), out["reason"])])


def delivery_readdress(
    case_no: Annotated[str, typer.Argument(help="Case number, e.g. GY-2026-000123.")],
    address: Annotated[str, typer.Option("--address", help="The new delivery address.")],
    courier: Annotated[str, typer.Option("--courier", help="Courier, e.g. EMS.")],
    waybill: Annotated[str, typer.Option("--waybill", help="The new waybill number.")],
    note: Annotated[str | None, typer.Option("--note", help="Why it came back, if the return is not recorded yet.")] = None,
    version: Annotated[int | None, typer.Option("--version", help="The last DELIVERY's version you read.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """退件改址重寄（保留上次寄送记录） / Re-address a returned parcel and send it again (history kept)."""
    from console.services.delivery import readdress

    db, actor = session()
    row: dict[str, Any] = readdress(db, actor, case_no, address, courier, waybill, note, version)
    if as_json:
        print_json(row)
        return
    print_fields([(k, row.get(k)) for k in ("courier", "waybill", "address", "version")])


def register_edits(case_app: RetireTyper, delivery_app: RetireTyper) -> None:
    """The case and delivery commands of this module join their groups (registered by console.cli_case)."""
    case_app.command("edit")(case_edit)
    case_app.command("withdraw")(case_withdraw)
    delivery_app.command("readdress")(delivery_readdress)


def register(app: typer.Typer) -> None:
    person_app.command("edit")(person_edit)
    app.add_typer(person_app, name="person")
