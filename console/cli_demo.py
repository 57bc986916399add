"""``retire demo``: fill a database with a demo county (never a hall's real one).

Thin: check the target, call ``fixtures.demo.populate``, print the summary.
The database is the configured one (--db / $RETIRE_DB / default); a file
that already holds cases is refused unless --force, because demo people and
cases must never be mixed into a hall's real work.
"""
from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Annotated, Any, Callable

import typer

from console.cli_support import OPTIONS, print_json, print_table, warn
from console.errors import Refused
from console.i18n import t

MAX_CASES = 1_000_000


def demo_command(
    cases: Annotated[int, typer.Option("--cases", min=0, max=MAX_CASES, help="How many demo cases.")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same county.")] = 2026,
    fast: Annotated[
        bool | None,
        typer.Option("--fast/--no-fast", help="Bulk writes (default from 5,000 cases) or the real services (every notice rendered)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Add demo cases to a database that already holds cases.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """生成演示数据（仅用于演示库） / Fill the database with a demo county (for demo databases only)."""
    from console.services.identity import current_login
    from db.location import resolve_db_path
    from fixtures.demo import existing_cases, populate

    path = resolve_db_path(OPTIONS.db)
    found = existing_cases(path)
    if found and not force:
        raise Refused("demo.has_cases", path=str(path), count=found)
    if found:
        warn(t("demo.forced", path=str(path), count=found))
    login = current_login()
    with _progress(cases) as progress:
        summary = populate(path, cases=cases, seed=seed, login=login, progress=progress, fast=fast)
    if as_json:
        data = asdict(summary)
        data["path"] = str(summary.path)
        data["today"] = summary.today.isoformat() if summary.today else None
        print_json(data)
        return
    order = ("draft", "awaiting_correction", "accepted", "in_progress", "completed", "delivered", "refused", "withdrawn")
    rows = [[t(f"status.{s}"), s, summary.by_status[s]] for s in order if summary.by_status.get(s)]
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
