"""The text policy at the service door (issue 11 item 7, issue 12 item 4).

Names, addresses, phones, task results and reasons refuse control, bidi and
zero-width characters (exit 2, one line); ID numbers, dates, months and
phones are NFKC-normalised to ASCII digits and other digit scripts are
refused; the importer's length limits apply everywhere.  Rows already stored
that break the policy are listed by ``retire doctor``, and a county-wide
recompute skips and reports such a row instead of dying for everyone.
"""
from __future__ import annotations

import json
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from console.errors import BadInput
from console.rules.idcard import make_id, parse_id
from console.services import delivery, intake, prereview, tasks, upcoming
from console.services.data_checks import stored_policy_breaks
from tests.workflow_helpers import (
    PRE_REVIEW,
    TODAY,
    accepted_case,
    applicant,
    id_number,
    open_case,
    task_ids,
)

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ESCAPE_NAME = "\x1b]0;x\x07王"


@pytest.fixture
def carol(staff):
    return staff("carol", "clerk", "hrss_reviewer")


def _count(db, table: str) -> int:
    return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# -- services: every free-text field ------------------------------------------------


@pytest.mark.parametrize("bad", [ESCAPE_NAME, "王\u202e芳", "王\u200b芳", "王\x85芳", "王\x00芳"])
def test_intake_refuses_forbidden_characters_in_a_name(db, carol, bad: str) -> None:
    with pytest.raises(BadInput) as info:
        intake.open_case(db, carol, applicant(name=bad), "normal", [], [], today=TODAY)
    assert info.value.key == "text.forbidden_char" and info.value.params["field"] == "name"
    assert _count(db, "persons") == 0 and _count(db, "cases") == 0


@pytest.mark.parametrize("field", ["address", "hukou"])
def test_intake_refuses_forbidden_characters_in_address_and_hukou(db, carol, field: str) -> None:
    a = applicant()
    setattr(a, field, "固阳县\x1b[2J金山镇")
    with pytest.raises(BadInput) as info:
        intake.open_case(db, carol, a, "normal", [], [], today=TODAY)
    assert info.value.params["field"] == field
    assert _count(db, "persons") == 0


def test_the_importers_length_limit_applies_at_the_window(db, carol) -> None:
    a = applicant()
    a.address = "固" * 501
    with pytest.raises(BadInput) as info:
        intake.open_case(db, carol, a, "normal", [], [], today=TODAY)
    assert info.value.key == "text.too_long" and info.value.params["limit"] == 500
    a.address = "固" * 500
    intake.open_case(db, carol, a, "normal", [], [], today=TODAY)


def test_id_number_in_full_width_or_superscript_digits_is_one_person(db, carol) -> None:
    number = id_number()
    wide = number.translate(FULL_WIDTH)
    case = intake.open_case(db, carol, applicant(), "normal", [], [], today=TODAY)
    # the same person typed in full-width digits is the same person (the open case is found), not a second row
    a = applicant()
    a.id_number = wide
    with pytest.raises(Exception) as info:
        intake.open_case(db, carol, a, "normal", [], [], today=TODAY)
    assert getattr(info.value, "key", "") == "intake.open_case_exists"
    assert info.value.params["case_no"] == case["case_no"]
    assert _count(db, "persons") == 1
    assert db.execute("SELECT id_number FROM persons").fetchone()[0] == number


def test_superscript_two_normalises_to_two(db, carol) -> None:
    number = id_number()
    position = number.index("2")
    sup = number[:position] + "²" + number[position + 1:]
    a = applicant()
    a.id_number = sup
    intake.open_case(db, carol, a, "normal", [], [], today=TODAY)
    assert db.execute("SELECT id_number FROM persons").fetchone()[0] == number


def test_id_number_in_arabic_indic_digits_is_refused(db, carol) -> None:
    a = applicant()
    a.id_number = id_number().translate(ARABIC_INDIC)
    with pytest.raises(BadInput) as info:
        intake.open_case(db, carol, a, "normal", [], [], today=TODAY)
    assert info.value.key == "text.foreign_digit" and info.value.params["field"] == "id_number"
    assert _count(db, "persons") == 0


def test_the_pure_rule_never_raises_on_foreign_digits() -> None:
    number = make_id("150222", date(1966, 6, 15), 11)
    for bad in (number.replace("2", "²", 1), number.translate(ARABIC_INDIC)):
        card = parse_id(bad)
        assert not card.valid and card.error == "rules.id.format"


@pytest.mark.parametrize("phone,stored", [
    ("13800000000", "13800000000"),
    ("１３８００００００００", "13800000000"),
    ("0472-1234567", "0472-1234567"),
    ("(0472)81234567", "047281234567"),
    ("+86 138 0000 0000", "+8613800000000"),
])
def test_phones_are_normalised_and_format_checked(db, carol, phone: str, stored: str) -> None:
    a = applicant()
    a.phone = phone
    intake.register_applicant(db, carol, a)
    assert db.execute("SELECT phone FROM persons").fetchone()[0] == stored


