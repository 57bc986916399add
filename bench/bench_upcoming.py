"""Benchmark of the pre-retirement pipeline at county scale (issue #7).  Not a test.

    python bench/bench_upcoming.py [--persons 1000000] [--rebuild] [--runs 5]

Builds (once; cached under bench/out/, gitignored) a database of synthetic
insured persons with contribution periods, archive records, some cases,
pre-review facts and contacts; then measures

* ``retire prereview --all`` (console.services.upcoming.recompute, everyone):
  persons per second, budget >= 5,000/s;
* ``retire upcoming --months 6 --json`` end to end as a subprocess (median
  of --runs, budget 1 s), and the same list in-process with its parts.

The last line is ``RESULT {...}`` (JSON) for bench/run.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from console.rules.idcard import make_id  # noqa: E402
from console.rules.months import Month  # noqa: E402
from db import bench_data  # noqa: E402
from db import staff as staff_db  # noqa: E402
from db.connection import open_database, transaction  # noqa: E402
from db.schema import migrate  # noqa: E402

OUT = ROOT / "bench" / "out"
GENERATOR_VERSION = 1  # bump when the synthetic data changes: the cached file is rebuilt
LOGIN = "bench"
CHUNK = 100_000
BUDGET_RATE = 5_000
BUDGET_LIST_S = 1.0

PLACES_IN = ["150222", "固阳县", None]
PLACES_OUT = ["110101", "150202", "152921", "130102"]
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
    "余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文福生荣海林波宁凤云"


def _db_path(persons: int) -> Path:
    return OUT / f"upcoming_{persons}_v{GENERATOR_VERSION}.db"


# --- the synthetic county ---------------------------------------------------------------


def _generate(n: int, seed: int = 7) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (person rows, period rows, archive rows)."""
    rnd = random.Random(seed)
    first_day = date(1960, 1, 1)
    span = (date(1990, 12, 31) - first_day).days + 1
    per_day: dict[date, int] = {}
    now = "2026-01-01T00:00:00+00:00"
    persons: list[tuple[Any, ...]] = []
    periods: list[tuple[Any, ...]] = []
    archive: list[tuple[Any, ...]] = []
    start_limit = Month.of(1996, 1).ordinal
    last_paid = Month.of(2026, 10).ordinal
    for pid in range(1, n + 1):
        born = first_day + timedelta(days=rnd.randrange(span))
        male = rnd.random() < 0.5
        c = per_day.get(born, 0)
        per_day[born] = c + 1
        seq = 2 * c + (1 if male else 0)
        place = "150222" if seq < 1000 else "150221"
        number = make_id(place, born, seq % 1000)
        roll = rnd.random()
        category = "worker" if roll < 0.7 else ("cadre" if roll < 0.85 else "flexible")
        lost = int(rnd.random() < 0.02)
        name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + (rnd.choice(GIVEN) if rnd.random() < 0.6 else "")
        persons.append((pid, number, name, None, "M" if male else "F", born.isoformat(), f"138{rnd.randrange(10**8):08d}",
                        "固阳县金山镇", category, None, lost, int(born.year < 1990), now, "bench", now))
        # work from 18..24; deemed service before 1996 for a third of those who started before it
        start = Month.of(born.year + 18 + rnd.randrange(7), rnd.randrange(1, 13)).ordinal
        cur = start
        if start < start_limit and rnd.random() < 0.35:
            periods.append((pid, str(Month(start)), "1995-12", "deemed", rnd.choice(PLACES_IN)))
            cur = start_limit
        cur = max(cur, start_limit - rnd.randrange(0, 120))
        for _ in range(rnd.randrange(1, 4)):
            if cur > last_paid:
                break
            length = rnd.randrange(12, 240)
            end = min(cur + length - 1, last_paid)
            outside = rnd.random() < 0.12
            periods.append((pid, str(Month(cur)), str(Month(end)), "actual", rnd.choice(PLACES_OUT if outside else PLACES_IN)))
            cur = end + 1 + (rnd.randrange(1, 36) if rnd.random() < 0.3 else 0)
        for k in range(rnd.randrange(0, 3)):
            roll = rnd.random()
            recorded = born if roll < 0.92 else born + timedelta(days=rnd.choice([-366, -40, 3, 200]))
            doc = date(born.year + 8 + 6 * k, 9, 1)
            altered = int(rnd.random() < 0.03)
            archive.append((pid, ("school_record", "league_form", "recruitment_form")[k], doc.isoformat(), recorded.isoformat(), altered, 0))
        if pid % CHUNK == 0 or pid == n:
            yield persons, periods, archive
            persons, periods, archive = [], [], []


