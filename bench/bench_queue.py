"""Queue benchmark (not a test): 100,000 cases, headless App.

Budgets (DESIGN.md): the queue shows its first page within 1 s of App start;
a filter or a search answers within 150 ms.  The database is built once with
``fixtures.demo.populate(fast=True)`` and cached under bench/out/.

    python bench/bench_queue.py [--cases 100000] [--runs 5] [--rebuild]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the screens are imported inside the run, after sys.path names the tree
    from screens.queue import QueueScreen

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
TODAY = date(2026, 3, 16)
LOGIN = "bench"
OPEN_BUDGET = 1.0
FILTER_BUDGET = 0.150


def database(cases: int, rebuild: bool) -> Path:
    """The cached benchmark hall (built on first use, or with --rebuild)."""
    from fixtures.demo import populate

    path = OUT / f"queue-{cases}.db"
    if path.exists() and not rebuild:
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial.db")  # per process: two builds never share a file
    if rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    print(f"building {cases:,} cases in {path} …", flush=True)
    populate(partial, cases=cases, login=LOGIN, today=TODAY, fast=True)
    partial.rename(path)  # atomic: a reader sees no file or a whole one
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    print(f"built in {time.perf_counter() - started:.1f} s", flush=True)
    return path


async def wait_loaded(screen: QueueScreen, before: int, timeout: float = 30.0) -> float:
    """Seconds until the queue has shown a page after ``before`` loads."""
    started = time.perf_counter()
    while screen.loads <= before:
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the queue did not answer")
        await asyncio.sleep(0.001)
    return time.perf_counter() - started


async def one_run(path: Path, login: str = LOGIN, today: date = TODAY) -> dict[str, float]:
    from screens.app import RetireApp
    from screens.context import AppContext
    from screens.queue import QueueScreen

    results: dict[str, float] = {}
    started = time.perf_counter()
    app = RetireApp(AppContext(db_path=path, login=login, lang="zh", today_override=today))
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, QueueScreen) or app.screen.loads < 1:
            await asyncio.sleep(0.001)
        results["open (first page)"] = time.perf_counter() - started
        queue = app.screen

        async def measure(name: str, **changes: Any) -> None:
            await pilot.pause(0.25)  # the previous page is painted, as when a clerk presses the next key
            before = queue.loads
            t0 = time.perf_counter()
            queue.reload(**changes)
            await wait_loaded(queue, before)
            results[name] = time.perf_counter() - t0

        await measure("status filter (办理中)", status="in_progress", page=0)
        await measure("status filter (待补正)", status="awaiting_correction", page=0)
        await measure("overdue", status=None, overdue=True, page=0)
        await measure("due soon", overdue=False, due_soon=True, page=0)
        await measure("department (医保局)", due_soon=False, department="medical", page=0)
        await measure("pinyin search 'zy'", department=None, text="zy", page=0)
        await measure("pinyin search 'wgh'", text="wgh", page=0)
        await measure("name search 王", text="王", page=0)
        await measure("case no. search", text="GY-2026-0500", page=0)
        await measure("sort by due", text="", order="due", descending=False, page=0)
        await measure("last page (End)", order="received", descending=True, page=0, edge=1)
        await measure("page 500", page=500)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--db", type=Path, help="Use this demo database instead of the cached one.")
    parser.add_argument("--login", default=LOGIN, help="A staff login of --db (default: the one the cache is built for).")
    parser.add_argument("--today", type=date.fromisoformat, default=TODAY, help="The day the clocks are read on (ISO).")
    args = parser.parse_args()
    os.environ.setdefault("RETIRE_LANG", "zh")
    path = args.db or database(args.cases, args.rebuild)
    runs = [asyncio.run(one_run(path, args.login, args.today)) for _ in range(args.runs)]
    print(f"first run (cold imports and page cache): open {runs[0]['open (first page)'] * 1000:.0f} ms")
    print(f"\nqueue on {args.cases:,} cases, median of {args.runs} runs (headless, 120x40)\n")
    print(f"{'measure':<28} {'median':>9} {'max':>9}  budget")
    failed = False
    for name in runs[0]:
        values = [r[name] for r in runs]
        budget = OPEN_BUDGET if name.startswith("open") else FILTER_BUDGET
        median = statistics.median(values)
        ok = median <= budget
        failed |= not ok
        print(f"{name:<28} {median * 1000:>7.0f}ms {max(values) * 1000:>7.0f}ms  {'ok' if ok else 'OVER'} (<= {budget * 1000:.0f} ms)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
