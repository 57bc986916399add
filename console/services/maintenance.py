"""Keeping a hall's database safe: backup, restore, doctor.

Backups are taken online (others keep working); a restore checks the backup
first and refuses to overwrite without --force; the doctor names every
problem and exits non-zero so cron can alert.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.errors import BadInput, Refused
from console.faults import pid_alive
from console.safe_files import TEMP_SUFFIX, check_target, mode_for, os_failure
from console.services.identity import Actor, require_role
from db import audit
from db import maintenance as m
from db.connection import open_database, transaction
from db.schema import SCHEMA_VERSION, current_version

if TYPE_CHECKING:
    from db.engine import Database

WAL_WARN_BYTES = 256 * 1024 * 1024


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class DoctorReport:
    path: str
    checks: list[Check] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def backup(db: Database, actor: Actor, target: Path, force: bool = False) -> dict[str, Any]:
    """Write a consistent copy to ``target`` and verify it; the copy is never written through a planted name.

    SQLite's online backup writes to a path, so it writes into a fresh
    private directory made beside the target (``mkdir`` 0700: nobody else can
    create a name in it, so no link can be planted under SQLite).  The copy
    is checked (integrity, audit chain), given 0600 (0640 in a setgid hall
    directory) whatever the umask, fsynced and renamed onto the target; the
    private directory is removed whatever happens, so no partial copy is
    ever left.  An existing target needs ``force``; a symlink, a directory,
    a device or a FIFO is refused even with it.
    """
    require_role(actor, "admin", "supervisor")
    if str(target) == "-":  # the copy cannot share stdout with the report: never a file called '-'
        raise BadInput("maintenance.backup_no_stdout")
    target = Path(target).expanduser()
    if not target.parent.is_dir():
        raise BadInput("db.no_directory", path=str(target), directory=str(target.parent))
    check_target(target, force=True)  # a link, a directory, a device: refused (exit 2)
    if target.exists() and not force:
        raise Refused("maintenance.target_exists", path=str(target))
    mode = mode_for(target.parent)
    _remove_stale_workdirs(target)
    try:
        workdir = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}-", suffix=TEMP_SUFFIX, dir=target.parent))
    except OSError as exc:
        raise os_failure(exc, target) from None
    try:
        tmp = workdir / target.name
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
            os.fchmod(fd, mode)  # a copy holds ID numbers and bank cards: never world-readable
            os.close(fd)
            m.backup_to(db, tmp)
        except OSError as exc:
            raise os_failure(exc, target) from None
        copy = m.open_readonly(tmp)
        try:
            problems = m.integrity(copy)
            chain = audit.verify_chain(copy)
            version = current_version(copy)
        finally:
            copy.close()
        if problems or chain is not None:
            raise Refused("maintenance.backup_bad", problems="; ".join(problems[:3]) or f"audit chain at row {chain}")
        try:
            fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                os.fchmod(fd, mode)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise os_failure(exc, target) from None
        # The write lock first, then the name: a hall busy past its timeout (or a full disk for the
        # audit row) refuses the backup with no copy left under the target's name.
        placed = False
        try:
            with transaction(db):
                try:
                    check_target(target, force=force)  # it may have been planted while the copy was made
                    os.replace(tmp, target)
                    placed = True
                    _fsync_directory(target.parent)
                except OSError as exc:
                    raise os_failure(exc, target) from None
                audit.append(db, actor.audit_name, "db.backup", entity="database", entity_id=str(target),
                             detail={"schema_version": version})
        except BaseException:
            if placed:
                with contextlib.suppress(OSError):
                    target.unlink()
            raise
        size = target.stat().st_size
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"path": str(target), "bytes": size, "schema_version": version}


def _remove_stale_workdirs(target: Path) -> None:
    """Remove the private directories that killed backups of ``target`` left (``.NAME.<pid>-XXXX.part``).

    Only directories of ours whose pid is no longer running are removed (a
    colleague's backup to the same name may be under way), and the nameless
    ones of backups made before the pid was part of the name.
    """
    try:
        candidates = list(target.parent.glob(f".{target.name}.*{TEMP_SUFFIX}"))
    except OSError:
        return
    for candidate in candidates:
        try:
            info = os.lstat(candidate)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        middle = candidate.name[len(target.name) + 2:-len(TEMP_SUFFIX)]
        pid, dash, _rest = middle.partition("-")
        if dash and pid.isdigit() and pid_alive(int(pid)):
            continue
        shutil.rmtree(candidate, ignore_errors=True)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_backup(source: Path) -> dict[str, Any]:
    """Refuse a file that is not a sound backup of ours."""
    source = Path(source)
    if not source.is_file():
        raise BadInput("maintenance.no_backup", path=str(source))
    copy = m.open_readonly(source)
    try:
        version = m.schema_version_of(copy)
        if version is None or version == 0:
            raise BadInput("maintenance.not_backup", path=str(source))
        if version > SCHEMA_VERSION:
            raise Refused("db.schema_newer", found=version, known=SCHEMA_VERSION)
        problems = m.integrity(copy)
        if problems:
            raise Refused("maintenance.backup_bad", problems="; ".join(problems[:3]))
        chain = audit.verify_chain(copy)
        if chain is not None:
            raise Refused("maintenance.backup_bad", problems=f"audit chain broken at row {chain}")
        return {"path": str(source), "schema_version": version, "audit_rows": audit.count_rows(copy)}
    finally:
        copy.close()


def restore(db_path: Path, actor: Actor, source: Path, force: bool = False) -> dict[str, Any]:
    """Replace the database with a checked backup; refuses to overwrite without ``force``."""
    require_role(actor, "admin")
    info = check_backup(source)
    if Path(db_path).exists() and not force:
        raise Refused("maintenance.restore_needs_force", path=str(db_path))
    _refuse_demo_over_real(Path(source), Path(db_path))
    m.restore_from(Path(source), Path(db_path))
    db = open_database(Path(db_path), create=False)
    try:
        with transaction(db):
            audit.append(db, actor.audit_name, "db.restore", entity="database", entity_id=str(source), detail=info)
    finally:
        db.close()
    return info


def _refuse_demo_over_real(source: Path, db_path: Path) -> None:
    """A demo hall's backup never replaces a real hall: the demo mark would come with it,
    and on a demo hall RETIRE_LOGIN is honoured (anyone could act as anyone)."""
    from db import demo_hall

    if demo_hall.probe(source).kind == demo_hall.DEMO and demo_hall.probe(db_path).kind == demo_hall.OTHER:
        raise Refused("maintenance.restore_demo_over_real", source=str(source), path=str(db_path))


def doctor(db: Database, path: Path) -> DoctorReport:
    """Every health check, each named; ok only when all pass."""
    report = DoctorReport(str(path))
    problems = m.integrity(db)
    report.checks.append(Check("integrity_check", not problems, "; ".join(problems[:5]) or "ok"))
    fks = m.foreign_key_problems(db)
    report.checks.append(Check("foreign_key_check", not fks, f"{len(fks)} rows" if fks else "ok"))
    facts = m.file_facts(db, path)
    report.facts = facts
    report.checks.append(Check("schema_version", facts["schema_version"] == SCHEMA_VERSION, f"{facts['schema_version']} / {SCHEMA_VERSION}"))
    report.checks.append(Check("wal_size", facts["wal_bytes"] < WAL_WARN_BYTES, f"{facts['wal_bytes']:,} bytes"))
    for name, count in m.orphans(db).items():
        report.checks.append(Check(f"orphans.{name}", count == 0, str(count)))
    from console.services.audit_log import doctor_checks  # key, chain (named row), anchors

    for name, ok, detail in doctor_checks(db):
        report.checks.append(Check(name, ok, detail))
    report.checks.append(_stored_text_check(db))
    return report


def _stored_text_check(db: Database) -> Check:
    """Rows stored before the text policy (or by SQL) that break it: a warning naming them, not a failure."""
    from console.i18n import t
    from console.services.data_checks import stored_policy_breaks

    found = stored_policy_breaks(db)
    detail = t("data_checks.clean") if not found.count else t("data_checks.found", count=found.count, rows=found.summary())
    return Check("stored_text", True, detail)
