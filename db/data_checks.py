"""Finding stored rows that break the text policy (the SQL half of console/services/data_checks.py).

The service says what is forbidden (GLOB patterns built from
console.text_policy); this module knows where the text lives and runs one
scan per table, so ``retire doctor`` stays a few queries on a county's file.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from db.engine import Database


# table -> columns of free text (no control, bidi or zero-width characters)
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "persons": ("name", "hukou", "phone", "address"),
    "employers": ("name", "address"),
    "tasks": ("result", "missing"),
    "archive_records": ("note",),
    "contribution_periods": ("place", "evidence"),
    "deliveries": ("courier", "waybill", "address", "note"),
    "contacts": ("note",),
}
# table -> {column: kind} of numbers people type (ASCII digits only)
DIGIT_COLUMNS: dict[str, dict[str, str]] = {
    "persons": {"id_number": "id_number", "birth_date_id": "date", "phone": "phone", "bank_card": "bank_card"},
    "archive_records": {"doc_date": "date", "birth_date_recorded": "date"},
    "contribution_periods": {"from_month": "month", "to_month": "month"},
    "cases": {"chosen_month": "month"},
}


def policy_breaks(db: Database, table: str, patterns: dict[str, str], limit: int) -> tuple[int, list[tuple[int, list[str]]]]:
    """(how many rows of ``table`` match any column's GLOB pattern, the first ``limit`` as (id, [columns]))."""
    known = {row[1] for row in db.execute(f"PRAGMA table_info([{table}])").fetchall()}
    if not known:
        return 0, []
    columns = [c for c in patterns if c in known]
    if not columns:
        return 0, []
    where = " OR ".join(f"[{c}] GLOB ?" for c in columns)
    args = [patterns[c] for c in columns]
    count = int(db.execute(f"SELECT count(*) FROM [{table}] WHERE {where}", args).fetchone()[0])
    if count == 0:
        return 0, []
    flags = ", ".join(f"[{c}] GLOB ?" for c in columns)
    rows = db.execute(f"SELECT id, {flags} FROM [{table}] WHERE {where} ORDER BY id LIMIT ?", [*args, *args, limit]).fetchall()
    return count, [(int(r[0]), [c for c, hit in zip(columns, r[1:], strict=True) if hit]) for r in rows]


def invalid_utf8(db: Database, table: str, columns: list[str], limit: int) -> tuple[int, list[tuple[int, list[str]]]]:
    """Rows of ``table`` whose text in ``columns`` is not valid UTF-8 (bytes put in by another tool).

    Read as blobs: the ordinary text path would fail on the first such row
    ("Could not decode to UTF-8"), which is exactly what this check is for.
    """
    known = {row[1] for row in db.execute(f"PRAGMA table_info([{table}])").fetchall()}
    columns = [c for c in columns if c in known]
    if not columns:
        return 0, []
    blobs = ", ".join(f"CAST([{c}] AS BLOB)" for c in columns)
    count = 0
    first: list[tuple[int, list[str]]] = []
    for row in db.execute(f"SELECT id, {blobs} FROM [{table}] ORDER BY id"):
        bad = []
        for column, value in zip(columns, row[1:], strict=True):
            if value is None:
                continue
            try:
                bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                bad.append(column)
        if bad:
            count += 1
            if len(first) < limit:
                first.append((int(row[0]), bad))
    return count, first
