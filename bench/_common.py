"""Shared by the benchmarks: paths, the cached demo halls, timing helpers, the RESULT line.

Every benchmark of this project ends its stdout with ONE machine-readable
line that bench/run reads:

    RESULT {"metric_name": number, ...}

(flat JSON; names carry their unit: ``_s`` seconds, ``_per_s`` rates,
``_ratio`` plain ratios).  Everything above that line is for people.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
LOGIN = "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def result_line(data: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(data, ensure_ascii=False), flush=True)


def demo_hall(cases: int, rebuild: bool = False, reuse: Sequence[str] = ()) -> Path:
    """bench/out/demo-{cases}.db, built once with fixtures.demo.populate(fast=True).

    ``reuse``: names of other cached files under bench/out/ built the same way
    (e.g. the queue benchmark's) to copy instead of building again.
    """
    path = OUT / f"demo-{cases}.db"
    if path.exists() and not rebuild:
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    for name in reuse:
        other = OUT / name
        if other.exists() and not Path(str(other) + "-journal").exists() and not rebuild:
            _copy_db(other, path)
            _ensure_login(path)
            return path
    from fixtures.demo import populate

    partial = OUT / f"demo-{cases}.partial.db"
    for p in (partial, path):
        for suffix in ("", "-wal", "-shm"):
            Path(str(p) + suffix).unlink(missing_ok=True)
    print(f"building a demo hall of {cases:,} cases in {path} (once; cached) …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    populate(partial, cases=cases, login=LOGIN, fast=True)
    _checkpoint(partial)
    os.replace(partial, path)
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return path


def _checkpoint(path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _copy_db(source: Path, target: Path) -> None:
    import sqlite3

    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _ensure_login(path: Path) -> None:
    """Make sure the bench login is active staff with every role (a copied hall may lack it)."""
    from db import staff as staff_db
    from db.connection import open_database, transaction
    from db.schema import ROLES

    db = open_database(path, create=False)
    try:
        if staff_db.get_by_login(db, LOGIN) is None:
            with transaction(db):
                staff_db.insert(db, LOGIN, LOGIN, list(ROLES))
    finally:
        db.close()


def wall_times(cmd: Sequence[str], runs: int, env: dict[str, str] | None = None, warmup: int = 2) -> tuple[list[float], str]:
    """Wall seconds of ``runs`` runs of a command (after ``warmup`` untimed ones); the last stdout."""
    out = ""
    times = []
    for i in range(warmup + runs):
        started = time.perf_counter()
        done = subprocess.run(list(cmd), capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()[-500:]}")
        out = done.stdout
        if i >= warmup:
            times.append(elapsed)
    return times, out


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def copy_fresh(source: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target
