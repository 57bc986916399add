"""``retire demo``: fill a demo hall with a demo county (never a hall's real one).

Thin: check the target, call ``fixtures.demo.populate``, print the summary.
The database is the configured one (--db / $RETIRE_DB / default).  The demo
writes only into a NEW file (which it marks as a demo hall) or a file
already marked as one, whatever --force says: on any other file -- with
staff or cases, or simply unmarked -- it exits 1 with one line and changes
nothing.  On a demo hall that already holds cases, --force adds more.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any

import typer

from console.cli_support import OPTIONS, print_json, print_table, warn
from console.errors import Refused
from console.i18n import t
from console.vocabulary import CASE_STATUS

MAX_CASES = 1_000_000


def demo_command(
    cases: Annotated[int, typer.Option("--cases", min=0, max=MAX_CASES, help="How many demo cases.")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same county.")] = 2026,
    fast: Annotated[
        bool | None,
        typer.Option("--fast/--no-fast", help="Bulk writes (default from 5,000 cases) or the real services (every notice rendered)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Add demo cases to a demo hall that already holds cases (never to any other file).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """生成演示数据（只写入新文件或演示库） / Fill a new file or a demo hall with a demo county (never a real hall)."""
    from console.services.demo_hall import check_target
    from console.services.identity import requested_login
    from db.location import resolve_db_path
    from fixtures.demo import populate

    path = resolve_db_path(OPTIONS.db)
    found = check_target(path)  # Refused (exit 1) for any file that is not new or a demo hall
    if found.cases and not force:
        raise Refused("demo.has_cases", path=str(path), count=found.cases)
    if found.cases:
        warn(t("demo.forced", path=str(path), count=found.cases))
    login = requested_login()  # a demo hall honours RETIRE_LOGIN (identity.py)
    with _progress(cases) as progress:
        summary = populate(path, cases=cases, seed=seed, login=login, progress=progress, fast=fast)
    if as_json:
        data = asdict(summary)
        data["path"] = str(summary.path)
        data["today"] = summary.today.isoformat() if summary.today else None
        print_json(data)
        return
    rows = [[t(CASE_STATUS.key(s)), s, summary.by_status[s]] for s in CASE_STATUS.codes if summary.by_status.get(s)]
    rows.append([t("demo.total"), "", sum(summary.by_status.values())])
    print_table(rows, [t("demo.col_status"), t("demo.col_code"), t("demo.col_cases")])
    typer.echo("")
    typer.echo(t("demo.done", cases=summary.cases, path=str(summary.path), seconds=summary.seconds,
                 mode=t("demo.mode_fast" if summary.fast else "demo.mode_services")))
    typer.echo(t("demo.login", login=summary.login, staff=", ".join(summary.staff)))
    typer.echo(t("demo.next", db=str(summary.path)))


class _progress:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, cases: int) -> None:
        self.cases = cases
        self.bar: Any = None
        self.done = 0

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not sys.stderr.isatty() or self.cases == 0:
            return None
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = typer.progressbar(length=max(total, 1), label=t("demo.progress", cases=self.cases), file=sys.stderr)
            self.bar.__enter__()
        if done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
