"""Staff rows and their roles (queries only; rules live in console.services.staff)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from db.clock import now_iso
from db.row_ids import inserted_id

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database


def _with_roles(db: Database, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for staff_id, login, name, active, created_at in rows:
        roles = [
            r[0]
            for r in db.execute(
                "SELECT role FROM staff_roles WHERE staff_id = ? ORDER BY role", [staff_id]
            ).fetchall()
        ]
        out.append(
            {
                "id": staff_id,
                "login": login,
                "name": name,
                "active": bool(active),
                "roles": roles,
                "created_at": created_at,
            }
        )
    return out


def get_by_login(db: Database, login: str) -> dict[str, Any] | None:
    """One staff member with roles, or None."""
    return _one(db, "login", login)


def get_by_id(db: Database, staff_id: int) -> dict[str, Any] | None:
    return _one(db, "id", staff_id)


def _one(db: Database, column: str, value: str | int) -> dict[str, Any] | None:
    """The staff member whose ``column`` (a unique one: ``id`` or ``login``) is ``value``, with roles."""
    rows = db.execute(f"SELECT id, login, name, active, created_at FROM staff WHERE {column} = ?", [value]).fetchall()
    found = _with_roles(db, rows)
    return found[0] if found else None


def list_all(db: Database, *, include_inactive: bool = True) -> list[dict[str, Any]]:
    """Every staff member, by login."""
    where = "" if include_inactive else "WHERE active = 1"
    rows = db.execute(
        f"SELECT id, login, name, active, created_at FROM staff {where} ORDER BY login"
    ).fetchall()
    return _with_roles(db, rows)


def count(db: Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM staff").fetchone()[0])


def count_active_with_role(db: Database, role: str) -> int:
    return int(
        db.execute(
            "SELECT COUNT(*) FROM staff s JOIN staff_roles r ON r.staff_id = s.id"
            " WHERE s.active = 1 AND r.role = ?",
            [role],
        ).fetchone()[0]
    )


def insert(db: Database, login: str, name: str, roles: Iterable[str]) -> int:
    """Insert a staff member and roles (caller holds the transaction); returns the id."""
    cursor = db.execute(
        "INSERT INTO staff (login, name, active, created_at) VALUES (?, ?, 1, ?)",
        [login, name, now_iso()],
    )
    staff_id = inserted_id(cursor)
    for role in sorted(set(roles)):
        db.execute("INSERT INTO staff_roles (staff_id, role) VALUES (?, ?)", [staff_id, role])
    return staff_id


def set_active(db: Database, staff_id: int, active: bool) -> None:
    db.execute("UPDATE staff SET active = ? WHERE id = ?", [1 if active else 0, staff_id])


def add_roles(db: Database, staff_id: int, roles: Iterable[str]) -> list[str]:
    """Give a staff member more roles (caller holds the transaction and writes the audit row); returns those added."""
    return _each_role(db, "INSERT OR IGNORE INTO staff_roles (staff_id, role) VALUES (?, ?)", staff_id, roles)


def remove_roles(db: Database, staff_id: int, roles: Iterable[str]) -> list[str]:
    """Take roles away (caller holds the transaction and writes the audit row); returns those removed."""
    return _each_role(db, "DELETE FROM staff_roles WHERE staff_id = ? AND role = ?", staff_id, roles)


def _each_role(db: Database, sql: str, staff_id: int, roles: Iterable[str]) -> list[str]:
    """Run ``sql`` (staff id, role) for each distinct role in code order; the roles it changed a row for."""
    return [role for role in sorted(set(roles)) if db.execute(sql, [staff_id, role]).rowcount]
