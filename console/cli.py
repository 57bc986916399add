"""The ``retire`` command: subcommands grouped by noun.

Keep this module light: ``retire case show`` must not pay for Textual (the
TUI is imported only inside the ``tui`` command), nor for the modules of
commands it does not run: ``main()`` registers only the module that owns the
command named on the command line (every module for ``--help`` or an
unknown word).  ``console.cli.app`` is the full app, built on first use.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from console.cli_support import OPTIONS, RetireTyper
from console.i18n import set_lang

COMMAND_MODULES: dict[str, str] = {
    "init": "cli_admin", "staff": "cli_admin", "audit": "cli_admin",
    "backup": "cli_admin", "restore": "cli_admin", "doctor": "cli_admin",
    "tui": "cli_tui",
    "case": "cli_case", "task": "cli_case", "delivery": "cli_case", "prereview": "cli_case",
    "upcoming": "cli_upcoming",
    "notice": "cli_notice",
    "import": "cli_import", "export": "cli_import",
    "demo": "cli_demo",
    "calc": "cli_calc",
}
"""Which module registers each top-level command (one register(app) per module)."""
GLOBAL_OPTIONS_WITH_VALUE = ("--db", "--lang")


def _global(
    ctx: typer.Context,
    db: Annotated[Optional[Path], typer.Option("--db", help="Database file (else $RETIRE_DB, else the per-user default).")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="zh or en (else $RETIRE_LANG, else zh).")] = None,
) -> None:
    """退休一件事一次办 综合受理台 / Retirement one-window console."""
    OPTIONS.db = db
    OPTIONS.lang = lang
    if lang:
        set_lang(lang)
    if ctx.invoked_subcommand is None:  # a bare `retire` opens the console
        from console.cli_tui import run_tui

        run_tui()


def build_app(modules: list[str] | None = None) -> RetireTyper:
    """The root app with the given command modules (default: all of them)."""
    root = RetireTyper(
        name="retire",
        help="退休一件事一次办 综合受理台 / Retirement one-window console.",
        no_args_is_help=False,
    )
    root.callback(invoke_without_command=True)(_global)
    wanted = modules if modules is not None else list(dict.fromkeys(COMMAND_MODULES.values()))
    for name in wanted:
        importlib.import_module(f"console.{name}").register(root)
    return root


def _command_word(argv: list[str]) -> str | None:
    """The first word after the global options (``retire --db X case show`` -> ``case``)."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in GLOBAL_OPTIONS_WITH_VALUE:
            i += 2
            continue
        if word.startswith("-"):
            return None
        return word
    return None


_full_app: RetireTyper | None = None


def __getattr__(name: str) -> Any:
    """``console.cli.app``: every command registered (tests, docs)."""
    global _full_app
    if name == "app":
        if _full_app is None:
            _full_app = build_app()
        return _full_app
    raise AttributeError(name)


def main() -> None:
    """Console-script entry point."""
    args = sys.argv[1:]
    word = _command_word(args)
    if word is not None and word in COMMAND_MODULES:
        modules: list[str] | None = [COMMAND_MODULES[word]]
    elif word is None and not any(a.startswith("-") and a not in GLOBAL_OPTIONS_WITH_VALUE for a in args):
        modules = ["cli_tui"]  # a bare `retire` (perhaps with --db/--lang) opens the console
    else:
        modules = None  # --help, or a word we do not know: let Typer list everything
    build_app(modules)(prog_name="retire")
