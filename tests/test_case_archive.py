"""The case file (电子归档): `retire archive` packages a finished case, `retire archive verify` re-checks it.

Run as a hall runs it: the real CLI in its own process on a copy of the demo
hall (tests/conftest.py ``hall``), the package on disk, the database read
back with sqlite to compare bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from console.services import notices
from db import notices as notices_db
from db.connection import open_database

ROOT = Path(__file__).resolve().parents[1]


def retire(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RETIRE_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "console", *args], capture_output=True, text=True, env=env, timeout=120,
                          check=False)


def delivered_cases(hall: Path) -> list[str]:
    with sqlite3.connect(hall) as con:
        return [r[0] for r in con.execute("SELECT case_no FROM cases WHERE status = 'delivered' ORDER BY case_no")]


@pytest.fixture
def packaged(hall: Path, tmp_path: Path) -> tuple[str, Path]:
    """A delivered demo case filed as a folder under tmp_path/out."""
    case_no = delivered_cases(hall)[0]
    out = tmp_path / "out"
    out.mkdir()
    done = retire("archive", case_no, "--out", str(out))
    assert done.returncode == 0, done.stderr
    return case_no, out / case_no


def test_package_verifies_and_holds_the_notices_as_stored(hall: Path, packaged: tuple[str, Path]) -> None:
    case_no, package = packaged
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["case_no"] == case_no
    assert manifest["retention"]["years"] == 30 and manifest["retention"]["source"]
    assert manifest["schema_version"] >= 8 and manifest["policy_version"] and manifest["made_by"]
    listed = {f["path"]: f for f in manifest["files"]}
    on_disk = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(listed) == on_disk
    for name, entry in listed.items():
        data = (package / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"])

    db = open_database(hall, create=False)
    try:
        case_id = db.execute("SELECT id FROM cases WHERE case_no = ?", [case_no]).fetchone()[0]
        stored = list(db.execute("SELECT id, kind, number, body, data FROM notices WHERE case_id = ? ORDER BY id", [case_id]))
        assert {kind for _, kind, *_ in stored} >= {"acceptance", "joint_form", "approval_form"}  # the forms are filed too
        by_number = {n["number"]: n for n in manifest["notices"]}
        for notice_id, _kind, number, body, data in stored:
            entry = by_number[number]
            assert (package / entry["text"]).read_bytes() == body.encode("utf-8")
            assert (package / entry["data"]).read_bytes() == data.encode("utf-8")
            docx = package / entry["text"].replace(".txt", ".zh.docx")
            assert docx.read_bytes() == notices.notice_docx(notices_db.get(db, notice_id), "zh")
        audit_rows = json.loads((package / "audit.json").read_text(encoding="utf-8"))["rows"]
        in_db = [dict(zip(("id", "prev_hash", "hash"), r, strict=True))
                 for r in db.execute("SELECT id, prev_hash, hash FROM audit WHERE case_id = ? AND action != 'case.archive'"
                                     " ORDER BY id", [case_id])]
        assert [{k: r[k] for k in ("id", "prev_hash", "hash")} for r in audit_rows] == in_db
        archived = db.execute("SELECT detail FROM audit WHERE case_id = ? AND action = 'case.archive'", [case_id]).fetchall()
        assert len(archived) == 1  # making the file is itself on the record
    finally:
        db.close()
    facts = (package / "prereview" / "facts.en.txt").read_text(encoding="utf-8")
    assert "Why:" in facts and "Basis:" in facts
    check = retire("archive", "verify", str(package))
    assert check.returncode == 0, check.stdout + check.stderr


def test_one_changed_byte_in_any_file_fails_naming_it(packaged: tuple[str, Path]) -> None:
    _, package = packaged
    names = sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file())
    assert "manifest.json" in names and "audit.json" in names and any(n.endswith(".docx") for n in names)
    for name in names:
        path = package / name
        original = path.read_bytes()
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 0x01
        path.write_bytes(bytes(changed))
        try:
            check = retire("archive", "verify", str(package))
        finally:
            path.write_bytes(original)
        assert check.returncode == 1, (name, check.stdout, check.stderr)
        assert name in check.stdout, (name, check.stdout)
        assert "Traceback" not in check.stderr
    assert retire("archive", "verify", str(package)).returncode == 0


def test_an_added_or_removed_file_fails(packaged: tuple[str, Path]) -> None:
    _, package = packaged
    (package / "notes.txt").write_text("later", encoding="utf-8")
    check = retire("archive", "verify", str(package))
    assert check.returncode == 1 and "notes.txt" in check.stdout
    (package / "notes.txt").unlink()
    (package / "delivery.json").unlink()
    check = retire("archive", "verify", str(package))
    assert check.returncode == 1 and "delivery.json: missing" in check.stdout


def test_a_changed_audit_row_in_the_database_fails_naming_the_row(hall: Path, packaged: tuple[str, Path]) -> None:
    _, package = packaged
    row_id = json.loads((package / "audit.json").read_text(encoding="utf-8"))["rows"][1]["id"]
    with sqlite3.connect(hall) as con:
        con.execute("DROP TRIGGER audit_no_update")
        con.execute("UPDATE audit SET actor = 'someone else' WHERE id = ?", [row_id])
    check = retire("archive", "verify", str(package))
    assert check.returncode == 1
    assert f"audit row {row_id}: differs from the database's row (actor)" in check.stdout
    assert "does not verify" in check.stdout and str(row_id) in check.stdout.splitlines()[-1]


def test_an_existing_package_is_refused_without_force(hall: Path, packaged: tuple[str, Path]) -> None:
    case_no, package = packaged
    before = (package / "manifest.json").read_bytes()
    again = retire("archive", case_no, "--out", str(package.parent))
    assert again.returncode == 2 and "--force" in again.stderr
    assert (package / "manifest.json").read_bytes() == before
    forced = retire("archive", case_no, "--out", str(package.parent), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (package / "manifest.json").read_bytes() != before
    assert retire("archive", "verify", str(package)).returncode == 0
    assert [p.name for p in package.parent.iterdir()] == [case_no]  # no temporary or old copy left behind


def test_a_folder_that_is_no_package_is_never_replaced(hall: Path, tmp_path: Path) -> None:
    case_no = delivered_cases(hall)[0]
    (tmp_path / case_no).mkdir()
    (tmp_path / case_no / "mine.txt").write_text("keep", encoding="utf-8")
    done = retire("archive", case_no, "--out", str(tmp_path), "--force")
    assert done.returncode == 2
    assert (tmp_path / case_no / "mine.txt").read_text(encoding="utf-8") == "keep"


def test_period_as_zips_and_a_changed_zip_fails(hall: Path, tmp_path: Path) -> None:
    with sqlite3.connect(hall) as con:
        days = [r[0] for r in con.execute(
            "SELECT substr(MAX(d.delivered_at), 1, 10) FROM cases c JOIN deliveries d ON d.case_id = c.id"
            " WHERE c.status = 'delivered' GROUP BY c.id ORDER BY 1")]
    first, last = days[0], days[len(days) // 2]
    expected = sum(1 for d in days if first <= d <= last)
    done = retire("archive", "--delivered-from", first, "--delivered-to", last, "--out", str(tmp_path), "--zip", "--json")
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    assert len(made) == expected == len(list(tmp_path.glob("*.zip")))
    target = Path(made[0]["path"])
    assert retire("archive", "verify", str(target)).returncode == 0
    with zipfile.ZipFile(target) as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist()}
    entries["tasks.json"] = entries["tasks.json"].replace(b"}", b"} ", 1)
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    check = retire("archive", "verify", str(target))
    assert check.returncode == 1 and "tasks.json: changed" in check.stdout


def test_an_open_case_is_not_filed_and_bad_input_is_exit_2(hall: Path, tmp_path: Path) -> None:
    with sqlite3.connect(hall) as con:
        open_case = con.execute("SELECT case_no FROM cases WHERE status IN ('accepted', 'in_progress') LIMIT 1").fetchone()[0]
    out = tmp_path / "out"
    out.mkdir()
    refused = retire("archive", open_case, "--out", str(out))
    assert refused.returncode == 1 and "still open" in refused.stderr
    assert list(out.iterdir()) == []
    assert retire("archive", "--delivered-from", "2026-13-01", "--delivered-to", "2026-12-01", "--out", str(tmp_path)).returncode == 2
    assert retire("archive", open_case).returncode == 2  # no --out
    assert retire("archive", "verify", str(tmp_path / "nothing")).returncode == 2


def test_a_refused_case_is_filed_with_its_refusal_and_no_forms(hall: Path, tmp_path: Path) -> None:
    with sqlite3.connect(hall) as con:
        case_no = con.execute("SELECT case_no FROM cases WHERE status = 'refused' LIMIT 1").fetchone()[0]
    done = retire("archive", case_no, "--out", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / case_no / "manifest.json").read_text(encoding="utf-8"))
    assert [n["kind"] for n in manifest["notices"]] == ["refusal"]
    with sqlite3.connect(hall) as con:
        kinds = [r[0] for r in con.execute(
            "SELECT kind FROM notices WHERE case_id = (SELECT id FROM cases WHERE case_no = ?)", [case_no])]
    assert kinds == ["refusal"]  # filing a refused case issues nothing
    assert retire("archive", "verify", str(tmp_path / case_no)).returncode == 0


def test_a_build_a_killed_run_left_is_cleared_and_never_counts(hall: Path, tmp_path: Path) -> None:
    case_no = delivered_cases(hall)[0]
    stale = tmp_path / f".{case_no}.0123456789ab.part"
    stale.mkdir()
    (stale / "manifest.json").write_text("{}", encoding="utf-8")
    done = retire("archive", case_no, "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert not stale.exists()
    assert retire("archive", "verify", str(tmp_path / case_no)).returncode == 0
