"""Fuzz ``retire import KIND FILE``: every kind x CSV (UTF-8, BOM, GB18030) / JSON Lines / XLSX.

Files are mostly valid rows with hostile cells and hostile bytes (see
``strategies.import_files``), under the right extension or a wrong one,
with or without ``--format`` / ``--encoding`` (sometimes the wrong one),
``--skip-invalid``, ``--dry-run``, ``--json``.  Each example: exit 0/1/2, no
traceback, the hall unchanged on refusal and after a dry run, integrity ok;
and after a successful import, the county-wide jobs that read what was
stored (an XLSX and a CSV export, ``prereview --all`` for persons) still
work.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.services.importing.columns import KINDS
from tests.fuzz import strategies as fz
from tests.fuzz.harness import ADMIN, Template, check_run, fingerprint, fuzz_settings, run_cli

EXPORTS = {"persons": "persons", "contributions": "contributions", "cases": "cases"}


@st.composite
def import_args(draw: st.DrawFn, kind: str, known: tuple[str, ...]) -> tuple[bytes, str, list[str]]:
    fmt, data, encoding = draw(fz.import_files(kind, known))
    ext = {"csv": ".csv", "jsonl": ".jsonl", "xlsx": ".xlsx"}[fmt]
    if draw(st.integers(0, 10)) == 0:
        ext = draw(st.sampled_from([".csv", ".jsonl", ".xlsx", ".txt", ".json", "", ".dat"]))
    flags: list[str] = []
    if draw(st.integers(0, 3)) == 0:
        flags += ["--format", draw(st.sampled_from([fmt, fmt, "csv", "jsonl", "xlsx"]))]
    if fmt != "xlsx" and draw(st.integers(0, 3)) == 0:
        flags += ["--encoding", draw(st.sampled_from([encoding, encoding, "utf-8", "gb18030", "gbk", "latin-1", "utf-16", "bogus"]))]
    for flag in ("--skip-invalid", "--dry-run", "--json"):
        if draw(st.integers(0, 3)) == 0:
            flags.append(flag)
    return data, ext, flags


@pytest.mark.parametrize("kind", KINDS)
@fuzz_settings(80)
@given(data=st.data())
def test_import_file(kind: str, template: Template, scratch: Path, data: st.DataObject) -> None:
    content, ext, flags = data.draw(import_args(kind, template.known), label="file")
    db = template.fresh(scratch, f"import-{kind}")
    source = scratch / f"{kind}-in{ext}"
    for leftover in scratch.glob(f"{kind}-in*"):
        leftover.unlink()
    source.write_bytes(content)
    before = template.baseline
    outcome = run_cli(db, ["import", kind, str(source), *flags], login=ADMIN)
    entry = f"import {kind}"
    inputs = {source.name: content}
    check_run(outcome, db, before, unchanged_on_success="--dry-run" in flags, entry=entry, inputs=inputs)
    if outcome.code != 0 or "--dry-run" in flags:
        return
    # what was stored must not break the jobs that read everyone's rows
    export = EXPORTS.get(kind)
    if export:
        out = scratch / f"export-{kind}.xlsx"
        check_run(run_cli(db, ["export", export, "--format", "xlsx", "--out", str(out), "--force"], login=ADMIN),
                  db, fingerprint(db), allowed=(0,), entry=entry + " then export xlsx", inputs=inputs)
        check_run(run_cli(db, ["export", export, "--format", "csv"], login=ADMIN), db, fingerprint(db), allowed=(0,),
                  entry=entry + " then export csv", inputs=inputs)
    if kind in ("persons", "archive", "contributions"):
        check_run(run_cli(db, ["prereview", "--all", "--json"], login=ADMIN), db, fingerprint(db), allowed=(0,),
                  entry=entry + " then prereview --all", inputs=inputs)
