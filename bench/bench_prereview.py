"""Benchmark (not a test): pre-review throughput, persons per second.

    python bench/bench_prereview.py [--persons 100000] [--runs 1] [--rebuild]

DESIGN budget: pre-review of 100,000 persons >= 5,000 persons/s.

The hall (bench/out/demo-{N}.db, cached) is built once with the demo
generator's bulk path, ``fixtures.demo.populate(fast=True)``: one person
per case with realistic contribution periods (gaps, deemed years, periods
outside the county) and archive records (conflicting and altered birth
dates).  A cached queue benchmark hall of the same size is copied instead
when present.  Then, on a scratch copy, it times

    console.services.upcoming.recompute(db, None, everyone=True)

(read every person with their periods and archive rows, run the rules
engine, write person_status in batches): wall and CPU seconds, persons/s.
Last line: RESULT {"prereview_persons_per_s", "prereview_cpu_persons_per_s", "persons", ...}.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, ROOT, copy_fresh, demo_hall, median, result_line

BUDGET = 5_000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=1, help="recompute runs (median)")
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()

    source = demo_hall(args.persons, args.rebuild, reuse=[f"queue-{args.persons}.db"])
    scratch = copy_fresh(source, OUT / f"prereview-scratch-{args.persons}.db")

    from console.services.upcoming import recompute
    from db.connection import open_database

    db = open_database(scratch, create=False)
    persons = int(db.execute("SELECT count(*) FROM persons").fetchone()[0])
    periods = int(db.execute("SELECT count(*) FROM contribution_periods").fetchone()[0])
    archive = int(db.execute("SELECT count(*) FROM archive_records").fetchone()[0])
    walls, cpus = [], []
    for _ in range(args.runs):
        c0 = time.process_time()
        result = recompute(db, None, everyone=True)
        cpus.append(time.process_time() - c0)
        walls.append(result.seconds)
        assert result.persons == persons, (result.persons, persons)
    stored = int(db.execute("SELECT count(*) FROM person_status").fetchone()[0])
    db.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(scratch) + suffix).unlink(missing_ok=True)
    assert stored == persons, (stored, persons)
    wall, cpu = median(walls), median(cpus)
    rate, cpu_rate = persons / wall, persons / cpu
    try:
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    print(f"hall {source.name}: {persons:,} persons, {periods:,} periods, {archive:,} archive records")
    print(f"recompute(everyone=True): {wall:.2f} s wall, {cpu:.2f} s CPU (median of {args.runs}); load {load}")
    print(f"  {rate:,.0f} persons/s wall, {cpu_rate:,.0f} persons/s of CPU  (budget >= {BUDGET:,}/s)  "
          f"{'ok' if rate >= BUDGET else 'OVER'}")
    result_line({
        "prereview_persons_per_s": round(rate), "prereview_cpu_persons_per_s": round(cpu_rate),
        "prereview_wall_s": round(wall, 3), "persons": persons, "periods": periods, "archive_records": archive,
    })


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