@pytest.mark.parametrize("phone", ["12345", "138000000001", "23800000000", "0472-12", "１３８００００００٠٠", "138\u200b00000000"])
def test_bad_phones_are_refused(db, carol, phone: str) -> None:
    a = applicant()
    a.phone = phone
    with pytest.raises(BadInput) as info:
        intake.register_applicant(db, carol, a)
    assert info.value.key in ("door.bad_phone", "text.foreign_digit", "text.forbidden_char")
    assert _count(db, "persons") == 0


def test_chosen_month_and_bank_card_digits(db, carol) -> None:
    a = applicant(bank_card="６２２２０２１２３４５６７８９０")
    case = intake.open_case(db, carol, a, "normal", [], [], chosen_month="２０２６-１１", today=TODAY)
    assert case["chosen_month"] == "2026-11"
    assert db.execute("SELECT bank_card FROM persons").fetchone()[0] == "6222021234567890"
    b = applicant(seq=13, bank_card="6222٠21234567890")
    with pytest.raises(BadInput):
        intake.open_case(db, carol, b, "normal", [], [], today=TODAY)


def test_a_mixed_han_latin_name_is_refused(db, carol) -> None:
    """Issue 14 bug 9 reversed the earlier decision: 王yan is refused with a hint (rare-character input,
    letters or the middle dot for a foreign or minority name); nothing is stored."""
    with pytest.raises(BadInput) as info:
        intake.open_case(db, carol, applicant(name="王yan"), "normal", [], [], today=TODAY)
    assert info.value.key == "door.mixed_name_refused"
    assert _count(db, "persons") == 0


def test_task_result_and_missing_refuse_forbidden_characters(db, carol) -> None:
    case_no, _ = accepted_case(db, carol)
    card = task_ids(db, case_no)["hrss.card"]
    tasks.claim(db, carol, card)
    version = db.execute("SELECT version FROM tasks WHERE id = ?", [card]).fetchone()[0]
    for call, field in ((lambda: tasks.complete(db, carol, card, "办结\x1b[2J", today=TODAY), "result"),
                        (lambda: tasks.return_task(db, carol, card, "社保卡\u202e原件"), "missing")):
        with pytest.raises(BadInput) as info:
            call()
        assert info.value.params["field"] == field
    row = db.execute("SELECT status, version, result FROM tasks WHERE id = ?", [card]).fetchone()
    assert row == ("claimed", version, None)


def _completed_case(db, carol, staff) -> str:
    mel = staff("mel", "medical")
    case_no, _ = accepted_case(db, carol)
    ids = task_ids(db, case_no)
    for item in ("hrss.approval", "hrss.card", "hrss.benefit", "hrss.social_management"):
        tasks.claim(db, carol, ids[item])
        tasks.complete(db, carol, ids[item], "ok", today=TODAY)
    tasks.claim(db, mel, ids["medical.transfer"])
    tasks.complete(db, mel, ids["medical.transfer"], "ok", today=TODAY)
    return case_no


def test_delivery_fields_go_through_the_policy(db, carol, staff) -> None:
    case_no = _completed_case(db, carol, staff)
    with pytest.raises(BadInput) as info:
        delivery.send(db, carol, case_no, "EMS\x1b]0;x\x07", "EA1")
    assert info.value.params["field"] == "courier"
    with pytest.raises(BadInput) as info:
        delivery.send(db, carol, case_no, "EMS", "EA٠٠1")
    assert info.value.params["field"] == "waybill"
    assert _count(db, "deliveries") == 0
    sent = delivery.send(db, carol, case_no, "EMS", "ＥＡ０００１ＣＮ")
    assert sent["waybill"] == "EA0001CN"
    with pytest.raises(BadInput) as info:
        delivery.returned(db, carol, case_no, "查无\u200b此人")
    assert info.value.params["field"] == "note"


