"""Screen snapshots (pytest-textual-snapshot) in Chinese at 80x24 and 120x40.

Regenerate with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and
read the HTML report before accepting a change.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui_helpers import make_app, query_one_value, settle

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def _open(case_sql: str, then: str | None = None):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        await settle(app, pilot)
        case_no = query_one_value(app.ctx.db_path, case_sql)
        assert case_no, case_sql
        app.open_case(str(case_no))
        await settle(app, pilot)
        if then:
            await pilot.press(then)
            await settle(app, pilot)
        await pilot.pause(0.2)

    return run_before


async def _ready(pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot.app, pilot)
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", SIZES)
def test_queue(hall: Path, snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(hall), terminal_size=size, run_before=_ready)


@pytest.mark.parametrize("size", SIZES)
def test_case_detail(hall: Path, snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    sql = "SELECT case_no FROM cases WHERE status = 'in_progress' ORDER BY id LIMIT 1"
    assert snap_compare(make_app(hall), terminal_size=size, run_before=_open(sql))


@pytest.mark.parametrize("size", SIZES)
def test_department_pane(hall: Path, snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot.app, pilot)
        await pilot.press("f3")
        await settle(pilot.app, pilot)
        await pilot.pause(0.2)

    assert snap_compare(make_app(hall), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_delivery(hall: Path, snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    sql = "SELECT case_no FROM cases WHERE status = 'completed' ORDER BY id LIMIT 1"
    assert snap_compare(make_app(hall), terminal_size=size, run_before=_open(sql, "e"))


@pytest.mark.parametrize("size", SIZES)
def test_dashboard(hall: Path, snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot.app, pilot)
        await pilot.press("f4")
        await settle(pilot.app, pilot)
        await pilot.pause(0.2)

    assert snap_compare(make_app(hall), terminal_size=size, run_before=run_before)
