"""A case's retirement-type details live on the case (cases.kind_details, V13), and halls at V12 keep theirs."""
from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from db.schema import migrate


def _open_special(db: sqlite_utils.Database, staff: Any) -> tuple[Any, dict[str, Any]]:
    from console.services import intake
    from tests.workflow_helpers import BASIC_MATERIALS, TODAY, applicant

    clerk = staff("carol", "clerk", "hrss_reviewer")
    case = intake.open_case(db, clerk, applicant(), "special_work", [], [*BASIC_MATERIALS, "special_work_records"], today=TODAY,
                            details={"special_work": "underground", "special_years": "10"})
    return clerk, case


def _column(db: sqlite_utils.Database, case_id: int) -> dict[str, Any]:
    row = db.execute("SELECT kind_details FROM cases WHERE id = ?", [case_id]).fetchone()
    return dict(json.loads(row[0]))


def test_the_details_are_stored_in_the_case_column(db, staff) -> None:  # type: ignore[no-untyped-def]
    from console.services import case_kinds

    clerk, case = _open_special(db, staff)
    assert _column(db, case["id"]) == {"special_work": "underground", "special_work_months": 120}
    case_kinds.record_kind_details(db, clerk, case["case_no"], {"special_work": "high_altitude", "special_years": "9"})
    assert _column(db, case["id"]) == {"special_work": "high_altitude", "special_work_months": 108}
    # the audit alone no longer decides: the column is what the services read
    stored = case_kinds.stored_kind_details(dict(case, kind_details=_column(db, case["id"])))
    assert stored.special_work == "high_altitude" and stored.special_work_months == 108


def test_a_correction_is_a_new_version_of_the_case(db, staff) -> None:  # type: ignore[no-untyped-def]
    from console.services import case_kinds
    from db import cases as cases_db

    clerk, case = _open_special(db, staff)
    case_kinds.record_kind_details(db, clerk, case["case_no"], {"special_work": "underground", "special_years": "12"})
    assert cases_db.load(db, case["case_no"])["version"] == case["version"] + 1


def test_a_v12_hall_gets_the_audited_details_copied_in(db, staff) -> None:  # type: ignore[no-untyped-def]
    """Back to V12 (column gone, version 13 forgotten), then migrate: the last audited details fill the column."""
    from console.services import case_kinds, intake
    from tests.workflow_helpers import TODAY, applicant

    clerk, case = _open_special(db, staff)
    case_kinds.record_kind_details(db, clerk, case["case_no"], {"special_work": "high_temperature", "special_years": "9"})
    other = intake.open_case(db, clerk, applicant(seq=12, name="钱二"), "normal", today=TODAY)
    db.execute("ALTER TABLE cases DROP COLUMN kind_details")
    db.execute("DELETE FROM schema_version WHERE version = 13")
    db.conn.commit()
    assert migrate(db) == [13]
    assert _column(db, case["id"]) == {"special_work": "high_temperature", "special_work_months": 108}
    assert _column(db, other["id"]) == {}
