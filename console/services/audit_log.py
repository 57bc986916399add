"""Reading the audit log, verifying it against its key, and anchoring its head.

Who may do what (separation of duties, 等保2.0):

- a case's history: any active staff member (they can see the case);
- the whole trail and its verification: ``auditor`` or ``supervisor``
  (every row of every case); an admin runs ``retire doctor`` instead;
- writing an anchor: root (the nightly job ``retire hall setup`` installs),
  or an ``auditor`` or ``admin``.

An anchor is one JSON line appended to an anchor log outside the database:
the head (id and value), the row count, the time, the database's identity,
and ``prev``/``line_mac``: the previous line's MAC and this line's keyed MAC
(``db.audit.anchor_mac``), so a past anchor cannot be rewritten or removed
unseen.  Verification checks the chain, then every anchor: its MAC and link,
that the row it names still exists with the same value, that the count did
not shrink.  Only the first problem is named; that is where to look.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.errors import BadInput, EnvironmentFailure, PermissionDenied, Refused
from console.i18n import t
from console.safe_files import refuse_unless_regular
from console.services.identity import Actor, require_role
from db import audit, audit_key
from db.audit import GENESIS, ChainCheck
from db.case_numbers import case_id_by_no
from db.clock import wall_now_iso

if TYPE_CHECKING:
    from db.engine import Database

TRAIL_ROLES = ("auditor", "supervisor")
ANCHOR_ROLES = ("auditor", "admin")
ANCHOR_VERSION = 1


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    if out.get("detail") is not None:
        with contextlib.suppress(ValueError):  # shown as stored; verification will judge it
            out["detail"] = json.loads(out["detail"])
    return out


def case_history(db: Database, actor: Actor, case_no: str) -> list[dict[str, Any]]:
    """The audit rows of one case, oldest first, ``detail`` decoded (any active staff)."""
    del actor
    case_id = case_id_by_no(db, case_no)
    return [_decoded(row) for row in audit.rows_for_case(db, case_id)]


def trail(db: Database, actor: Actor, limit: int = 50, before: int | None = None) -> list[dict[str, Any]]:
    """The last ``limit`` rows of the whole trail (below id ``before``), oldest first: auditor or supervisor."""
    require_role(actor, *TRAIL_ROLES)
    if limit < 1 or limit > 10_000:
        raise BadInput("audit.bad_limit", limit=limit)
    return [_decoded(row) for row in audit.recent_rows(db, limit, before)]


# -- verification ---------------------------------------------------------------


@dataclass(frozen=True)
class AnchorCheck:
    """The anchor log's outcome: ``problem`` None when every anchor holds."""

    path: str | None
    anchors: int = 0
    last_id: int | None = None
    problem: str | None = None
    line: int | None = None
    row_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class ChainReport:
    """Chain and anchors together; ``first_broken_id`` names the first bad row (chain or anchor)."""

    chain: ChainCheck
    anchors: AnchorCheck

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.anchors.ok

    @property
    def rows(self) -> int:
        return self.chain.rows

    @property
    def first_broken_id(self) -> int | None:
        if not self.chain.ok:
            return self.chain.bad_id
        if not self.anchors.ok:
            return self.anchors.row_id
        return None

    def message(self) -> str:
        """One sentence: intact, or what is wrong and where."""
        if not self.chain.ok:
            return chain_problem_text(self.chain)
        if not self.anchors.ok:
            return anchor_problem_text(self.anchors)
        return t("audit_chain.ok", rows=self.chain.rows, anchors=self.anchors.anchors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.chain.rows,
            "first_broken_id": self.first_broken_id,
            "problem": self.chain.problem or self.anchors.problem,
            "message": self.message(),
            "head": {"id": self.chain.head_id, "mac": self.chain.head_value} if self.chain.ok else None,
            "scheme": audit.SCHEME if self.chain.keyed else audit.LEGACY_SCHEME,
            "keyed_from": self.chain.keyed_from,
            "key": self.chain.key,
            "anchors": {"path": self.anchors.path, "count": self.anchors.anchors, "ok": self.anchors.ok,
                        "line": self.anchors.line, "problem": self.anchors.problem},
        }


