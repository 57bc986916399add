"""Benchmark (not a test): the cost of a CLI lookup, ``retire case show <no>``.

    python bench/bench_lookup.py [--cases 10000] [--runs 15] [--rebuild]

DESIGN budget: a CLI lookup costs at most 1.3x the bare import of typer +
sqlite_utils.  Both are timed as fresh processes (wall clock, median of
--runs after two warm-up runs) with the same interpreter:

    baseline:  python -c "import typer, sqlite_utils"
    lookup:    retire case show GY-....   (the installed console script; ``python -m console`` if none)

on a cached demo hall (bench/out/demo-{cases}.db, fixtures.demo.populate).
Last line: RESULT {"lookup_median_s", "import_median_s", "lookup_ratio", ...}.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import LOGIN, ROOT, demo_hall, median, result_line, wall_times  # noqa: E402

BUDGET_RATIO = 1.3


def retire_command() -> list[str]:
    """The console script beside this interpreter (what a clerk's PATH finds in the venv)."""
    script = Path(sys.executable).parent / "retire"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "console"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000, help="size of the demo hall (default 10,000)")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()

    path = demo_hall(args.cases, args.rebuild, reuse=[f"queue-{args.cases}.db"])
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    count = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    case_no = conn.execute("SELECT case_no FROM cases ORDER BY id LIMIT 1 OFFSET ?", [count // 2]).fetchone()[0]
    conn.close()

    env = {**os.environ, "RETIRE_DB": str(path), "RETIRE_LOGIN": LOGIN, "RETIRE_LANG": "zh"}
    base_times, _ = wall_times([sys.executable, "-c", "import typer, sqlite_utils"], args.runs, env)
    cmd = [*retire_command(), "case", "show", case_no]
    look_times, out = wall_times(cmd, args.runs, env)
    assert case_no in out, out[:500]
    json_times, _ = wall_times([*cmd, "--json"], args.runs, env)
    base, look, look_json = median(base_times), median(look_times), median(json_times)
    ratio = look / base
    print(f"hall {path.name}: {count:,} cases; looked up {case_no}; {args.runs} runs each, median wall time")
    print(f"  python -c 'import typer, sqlite_utils'   {base * 1000:7.0f} ms  (min {min(base_times) * 1000:.0f})")
    print(f"  {' '.join(Path(c).name for c in cmd):<38} {look * 1000:7.0f} ms  (min {min(look_times) * 1000:.0f})")
    print(f"  ... --json                               {look_json * 1000:7.0f} ms")
    print(f"  ratio {ratio:.2f}  (budget <= {BUDGET_RATIO})  {'ok' if ratio <= BUDGET_RATIO else 'OVER'}")
    result_line({
        "lookup_median_s": round(look, 4), "lookup_json_median_s": round(look_json, 4),
        "import_median_s": round(base, 4), "lookup_ratio": round(ratio, 3), "cases": count, "runs": args.runs,
        "command": " ".join(Path(c).name for c in cmd[:-1]),
    })


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