def _cases(n: int, seed: int = 11) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """2 % of persons have a case (some delivered), half of those facts; 1 % were told."""
    rnd = random.Random(seed)
    cases, facts, contacts = [], [], []
    statuses = ["draft", "draft", "accepted", "in_progress", "completed", "delivered", "delivered", "refused"]
    for cid, pid in enumerate(sorted(rnd.sample(range(1, n + 1), n // 50)), start=1):
        status = rnd.choice(statuses)
        cases.append((cid, f"GY-2026-{cid:06d}", pid, "normal", status, "2026-01-05T09:00:00+00:00", "bench", "2026-01-05T09:00:00+00:00"))
        if rnd.random() < 0.5:
            facts.append((cid, pid, "2026-01-05T09:00:00+00:00", "bench", "{}"))
    for pid in rnd.sample(range(1, n + 1), n // 100):
        contacts.append((pid, f"2026-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}", "phone", None, 1))
    return cases, facts, contacts


def build(path: Path, n: int) -> float:
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    started = time.perf_counter()
    db = open_database(tmp)
    migrate(db)
    bench_data.fast_load_pragmas(db)
    with transaction(db):
        staff_db.insert(db, LOGIN, "Bench", ["clerk", "hrss_reviewer", "supervisor"])
    done = 0
    for persons, periods, archive in _generate(n):
        bench_data.insert(db, "persons", persons)
        bench_data.insert(db, "contribution_periods", periods)
        bench_data.insert(db, "archive_records", archive)
        done += len(persons)
        print(f"  built {done:,}/{n:,} persons ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    cases, facts, contacts = _cases(n)
    bench_data.insert(db, "cases", cases)
    bench_data.insert(db, "facts", facts)
    bench_data.insert(db, "contacts", contacts)
    bench_data.checkpoint(db)
    db.close()
    tmp.rename(path)
    return time.perf_counter() - started


# --- measurements -----------------------------------------------------------------------


def _retire_cmd() -> list[str]:
    script = Path(sys.executable).with_name("retire")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from console.cli import main; main()"]


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure_cli(path: Path, runs: int, args: list[str]) -> tuple[list[float], list[float], int, int]:
    """Wall and CPU seconds of each run, rows printed, bytes printed."""
    env = {**os.environ, "RETIRE_DB": str(path), "RETIRE_LOGIN": LOGIN, "RETIRE_LANG": "en"}
    out_file = OUT / "upcoming.json"
    times, cpu = [], []
    for _ in range(runs):
        with out_file.open("wb") as fh:
            c0, t0 = _child_cpu(), time.perf_counter()
            proc = subprocess.run(_retire_cmd() + args, env=env, stdout=fh, stderr=subprocess.PIPE, cwd=ROOT)
            times.append(time.perf_counter() - t0)
            cpu.append(_child_cpu() - c0)
        if proc.returncode != 0:
            raise SystemExit(f"retire {' '.join(args)} failed ({proc.returncode}): {proc.stderr.decode()}")
    rows = len(json.loads(out_file.read_text(encoding="utf-8")))
    return times, cpu, rows, out_file.stat().st_size


def measure_startup(runs: int) -> tuple[float, float]:
    times, cpu = [], []
    for _ in range(runs):
        c0, t0 = _child_cpu(), time.perf_counter()
        subprocess.run(_retire_cmd() + ["--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, check=True)
        times.append(time.perf_counter() - t0)
        cpu.append(_child_cpu() - c0)
    return statistics.median(times), statistics.median(cpu)


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--rebuild", action="store_true", help="Rebuild the cached database.")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-recompute", action="store_true", help="Measure the list only (the file must have been recomputed once).")
    args = ap.parse_args()

    import contextlib
    import io

    from console.cli_upcoming import _print_rows
    from console.rules.parameters import policy_version
    from console.services.identity import resolve_actor
    from console.services.upcoming import list_upcoming, recompute
    from console.settings import load_parameters
    from db import person_status as status_db

    path = _db_path(args.persons)
    build_s = None
    if args.rebuild or not path.exists():
        build_s = build(path, args.persons)
    db = open_database(path, create=False)
    actor = resolve_actor(db, LOGIN)
    sizes = bench_data.counts(db)

    table: list[tuple[str, str, str]] = []
    if build_s is not None:
        table.append(("build database (once, cached)", f"{build_s:.1f} s", ""))
    rate = cpu_rate = None
    if not args.skip_recompute or sizes["person_status"] < sizes["persons"]:
        loads = load_average()
        c0 = time.process_time()
        result = recompute(db, actor, everyone=True)
        cpu = time.process_time() - c0
        rate = result.persons / result.seconds
        cpu_rate = result.persons / cpu
        table.append(("prereview --all (recompute everyone)", f"{result.seconds:.1f} s",
                      f"{rate:,.0f} persons/s wall (budget >= {BUDGET_RATE:,}); {result.persons / cpu:,.0f}/s of CPU ({cpu:.1f} s); load {loads}"))
    db.close()

    today = date.today()
    first, last = Month.from_date(today), Month.from_date(today) + 5
    cli_args = ["upcoming", "--months", "6", "--json"]
    startup, startup_cpu = measure_startup(args.runs)
    table.append(("retire --help (interpreter + imports)", f"{startup:.3f} s", f"median; CPU {startup_cpu:.3f} s"))
    cli_s = cli_cpu = 0.0
    for with_index in (False, True):
        db = open_database(path, create=False)
        bench_data.set_policy_index(db, with_index)
        db.close()
        loads = load_average()
        times, cpus, rows, size = measure_cli(path, args.runs, cli_args)
        label = f"retire {' '.join(cli_args)}" + (" [+ proposed index]" if with_index else "")
        table.append((label, f"{statistics.median(times):.3f} s",
                      f"median of {args.runs} (min {min(times):.3f}); CPU {statistics.median(cpus):.3f} s; {rows:,} rows, "
                      f"{size / 1e6:.1f} MB (budget {BUDGET_LIST_S} s); load {loads}"))
        if not with_index:
            cli_s, cli_cpu = statistics.median(times), statistics.median(cpus)
    db = open_database(path, create=False)
    bench_data.set_policy_index(db, False)  # leave the file at the schema the code ships

    # in-process, with its parts (CPU seconds: the machine may be shared)
    def cpu_of(fn: Any) -> tuple[float, Any]:
        c0 = time.process_time()
        out = fn()
        return time.process_time() - c0, out

    version = policy_version(load_parameters())
    listed_cpu, listed = cpu_of(lambda: list_upcoming(db, actor, 6))
    count_cpu, _ = cpu_of(lambda: status_db.count_persons(db, only_missing=True))
    policy_cpu, _ = cpu_of(lambda: status_db.has_other_policies(db, version))
    refresh_cpu, _ = cpu_of(lambda: recompute(db, None, everyone=False))
    query_cpu, raw = cpu_of(lambda: status_db.upcoming(db, str(first), str(last)))
    with contextlib.redirect_stdout(io.StringIO()):
        dump_cpu, _ = cpu_of(lambda: _print_rows(listed))
    table.append(("list_upcoming in-process (refresh + query + flags)", f"{listed_cpu:.3f} s", f"CPU; {len(listed):,} rows"))
    table.append(("  refresh: recompute(everyone=False), nothing stale", f"{refresh_cpu:.3f} s", "CPU"))
    table.append(("    count of persons without a row", f"{count_cpu:.3f} s", "CPU"))
    table.append(("    any row of another policy version (no index: scan)", f"{policy_cpu:.3f} s", "CPU"))
    table.append(("  status_db.upcoming query", f"{query_cpu:.3f} s",
                  f"CPU; {len(raw):,} rows; {bench_data.in_months(db, str(first), str(last)):,} in the months"))
    table.append(("  JSON output (one row per line)", f"{dump_cpu:.3f} s", "CPU"))
    plan = bench_data.explain(db, status_db._UPCOMING + " ORDER BY s.statutory_month, p.name, p.id", [str(first), str(last)])
    db.close()

    print(f"persons {sizes['persons']:,}  periods {sizes['contribution_periods']:,}  archive records {sizes['archive_records']:,}"
          f"  ({os.cpu_count()} cores, Python {sys.version.split()[0]}, file {path.stat().st_size / 1e6:.0f} MB)")
    w = max(len(r[0]) for r in table)
    for name, value, note in table:
        print(f"{name:<{w}}  {value:>10}  {note}")
    print("query plan of the list:")
    for line in plan:
        print("  " + line)
    result_line = {"upcoming_1m_s": round(cli_s, 3), "prereview_persons_per_s": round(rate) if rate else None, "persons": sizes["persons"],
                   "upcoming_1m_cpu_s": round(cli_cpu, 3), "prereview_persons_per_cpu_s": round(cpu_rate) if cpu_rate else None,
                   "load": load_average()}
    print("RESULT " + json.dumps(result_line))


if __name__ == "__main__":
    main()
