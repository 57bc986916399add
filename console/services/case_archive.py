"""The case file (电子归档, 单套制): one self-checking package per finished case.

A package is a folder (or one zip) named after the case number holding:

- ``notices/NN-<kind>.txt``: every notice and form as issued, the stored
  zh text exactly; ``.data.json`` the stored ``data`` column exactly (the
  facts and both document models it was issued from); ``.zh.docx`` /
  ``.en.docx`` the DOCX rendered from that stored model (the same bytes as
  every reprint); ``.en.txt`` the English text of the same model;
- ``prereview/facts.json`` the stored pre-review row, ``facts.zh.txt`` /
  ``facts.en.txt`` every fact with its explanation and basis, readable;
- ``case.json`` (the case and its materials), ``tasks.json`` (every task
  and its result), ``delivery.json`` (the delivery record);
- ``audit.json``: the case's audit rows with their chain values (``id``,
  ``prev_hash``, ``hash``), the canonical text each value covers and the
  chain's scheme, so that whoever holds the key can recompute them;
- ``manifest.json``: SHA-256 and size of every other file, the case number,
  the hall, when and by whom it was made, the schema and policy versions,
  and the hall's retention period (``console/hall.toml`` ``[archive]``;
  recorded, never acted on: nothing is ever deleted by it).

A package is written whole or not at all: a folder is built under a
temporary name beside its target and renamed into place; a zip goes through
``console.safe_files.atomic_writer``.  An existing package is replaced only
with ``force`` (and only when it is one of ours: a manifest names it).
Forms not issued yet are issued first (numbered and audited by
``console.services.notices``), since the file must hold them.

``verify_package`` re-checks a package: every listed file present with its
size and hash, no file that is not listed, and every audit row equal to the
database's row of the same id, on a chain that verifies (``db.audit``).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
import shutil
import stat
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.errors import BadInput, Refused
from console.hall_config import protected_target
from console.i18n import t
from console.rules.parameters import policy_version
from console.safe_files import atomic_writer, os_failure
from console.services import notices
from console.services.identity import Actor, require_role
from console.services.role_matrix import BY_CODE
from console.settings import load_hall, load_parameters
from console.vocabulary import CASE_STATUS, CLOSED_STATUSES, DEPARTMENT, FINISHED_STATUSES, TASK_STATUS
from db import audit
from db import case_archive as archive_db
from db import cases as cases_db
from db import deliveries as deliveries_db
from db import tasks as tasks_db
from db.clock import wall_now_iso
from db.connection import transaction
from db.schema import current_version

if TYPE_CHECKING:
    from db.engine import Database

ARCHIVE_ROLES = BY_CODE["archive.make"].roles
VERIFY_ROLES = BY_CODE["archive.verify"].roles
FORMAT = "retire-case-file/1"
MANIFEST = "manifest.json"
AUDIT_FILE = "audit.json"
AUDIT_FIELDS = ("id", "at", "actor", "action", "case_id", "task_id", "entity", "entity_id", "detail", "prev_hash", "hash")


@dataclass(frozen=True)
class Retention:
    """The hall's retention period for case files (a parameter with its source; nothing acts on it)."""

    years: int
    source: str


@dataclass(frozen=True)
class ArchiveResult:
    case_no: str
    path: Path
    files: int
    manifest_sha256: str


@dataclass(frozen=True)
class Problem:
    """One thing a package's verification found wrong: a catalogue key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        return t(self.key, lang, **self.params)


# ---------------------------------------------------------------- settings

def retention() -> Retention:
    """``[archive] retention_years`` and ``retention_source`` of the hall's settings (console/hall.toml)."""
    table: Mapping[str, Any] = load_hall().get("archive") or {}
    years = table.get("retention_years")
    if not isinstance(years, int) or isinstance(years, bool) or years <= 0:
        raise BadInput("archive.bad_retention", value=str(years))
    return Retention(years, str(table.get("retention_source") or ""))


# ---------------------------------------------------------------- building

def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _ensure_forms(db: Database, actor: Actor, case: Mapping[str, Any]) -> None:
    """Issue the joint form and the approval form if a finished case has none yet (the file must hold them)."""
    if case["status"] not in FINISHED_STATUSES:
        return
    have = {n["kind"] for n in archive_db.raw_notices(db, case["id"])}
    for kind in notices.FORM_KINDS:
        if kind not in have:
            notices.issue_document(db, actor, case["case_no"], kind)


