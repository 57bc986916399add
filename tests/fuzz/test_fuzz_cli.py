"""Fuzz every CLI argument that takes text, a date, a month or a number.

One test per entry point; each draws mostly-valid arguments with hostile
mutations as a real argv can carry them (no NUL; undecodable bytes arrive as
surrogateescape surrogates), runs the command in-process on a fresh copy of
the template hall and checks the contract of issue 12 item 8
(``harness.check_run``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.rules.birth_date import DOC_KINDS
from console.rules.materials import CASE_KINDS, JOINT_ITEMS, MATERIALS
from tests.fuzz import strategies as fz
from tests.fuzz.harness import CLERK, Template, check_run, fuzz_settings, run_cli
from tests.workflow_helpers import PRE_REVIEW

text = fz.arg_text
MATERIAL_CODES = [m.code for m in MATERIALS]


def opt(draw: st.DrawFn, args: list[str], flag: str, value: st.SearchStrategy[str], p_absent: int = 3) -> None:
    """Append ``flag value`` unless the 1-in-``p_absent`` draw leaves it out (0: always present)."""
    if p_absent and draw(st.integers(0, p_absent - 1)) == 0:
        return
    args += [flag, draw(value)]


def codes(valid: list[str]) -> st.SearchStrategy[str]:
    return text(st.sampled_from(valid))


def ints(low: int, high: int) -> st.SearchStrategy[str]:
    return st.one_of(fz.arg_int(low, high), st.sampled_from(["-1", "0", str(2**63), str(2**64), "9" * 5000, "1.5", ""]))


def run(template: Template, scratch: Path, tag: str, args: list[str], login: str = CLERK, lang: str = "en",
        files: dict[str, bytes] | None = None) -> None:
    db = template.fresh(scratch, tag)
    before = template.baseline
    outcome = run_cli(db, args, login=login, lang=lang)
    check_run(outcome, db, before, entry=tag.replace("_", " "), inputs=files)


langs = st.sampled_from(["en", "zh"])


@fuzz_settings(200)
@given(data=st.data(), lang=langs)
def test_case_new(template: Template, scratch: Path, data: st.DataObject, lang: str) -> None:
    draw = data.draw
    args = ["case", "new"]
    opt(draw, args, "--id", text(fz.id_numbers(template.known)), 0)
    opt(draw, args, "--name", text(fz.names), 0)
    opt(draw, args, "--phone", text(fz.phones))
    opt(draw, args, "--address", text(fz.addresses))
    opt(draw, args, "--hukou", text(fz.addresses), 2)
    opt(draw, args, "--kind", codes(list(CASE_KINDS)), 2)
    opt(draw, args, "--category", codes(["worker", "cadre", "flexible"]), 2)
    opt(draw, args, "--female-group", codes(["female50", "female55"]), 4)
    opt(draw, args, "--retire-at", text(fz.months), 4)
    opt(draw, args, "--employer", text(fz.credit_codes), 3)
    opt(draw, args, "--employer-name", text(st.just("固阳县农机修造厂")), 3)
    opt(draw, args, "--bank-card", text(fz.bank_cards), 3)
    for _ in range(draw(st.integers(0, 4))):
        opt(draw, args, "--received", codes(MATERIAL_CODES), 0)
    for _ in range(draw(st.integers(0, 2))):
        opt(draw, args, "--joint", codes(list(JOINT_ITEMS)), 0)
    if draw(st.booleans()):
        args.append("--json")
    run(template, scratch, "case_new", args, lang=lang)


@fuzz_settings(200)
@given(data=st.data())
def test_calc_retirement(template: Template, scratch: Path, data: st.DataObject) -> None:
    draw = data.draw
    args = ["calc", "retirement"]
    opt(draw, args, "--birth", text(st.one_of(fz.months, fz.iso_dates)), 0)
    opt(draw, args, "--group", codes(["male", "female55", "female50"]), 0)
    opt(draw, args, "--retire-at", text(fz.months), 2)
    if draw(st.booleans()):
        args.append("--json")
    run(template, scratch, "calc_retirement", args, lang=draw(langs))


@fuzz_settings(200)
@given(data=st.data())
def test_calc_pension(template: Template, scratch: Path, data: st.DataObject) -> None:
    draw = data.draw
    args = ["calc", "pension"]
    opt(draw, args, "--base", fz.arg_decimal(0, 20000), 0)
    opt(draw, args, "--index", fz.arg_decimal(0, 3, 3), 0)
    opt(draw, args, "--months", ints(0, 700), 0)
    opt(draw, args, "--balance", fz.arg_decimal(0, 500000), 0)
    opt(draw, args, "--age", text(fz.ages), 0)
    opt(draw, args, "--transition-months", ints(0, 300), 2)
    if draw(st.booleans()):
        args.append("--json")
    run(template, scratch, "calc_pension", args, lang=draw(langs))


@fuzz_settings(200)
@given(number=text(fz.id_numbers()), as_json=st.booleans(), lang=langs)
def test_calc_idcard(template: Template, scratch: Path, number: str, as_json: bool, lang: str) -> None:
    run(template, scratch, "calc_idcard", ["calc", "idcard", number, *(["--json"] if as_json else [])], lang=lang)


@st.composite
def period_files(draw: st.DrawFn) -> bytes:
    lines = [fz.mutated(draw, line) for line in draw(fz.period_csv_lines)]
    if draw(st.booleans()):
        lines.insert(0, draw(st.sampled_from(["from,to,kind,place", "from,to,kind", "起,止,类型", "x"])))
    encoding = draw(st.sampled_from(fz.ENCODINGS))
    return draw(fz.byte_damage(fz._encode("\n".join(lines) + "\n", encoding)))


@fuzz_settings(200)
@given(content=period_files(), as_json=st.booleans())
def test_calc_contributions(template: Template, scratch: Path, content: bytes, as_json: bool) -> None:
    path = scratch / "periods.csv"
    path.write_bytes(content)
    run(template, scratch, "calc_contributions", ["calc", "contributions", str(path), *(["--json"] if as_json else [])],
        files={"periods.csv": content})


def task_id(template: Template) -> st.SearchStrategy[str]:
    return st.one_of(st.just(str(template.claimed_task)), st.just(str(template.claimed_task)),
                     ints(0, 20))


@fuzz_settings(200)
@given(data=st.data())
def test_task_done(template: Template, scratch: Path, data: st.DataObject) -> None:
    draw = data.draw
    args = ["task", "done", draw(task_id(template))]
    opt(draw, args, "--result", text(st.sampled_from(["社保卡状态已变更", "approved", "准予退休", "ok"])), 0)
    opt(draw, args, "--version", ints(0, 10), 3)
    if draw(st.booleans()):
        args.append("--json")
    run(template, scratch, "task_done", args, lang=draw(langs))


@fuzz_settings(200)
@given(data=st.data())
def test_task_return(template: Template, scratch: Path, data: st.DataObject) -> None:
    draw = data.draw
    args = ["task", "return", draw(task_id(template))]
    opt(draw, args, "--missing", text(st.sampled_from(["缺少户口簿", "missing hukou page", "档案"])), 0)
    opt(draw, args, "--version", ints(0, 10), 3)
    if draw(st.booleans()):
        args.append("--json")
    run(template, scratch, "task_return", args, lang=draw(langs))


@fuzz_settings(200)
@given(data=st.data())
def test_delivery_send(template: Template, scratch: Path, data: st.DataObject) -> None:
    draw = data.draw
    case = draw(st.one_of(st.just(template.completed_case), st.just(template.completed_case), text(st.just(template.completed_case))))
    args = ["delivery", "send", case]
    opt(draw, args, "--courier", text(st.sampled_from(["EMS", "顺丰", "中国邮政"])), 0)
    opt(draw, args, "--waybill", text(st.builds(lambda n: f"EA{n:09d}CN", st.integers(0, 10**9 - 1))), 0)
    opt(draw, args, "--address", text(fz.addresses), 2)
    if draw(st.booleans()):
        args.append("--json")
    run(template, scratch, "delivery_send", args, lang=draw(langs))


@fuzz_settings(200)
@given(data=st.data())
def test_case_search(template: Template, scratch: Path, data: st.DataObject) -> None:
    draw = data.draw
    needle = draw(text(st.one_of(st.sampled_from(["zs", "张", "李四", template.draft_case, "%", "_", "'", "\"", "*", "GY-"]),
                                 st.sampled_from(template.known), fz.names)))
    args = ["case", "search", needle]
    opt(draw, args, "--limit", ints(1, 1000), 2)
    if draw(st.booleans()):
        args.append("--json")
    run(template, scratch, "case_search", args, lang=draw(langs))


@fuzz_settings(200)
@given(data=st.data())
def test_case_list(template: Template, scratch: Path, data: st.DataObject) -> None:
    draw = data.draw
    args = ["case", "list"]
    opt(draw, args, "--from", text(fz.iso_dates), 2)
    opt(draw, args, "--to", text(fz.iso_dates), 2)
    opt(draw, args, "--status", codes(["draft", "accepted", "completed", "delivered", "refused"]), 2)
    opt(draw, args, "--department", codes(["hrss", "medical", "housing_fund", "health"]), 3)
    opt(draw, args, "--limit", ints(1, 100000), 3)
    opt(draw, args, "--offset", ints(0, 100), 3)
    if draw(st.booleans()):
        args.append("--json")
    run(template, scratch, "case_list", args, lang=draw(langs))


@fuzz_settings(200)
@given(data=st.data())
def test_upcoming(template: Template, scratch: Path, data: st.DataObject) -> None:
    draw = data.draw
    args = ["upcoming"]
    opt(draw, args, "--months", ints(0, 36), 2)
    opt(draw, args, "--from", text(fz.months), 2)
    opt(draw, args, "--flag", codes(["short", "deemed", "no_prereview", "birth_mismatch", "lost_archive", "outside"]), 2)
    opt(draw, args, "--limit", ints(1, 100), 3)
    if draw(st.booleans()):
        args.append("--json")
    run(template, scratch, "upcoming", args, lang=draw(langs))


@fuzz_settings(120)
@given(data=st.data())
def test_upcoming_told(template: Template, scratch: Path, data: st.DataObject) -> None:
    draw = data.draw
    args = ["upcoming", "told", draw(text(st.sampled_from(template.known)))]
    opt(draw, args, "--channel", codes(["phone", "sms", "visit", "letter", "wechat"]), 2)
    opt(draw, args, "--note", text(st.sampled_from(["已电话告知", "本人不在", "家属代接"])), 2)
    opt(draw, args, "--date", text(fz.iso_dates), 2)
    if draw(st.booleans()):
        args.append("--json")
    run(template, scratch, "upcoming_told", args, lang=draw(langs))


@fuzz_settings(120)
@given(data=st.data())
def test_case_refuse(template: Template, scratch: Path, data: st.DataObject) -> None:
    draw = data.draw
    case = draw(st.one_of(st.just(template.draft_case), text(st.just(template.draft_case))))
    args = ["case", "refuse", case]
    opt(draw, args, "--reason", text(st.sampled_from(["申请人撤回申请", "not eligible", "重复申请"])), 0)
    opt(draw, args, "--version", ints(0, 10), 3)
    if draw(st.booleans()):
        args.append("--json")
    run(template, scratch, "case_refuse", args, lang=draw(langs))


def _mutate_payload(draw: st.DrawFn, value: Any) -> Any:
    """Walk PRE_REVIEW, mutating strings and sometimes types."""
    if isinstance(value, dict):
        return {k: _mutate_payload(draw, v) for k, v in value.items() if draw(st.integers(0, 20))}
    if isinstance(value, list):
        items = [_mutate_payload(draw, v) for v in value]
        if draw(st.integers(0, 10)) == 0:
            items = items * draw(st.integers(2, 50))
        return items
    if isinstance(value, str):
        if draw(st.integers(0, 15)) == 0:
            return draw(st.sampled_from(fz.JSON_ODD_VALUES))
        return fz.mutated(draw, value)
    return value


@st.composite
def prereview_files(draw: st.DrawFn) -> tuple[str, bytes]:
    how = draw(st.sampled_from(["json"] * 4 + ["periods", "archive", "raw"]))
    if how == "json":
        payload = _mutate_payload(draw, json.loads(json.dumps(PRE_REVIEW)))
        textual = json.dumps(payload, ensure_ascii=draw(st.booleans()))
        if draw(st.integers(0, 15)) == 0:
            textual = '{"periods": ' + "[" * 100_000 + "]" * 100_000 + "}"
        return "--file", draw(fz.byte_damage(fz._encode(textual, draw(st.sampled_from(fz.ENCODINGS)))))
    if how == "periods":
        lines = ["from,to,kind,place"] + [fz.mutated(draw, f"{p['from']},{p['to']},{p['kind']},{p['place']}") for p in PRE_REVIEW["periods"]]
        return "--periods", draw(fz.byte_damage(fz._encode("\n".join(lines) + "\n", draw(st.sampled_from(fz.ENCODINGS)))))
    if how == "archive":
        lines = ["doc_kind,doc_date,birth_date_recorded,altered,altered_confirmed"]
        for _ in range(draw(st.integers(0, 4))):
            lines.append(",".join(fz.mutated(draw, v) for v in (draw(st.sampled_from(list(DOC_KINDS))), draw(fz.iso_dates),
                                                                  draw(fz.iso_dates), draw(fz.bools), draw(fz.bools))))
        return "--archive", draw(fz.byte_damage(fz._encode("\n".join(lines) + "\n", draw(st.sampled_from(fz.ENCODINGS)))))
    return draw(st.sampled_from(["--file", "--periods", "--archive"])), draw(st.binary(max_size=300))


@fuzz_settings(200)
@given(data=st.data())
def test_prereview_record(template: Template, scratch: Path, data: st.DataObject) -> None:
    draw = data.draw
    flag, content = draw(prereview_files())
    path = scratch / "prereview-input"
    path.write_bytes(content)
    case = draw(st.one_of(st.just(template.draft_case), st.just(template.draft_case), text(st.just(template.draft_case))))
    args = ["prereview", case, flag, str(path)]
    opt(draw, args, "--reason", text(st.just("更正出生日期")), 3)
    opt(draw, args, "--version", ints(0, 5), 3)
    if draw(st.integers(0, 4)) == 0:
        args.append("--confirm")
    if draw(st.booleans()):
        args.append("--json")
    run(template, scratch, "prereview_record", args, files={"prereview-input": content})


@pytest.mark.parametrize("content", [
    b"doc_kind,doc_date,birth_date_recorded,altered,altered_confirmed\nschool_record\n",  # short row: cells are None
    b"doc_kind,doc_date\nschool_record,1980-01-01,extra\n",  # more cells than the header
])
def test_prereview_archive_rows_of_the_wrong_length(template: Template, scratch: Path, content: bytes) -> None:
    """Found by bench/fuzz: a short archive row crashed with AttributeError (None.strip())."""
    path = scratch / "short-archive.csv"
    path.write_bytes(content)
    run(template, scratch, "prereview_short", ["prereview", template.draft_case, "--archive", str(path)],
        files={"short-archive.csv": content})


@fuzz_settings(120)
@given(case=text(st.sampled_from(["GY-2026-000001", "GY-2026-000002", "GY-2026-999999", "gy-2026-000001"])),
       as_json=st.booleans(), lang=langs)
def test_case_show(template: Template, scratch: Path, case: str, as_json: bool, lang: str) -> None:
    run(template, scratch, "case_show", ["case", "show", case, *(["--json"] if as_json else [])], lang=lang)
