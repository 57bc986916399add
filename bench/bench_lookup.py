"""Benchmark (not a test): the cost of a CLI lookup, ``retire case show <no>``, and of many in one process.

    python bench/bench_lookup.py [--cases 10000] [--runs 15] [--stdin 1000] [--rebuild]

DESIGN budget: a CLI lookup costs at most 1.3x the bare import of typer +
sqlite_utils.  Both are timed as fresh processes (wall clock, median of
--runs after two warm-up runs) with the same interpreter:

    baseline:  python -c "import typer, sqlite_utils"
    lookup:    retire case show GY-....   (the installed console script; ``python -m console`` if none)

on a cached demo hall (bench/out/demo-{cases}.db, fixtures.demo.populate).
The runs of the baseline and the lookup alternate, so a colleague's job on
a shared machine slows both alike; CPU time (user + system of the child) is
printed beside the wall time.  The project's modules are byte-compiled
first, as an installed program is (PYTHONDONTWRITEBYTECODE would otherwise
make every run compile them again).

Then the stdin lookup: ``retire case show -`` with --stdin case numbers (one
a line, spread over the hall) in one process, JSON Lines out; budget 2 s
for 1,000 (median of 3).

Last line: RESULT {"lookup_median_s", "import_median_s", "lookup_ratio", "stdin_lookup_s", ...}.
"""
from __future__ import annotations

import argparse
import compileall
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import LOGIN, ROOT, demo_hall, median, result_line

BUDGET_RATIO = 1.3
STDIN_BUDGET_S = 2.0
STDIN_RUNS = 3
WARMUP = 2


def retire_command() -> list[str]:
    """The console script beside this interpreter (what a clerk's PATH finds in the venv)."""
    script = Path(sys.executable).parent / "retire"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "console"]


def timed(cmd: list[str], env: dict[str, str], stdin: bytes | None = None) -> tuple[float, float, bytes]:
    """(wall s, child CPU s, stdout) of one fresh process; exits the benchmark if it failed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, capture_output=True, env=env, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.decode(errors='replace').strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def alternate(commands: list[list[str]], runs: int, env: dict[str, str]) -> list[tuple[list[float], list[float], bytes]]:
    """Each command ``runs`` times (after WARMUP rounds), round-robin; per command (walls, CPUs, last stdout)."""
    out: list[tuple[list[float], list[float], bytes]] = [([], [], b"") for _ in commands]
    for i in range(WARMUP + runs):
        for k, cmd in enumerate(commands):
            wall, cpu, stdout = timed(cmd, env)
            if i >= WARMUP:
                out[k][0].append(wall)
                out[k][1].append(cpu)
            out[k] = (out[k][0], out[k][1], stdout)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000, help="size of the demo hall (default 10,000)")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--stdin", type=int, default=1000, help="case numbers for the stdin lookup (default 1,000)")
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()

    path = demo_hall(args.cases, args.rebuild, reuse=[f"queue-{args.cases}.db"])
    for package in ("console", "db"):
        compileall.compile_dir(str(ROOT / package), quiet=1)
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    count = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    case_no = conn.execute("SELECT case_no FROM cases ORDER BY id LIMIT 1 OFFSET ?", [count // 2]).fetchone()[0]
    step = max(1, count // max(1, args.stdin))
    numbers = [r[0] for r in conn.execute("SELECT case_no FROM cases WHERE id % ? = 0 ORDER BY id LIMIT ?", [step, args.stdin])]
    conn.close()

    env = {**os.environ, "RETIRE_DB": str(path), "RETIRE_LOGIN": LOGIN, "RETIRE_LANG": "zh"}
    cmd = [*retire_command(), "case", "show", case_no]
    (base_w, base_c, _), (look_w, look_c, out), (json_w, json_c, _) = alternate(
        [[sys.executable, "-c", "import typer, sqlite_utils"], cmd, [*cmd, "--json"]], args.runs, env)
    assert case_no.encode() in out, out[:500]
    stdin = ("\n".join(numbers) + "\n").encode()
    stdin_runs = [timed([*retire_command(), "case", "show", "-"], env, stdin) for _ in range(STDIN_RUNS)]
    lines = stdin_runs[-1][2].count(b"\n")
    assert lines == len(numbers), (lines, len(numbers))
    stdin_w, stdin_c = median([r[0] for r in stdin_runs]), median([r[1] for r in stdin_runs])

    base, look, look_json = median(base_w), median(look_w), median(json_w)
    ratio = look / base
    cpu_ratio = median(look_c) / median(base_c)
    print(f"hall {path.name}: {count:,} cases; looked up {case_no}; {args.runs} runs each, alternating; median wall (CPU)")
    print(f"  python -c 'import typer, sqlite_utils'   {base * 1000:7.0f} ms  (min {min(base_w) * 1000:.0f}; CPU {median(base_c) * 1000:.0f})")
    print(f"  {' '.join(Path(c).name for c in cmd):<38} {look * 1000:7.0f} ms  (min {min(look_w) * 1000:.0f}; CPU {median(look_c) * 1000:.0f})")
    print(f"  ... --json                               {look_json * 1000:7.0f} ms  (min {min(json_w) * 1000:.0f}; CPU {median(json_c) * 1000:.0f})")
    print(f"  ratio {ratio:.2f} (CPU {cpu_ratio:.2f})  (budget <= {BUDGET_RATIO})  {'ok' if ratio <= BUDGET_RATIO else 'OVER'}")
    print(f"  retire case show - < {len(numbers):,} numbers   {stdin_w:7.2f} s   (CPU {stdin_c:.2f} s; budget {STDIN_BUDGET_S} s for 1,000)"
          f"  {'ok' if stdin_w <= STDIN_BUDGET_S * len(numbers) / 1000 else 'OVER'}")
    result_line({
        "lookup_median_s": round(look, 4), "lookup_json_median_s": round(look_json, 4),
        "import_median_s": round(base, 4), "lookup_ratio": round(ratio, 3), "lookup_cpu_ratio": round(cpu_ratio, 3),
        "stdin_lookup_s": round(stdin_w, 3), "stdin_lookup_cpu_s": round(stdin_c, 3), "stdin_numbers": len(numbers),
        "cases": count, "runs": args.runs, "command": " ".join(Path(c).name for c in cmd[:-1]),
    })


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