def _notice_files(db: Database, actor: Actor, case: Mapping[str, Any]) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    files: dict[str, bytes] = {}
    listed: list[dict[str, Any]] = []
    for n, raw in enumerate(archive_db.raw_notices(db, case["id"]), start=1):
        if not raw["body"] or "document" not in json.loads(raw["data"] or "{}"):
            notices.get_notice(db, actor, case["case_no"], raw["kind"], number=raw["number"])  # renders it once, audited
            raw = next(r for r in archive_db.raw_notices(db, case["id"]) if r["id"] == raw["id"])
        stem = f"notices/{n:02d}-{raw['kind'].replace('_', '-')}"
        parsed = {**raw, "data": json.loads(raw["data"] or "{}")}
        files[f"{stem}.txt"] = str(raw["body"]).encode("utf-8")
        files[f"{stem}.data.json"] = str(raw["data"]).encode("utf-8")
        files[f"{stem}.zh.docx"] = notices.notice_docx(parsed, "zh")
        files[f"{stem}.en.docx"] = notices.notice_docx(parsed, "en")
        files[f"{stem}.en.txt"] = notices.notice_text(parsed, "en").encode("utf-8")
        listed.append({"id": raw["id"], "kind": raw["kind"], "number": raw["number"], "issued_at": raw["issued_at"],
                       "issued_by": raw["issued_by"], "text": f"{stem}.txt", "data": f"{stem}.data.json"})
    return files, listed


def _facts_text(data: Mapping[str, Any], row: Mapping[str, Any], lang: str) -> str:
    """Every pre-review fact, its value, why the rules say so and on what basis, as numbered lines."""
    blank = t("archive.text.blank", lang)
    lines = [t("archive.text.facts_title", lang, case_no=row["case_no"]),
             t("archive.text.facts_version", lang, version=row.get("policy_version") or blank,
               computed=row.get("computed_at") or blank, confirmed_by=row.get("confirmed_by") or blank,
               confirmed=row.get("confirmed_at") or blank), ""]
    for fact in notices._facts_context(data, lang)["fact_rows"]:  # the same rows the forms print
        lines.append(f"{fact['n']}. {fact['label']}: {fact['value'] or blank}")
        if fact["why"]:
            lines.append("   " + t("archive.text.why", lang, text=fact["why"]))
        if fact["basis"]:
            lines.append("   " + t("archive.text.basis", lang, text=fact["basis"]))
    return "\n".join(lines) + "\n"


def _audit_file(db: Database, case_id: int) -> tuple[bytes, list[dict[str, Any]]]:
    state = audit.read_state(db)
    keyed_from = state.keyed_from if state.keyed else None
    rows = []
    for row in audit.rows_for_case(db, case_id):
        keyed = keyed_from is not None and int(row["id"]) >= keyed_from
        canonical = audit.canonical_text(row["at"], row["actor"], row["action"], row["case_id"], row["task_id"], row["entity"],
                                         row["entity_id"], row["detail"], int(row["id"]) if keyed else None)
        rows.append({**{k: row[k] for k in AUDIT_FIELDS}, "scheme": "hmac-sha256/1" if keyed else "sha256/0",
                     "canonical": canonical})
    chain = {"scheme": state.scheme, "keyed_from": keyed_from, "legacy_head_id": state.legacy_head_id,
             "legacy_head_hash": state.legacy_head_hash, "db_id": state.db_id,
             "value": "keyed rows: hex HMAC-SHA256(key, prev_hash + canonical); legacy rows: hex SHA-256(prev_hash + canonical)"}
    return _json({"chain": chain, "rows": rows}), rows


def build_package(db: Database, actor: Actor, case_no: str) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Every file of the case's package (name -> bytes) and its manifest (not yet among the files)."""
    require_role(actor, *ARCHIVE_ROLES)
    case = cases_db.load(db, case_no)
    if case["status"] not in CLOSED_STATUSES:
        raise Refused("archive.case_open", case_no=case["case_no"], status=t(CASE_STATUS.key(case["status"])))
    keep = retention()
    _ensure_forms(db, actor, case)
    files, listed = _notice_files(db, actor, case)
    facts = archive_db.raw_facts(db, case["id"])
    if facts is not None:
        data = json.loads(facts["data"] or "{}")
        files["prereview/facts.json"] = _json({**facts, "data": data})
        for lang in ("zh", "en"):
            files[f"prereview/facts.{lang}.txt"] = _facts_text(data, {**facts, "case_no": case["case_no"]}, lang).encode("utf-8")
    files["case.json"] = _json({**case, "materials": cases_db.materials(db, case["id"])})
    files["tasks.json"] = _json([
        {**task, "department_words": t(DEPARTMENT.key(task["department"]), "zh"),
         "status_words": t(TASK_STATUS.key(task["status"]), "zh")}
        for task in tasks_db.for_case(db, case["id"])
    ])
    files["delivery.json"] = _json(deliveries_db.for_case(db, case["id"]))
    files[AUDIT_FILE], rows = _audit_file(db, case["id"])
    hall = load_hall().get("hall") or {}
    stored_policy = facts.get("policy_version") if facts else None
    manifest = {
        "format": FORMAT,
        "case_no": case["case_no"],
        "status": case["status"],
        "hall": {k: hall.get(k) for k in ("county", "department", "window", "case_prefix")},
        "made_at": wall_now_iso(),
        "made_by": actor.audit_name,
        "schema_version": current_version(db),
        "policy_version": policy_version(load_parameters()),
        "facts_policy_version": stored_policy,
        "retention": {"years": keep.years, "source": keep.source, "deletes": False},
        "notices": listed,
        "audit": {"rows": len(rows), "first_id": rows[0]["id"] if rows else None, "last_id": rows[-1]["id"] if rows else None},
        "files": [{"path": name, "size": len(data), "sha256": _sha(data)} for name, data in sorted(files.items())],
    }
    return files, manifest


