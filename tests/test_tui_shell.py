"""The App shell (issue 14): the message line and its log, screen names, F1 from the bindings, the
footer and title at 80x24, the palette, letters typed into a field, the demo hall thrown away."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from console.i18n import catalogue, set_lang, t
from tests.tui_helpers import make_app, query_one_value, settle

CJK = "身份证号码应为18位"


def screen_lines(app: Any, screen: Any = None) -> list[str]:
    """The characters of ``screen`` (the top one) on the terminal now, one string per row (what the clerk reads)."""
    update = (screen or app.screen)._compositor.render_full_update()
    return ["".join(segment.text for segment in strip) for strip in update.strips]


async def open_case(app: Any, pilot: Any, status: str, then: str | None = None) -> None:
    case_no = query_one_value(app.ctx.db_path, "SELECT case_no FROM cases WHERE status = ? ORDER BY id LIMIT 1", (status,))
    app.open_case(str(case_no))
    await settle(app, pilot)
    if then:
        await pilot.press(then)
        await settle(app, pilot)


# -- bug 1: messages have a line of their own -------------------------------------------------


async def _department_with_message(pilot: Any) -> None:
    app = pilot.app
    await settle(app, pilot)
    await pilot.press("f3")  # the department pane: bordered panes and a scrollbar under where a toast stood
    await settle(app, pilot)
    app.notify(CJK, severity="error")
    await settle(app, pilot)


def test_snapshot_cjk_message_over_bordered_pane(hall: Path, snap_compare: Any) -> None:
    """Every glyph of a Chinese message is drawn, on its line above the footer (no toast over a border)."""
    assert snap_compare(make_app(hall), terminal_size=(80, 24), run_before=_department_with_message)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_cjk_message_appears_whole(hall: Path, size: tuple[int, int]) -> None:
    app = make_app(hall)
    async with app.run_test(size=size) as pilot:
        await _department_with_message(pilot)
        lines = screen_lines(app)
        assert any(CJK in line for line in lines), lines[-4:]
        row = next(i for i, line in enumerate(lines) if CJK in line)
        assert row == size[1] - 2, "the message sits on the row just above the footer"


async def test_message_log_keeps_the_last_fifty_with_times(hall: Path) -> None:
    app = make_app(hall)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for n in range(55):
            app.notify(f"消息{n:02d}", severity="warning" if n % 2 else "information")
        await settle(app, pilot)
        assert any("消息54" in line for line in screen_lines(app)), "the latest message shows on the line"
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        from screens.widgets.messages import MessageLogScreen

        assert isinstance(app.screen, MessageLogScreen)
        texts = [entry.text for entry in app.screen.entries]
        assert len(texts) == 50 and texts[0] == "消息05" and texts[-1] == "消息54"
        shown = "\n".join(screen_lines(app))
        assert "消息54" in shown and "年" in shown and "月" in shown, "newest first, with a human time"
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, MessageLogScreen)


async def test_a_message_under_a_modal_shows_on_the_screen_beneath(hall: Path) -> None:
    app = make_app(hall)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        from screens.widgets.confirm import ConfirmModal

        app.push_screen(ConfirmModal("？"))
        await settle(app, pilot)
        app.notify("统一社会信用代码 12345 无效", severity="error")
        await settle(app, pilot)
        beneath = app.screen_stack[-2]
        assert any("统一社会信用代码 12345 无效" in line for line in screen_lines(app, beneath)), "drawn beneath the modal"


# -- bug 4: screens have names ----------------------------------------------------------------


def _retire_screens() -> list[type]:
    import screens
    from screens.widgets.base import RetireScreen

    for info in pkgutil.walk_packages(screens.__path__, "screens."):
        importlib.import_module(info.name)
    found: list[type] = []
    stack = list(RetireScreen.__subclasses__())
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.startswith("screens.")]


def test_every_console_screen_has_a_name_in_both_languages() -> None:
    classes = _retire_screens()
    assert len(classes) >= 10
    for cls in classes:
        assert cls.NAME_KEY, f"{cls.__name__} has no NAME_KEY"
        for lang in ("zh", "en"):
            assert catalogue(lang).get(cls.NAME_KEY), (cls.__name__, lang)


def test_a_screen_name_is_never_the_class_name() -> None:
    from screens.widgets.base import RetireScreen

    class NamelessScreen(RetireScreen):
        pass

    set_lang("zh")
    assert "NamelessScreen" not in NamelessScreen().screen_name
    assert NamelessScreen().screen_name == t("tui.app.this_screen")


# -- bug 5: F1 from the bindings ----------------------------------------------------------------

OPENERS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "QueueScreen": (None, ()),
    "DepartmentScreen": (None, ("f3",)),
    "DashboardScreen": (None, ("f4",)),
    "UpcomingScreen": (None, ("f6",)),
    "PromisesScreen": (None, ("f7",)),
    "IntakeScreen": (None, ("ctrl+n",)),
    "CaseDetailScreen": ("in_progress", ()),
    "PrereviewScreen": ("draft", ("p",)),
    "NoticesScreen": ("draft", ("n",)),
    "DeliveryScreen": ("completed", ("e",)),
    "WorkListScreen": (None, ("m",)),
}


async def _open(app: Any, pilot: Any, name: str) -> None:
    status, keys = OPENERS[name]
    await settle(app, pilot)
    if status:
        await open_case(app, pilot, status)
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)
    assert type(app.screen).__name__ == name


def _help_text(screen: Any) -> str:
    from textual.widgets import Static

    console = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    for static in screen.query(Static):
        content = static.content
        console.print(content, markup=False) if isinstance(content, str) else console.print(content)
    return console.export_text()


def test_openers_cover_every_screen() -> None:
    assert {cls.__name__ for cls in _retire_screens()} == set(OPENERS)


@pytest.mark.parametrize("name", list(OPENERS))
async def test_help_lists_every_described_key_of_the_screen(hall: Path, name: str) -> None:
    app = make_app(hall)
    async with app.run_test(size=(100, 60)) as pilot:
        await _open(app, pilot, name)
        screen = app.screen
        focused = screen.focused
        nodes = list(focused.ancestors_with_self) if focused is not None else [screen, app]
        wanted = {(app.get_key_display(b), b.description) for node in nodes for _k, b in node._bindings
                  if b.description and b.id}
        await pilot.press("f1")
        await settle(app, pilot)
        text = _help_text(app.screen)
        missing = [(key, words) for key, words in wanted if key not in text or words not in text]
        assert missing == [], f"F1 of {name} lacks {missing}"


# -- bug 15 and action 8: footer and title at 80x24 -------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(OPENERS))
async def test_footer_and_title_fit_80x24(hall: Path, name: str, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen's own keys and F1 show whole in the footer; the title names the screen and who acts, uncut."""
    from console import i18n
    from screens.widgets.footer import RetireFooter

    monkeypatch.setattr(i18n, "_current", lang)
    app = make_app(hall)
    app.ctx.lang = lang
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot, name)
        await pilot.pause(0.1)
        footer = app.screen.query_one(RetireFooter)
        own, glob = footer.entries()
        lines = screen_lines(app)
        bottom = lines[-1]
        for entry in [*own, glob["help"]]:
            shown = f"{entry.shown_key} {entry.label}"
            assert shown in bottom, (name, lang, shown, bottom)
        assert "…" not in bottom
        if name not in ("IntakeScreen", "PrereviewScreen"):  # those two have the form's own title line
            top = lines[0]
            assert app.screen.screen_name in top and "…" not in top, top
            assert t("tui.app.acting_count", lang, name="clerk1", count=len(app.actor_roles)) in top, top


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_queue_footer_shows_the_global_areas_and_intake(hall: Path, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from console import i18n

    monkeypatch.setattr(i18n, "_current", lang)
    app = make_app(hall)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        bottom = screen_lines(app)[-1]
        for key in ("f1", "f3", "f4", "f6", "^n"):
            assert f"{key} " in bottom, bottom


def test_title_line_gives_room_to_the_actor() -> None:
    from screens.widgets.title_bar import title_line

    set_lang("zh")
    left, right = title_line("办件详情", ["退休一件事", "固阳县"], "演示", "王芳", ["综柜", "主管"], 78)
    assert left == "办件详情 · 退休一件事 · 固阳县 · 演示" and right == "操作人：王芳（综柜、主管）"
    left, right = title_line("办件详情", ["退休一件事", "固阳县"], "", "王芳", ["综柜"] * 12, 60)
    assert "王芳" in right and "…" not in left + right


# -- action 4: the palette ---------------------------------------------------------------------------


async def test_palette_is_chinese_with_the_case_actions_first(hall: Path) -> None:
    from screens.app import RetireApp
    from screens.commands import CaseCommands

    assert {CaseCommands} == RetireApp.COMMANDS, "no Textual built-ins (theme, keys, screenshot, quit in English)"
    app = make_app(hall)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await open_case(app, pilot, "draft")
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await pilot.pause(0.3)
        text = "\n".join(screen_lines(app))
        for english in ("Theme", "Quit", "Keys", "Screenshot", "Search for commands"):
            assert english not in text, english
        first = [line for line in text.splitlines() if "办件详情：" in line or "切换到" in line]
        assert first and "办件详情：" in first[0], first
        for action in (t("tui.detail.b_accept"), t("tui.detail.b_correct"), t("tui.detail.b_prereview"), t("tui.notices.b_open")):
            assert f"办件详情：{action}" in text, action


# -- action 5: letters typed into a field are text ------------------------------------------------


async def test_letters_typed_into_the_queue_search_are_text(hall: Path) -> None:
    app = make_app(hall)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        before = dict(vars(app.screen)).get("dept")
        await pilot.press("d", "s", "o", "w")
        await settle(app, pilot)
        from textual.widgets import Input

        assert app.screen.focused is not None and isinstance(app.screen.focused, Input)
        assert app.screen.focused.value == "dsow"
        assert dict(vars(app.screen)).get("dept") == before


async def test_letters_typed_into_intake_and_delivery_are_text(hall: Path) -> None:
    from textual.widgets import Input

    app = make_app(hall)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_case(app, pilot, "completed", "e")
        field = next(w for w in app.screen.query(Input))
        field.focus()
        await pilot.press("a", "d", "q")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "DeliveryScreen" and field.value.endswith("adq")
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        name = app.screen.query_one("#name", Input)
        name.focus()
        await pilot.press("a", "d", "q")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "IntakeScreen" and name.value == "adq"


def test_focus_is_drawn_for_inputs_tables_and_buttons() -> None:
    css = (Path(__file__).parents[1] / "screens" / "app.tcss").read_text(encoding="utf-8")
    for widget in ("Input:focus", "DataTable:focus", "Button:focus"):
        assert widget in css, widget


# -- bug 14: the demo hall is thrown away -------------------------------------------------------------


def _headless_quit(monkeypatch: pytest.MonkeyPatch, seen: list[Path], crash: bool) -> None:
    """Run the real console headless; a pilot presses ctrl+q (or the run is interrupted, as ctrl+c would)."""
    from screens.app import RetireApp

    real_run = RetireApp.run

    def run(self: Any, **_kwargs: Any) -> None:
        seen.append(self.ctx.db_path)
        assert self.ctx.db_path.exists()
        if crash:
            raise KeyboardInterrupt

        async def pilot(p: Any) -> None:
            await p.pause(0.5)
            await p.press("ctrl+q")

        real_run(self, headless=True, auto_pilot=pilot, size=(80, 24))

    monkeypatch.setattr(RetireApp, "run", run)


@pytest.mark.parametrize("crash", [False, True], ids=["quit", "interrupted"])
def test_tui_demo_removes_its_database(tmp_path: Path, cli_app: Any, monkeypatch: pytest.MonkeyPatch, crash: bool) -> None:
    import tempfile

    from typer.testing import CliRunner

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setenv("RETIRE_LANG", "zh")
    seen: list[Path] = []
    _headless_quit(monkeypatch, seen, crash)
    result = CliRunner().invoke(cli_app, ["tui", "--demo", "--cases", "3"])
    assert seen, result.output
    assert not seen[0].exists() and not seen[0].parent.exists(), "the demo database is gone"
    assert list(tmp_path.glob("retire-demo-*")) == []
    assert "演示数据库已删除" in result.output
