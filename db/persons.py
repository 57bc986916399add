"""Insured persons, their archive records and contribution periods."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from db.clock import now_iso
from db.row_ids import inserted_id

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database

PERSON_FIELDS = (
    "id_number", "name", "name_initials", "sex", "birth_date_id", "hukou", "phone", "address",
    "staff_category", "female_group", "employer_id", "archive_lost", "insured_before_2011_07", "bank_card",
)


def _row(cursor: Any) -> dict[str, Any] | None:
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def _rows(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def get(db: Database, person_id: int) -> dict[str, Any] | None:
    return _row(db.execute("SELECT * FROM persons WHERE id = ?", [person_id]))


def by_id_number(db: Database, id_number: str) -> dict[str, Any] | None:
    return _row(db.execute("SELECT * FROM persons WHERE id_number = ?", [id_number]))


def upsert(db: Database, fields: Mapping[str, Any], actor: str) -> tuple[int, bool]:
    """Insert a person or update the given fields of the one with that ID number; (id, created)."""
    person_id, created, _ = upsert_changes(db, fields, actor)
    return person_id, created


def upsert_changes(db: Database, fields: Mapping[str, Any], actor: str) -> tuple[int, bool, dict[str, Any]]:
    """Like ``upsert``, also returning the fields that changed (for the audit row)."""
    data = {k: fields[k] for k in PERSON_FIELDS if k in fields}
    existing = by_id_number(db, data["id_number"])
    now = now_iso()
    if existing is None:
        cols = [*data, "created_at", "updated_by", "updated_at"]
        values = [*data.values(), now, actor, now]
        cur = db.execute(
            f"INSERT INTO persons ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", values
        )
        return inserted_id(cur), True, dict(data)
    changes = {k: v for k, v in data.items() if k != "id_number" and v is not None and existing.get(k) != v}
    if changes:
        sets = ", ".join(f"{k} = ?" for k in changes)
        db.execute(
            f"UPDATE persons SET {sets}, version = version + 1, updated_by = ?, updated_at = ? WHERE id = ?",
            [*changes.values(), actor, now, existing["id"]],
        )
    return int(existing["id"]), False, changes


def archive_records(db: Database, person_id: int) -> list[dict[str, Any]]:
    return _rows(db.execute("SELECT * FROM archive_records WHERE person_id = ? ORDER BY id", [person_id]))


def periods(db: Database, person_id: int) -> list[dict[str, Any]]:
    return _rows(
        db.execute("SELECT * FROM contribution_periods WHERE person_id = ? ORDER BY from_month, id", [person_id])
    )


def replace_archive_records(db: Database, person_id: int, records: Iterable[Mapping[str, Any]]) -> int:
    """Replace the person's archive records with ``records`` (a pre-review re-reads the whole archive)."""
    db.execute("DELETE FROM archive_records WHERE person_id = ?", [person_id])
    n = 0
    for r in records:
        db.execute(
            "INSERT INTO archive_records (person_id, doc_kind, doc_date, birth_date_recorded, altered, altered_confirmed, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [person_id, r["doc_kind"], r.get("doc_date"), r.get("birth_date_recorded"),
             int(bool(r.get("altered"))), int(bool(r.get("altered_confirmed"))), r.get("note")],
        )
        n += 1
    return n


def replace_periods(db: Database, person_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
    """Replace the person's contribution periods (duplicates in ``rows`` collapse)."""
    db.execute("DELETE FROM contribution_periods WHERE person_id = ?", [person_id])
    n = 0
    for r in rows:
        db.execute(
            "INSERT OR IGNORE INTO contribution_periods (person_id, from_month, to_month, kind, place, base, evidence, arrears)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [person_id, r["from_month"], r["to_month"], r["kind"], r.get("place"), r.get("base"), r.get("evidence"),
             int(bool(r.get("arrears")))],
        )
        n += 1
    return n


def employer_by_code(db: Database, credit_code: str) -> dict[str, Any] | None:
    return _row(db.execute("SELECT * FROM employers WHERE credit_code = ?", [credit_code]))


def get_employer(db: Database, employer_id: int) -> dict[str, Any] | None:
    return _row(db.execute("SELECT * FROM employers WHERE id = ?", [employer_id]))


def upsert_employer(db: Database, credit_code: str, name: str, address: str | None = None, phone: str | None = None) -> int:
    row = db.execute(
        "INSERT INTO employers (credit_code, name, address, phone) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (credit_code) DO UPDATE SET name = excluded.name,"
        " address = COALESCE(excluded.address, address), phone = COALESCE(excluded.phone, phone) RETURNING id",
        [credit_code, name, address, phone],
    ).fetchone()
    return int(row[0])
