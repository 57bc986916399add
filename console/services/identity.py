"""Who is acting: the kernel's word on the caller, mapped to a staff row with roles.

The identity is never read from the environment.  LOGNAME, USER and
USERNAME are whatever the caller typed; the real uid is what the kernel
says, so ``current_login()`` is ``pwd.getpwuid(os.getuid())``'s name.

On a hall installed by ``retire hall setup`` staff run the program through
sudo as the hall's service account.  There the process's uid is the
account's, and the person is ``SUDO_USER`` (set by sudo itself, which runs
setuid root and resets the environment).  It is believed only when the
kernel says this process IS that service account, as named by the
root-owned hall config (console.hall_config), and ``SUDO_UID`` matches the
passwd entry of ``SUDO_USER``; anywhere else SUDO_USER is ignored, since
anybody can set it.  ``caller_login()`` applies this rule.

``RETIRE_LOGIN`` asks to act for another login.  It is honoured only when
the caller is root (the real uid is 0, or root came in through sudo), or
when the database is a demo hall; the audit row then names both, e.g.
"root for wangfang" (``Actor.audit_name``).  For anybody else on a real
hall it is ignored, so that the kernel's word stands: scripts that set it
out of habit keep working as the person who runs them, and the CLI writes
one warning line on stderr (``override_ignored``).

A login passed explicitly to ``resolve_actor(db, login)`` is the calling
code's own choice (tests, the demo generator, a screen that already
resolved its actor) and is taken as given.
"""
from __future__ import annotations

import os
import pwd
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.errors import PermissionDenied
from console.vocabulary import ROLE, ROLE_DEPARTMENT
from db import staff as staff_db

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database

LOGIN_ENV = "RETIRE_LOGIN"

ROLE_DEPARTMENTS: dict[str, str] = ROLE_DEPARTMENT
"""role -> the department whose task pane the role works in (console.vocabulary owns it)."""


def current_login() -> str:
    """The real uid's account name, as the kernel and /etc/passwd say (never the environment)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        raise PermissionDenied("identity.no_os_login", uid=os.getuid()) from None


def _sudo_caller() -> tuple[str, int] | None:
    """``(SUDO_USER, uid)`` when this process is a hall's service account started by sudo."""
    user = os.environ.get("SUDO_USER", "")
    uid_text = os.environ.get("SUDO_UID", "")
    if not user and not uid_text:
        return None
    if not _service_account():
        return None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise PermissionDenied("identity.sudo_mismatch", login=user or "?", uid=uid_text or "?") from None
    if not uid_text.isdigit() or entry.pw_uid != int(uid_text):
        raise PermissionDenied("identity.sudo_mismatch", login=user, uid=uid_text or "?")
    return entry.pw_name, entry.pw_uid


def _service_account() -> bool:
    from console.errors import EnvironmentFailure
    from console.hall_config import HallConfigError, runs_as_service_account

    try:
        return runs_as_service_account()
    except HallConfigError as err:
        raise EnvironmentFailure("hall.config_untrusted", path=str(err.path), reason=err.reason) from None


def caller() -> tuple[str, int]:
    """The person the kernel vouches for, and their uid.

    The real uid's account; or, in a hall's service account started by
    sudo, the sudo caller (see the module docstring).
    """
    via_sudo = _sudo_caller()
    if via_sudo is not None:
        return via_sudo
    return current_login(), os.getuid()


def caller_login() -> str:
    """The login of ``caller()``."""
    return caller()[0]


def requested_login() -> str:
    """The login the caller asks to act as: ``$RETIRE_LOGIN`` if set, else ``caller_login()``.

    Only for code that is about to create a demo hall for that login (a
    new demo file honours RETIRE_LOGIN); everything else uses
    ``resolve_actor(db)``, which decides whether the request is honoured.
    """
    return os.environ.get(LOGIN_ENV, "").strip() or caller_login()


def _override_allowed(db: Database, caller_uid: int) -> bool:
    from db.hall_meta import is_demo

    return caller_uid == 0 or is_demo(db)


def acting(db: Database) -> tuple[str, str | None]:
    """``(login acted for, OS login behind it or None)`` for this process on ``db``."""
    login, uid = caller()
    wanted = os.environ.get(LOGIN_ENV, "").strip()
    if wanted and wanted != login and _override_allowed(db, uid):
        return wanted, login
    return login, None


def acting_login(db: Database) -> str:
    """The login this process acts for on ``db`` (RETIRE_LOGIN only where it is honoured)."""
    return acting(db)[0]


def override_ignored(db: Database) -> str | None:
    """The RETIRE_LOGIN value that ``resolve_actor(db)`` ignored, if any (for a warning line)."""
    login, uid = caller()
    wanted = os.environ.get(LOGIN_ENV, "").strip()
    if wanted and wanted != login and not _override_allowed(db, uid):
        return wanted
    return None


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


def actor_from_row(row: Mapping[str, Any], os_login: str | None = None) -> Actor:
    from console.display import clean

    roles = frozenset(row["roles"])
    return Actor(
        staff_id=int(row["id"]),
        login=row["login"],
        name=clean(row["name"]),  # shown in the console's title: a name stored by SQL must not drive the terminal
        roles=roles,
        departments=departments_for(roles),
        os_login=os_login,
    )


def resolve_actor(db: Database, login: str | None = None) -> Actor:
    """The active staff member acting on ``db``; refused when unknown or disabled.

    Without ``login``: the kernel's caller, or the login RETIRE_LOGIN asks
    for where that is honoured (root, a demo hall).  With ``login``: that
    login, as the calling code chose it.
    """
    os_login: str | None = None
    if not login:
        login, os_login = acting(db)
    row = staff_db.get_by_login(db, login)
    if row is None:
        raise PermissionDenied("identity.unknown_login", login=login)
    if not row["active"]:
        raise PermissionDenied("identity.disabled_login", login=login)
    return actor_from_row(row, os_login)


def require_role(actor: Actor, *roles: str) -> None:
    """Refuse unless the actor holds at least one of ``roles``.

    'admin' is not a super-role: it manages staff, and must be listed
    explicitly where it should pass (separation of duties: IT is not HRSS).
    """
    if not actor.has_role(*roles):
        raise PermissionDenied(
            "identity.role_required",
            login=actor.login,
            roles=list(roles),
            role_keys=[ROLE.key(r) for r in roles],
        )
