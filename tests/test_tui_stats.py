"""The statistics service behind the dashboard agrees with plain counts."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.tui_helpers import LOGIN, TODAY


def test_dashboard_figures_match_the_tables(hall: Path) -> None:
    from console.services.identity import resolve_actor
    from console.services.stats import dashboard
    from console.services.store import open_store

    db = open_store(hall)
    try:
        dash = dashboard(db, resolve_actor(db, LOGIN), TODAY)
    finally:
        db.close()
    con = sqlite3.connect(hall)
    by_status = dict(con.execute("SELECT status, count(*) FROM cases GROUP BY status").fetchall())
    assert dash.by_status == by_status and dash.total == sum(by_status.values())
    overdue = con.execute(
        "SELECT count(*) FROM cases WHERE status IN ('draft','awaiting_correction','accepted','in_progress')"
        " AND paused_since IS NULL AND due_date < ?", (TODAY.isoformat(),)
    ).fetchone()[0]
    assert dash.overdue_cases == overdue
    assert sum(dash.overdue_by_department.values()) <= sum(dash.open_by_department.values())
    assert len(dash.by_month) == 6 and dash.by_month[-1][0] == TODAY.strftime("%Y-%m")
    assert dash.this_month[0] == sum(n for m, n in dash.by_month if m == TODAY.strftime("%Y-%m"))
    if dash.avg_working_days is not None:
        assert dash.avg_working_days >= 0 and dash.avg_sample > 0
