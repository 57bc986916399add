"""Fuzz the TUI's intake and pre-review inputs through Pilot (App.run_test()).

Each example opens the screen on a fresh copy of the forms demo hall, types
(or pastes, for what a keyboard would not produce: control, bidi, zero-width
characters, huge values) into the inputs, presses a save key and waits for
the worker.  It then checks: the app did not crash, no worker died, no
"unexpected error" notification (the screens' catch-all for a bug),
``integrity_check`` ok, the hall unchanged unless a save was announced, and
nothing stored that the text policy refuses.  Slow (about a second an
example): few examples in the normal run.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual import events
from textual.widgets import Input
from textual.worker import WorkerState

from console.i18n import set_lang, t
from tests.fuzz import strategies as fz
from tests.fuzz.harness import Outcome, check_run, fingerprint, fuzz_settings
from tests.tui_forms_app import CASE_ID, KNOWN_ID, NEW_WOMAN_ID, FormsApp, build_demo_db, context

INTAKE_FIELDS = {
    "id_number": fz.id_numbers((KNOWN_ID, NEW_WOMAN_ID, CASE_ID)),
    "name": fz.names,
    "phone": fz.phones,
    "address": fz.addresses,
    "hukou": fz.addresses,
    "employer_code": fz.credit_codes,
    "employer_name": st.just("固阳县农机修造厂"),
    "chosen_month": fz.months,
}


@pytest.fixture(scope="module")
def forms_hall(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("fuzz-forms") / "forms.db"
    info = build_demo_db(path)
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path, info["case_no"]


_N = 0


def fresh(template: Path, scratch: Path, tag: str) -> Path:
    global _N
    _N += 1
    for old in scratch.glob(f"{tag}-*.db*"):
        old.unlink(missing_ok=True)
    target = scratch / f"{tag}-{_N}.db"
    shutil.copyfile(template, target)
    return target


def typeable(value: str) -> bool:
    return 0 < len(value) <= 30 and all(c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF for c in value) \
        and " " not in value


async def enter_text(pilot: Any, widget: Input, value: str, paste: bool) -> None:
    widget.focus()
    await pilot.pause()
    widget.value = ""
    if paste or not typeable(value):
        widget.post_message(events.Paste(value))
    else:
        await pilot.press(*value)
    await pilot.pause()


async def settle(app: FormsApp, pilot: Any) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def problems(app: FormsApp) -> list[str]:
    out = []
    for worker in list(app.workers):
        if worker.state == WorkerState.ERROR:
            out.append(f"worker {worker.name} died: {worker.error!r}")
    marker = t("tui.intake.unexpected", error="").strip()
    for note in list(app._notifications):
        if marker and str(note.message).startswith(marker):
            out.append(f"unexpected-error notification: {note.message}")
        if "Traceback" in str(note.message):
            out.append(f"traceback in a notification: {note.message}")
    return out


def verdict(path: Path, before: dict[str, Any], saved: bool, issues: list[str], what: str, inputs: dict[str, str]) -> None:
    """Reuse the CLI contract: exit 0 if the screen announced a save, 2 if it refused, 'crash' as an exception."""
    detail = "; ".join(issues)
    outcome = Outcome(args=[what, repr(inputs)[:3000]], code=0 if saved else 2, stdout="",
                      stderr=detail or "(refused on screen)", exception=AssertionError(detail) if issues else None)
    check_run(outcome, path, before, entry=what, inputs={"inputs.txt": repr(inputs).encode("utf-8", "surrogatepass")})


pytestmark = pytest.mark.usefixtures("zh_console")


@fuzz_settings(5)
@given(data=st.data())
async def test_intake_inputs(forms_hall: tuple[Path, str], scratch: Path, data: st.DataObject) -> None:
    from screens.intake import IntakeScreen

    set_lang("zh")
    path = fresh(forms_hall[0], scratch, "intake")
    values = {wid: fz.mutated(data.draw, data.draw(strategy, label=wid), argv=True, huge=5000)
              for wid, strategy in INTAKE_FIELDS.items() if wid in ("id_number", "name") or data.draw(st.booleans())}
    paste = data.draw(st.booleans(), label="paste")
    key = data.draw(st.sampled_from(["f2", "f2", "f3", "f4"]), label="key")
    before = fingerprint(path)
    app = FormsApp(lambda: IntakeScreen(context(path, "clerk1")))
    issues: list[str] = []
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            for wid, value in values.items():
                await enter_text(pilot, app.screen.query_one(f"#{wid}", Input), value, paste)
            await settle(app, pilot)
            await pilot.press(key)
            await settle(app, pilot)
            if type(app.screen).__name__ == "ListConfirmModal":
                await pilot.press("y")
                await settle(app, pilot)
            for _ in range(3):  # a notice preview or a confirmation: close it
                if type(app.screen).__name__ in ("NoticePreview", "ListConfirmModal", "ConfirmModal"):
                    await pilot.press("escape")
                    await settle(app, pilot)
            issues += problems(app)
    except Exception as exc:
        issues.append(f"app crashed: {exc!r}")
    saved = bool(app.results) and app.results[-1] is not None
    verdict(path, before, saved, issues, "tui intake", {**values, "_key": key, "_paste": str(paste)})


async def _edit_cell(pilot: Any, app: FormsApp, draw: Any) -> None:
    if draw(st.booleans()):
        await pilot.press("tab")
    await pilot.press(*["down"] * draw(st.integers(0, 3)), *["right"] * draw(st.integers(0, 5)), "enter")
    await settle(app, pilot)
    name = type(app.screen).__name__
    if name == "CellEditModal":
        valid = draw(st.one_of(fz.months, fz.iso_dates, st.sampled_from(["固阳县", "包头市"])))
        value = fz.mutated(draw, valid, argv=True, huge=5000)
        await enter_text(pilot, app.screen.query_one(Input), value, draw(st.booleans()))
        await pilot.press("enter")
        await settle(app, pilot)
        if type(app.screen).__name__ == "CellEditModal":  # refused in the editor
            await pilot.press("escape")
    elif name == "ChoiceModal":
        await pilot.press(*["down"] * draw(st.integers(0, 8)), "enter")
    elif name == "ConfirmModal":
        await pilot.press("n")
    await settle(app, pilot)


@fuzz_settings(5)
@given(data=st.data())
async def test_prereview_inputs(forms_hall: tuple[Path, str], scratch: Path, data: st.DataObject) -> None:
    from screens.prereview import PrereviewScreen

    set_lang("zh")
    path = fresh(forms_hall[0], scratch, "prereview")
    case_no = forms_hall[1]
    steps = data.draw(st.lists(st.sampled_from(["edit", "edit", "edit", "add", "delete"]), min_size=1, max_size=4), label="steps")
    before = fingerprint(path)
    app = FormsApp(lambda: PrereviewScreen(context(path, "clerk1"), case_no))
    issues: list[str] = []
    saved = False
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            for step in steps:
                if step == "edit":
                    await _edit_cell(pilot, app, data.draw)
                elif step == "add":
                    await pilot.press("a")
                    await _edit_cell(pilot, app, data.draw)
                else:
                    await pilot.press("d")
                    await settle(app, pilot)
                    if type(app.screen).__name__ == "ConfirmModal":
                        await pilot.press("y")
                    await settle(app, pilot)
            await pilot.press("s")
            await settle(app, pilot)
            if type(app.screen).__name__ == "CellEditModal":  # a confirmed pre-review asks why
                reason = fz.mutated(data.draw, "更正出生日期", argv=True, huge=5000)
                await enter_text(pilot, app.screen.query_one(Input), reason, True)
                await pilot.press("enter")
                await settle(app, pilot)
            saved = fingerprint(path) != before  # the screen saved: then what it stored must be clean
            issues += problems(app)
    except Exception as exc:
        issues.append(f"app crashed: {exc!r}")
    verdict(path, before, saved, issues, "tui prereview", {"steps": ",".join(steps)})
