"""Benchmark (not a test): the importer against a plain csv -> sqlite3 executemany load.

    python bench/bench_import.py                      # 1,000,000 contribution rows
    python bench/bench_import.py --rows 200000        # quicker
    python bench/bench_import.py --tracemalloc        # also the importer's Python-heap peak (slower run)

DESIGN budget: the importer, validation on, runs at >= 50% of the speed of a
plain load of the same rows into the same schema (ratio <= 2.0).

Both loads start from a fresh, migrated database opened the same way
(``db.connection.open_database``: WAL, synchronous=NORMAL, foreign keys on),
load the same employers, persons and contributions files, each file in one
transaction, with every index in place.  The plain load does no checking: it
passes the CSV cells straight to ``executemany`` and finds the person id with
a sub-select.  Each load runs in its own child process so that its peak RSS
(``resource.getrusage``) is its own.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the db modules are imported inside the run, after sys.path names the tree
    import sqlite_utils

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _fresh_db(path: Path) -> sqlite_utils.Database:
    from db.connection import open_database
    from db.schema import migrate

    db = open_database(path)
    migrate(db)
    return db


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_importer(db_path: Path, files: dict[str, Path], trace: bool) -> dict[str, float]:
    from console.services.identity import resolve_actor
    from console.services.importing.run import run_import
    from db import audit
    from db import staff as staff_db
    from db.connection import transaction

    if trace:
        import tracemalloc

        tracemalloc.start()
    db = _fresh_db(db_path)
    with transaction(db):
        staff_db.insert(db, "bench", "Bench", ["clerk"])
        audit.append(db, "bench", "staff.add", entity="staff", entity_id="bench")
    actor = resolve_actor(db, "bench")
    out: dict[str, float] = {}
    for kind in ("employers", "persons", "contributions"):
        start, cpu = time.perf_counter(), time.process_time()
        report = run_import(db, actor, kind, files[kind])
        out[kind] = time.perf_counter() - start
        out[f"{kind}_cpu"] = time.process_time() - cpu
        assert report.written and report.invalid == 0, report.as_dict()
        out[f"{kind}_rows"] = report.rows
    out["peak_rss_mb"] = _peak_mb()
    if trace:
        import tracemalloc

        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    db.close()
    return out


PLAIN_SQL = {
    "employers": "INSERT INTO employers (credit_code, name, address, phone) VALUES (?, ?, NULLIF(?, ''), NULLIF(?, ''))",
    "persons": (
        "INSERT INTO persons (id_number, name, sex, hukou, phone, address, staff_category, female_group, employer_id,"
        " archive_lost, insured_before_2011_07, bank_card)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULLIF(?8, ''), (SELECT id FROM employers WHERE credit_code = ?9),"
        " ?11, ?12, ?13)"
    ),
    "contributions": (
        "INSERT INTO contribution_periods (person_id, from_month, to_month, kind, place, base, evidence)"
        " VALUES ((SELECT id FROM persons WHERE id_number = ?), ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''))"
    ),
}


def run_plain(db_path: Path, files: dict[str, Path]) -> dict[str, float]:
    """The yardstick: csv.reader rows straight into executemany, one transaction per file."""
    db = _fresh_db(db_path)
    conn = db.conn
    out: dict[str, float] = {}
    for kind in ("employers", "persons", "contributions"):
        start, cpu = time.perf_counter(), time.process_time()
        with files[kind].open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            conn.execute("BEGIN IMMEDIATE")
            before = conn.total_changes
            conn.executemany(PLAIN_SQL[kind], reader)
            out[f"{kind}_rows"] = conn.total_changes - before
            conn.execute("COMMIT")
        out[kind] = time.perf_counter() - start
        out[f"{kind}_cpu"] = time.process_time() - cpu
    out["peak_rss_mb"] = _peak_mb()
    db.close()
    return out


def generate(workdir: Path, rows: int) -> dict[str, Path]:
    from fixtures import generate as gen

    files = {kind: workdir / f"{kind}.csv" for kind in ("employers", "persons", "contributions")}
    counts = {"employers": gen.EMPLOYERS, "persons": gen.persons_for(rows), "contributions": rows}
    for kind, path in files.items():
        with path.open("w", encoding="utf-8", newline="") as fh:
            gen.write(kind, counts[kind], fh)
    return files


def _child(args: argparse.Namespace) -> None:
    files = {k: Path(getattr(args, k)) for k in ("employers", "persons", "contributions")}
    result = run_importer(Path(args.db), files, args.tracemalloc) if args.child == "importer" else run_plain(Path(args.db), files)
    print(json.dumps(result))


def _spawn(which: str, workdir: Path, files: dict[str, Path], trace: bool = False) -> dict[str, float]:
    db = workdir / f"{which}{'-trace' if trace else ''}.db"
    cmd = [sys.executable, __file__, "--child", which, "--db", str(db),
           *[f"--{k}={p}" for k, p in files.items()]]
    if trace:
        cmd.append("--tracemalloc")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    sizes = sum(p.stat().st_size for p in workdir.glob(f"{db.name}*"))
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["db_mb"] = sizes / 2**20
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="contribution rows (persons: rows / 5)")
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temporary directory)")
    parser.add_argument("--tracemalloc", action="store_true", help="extra importer run under tracemalloc")
    parser.add_argument("--child", choices=("importer", "plain"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    for k in ("employers", "persons", "contributions"):
        parser.add_argument(f"--{k}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    with tempfile.TemporaryDirectory(prefix="retire-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for old in workdir.glob("*.db*"):
            old.unlink()
        start = time.perf_counter()
        files = generate(workdir, args.rows)
        print(f"generated {args.rows:,} contribution rows in {time.perf_counter() - start:.1f} s "
              f"({files['contributions'].stat().st_size / 2**20:.0f} MB; persons {files['persons'].stat().st_size / 2**20:.0f} MB)")
        imp = _spawn("importer", workdir, files)
        plain = _spawn("plain", workdir, files)
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {__import__('sqlite3').sqlite_version}")
        print(f"load average {os.getloadavg()[0]:.1f} (other processes share the cores: compare CPU times)")
        print(f"{'':16}{'importer':>10}{'plain':>10}{'ratio':>7}  |{'cpu imp':>9}{'cpu plain':>10}{'ratio':>7}")
        kinds = ("employers", "persons", "contributions")
        for kind in kinds:
            print(f"{kind:16}{imp[kind]:>9.2f}s{plain[kind]:>9.2f}s{imp[kind] / plain[kind]:>7.2f}  |"
                  f"{imp[kind + '_cpu']:>8.2f}s{plain[kind + '_cpu']:>9.2f}s{imp[kind + '_cpu'] / plain[kind + '_cpu']:>7.2f}"
                  f"   ({int(imp[kind + '_rows']):,} rows)")
        total_i, total_p = sum(imp[k] for k in kinds), sum(plain[k] for k in kinds)
        cpu_i, cpu_p = sum(imp[k + "_cpu"] for k in kinds), sum(plain[k + "_cpu"] for k in kinds)
        print(f"{'total':16}{total_i:>9.2f}s{total_p:>9.2f}s{total_i / total_p:>7.2f}  |{cpu_i:>8.2f}s{cpu_p:>9.2f}s{cpu_i / cpu_p:>7.2f}")
        print(f"{'peak RSS':16}{imp['peak_rss_mb']:>8.0f}MB{plain['peak_rss_mb']:>8.0f}MB")
        print(f"{'db size':16}{imp['db_mb']:>8.0f}MB{plain['db_mb']:>8.0f}MB")
        ratio = imp["contributions"] / plain["contributions"]
        cpu_ratio = imp["contributions_cpu"] / plain["contributions_cpu"]
        rate = imp["contributions_rows"] / imp["contributions"]
        print(f"contributions: importer {rate:,.0f} rows/s; wall ratio {ratio:.2f} ({100 / ratio:.0f}% of plain speed), "
              f"CPU ratio {cpu_ratio:.2f} ({100 / cpu_ratio:.0f}%); budget >= 50%: "
              f"{'OK' if max(ratio, cpu_ratio) <= 2.0 else 'OVER BUDGET'}")
        result = {
            "wall_ratio": round(ratio, 3), "cpu_ratio": round(cpu_ratio, 3), "rows_per_s": round(rate),
            "rows": int(imp["contributions_rows"]), "importer_s": round(imp["contributions"], 3),
            "plain_s": round(plain["contributions"], 3), "importer_cpu_s": round(imp["contributions_cpu"], 3),
            "plain_cpu_s": round(plain["contributions_cpu"], 3), "persons_ratio": round(imp["persons"] / plain["persons"], 3),
            "importer_peak_rss_mb": round(imp["peak_rss_mb"]), "plain_peak_rss_mb": round(plain["peak_rss_mb"]),
        }
        if args.tracemalloc:
            traced = _spawn("importer", workdir, files, trace=True)
            print(f"importer Python-heap peak (tracemalloc): {traced['tracemalloc_peak_mb']:.0f} MB")
            result["importer_tracemalloc_peak_mb"] = round(traced["tracemalloc_peak_mb"])
        print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
