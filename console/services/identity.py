"""Who is acting: the OS login mapped to a staff row with roles.

Clerks come in over SSH as themselves, so the OS login is the identity; the
staff table says what that login may do.  An unknown or disabled login is
refused with a message that tells the clerk whom to ask.

``RETIRE_LOGIN`` overrides the OS login.  It is a hook for tests and for an
administrator acting on someone's behalf from a shared account; it is NOT a
security boundary.  Anyone who can write the database file can change it
with any SQLite tool, so file permissions (0o600 / group 0o660) are the
boundary, and the login is attribution for the audit log.
"""
from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field

import sqlite_utils

from console.errors import PermissionDenied
from db import staff as staff_db

LOGIN_ENV = "RETIRE_LOGIN"

# role -> department whose task pane the role works in
ROLE_DEPARTMENTS: dict[str, str] = {
    "clerk": "hrss",
    "hrss_reviewer": "hrss",
    "medical": "medical",
    "housing_fund": "housing_fund",
    "health": "health",
}


def current_login() -> str:
    """``$RETIRE_LOGIN`` if set (test/admin hook), else the OS login."""
    override = os.environ.get(LOGIN_ENV, "").strip()
    if override:
        return override
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        raise PermissionDenied("identity.no_login") from None


@dataclass(frozen=True)
class Actor:
    """The staff member a use-case runs for; services check roles on it."""

    staff_id: int
    login: str
    name: str
    roles: frozenset[str]
    departments: frozenset[str] = field(default=frozenset())
    os_login: str | None = None
    """The OS account really running the process, when it differs from ``login``
    (root acting for a member of staff, or a demo hall's RETIRE_LOGIN)."""

    @property
    def audit_name(self) -> str:
        """Who the audit row names: ``wangfang``, or ``root for wangfang``."""
        if self.os_login and self.os_login != self.login:
            return f"{self.os_login} for {self.login}"
        return self.login

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def in_department(self, department: str) -> bool:
        return department in self.departments


def departments_for(roles: frozenset[str]) -> frozenset[str]:
    """The departments a set of roles works for (supervisor and admin: none by themselves)."""
    return frozenset(ROLE_DEPARTMENTS[r] for r in roles if r in ROLE_DEPARTMENTS)


def actor_from_row(row: dict) -> Actor:
    roles = frozenset(row["roles"])
    return Actor(
        staff_id=int(row["id"]),
        login=row["login"],
        name=row["name"],
        roles=roles,
        departments=departments_for(roles),
    )


def resolve_actor(db: sqlite_utils.Database, login: str | None = None) -> Actor:
    """The active staff member for ``login`` (default: current_login()); refused otherwise."""
    login = login or current_login()
    row = staff_db.get_by_login(db, login)
    if row is None:
        raise PermissionDenied("identity.unknown_login", login=login)
    if not row["active"]:
        raise PermissionDenied("identity.disabled_login", login=login)
    return actor_from_row(row)


def require_role(actor: Actor, *roles: str) -> None:
    """Refuse unless the actor holds at least one of ``roles``.

    'admin' is not a super-role: it manages staff, and must be listed
    explicitly where it should pass (separation of duties: IT is not HRSS).
    """
    if not actor.has_role(*roles):
        raise PermissionDenied(
            "identity.role_required",
            login=actor.login,
            roles=", ".join(roles),
        )