# ---------------------------------------------------------------- writing

def _is_package_dir(path: Path) -> bool:
    try:
        with (path / MANIFEST).open("rb") as fh:
            return bool(json.load(fh).get("format") == FORMAT)
    except (OSError, ValueError, AttributeError):
        return False


def check_destination(target: Path, *, force: bool, as_zip: bool) -> None:
    """Refuse a target that exists (without ``force``), is a link, is not one of our packages, or is the hall's."""
    if protected_target(target):
        raise BadInput("hall.protected_path", path=str(target))
    if not target.parent.is_dir():
        raise BadInput("files.no_directory", path=str(target), directory=str(target.parent))
    if not os.path.lexists(target):
        return
    if target.is_symlink():
        raise BadInput("files.is_symlink", path=str(target))
    if not force:
        raise BadInput("archive.exists", path=str(target))
    if as_zip:
        if not target.is_file():
            raise BadInput("files.not_regular", path=str(target))
    elif not target.is_dir() or not _is_package_dir(target):
        raise BadInput("archive.not_a_package", path=str(target))


def package_path(out_dir: Path, case_no: str, as_zip: bool) -> Path:
    return out_dir / (f"{case_no}.zip" if as_zip else case_no)


def _remove_stale_builds(target: Path) -> None:
    """Folders a killed earlier run left beside ``target`` (``.NAME.<hex>.part`` / ``.old``, ours, not links)."""
    for pattern in (f".{target.name}.*.part", f".{target.name}.*.old"):
        for stale in target.parent.glob(pattern):
            with contextlib.suppress(OSError):
                info = os.lstat(stale)
                if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
                    shutil.rmtree(stale, ignore_errors=True)


