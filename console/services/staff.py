"""Staff management: who may use the console, with which roles.

Only an admin adds, disables, grants and revokes, and every change writes an
audit row in the same transaction.  A staff member is never deleted (their
login is named in the audit log): they are disabled.  The last active admin
cannot be disabled, so the hall can never lock itself out.

Separation of duties (等保2.0 level 3: system, security and audit duties
apart): an admin never changes the roles of their OWN login, nor adds a row
for it -- another admin must.  "Own" means the login acted for and the OS
account acting (``root for wangfang`` may change neither root's nor
wangfang's roles).  The one exception is the first admin of an empty hall,
made by ``retire init`` (``bootstrap_admin``): nobody else could.  A small
hall therefore has two admins: the first adds the second
(``retire staff add X --role admin``), and X grants the first admin any
business roles they also need.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.errors import BadInput, NotFound, PermissionDenied, Refused
from console.services.identity import Actor, acting_login, require_role
from console.text_policy import check_text
from db import audit
from db import staff as staff_db
from db.connection import open_database, transaction
from db.location import resolve_db_path
from db.schema import ROLES, current_version, migrate

if TYPE_CHECKING:
    from db.engine import Database

LOGIN_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")


def _check_login(login: str) -> str:
    login = (login or "").strip()
    if not LOGIN_RE.match(login):
        raise BadInput("staff.bad_login", login=login)
    return login


def _check_roles(roles: Iterable[str]) -> list[str]:
    cleaned = sorted({(r or "").strip().lower() for r in roles})
    if not cleaned:
        raise BadInput("staff.no_role", allowed=", ".join(ROLES))
    for role in cleaned:
        if role not in ROLES:
            raise BadInput("staff.bad_role", role=role, allowed=", ".join(ROLES))
    return cleaned


def _own_logins(actor: Actor) -> set[str]:
    """The logins that are the actor's own: the one acted for and the OS account acting."""
    return {x for x in (actor.login, actor.os_login) if x}


def _refuse_own(actor: Actor, login: str) -> None:
    """Separation of duties: an admin's own roles are changed by another admin."""
    if login in _own_logins(actor):
        raise PermissionDenied("staff.own_roles", login=login)


def add_staff(
    db: Database, actor: Actor, login: str, name: str, roles: Iterable[str]
) -> dict[str, Any]:
    """Admin only: create an active staff member with ``roles``; returns the row.

    Never for the admin's own login (see the module docstring).
    """
    require_role(actor, "admin")
    login = _check_login(login)
    _refuse_own(actor, login)
    name = check_text(name, "name", max_length=64)
    if not name:
        raise BadInput("staff.bad_name")
    role_list = _check_roles(roles)
    with transaction(db):
        if staff_db.get_by_login(db, login) is not None:
            raise Refused("staff.exists", login=login)
        staff_id = staff_db.insert(db, login, name, role_list)
        audit.append(
            db, actor.audit_name, "staff.add",
            entity="staff", entity_id=login, detail={"name": name, "roles": role_list},
        )
    row = staff_db.get_by_id(db, staff_id)
    assert row is not None
    return row


def list_staff(db: Database, actor: Actor, *, include_inactive: bool = True) -> list[dict[str, Any]]:
    """Every staff member (any active staff may see who is who)."""
    del actor  # resolving the actor already proved an active staff member
    return staff_db.list_all(db, include_inactive=include_inactive)


def disable_staff(db: Database, actor: Actor, login: str) -> dict[str, Any]:
    """Admin only: disable a login (kept for the audit log); refuses to remove the last admin."""
    require_role(actor, "admin")
    login = _check_login(login)
    with transaction(db):
        row = staff_db.get_by_login(db, login)
        if row is None:
            raise NotFound("staff.not_found", login=login)
        if not row["active"]:
            raise Refused("staff.already_disabled", login=login)
        if "admin" in row["roles"] and staff_db.count_active_with_role(db, "admin") <= 1:
            raise Refused("staff.last_admin", login=login)
        staff_db.set_active(db, row["id"], False)
        audit.append(db, actor.audit_name, "staff.disable", entity="staff", entity_id=login)
    out = staff_db.get_by_login(db, login)
    assert out is not None
    return out


def change_roles(db: Database, actor: Actor, login: str, grant: Iterable[str] = (), revoke: Iterable[str] = ()) -> dict[str, Any]:
    """Admin only: give or take roles of ANOTHER login.

    An admin's own roles are changed by another admin (a small hall's first
    admin who also works the window is granted 'clerk' by the second admin).
    A staff member keeps at least one role, and the last active admin keeps 'admin'.
    """
    require_role(actor, "admin")
    login = _check_login(login)
    _refuse_own(actor, login)
    grant_list = _check_roles(grant) if grant else []
    revoke_list = _check_roles(revoke) if revoke else []
    if not grant_list and not revoke_list:
        raise BadInput("staff.no_role", allowed=", ".join(ROLES))
    with transaction(db):
        row = staff_db.get_by_login(db, login)
        if row is None:
            raise NotFound("staff.not_found", login=login)
        remaining = (set(row["roles"]) | set(grant_list)) - set(revoke_list)
        if not remaining:
            raise Refused("staff.keeps_one_role", login=login)
        if "admin" in revoke_list and "admin" in row["roles"] and staff_db.count_active_with_role(db, "admin") <= 1:
            raise Refused("staff.last_admin", login=login)
        added = staff_db.add_roles(db, row["id"], grant_list)
        removed = staff_db.remove_roles(db, row["id"], revoke_list)
        audit.append(db, actor.audit_name, "staff.roles", entity="staff", entity_id=login, detail={"granted": added, "revoked": removed})
    out = staff_db.get_by_login(db, login)
    assert out is not None
    return out


@dataclass(frozen=True)
class InitResult:
    path: Path
    schema_version: int
    migrations_applied: tuple[int, ...]
    admin_created: bool
    admin_login: str | None


def bootstrap_admin(db: Database, login: str | None = None) -> str | None:
    """If nobody is on staff yet, make ``login`` (default: the current login) admin.

    The first person to initialise a hall's database is trusted: they own
    the file already.  Returns the login made admin, or None when staff exist.
    """
    with transaction(db):
        if staff_db.count(db) > 0:
            return None
        login = _check_login(login or acting_login(db))
        staff_db.insert(db, login, login, ["admin"])
        audit.append(
            db, login, "staff.bootstrap_admin",
            entity="staff", entity_id=login, detail={"roles": ["admin"]},
        )
    return login


def init_database(path: Path | None = None) -> InitResult:
    """Create or migrate the database and make sure it has an admin; safe to repeat."""
    resolved = resolve_db_path(path)
    db = open_database(resolved, create=True)
    try:
        applied = migrate(db)
        audit.ensure_keyed(db)  # the audit key, created if missing; an old chain is continued under it
        admin = bootstrap_admin(db)
        return InitResult(
            path=resolved,
            schema_version=current_version(db),
            migrations_applied=tuple(applied),
            admin_created=admin is not None,
            admin_login=admin,
        )
    finally:
        db.close()