def test_prereview_dates_months_and_places(db, carol) -> None:
    case_no = open_case(db, carol)
    records = [dict(r) for r in PRE_REVIEW["archive_records"]]
    periods = [dict(p) for p in PRE_REVIEW["periods"]]
    wide = [{**records[0], "doc_date": "１９８０-０９-０１"}, records[1]]
    result = prereview.record(db, carol, case_no, wide, periods, today=TODAY)
    assert result.facts["birth_date"] == "1966-06-15"
    assert db.execute("SELECT doc_date FROM archive_records ORDER BY id").fetchone()[0] == "1980-09-01"
    before = db.execute("SELECT version FROM facts").fetchone()[0]
    bad_date = [{**records[0], "birth_date_recorded": "١٩٦٦-٠٦-١٥"}, records[1]]
    with pytest.raises(BadInput) as info:
        prereview.record(db, carol, case_no, bad_date, periods, today=TODAY)
    assert info.value.key == "text.foreign_digit"
    bad_place = [{**periods[0], "place": "固阳县\x1b[2J"}, periods[1]]
    with pytest.raises(BadInput) as info:
        prereview.record(db, carol, case_no, records, bad_place, today=TODAY)
    assert info.value.params["field"] == "place"
    bad_month = [{**periods[0], "from": "١٩٨٥-01"}, periods[1]]
    with pytest.raises(BadInput):
        prereview.record(db, carol, case_no, records, bad_month, today=TODAY)
    bad_note = [{**records[0], "note": "备注\u2066"}, records[1]]
    with pytest.raises(BadInput):
        prereview.record(db, carol, case_no, bad_note, periods, today=TODAY)
    assert db.execute("SELECT version FROM facts").fetchone()[0] == before


def test_told_note_goes_through_the_policy(db, carol) -> None:
    intake.register_applicant(db, carol, applicant())
    with pytest.raises(BadInput) as info:
        upcoming.record_contact(db, carol, id_number(), "phone", "已告知\x1b[2J")
    assert info.value.params["field"] == "note"
    wide = id_number().translate(FULL_WIDTH)
    told = upcoming.record_contact(db, carol, wide, "phone", "已告知")
    assert told["id_number"] == id_number()


# -- rows already stored ------------------------------------------------------------


def _poison(db) -> tuple[int, int]:
    """Two people registered properly, then broken by SQL: an escape in one name, Arabic-Indic digits in a birth date."""
    with db.conn:
        db.execute("UPDATE persons SET name = ? WHERE id = 1", ["王\x1b]0;x\x07芳"])
        db.execute("UPDATE persons SET birth_date_id = ? WHERE id = 2", ["١٩٦٦-٠٦-١٥"])
    return 1, 2


def test_stored_breaks_are_listed_with_their_ids(db, carol) -> None:
    for seq in (11, 13, 15):
        intake.register_applicant(db, carol, applicant(seq=seq))
    assert stored_policy_breaks(db).count == 0
    _poison(db)
    report = stored_policy_breaks(db)
    assert report.count == 2
    persons = report.tables[0]
    assert persons.table == "persons" and persons.first == [(1, ["name"]), (2, ["birth_date_id"])]
    assert "#1 name" in report.summary() and "#2 birth_date_id" in report.summary()


def test_recompute_skips_and_reports_a_poisoned_person(db, carol) -> None:
    for seq in (11, 13, 15):
        intake.register_applicant(db, carol, applicant(seq=seq))
    _poison(db)
    result = upcoming.recompute(db, carol, everyone=True)
    assert result.skipped == [2] and result.persons == 2
    stored = [r[0] for r in db.execute("SELECT person_id FROM person_status ORDER BY person_id").fetchall()]
    assert stored == [1, 3]
    detail = json.loads(db.execute("SELECT detail FROM audit WHERE action = 'prereview.recompute'").fetchone()[0])
    assert detail["skipped"] == 1 and detail["skipped_ids"] == [2]


def test_a_case_of_a_poisoned_person_is_one_line_not_a_traceback(db, carol) -> None:
    case_no = open_case(db, carol)
    with db.conn:
        db.execute("UPDATE persons SET birth_date_id = ? WHERE id = 1", ["١٩٦٦-٠٦-١٥"])
    with pytest.raises(BadInput) as info:
        prereview.preview(db, carol, case_no, today=TODAY)
    assert info.value.key == "data_checks.unreadable_person"
    assert "doctor" in info.value.text("en")


# -- the CLI ------------------------------------------------------------------------


class Shell:
    def __init__(self, app: Any) -> None:
        self.app, self.runner = app, CliRunner()

    def run(self, login: str, *args: str, code: int = 0) -> Any:
        result = self.runner.invoke(self.app, list(args), env={"RETIRE_LOGIN": login})
        text = (result.stdout or "") + (result.stderr or "")
        assert "Traceback" not in text, text
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"retire {' '.join(args)} crashed: {result.exception!r}\n{text}")
        assert result.exit_code == code, f"retire {' '.join(args)}: exit {result.exit_code}\n{text}"
        return result


@pytest.fixture
def sh(env: dict[str, str], cli_app: Any) -> Shell:
    shell = Shell(cli_app)
    shell.run("alice", "init")
    shell.run("alice", "staff", "add", "carol", "--name", "Carol", "--role", "clerk", "--role", "hrss_reviewer")
    return shell


def _db(env: dict[str, str]):
    from db.connection import open_database

    return open_database(Path(env["RETIRE_DB"]), create=False)