def _write_folder(target: Path, files: Mapping[str, bytes], force: bool) -> None:
    _remove_stale_builds(target)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    try:
        os.mkdir(temp, 0o700)
        for name, data in files.items():
            path = temp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        check_destination(target, force=force, as_zip=False)  # planted while we wrote?
        old = None
        if os.path.lexists(target):
            old = target.with_name(f".{target.name}.{secrets.token_hex(6)}.old")
            os.rename(target, old)
        os.rename(temp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        with contextlib.suppress(OSError):
            fd = os.open(target.parent, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise os_failure(exc, target) from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _write_zip(files: Mapping[str, bytes], made_at: str) -> bytes:
    """The zip's bytes, every entry stamped with the manifest's time (the same files give the same zip)."""
    stamp = datetime.fromisoformat(made_at).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buffer.getvalue()


def archive_case(
    db: Database, actor: Actor, case_no: str, out_dir: Path, *, as_zip: bool = False, force: bool = False,
) -> ArchiveResult:
    """Write the case's package into ``out_dir`` (a folder, or ``<case>.zip``) and audit it."""
    require_role(actor, *ARCHIVE_ROLES)
    case = cases_db.load(db, case_no)
    target = package_path(Path(out_dir).expanduser(), case["case_no"], as_zip)
    check_destination(target, force=force, as_zip=as_zip)  # before a form is issued for nothing
    files, manifest = build_package(db, actor, case["case_no"])
    manifest_bytes = _json(manifest)
    everything = {**files, MANIFEST: manifest_bytes}
    digest = _sha(manifest_bytes)
    with transaction(db):  # the audit row commits only with a package written whole
        if as_zip:
            data = _write_zip(everything, manifest["made_at"])
            with atomic_writer(target, force=force) as fh:
                fh.write(data)
        else:
            _write_folder(target, everything, force)
        audit.append(db, actor.audit_name, "case.archive", case_id=case["id"], entity="case", entity_id=case["case_no"],
                     detail={"path": str(target), "files": len(files), "manifest_sha256": digest,
                             "retention_years": manifest["retention"]["years"]})
    return ArchiveResult(case["case_no"], target, len(files), digest)


def archive_delivered(
    db: Database, actor: Actor, first: date, last: date, out_dir: Path, *, as_zip: bool = False,
    force: bool = False, progress: Callable[[int, int], None] | None = None,
) -> list[ArchiveResult]:
    """One package for every case delivered from ``first`` to ``last``; every target is checked before any is written."""
    require_role(actor, *ARCHIVE_ROLES)
    if last < first:
        raise BadInput("archive.bad_period", first=first.isoformat(), last=last.isoformat())
    numbers = archive_db.delivered_between(db, first.isoformat(), last.isoformat())
    out = Path(out_dir).expanduser()
    for case_no in numbers:
        check_destination(package_path(out, case_no, as_zip), force=force, as_zip=as_zip)
    results = []
    for done, case_no in enumerate(numbers, start=1):
        results.append(archive_case(db, actor, case_no, out, as_zip=as_zip, force=force))
        if progress is not None:
            progress(done, len(numbers))
    return results


# ---------------------------------------------------------------- verifying

def _read_package(path: Path) -> dict[str, bytes | None]:
    """Every file of a package folder or zip (name -> bytes, None when it cannot be read back); BadInput when it is neither."""
    if not os.path.lexists(path):
        raise BadInput("archive.no_package", path=str(path))
    files: dict[str, bytes | None] = {}
    try:
        if path.is_dir():
            for item in sorted(path.rglob("*")):
                if item.is_symlink() or not item.is_dir():
                    files[item.relative_to(path).as_posix()] = None if item.is_symlink() else item.read_bytes()
            return files
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                try:
                    files[info.filename] = zf.read(info)
                except (zipfile.BadZipFile, zlib.error, EOFError):  # a changed byte inside the entry
                    files[info.filename] = None
    except zipfile.BadZipFile:
        raise BadInput("archive.no_package", path=str(path)) from None
    except OSError as exc:
        raise os_failure(exc, path) from None
    return files


def verify_package(db: Database, actor: Actor, path: Path) -> list[Problem]:
    """Every problem with the package at ``path`` (empty: it verifies)."""
    require_role(actor, *VERIFY_ROLES)
    files = _read_package(Path(path).expanduser())
    if MANIFEST not in files:
        return [Problem("archive.verify.no_manifest")]
    raw = files.pop(MANIFEST)
    if raw is None:
        return [Problem("archive.verify.bad_manifest")]
    try:
        manifest = json.loads(raw)
        listed = {str(f["path"]): f for f in manifest["files"]}
    except (ValueError, KeyError, TypeError):
        return [Problem("archive.verify.bad_manifest")]
    problems: list[Problem] = []
    if not _manifest_recorded(db, manifest, _sha(raw)):
        problems.append(Problem("archive.verify.manifest_unrecorded", {"path": MANIFEST}))
    for name, entry in listed.items():
        if name not in files:
            problems.append(Problem("archive.verify.missing_file", {"path": name}))
            continue
        data = files[name]
        if data is None or len(data) != entry.get("size") or _sha(data) != entry.get("sha256"):
            problems.append(Problem("archive.verify.changed_file", {"path": name}))
    problems += [Problem("archive.verify.extra_file", {"path": name}) for name in sorted(set(files) - set(listed))]
    problems += _verify_audit(db, files.get(AUDIT_FILE))
    return problems


def _manifest_recorded(db: Database, manifest: Mapping[str, Any], digest: str) -> bool:
    """True when a ``case.archive`` audit row of the manifest's case names this manifest's SHA-256.

    The manifest vouches for every other file; this row vouches for the
    manifest, so that not one byte of a package can change unseen.
    """
    case_id = archive_db.case_id_of(db, str(manifest.get("case_no") or ""))
    if case_id is None:
        return False
    for row in audit.rows_for_case(db, case_id):
        if row["action"] != "case.archive":
            continue
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            if json.loads(row["detail"] or "{}").get("manifest_sha256") == digest:
                return True
    return False


def _verify_audit(db: Database, raw: bytes | None) -> list[Problem]:
    """The package's audit rows against the database's rows of the same ids, and the database's chain."""
    if raw is None:
        return []  # named already as a missing file
    try:
        rows = json.loads(raw)["rows"]
        ids = [int(r["id"]) for r in rows]
    except (ValueError, KeyError, TypeError):
        return [Problem("archive.verify.bad_audit")]
    problems: list[Problem] = []
    stored = archive_db.audit_rows_by_id(db, ids)
    for row in rows:
        now = stored.get(int(row["id"]))
        if now is None:
            problems.append(Problem("archive.verify.audit_row_missing", {"id": row["id"]}))
            continue
        differs = [k for k in AUDIT_FIELDS if row.get(k) != now[k]]
        if differs:
            problems.append(Problem("archive.verify.audit_row_differs", {"id": row["id"], "fields": ", ".join(differs)}))
    check = audit.check_chain(db)
    if check.problem not in (None, "not_keyed"):
        from console.services.audit_log import chain_problem_text

        problems.append(Problem("archive.verify.chain", {"text": chain_problem_text(check)}))
    return problems
