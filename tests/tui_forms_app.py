"""A tiny App and demo database for the intake and pre-review screens.

Tests push the screens onto ``FormsApp``; ``python -m tests.tui_forms_app
intake|prereview [PATH]`` opens them on a throw-away demo database so the
screens can be tried at 80x24 in a terminal.
"""
from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen

from console.rules.idcard import make_id
from console.services.identity import resolve_actor
from console.services.intake import Applicant, open_case, register_applicant
from db import audit
from db import persons as persons_db
from db import staff as staff_db
from db.connection import open_database, transaction
from db.schema import migrate
from screens.context import AppContext

TODAY = date(2026, 10, 20)
KNOWN_ID = make_id("150222", date(1966, 6, 15), 13)
"""A man born 1966-06: statutory 60y5m, retires 2026-11 (accept in 2026-10)."""
NEW_WOMAN_ID = make_id("150222", date(1976, 1, 8), 24)
"""A woman born 1976-01, not in the database."""
CASE_ID = make_id("150222", date(1966, 3, 2), 35)
"""A man with a draft case, for the pre-review."""


ARCHIVE = [
    {"doc_kind": "school_record", "doc_date": "1975-09-01", "birth_date_recorded": "1966-06-15"},
    {"doc_kind": "recruitment_form", "doc_date": "1985-06-20", "birth_date_recorded": "1966-06-15"},
]
PERIODS = [
    {"from_month": "1985-07", "to_month": "1995-12", "kind": "deemed", "place": "固阳县"},
    {"from_month": "1996-01", "to_month": "2026-09", "kind": "actual", "place": "固阳县"},
]


def _staff(db: Any, login: str, name: str, *roles: str) -> None:
    with transaction(db):
        staff_db.insert(db, login, name, roles)
        audit.append(db, "setup", "staff.add", entity="staff", entity_id=login, detail={"roles": sorted(roles)})


def _valid_uscc() -> str:
    from stdnum.cn import uscc

    body = "91150222MA0N1234X"
    return body + uscc.calc_check_digit(body)


def build_demo_db(path: Path) -> dict[str, str]:
    """Staff (clerk1 clerk, rev1 reviewer), a known person with archive and periods, a draft case."""
    db = open_database(path)
    migrate(db)
    _staff(db, "clerk1", "王敏", "clerk")
    _staff(db, "rev1", "李强", "hrss_reviewer")
    clerk = resolve_actor(db, "clerk1")
    employer = _valid_uscc()
    pid = register_applicant(db, clerk, Applicant(KNOWN_ID, "张建国", phone="13904721234", address="固阳县金山镇新建街12号",
                                                  hukou="固阳县金山镇", staff_category="worker", employer_code=employer,
                                                  employer_name="固阳县农机修造厂"))
    other = register_applicant(db, clerk, Applicant(CASE_ID, "刘长海", phone="13847261122", address="固阳县西斗铺镇",
                                                    hukou="固阳县西斗铺镇", staff_category="worker", employer_code=employer,
                                                    employer_name="固阳县农机修造厂"))
    with transaction(db):
        for person_id in (pid, other):
            persons_db.replace_archive_records(db, person_id, ARCHIVE if person_id == pid else [
                {"doc_kind": "school_record", "doc_date": "1974-09-01", "birth_date_recorded": "1966-03-02"},
                {"doc_kind": "recruitment_form", "doc_date": "1989-12-15", "birth_date_recorded": "1966-03-02"},
            ])
        persons_db.replace_periods(db, pid, PERIODS)
        persons_db.replace_periods(db, other, [
            {"from_month": "1990-01", "to_month": "1995-12", "kind": "deemed", "place": "固阳县"},
            {"from_month": "1996-01", "to_month": "2000-12", "kind": "actual", "place": "固阳县"},
            {"from_month": "2020-01", "to_month": "2026-06", "kind": "actual", "place": "固阳县"},
        ])
    case = open_case(db, clerk, Applicant(CASE_ID, "刘长海", staff_category="worker", employer_code=employer),
                     "normal", ["medical"], ["personal_archive", "id_card_hukou"], None, TODAY)
    db.close()
    return {"case_no": case["case_no"], "employer": employer}


class FormsApp(App[None]):
    """Pushes one screen on mount and keeps what it dismissed with."""

    def __init__(self, make_screen: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.make_screen(), self.results.append)


def context(path: Path, login: str = "clerk1") -> AppContext:
    return AppContext(db_path=path, login=login, lang="zh", today_override=TODAY)


def main(argv: list[str]) -> None:
    which = argv[1] if len(argv) > 1 else "intake"
    path = Path(argv[2]) if len(argv) > 2 else Path(tempfile.mkdtemp()) / "demo.db"
    info = build_demo_db(path) if not path.exists() else {"case_no": "GY-2026-000001"}
    login = argv[3] if len(argv) > 3 else "clerk1"
    ctx = context(path, login)
    if which == "intake":
        from screens.intake import IntakeScreen

        app = FormsApp(lambda: IntakeScreen(ctx))
    else:
        from screens.prereview import PrereviewScreen

        app = FormsApp(lambda: PrereviewScreen(ctx, info["case_no"]))
    app.run()
    print(app.results)


if __name__ == "__main__":
    main(sys.argv)