def test_case_new_with_a_terminal_escape_in_the_name_exits_2(sh: Shell, env: dict[str, str]) -> None:
    result = sh.run("carol", "case", "new", "--id", id_number(), "--name", ESCAPE_NAME, code=2)
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "U+001B" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    db = _db(env)
    try:
        assert _count(db, "persons") == 0 and _count(db, "cases") == 0
    finally:
        db.close()


@pytest.mark.parametrize("name", ["王\u202e芳", "王\u200d芳", "王\u2066芳"])
def test_case_new_refuses_bidi_and_zero_width(sh: Shell, name: str) -> None:
    sh.run("carol", "case", "new", "--id", id_number(), "--name", name, code=2)


def test_case_new_normalises_the_id_and_refuses_a_mixed_name(sh: Shell) -> None:
    number = id_number()
    refused = sh.run("carol", "case", "new", "--id", number.translate(FULL_WIDTH), "--name", "王yan", code=2)
    assert "王yan" in refused.stderr
    result = sh.run("carol", "case", "new", "--id", number.translate(FULL_WIDTH), "--name", "王岩", "--json")
    case_no = json.loads(result.stdout)["case_no"]
    shown = json.loads(sh.run("carol", "case", "show", case_no, "--json").stdout)
    assert shown["person"]["id_number"] == number
    sh.run("carol", "case", "new", "--id", number.translate(ARABIC_INDIC), "--name", "张三", code=2)
    sh.run("carol", "case", "new", "--id", id_number(13), "--name", "张三", "--phone", "12345", code=2)


def test_calc_idcard_superscript_and_arabic_indic(sh: Shell) -> None:
    number = id_number()
    position = number.index("2")
    sup = number[:position] + "²" + number[position + 1:]
    assert unicodedata.normalize("NFKC", sup) == number
    out = json.loads(sh.run("carol", "calc", "idcard", sup, "--json").stdout)
    assert out["number"] == number and out["valid"] is True
    result = sh.run("carol", "calc", "idcard", number.translate(ARABIC_INDIC), code=2)
    assert "U+0661" in result.stderr or "U+0660" in result.stderr
    sh.run("carol", "calc", "retirement", "--birth", "١٩٦٦-06", "--group", "male", code=2)


def test_prereview_all_skips_a_poisoned_person_and_carries_on(sh: Shell, env: dict[str, str]) -> None:
    for seq, name in ((11, "张三"), (13, "李四"), (15, "王五")):
        sh.run("carol", "case", "new", "--id", id_number(seq), "--name", name)
    db = _db(env)
    try:
        bad = db.execute("SELECT id FROM persons WHERE name = '李四'").fetchone()[0]
        with db.conn:
            db.execute("UPDATE persons SET birth_date_id = ? WHERE id = ?", ["١٩٦٦-٠٦-١٥", bad])
    finally:
        db.close()
    result = sh.run("carol", "prereview", "--all", "--json")  # partial success is success: exit 0
    data = json.loads(result.stdout)
    assert data["persons"] == 2 and data["skipped"] == {"count": 1, "person_ids": [bad]}
    assert str(bad) in result.stderr and "doctor" in result.stderr
    db = _db(env)
    try:
        computed = {r[0] for r in db.execute("SELECT person_id FROM person_status").fetchall()}
        assert bad not in computed and len(computed) == 2
    finally:
        db.close()
    text = sh.run("carol", "prereview", "--all")
    assert str(bad) in text.stderr
    doctor = sh.runner.invoke(sh.app, ["doctor", "--json"], env={"RETIRE_LOGIN": "alice"})
    assert "Traceback" not in (doctor.stdout or "") + (doctor.stderr or "")
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["stored_text"]["ok"] is True  # a warning: listed, not a failure
    assert f"#{bad} birth_date_id" in checks["stored_text"]["detail"]


@pytest.mark.parametrize("records,periods", [([5], None), (None, {"a": 1}), ([{"doc_kind": "school_record", "note": 123}], None),
                                             (None, [{"from": 198501, "to": "1995-12", "kind": "actual"}])])
def test_prereview_rows_of_the_wrong_shape_are_bad_input(db, carol, records, periods) -> None:
    case_no = open_case(db, carol)
    with pytest.raises(BadInput):
        prereview.record(db, carol, case_no, records, periods, today=TODAY)
    assert _count(db, "facts") == 0


def test_start_prereview_of_a_person_imported_with_an_older_phone_format(db, carol) -> None:
    """An imported phone the door would now refuse does not stop the pre-review; it stays stored as it was."""
    intake.register_applicant(db, carol, applicant())
    with db.conn:
        db.execute("UPDATE persons SET phone = '555-1234' WHERE id = 1")
    case = upcoming.start_prereview(db, carol, id_number(), today=TODAY)
    assert case["status"] == "draft"
    assert db.execute("SELECT phone FROM persons").fetchone()[0] == "555-1234"
