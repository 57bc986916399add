"""Reading the audit log: a case's history, and the whole chain's integrity.

Any active staff member may read a case's history (they can see the case);
checking the whole chain is a supervisor's or an admin's job, because it
reads every row of every case.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from console.services.identity import Actor, require_role
from db import audit
from db.case_numbers import case_id_by_no


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    if out.get("detail") is not None:
        try:
            out["detail"] = json.loads(out["detail"])
        except ValueError:
            pass  # shown as stored; verify_chain will judge it
    return out


def case_history(db: sqlite_utils.Database, actor: Actor, case_no: str) -> list[dict[str, Any]]:
    """The audit rows of one case, oldest first, ``detail`` decoded."""
    del actor
    case_id = case_id_by_no(db, case_no)
    return [_decoded(row) for row in audit.rows_for_case(db, case_id)]


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    first_broken_id: int | None


def verify(db: sqlite_utils.Database, actor: Actor) -> ChainReport:
    """Check every link of the chain (supervisor or admin)."""
    require_role(actor, "supervisor", "admin")
    broken = audit.verify_chain(db)
    return ChainReport(ok=broken is None, rows=audit.count_rows(db), first_broken_id=broken)

