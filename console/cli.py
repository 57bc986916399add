"""The ``retire`` command: subcommands grouped by noun.

Keep this module light: ``retire case show`` must not pay for Textual, so the
TUI is imported only inside the ``tui`` command.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from console.cli_support import OPTIONS, RetireTyper
from console.i18n import set_lang

app = RetireTyper(
    name="retire",
    help="退休一件事一次办 综合受理台 / Retirement one-window console.",
    no_args_is_help=True,
)


@app.callback()
def _global(
    db: Annotated[Optional[Path], typer.Option("--db", help="Database file (else $RETIRE_DB, else the per-user default).")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="zh or en (else $RETIRE_LANG, else zh).")] = None,
) -> None:
    """退休一件事一次办 综合受理台 / Retirement one-window console."""
    OPTIONS.db = db
    OPTIONS.lang = lang
    if lang:
        set_lang(lang)


def _register() -> None:
    from console import cli_admin, cli_calc, cli_case, cli_upcoming

    cli_admin.register(app)
    cli_case.register(app)
    cli_upcoming.register(app)
    app.add_typer(cli_calc.app, name="calc")


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="retire")
