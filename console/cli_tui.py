"""The ``tui`` command (and a bare ``retire``): open the Textual console.

Textual is imported only here, inside the command, so every other command
stays fast and free of it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from console.cli_support import OPTIONS, fail
from console.errors import RetireError
from console.i18n import current_lang, set_lang, t

DEMO_CASES = 300


def _demo_database(cases: int, login: str) -> Path:
    """A throw-away hall in a temp dir, filled by the demo generator; ``login`` holds every role.

    An interrupted build (ctrl+c, a full disk) leaves nothing behind.
    """
    from fixtures.demo import populate

    folder = Path(tempfile.mkdtemp(prefix="retire-demo-"))
    path = folder / "demo.db"
    typer.echo(t("tui.app.demo_building", cases=cases), err=True)
    try:
        populate(path, cases=cases, login=login, today=date.today())
    except BaseException:
        _remove_demo(path)
        raise
    return path


def _remove_demo(path: Path) -> None:
    """Delete the demo hall's folder (the database and its WAL) and its personal audit key and anchors.

    A demo is thrown away on leaving; nothing of it may pile up in /tmp or ~/.config.
    """
    try:
        from db import audit, audit_key
        from db.connection import open_database

        database = open_database(path, create=False)
        try:
            db_id = audit.read_state(database).db_id
        finally:
            database.close()
        if db_id:
            for leftover in (audit_key.personal_key_path(db_id), audit_key.personal_anchor_path(db_id)):
                leftover.unlink(missing_ok=True)
    except Exception:  # a half-built demo has no key yet; its folder goes all the same
        pass
    shutil.rmtree(path.parent, ignore_errors=True)


def run_tui(demo: bool = False, cases: int = DEMO_CASES, lang: str | None = None, db_path: Path | None = None) -> None:
    """Resolve the database and the staff member, then run the console (one line and exit 1 on refusal).

    With ``demo`` the throw-away hall is removed when the console ends, however it ends
    (quit, a refusal, ctrl+c, a crash): a demo left 7 MB in /tmp each time.
    """
    from console.services.identity import override_ignored, requested_login
    from db.location import resolve_db_path

    chosen = set_lang(lang or OPTIONS.lang or os.environ.get("RETIRE_LANG"))
    path: Path | None = None
    try:
        try:
            login = requested_login()  # only what a demo hall grants; the real actor is resolved on open
            path = _demo_database(cases, login) if demo else resolve_db_path(db_path or OPTIONS.db)
            from screens.context import AppContext

            ctx = AppContext(db_path=path, login=login, lang=chosen, from_process=True)
            with ctx.open() as (db, _actor):  # refuses an unknown or disabled login before any screen is drawn
                ignored = override_ignored(db)
            if ignored:
                typer.echo(t("identity.override_ignored", login=ignored, env="RETIRE_LOGIN"), err=True)
        except RetireError as err:
            raise fail(err) from None
        from screens.app import RetireApp

        RetireApp(ctx).run()
    finally:
        if demo and path is not None:
            _remove_demo(path)
            typer.echo(t("tui.app.demo_removed"), err=True)


def register(app: typer.Typer) -> None:
    @app.command("tui")
    def tui(
        demo: Annotated[bool, typer.Option("--demo", help="Open a throw-away database filled with demo cases.")] = False,
        cases: Annotated[int, typer.Option("--cases", min=1, help="How many demo cases (with --demo).")] = DEMO_CASES,
        lang: Annotated[str | None, typer.Option("--lang", help="zh or en (else $RETIRE_LANG, else zh).")] = None,
    ) -> None:
        """打开控制台 / Open the console (the default when no command is given)."""
        run_tui(demo=demo, cases=cases, lang=lang or current_lang())