def chain_problem_text(check: ChainCheck) -> str:
    if check.ok:
        return t("audit_chain.chain_ok", rows=check.rows)
    return t(f"audit_chain.problem.{check.problem}", id=check.bad_id, rows=check.rows, **check.params)


def anchor_problem_text(check: AnchorCheck) -> str:
    if check.ok:
        return t("audit_chain.anchors_ok", anchors=check.anchors, path=check.path or "-")
    return t(f"audit_chain.anchor.{check.problem}", line=check.line, id=check.row_id, path=check.path or "-",
             **check.params)


def _chain_key(db: Database) -> audit_key.AuditKey | None:
    state = audit.read_state(db)
    if not state.keyed:
        return None
    key, trouble = audit.find_key(db, state)
    return None if trouble else key


def default_anchor_log(db: Database) -> Path | None:
    """The anchor log of this database: the hall's; else next to the personal key (None before keying)."""
    state = audit.read_state(db)
    if audit_key.hall_for(db) is not None:
        return audit_key.default_anchor_path(db, state.db_id or "")  # the hall's, whatever the record says
    if not state.db_id:
        return None
    return audit_key.default_anchor_path(db, state.db_id)


def _read_log(path: Path) -> list[str] | None:
    """The lines of the anchor log (None when there is none); refuses a link or a non-file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if os.path.islink(path):
            raise BadInput("files.is_symlink", path=str(path)) from None
        raise EnvironmentFailure("audit.anchor_unreadable", path=str(path), reason=exc.strerror or str(exc)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BadInput("files.not_regular", path=str(path))
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    return _split(b"".join(chunks))


def _split(data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace")
    if not text:
        return []
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def check_anchors(db: Database, chain: ChainCheck, path: Path | None = None) -> AnchorCheck:
    """Every anchor in the log (default: this database's) against the key and the rows now stored."""
    state = audit.read_state(db)
    path = path if path is not None else default_anchor_log(db)
    if path is None:
        return AnchorCheck(None)
    lines = _read_log(path)
    if lines is None:
        return AnchorCheck(str(path))
    key = _chain_key(db)
    if key is None:
        return AnchorCheck(str(path), problem="no_key", line=1 if lines else None)
    prev, last_id, last_count, count = GENESIS, 0, 0, 0
    where = str(path)
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            return AnchorCheck(where, count, problem="unreadable", line=number)
        try:
            line = json.loads(raw)
        except ValueError:
            line = None
        if not isinstance(line, dict) or not all(k in line for k in ("id", "mac", "count", "db", "prev", "line_mac")):
            return AnchorCheck(where, count, problem="unreadable", line=number)
        if line["db"] != state.db_id:
            return AnchorCheck(where, count, problem="other_db", line=number, params={"db": str(line["db"])})
        if line["prev"] != prev:
            return AnchorCheck(where, count, problem="unlinked", line=number, row_id=_int(line.get("id")))
        if audit.anchor_mac(key.secret, line) != line["line_mac"]:
            return AnchorCheck(where, count, problem="forged", line=number, row_id=_int(line.get("id")))
        anchor_id, anchor_count = _int(line["id"]), _int(line["count"])
        if anchor_id is None or anchor_count is None:
            return AnchorCheck(where, count, problem="unreadable", line=number)
        if anchor_id < last_id or anchor_count < last_count:
            return AnchorCheck(where, count, problem="rewound", line=number, row_id=anchor_id)
        if anchor_id > 0:
            value = audit.row_value(db, anchor_id)
            if value is None:
                return AnchorCheck(where, count, problem="cut", line=number, row_id=anchor_id,
                                   params={"count": anchor_count, "rows": chain.rows})
            if value != line["mac"]:
                return AnchorCheck(where, count, problem="differs", line=number, row_id=anchor_id)
        elif line["mac"] != state.legacy_head_hash:
            return AnchorCheck(where, count, problem="differs", line=number, row_id=0)
        if anchor_count > chain.rows:
            return AnchorCheck(where, count, problem="cut", line=number, row_id=anchor_id,
                               params={"count": anchor_count, "rows": chain.rows})
        prev, last_id, last_count = line["line_mac"], anchor_id, anchor_count
        count += 1
    return AnchorCheck(where, count, last_id=last_id if count else None)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check(db: Database, anchors: Path | None = None) -> ChainReport:
    """Chain, then anchors (no role check: callers check; the doctor is an admin's, cron's or root's)."""
    chain = audit.check_chain(db)
    anchor_check = check_anchors(db, chain, anchors) if chain.ok or chain.problem == "not_keyed" else AnchorCheck(None)
    return ChainReport(chain, anchor_check)


def verify(db: Database, actor: Actor, anchors: Path | None = None) -> ChainReport:
    """Check every row against the key and every anchor: auditor or supervisor."""
    require_role(actor, *TRAIL_ROLES)
    return check(db, anchors)


def use_explicit_key(db: Database, key_file: Path) -> None:
    """Verify with a key named on the command line: root only (anyone else could name a key they forged)."""
    if os.geteuid() != 0:
        raise PermissionDenied("audit_chain.key_option_root")
    audit_key.use_key(db, key_file)


def doctor_checks(db: Database) -> list[tuple[str, bool, str]]:
    """The doctor's audit checks: (name, ok, detail) for audit_key, audit_chain, audit_anchors."""
    state = audit.read_state(db)
    try:
        report = check(db)
    except EnvironmentFailure as exc:
        return [("audit_key", False, exc.text()), ("audit_chain", False, t("audit_chain.unverifiable"))]
    chain = report.chain
    hall_key, source = audit_key.default_key_path(db, state.db_id or "")
    if chain.problem == "not_keyed" and source == "hall" and audit_key.key_exists(hall_key):
        # the hall's key is made by the very `retire init` that keys the chain: its record was removed
        key_check = ("audit_key", False, t("audit.key_without_chain", path=str(hall_key), rows=chain.rows))
    elif chain.problem == "not_keyed":
        key_check = ("audit_key", False, t("audit_chain.problem.not_keyed", rows=chain.rows))
    elif chain.problem == "seal":
        key_check = ("audit_key", False, t("audit_chain.problem.seal", id=chain.bad_id))
    elif not state.keyed:
        key_check = ("audit_key", True, t("audit_chain.key_not_yet"))
    else:
        key_source = chain.key.get("source")
        key_check = ("audit_key", True, t("audit_chain.key_ok", source=t(f"audit_chain.source.{key_source}") if key_source else "-",
                                          path=chain.key.get("path") or "-", scheme=audit.SCHEME,
                                          keyed_from=chain.keyed_from))
    chain_ok = chain.ok or chain.problem == "not_keyed"
    chain_detail = t("audit_chain.chain_ok", rows=chain.rows) if chain_ok else chain_problem_text(chain)
    out = [key_check, ("audit_chain", chain_ok, chain_detail)]
    if chain_ok:
        out.append(("audit_anchors", report.anchors.ok, anchor_problem_text(report.anchors)))
    return out


# -- anchoring --------------------------------------------------------------------


def _who(actor: Actor | None) -> str:
    return "root" if actor is None else actor.audit_name


def _may_anchor(actor: Actor | None) -> None:
    if actor is None:
        if os.geteuid() != 0:
            raise PermissionDenied("audit_chain.anchor_needs_role", roles=", ".join(ANCHOR_ROLES))
        return
    require_role(actor, *ANCHOR_ROLES)


def _open_log(path: Path) -> int:
    """The anchor log opened for appending: never through a link, never a FIFO or device, never truncated."""
    from console.hall_config import protected_target

    if protected_target(path):  # a service account working for staff: never inside the hall's directory
        raise BadInput("hall.protected_path", path=str(path))
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        if directory == audit_key.personal_dir():
            with contextlib.suppress(OSError):
                directory.mkdir(parents=True, mode=0o700, exist_ok=True)
        if not directory.is_dir():
            raise BadInput("files.no_directory", path=str(path), directory=str(directory))
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise EnvironmentFailure("audit.anchor_unwritable", path=str(path), reason=exc.strerror or str(exc)) from None
    if info is not None:
        refuse_unless_regular(info, path)
    mode = 0o644 if os.geteuid() == 0 else 0o600  # root writes a log the service account may read, not write
    flags = (os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
             | getattr(os, "O_NONBLOCK", 0))
    try:
        fd = os.open(path, flags, mode)
    except OSError as exc:
        if os.path.islink(path):
            raise BadInput("files.is_symlink", path=str(path)) from None
        raise EnvironmentFailure("audit.anchor_unwritable", path=str(path), reason=exc.strerror or str(exc)) from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise BadInput("files.not_regular", path=str(path))
        if info is None and opened.st_size == 0:
            os.fchmod(fd, mode)  # new: the umask does not choose who may read it
    except BaseException:
        os.close(fd)
        raise
    return fd


def _refuse_own_files(db: Database, path: Path, key: audit_key.AuditKey) -> None:
    """Never append to the database, its journals, or the key (an anchor there would break the hall)."""
    db_path = audit_key.database_path(db)
    target = Path(os.path.abspath(path))
    protected = [p for p in (key.path,) if p is not None]
    if db_path is not None:
        if target.parent == db_path.parent and target.name.startswith(db_path.name):
            raise BadInput("audit_chain.anchor_not_there", path=str(path))
        protected.append(db_path)
    for item in protected:
        with contextlib.suppress(OSError):
            if target == Path(os.path.abspath(item)) or (target.exists() and os.path.samefile(target, item)):
                raise BadInput("audit_chain.anchor_not_there", path=str(path))


def _read_fd(fd: int) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


def anchor(db: Database, actor: Actor | None, target: Path | None = None) -> dict[str, Any]:
    """Append the head of a chain that holds to the anchor log; returns the line written.

    ``actor`` None means root (the nightly job).  A chain that does not hold
    is not anchored (exit 1): the doctor says where it breaks.
    """
    _may_anchor(actor)
    if not audit.read_state(db).keyed:
        audit.ensure_keyed(db, create_hall_key=False)
    chain = audit.check_chain(db)
    if not chain.ok:
        raise Refused("audit_chain.anchor_broken", problem=chain_problem_text(chain))
    state = audit.read_state(db)
    key = audit.key_for(db, state)
    path = Path(target).expanduser() if target is not None else default_anchor_log(db)
    assert path is not None  # keyed: the database has an identity
    _refuse_own_files(db, path, key)
    fd = _open_log(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            existing = _split(_read_fd(fd))
            if existing and not _is_anchor_line(existing[0]):
                raise BadInput("audit_chain.not_anchor_log", path=str(path))  # only new files or anchor logs grow
            prev, number = GENESIS, 0
            for raw in existing:
                number += 1
                try:
                    line = json.loads(raw)
                except ValueError:
                    line = None
                if isinstance(line, dict) and isinstance(line.get("line_mac"), str):
                    prev = line["line_mac"]
                    if line.get("db") not in (None, state.db_id):
                        raise Refused("audit_chain.anchor_other_db", path=str(path))
                else:  # a torn or foreign line: chain onto its bytes; verification names it
                    prev = audit.mac_function(key.secret)(raw)
            db_path = audit_key.database_path(db)
            line = {
                "v": ANCHOR_VERSION,
                "n": number + 1,
                "db": state.db_id,
                "path": None if db_path is None else str(db_path),
                "id": chain.head_id,
                "mac": chain.head_value,
                "count": chain.rows,
                "at": wall_now_iso(),  # real time, never the demo's simulated clock
                "by": _who(actor),
                "prev": prev,
            }
            line["line_mac"] = audit.anchor_mac(key.secret, line)
            data = json.dumps(line, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
            size = os.fstat(fd).st_size
            if size and _read_tail(fd, size) != b"\n":
                data = "\n" + data  # never glue onto a torn last line
            os.write(fd, data.encode("utf-8"))
            os.fsync(fd)
        except OSError as exc:
            raise EnvironmentFailure("audit.anchor_unwritable", path=str(path), reason=exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    return {**line, "file": str(path)}


def _is_anchor_line(raw: str) -> bool:
    try:
        line = json.loads(raw)
    except ValueError:
        return False
    return isinstance(line, dict) and isinstance(line.get("line_mac"), str) and "prev" in line


def _read_tail(fd: int, size: int) -> bytes:
    return os.pread(fd, 1, size - 1)
