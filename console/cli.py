"""The ``retire`` command: subcommands grouped by noun.

Keep this module light: ``retire case show`` must not pay for Textual (the
TUI is imported only inside the ``tui`` command), nor for the modules of
commands it does not run: ``main()`` registers only the module that owns the
command named on the command line (every module for ``--help`` or an
unknown word), and of that module only the command named (``case show``:
Typer builds the parameters of every command it is given, which cost a
lookup more than its query).  ``console.cli.app`` is the full app, built on
first use.

Exit codes are a contract (README "Exit codes"): 0 ok, 1 refused by the
rules, 2 bad input, 3 the environment failed.  ``main()`` is the top-level
guard: a fault that escapes a command gets its sentence from
``console.faults``; anything else (a bug) is logged with its traceback under
``platformdirs.user_log_dir("retire")`` and the user sees one line naming
the log (exit 3).  stdout is flushed inside the guard, so a reader that
went away (``| head``) is exit 3 with one line, not Python's
"Exception ignored ... BrokenPipeError".  Long jobs (import, demo, restore,
prereview --all) leave a ``<db>.busy`` note while they hold the write lock,
so a colleague who waits past the busy timeout is told who holds it.
"""
from __future__ import annotations

import copy
import importlib
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

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
    "hall": "cli_hall",
    "archive": "cli_archive",
    "rating": "cli_rating", "stats": "cli_rating",
    "person": "cli_edit",
}
"""Which module registers each top-level command (one register(app) per module)."""
GLOBAL_OPTIONS_WITH_VALUE = ("--db", "--lang")
"""The root's options: accepted before the subcommand and, hoisted by ``hoist_global_options``, after it."""
OWN_OPTIONS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("tui",): ("--lang",), ("notice",): ("--lang",), ("upcoming", "remind"): ("--lang",),
}
"""Commands with an option of a global option's name (the notice's language): theirs stays theirs
(tests/test_cli_usage.py checks this table against the commands)."""
LONG_JOBS = ("import", "demo", "restore")
"""Commands that may hold the write lock for long: they leave a busy note (console.faults.BusyNote)."""


def _global(
    ctx: typer.Context,
    db: Annotated[Path | None, typer.Option("--db", help="Database file (else $RETIRE_DB, else the per-user default).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en (else $RETIRE_LANG, else zh).")] = None,
) -> None:
    """退休一件事一次办 综合受理台 / Retirement one-window console."""
    OPTIONS.db = db
    OPTIONS.lang = lang
    from console.safe_files import protect_later

    protect_later(OPTIONS.db_path)  # no command writes a file over the configured hall, --force or not
    if lang:
        set_lang(lang)
    if ctx.invoked_subcommand is None:  # a bare `retire` opens the console
        from console.cli_tui import run_tui

        run_tui()


def hoist_global_options(args: list[str]) -> list[str]:
    """``case list --db x.db`` -> ``--db x.db case list``: the global options moved to the front.

    Click only knows ``--db`` and ``--lang`` before the subcommand; a clerk
    types them anywhere.  No subcommand has an option of these names, so
    moving them changes nothing else.  ``--`` ends the options: what follows
    stays where it is.  A global option without its value is left in place,
    for the usage error that says so.
    """
    words = _command_words(args)
    own = OWN_OPTIONS.get(tuple(words[:1]), ()) + OWN_OPTIONS.get(tuple(words[:2]), ())
    hoisted = tuple(o for o in GLOBAL_OPTIONS_WITH_VALUE if o not in own)
    start = _first_command_index(args)
    front: list[str] = list(args[:start])
    rest: list[str] = []
    i = start
    while i < len(args):
        word = args[i]
        if word == "--":
            rest.extend(args[i:])
            break
        if word.split("=", 1)[0] in hoisted and "=" in word:
            front.append(word)
        elif word in hoisted and i + 1 < len(args):
            front.extend(args[i:i + 2])
            i += 1
        else:
            rest.append(word)
        i += 1
    return front + rest


def _first_command_index(args: list[str]) -> int:
    """Where the subcommand starts: after the global options written before it."""
    i = 0
    while i < len(args) and args[i] in GLOBAL_OPTIONS_WITH_VALUE:
        i += 2
    return min(i, len(args))


class RootGroup(TyperGroup):
    """The ``retire`` group: global options are taken wherever they stand on the line."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(list(args)))


def build_app(modules: list[str] | None = None, words: list[str] | None = None) -> RetireTyper:
    """The root app with the given command modules (default: all of them), narrowed to the command ``words`` name."""
    root = RetireTyper(
        name="retire",
        help="退休一件事一次办 综合受理台 / Retirement one-window console.",
        no_args_is_help=False,
    )
    root.callback(invoke_without_command=True, cls=RootGroup)(_global)
    wanted = modules if modules is not None else list(dict.fromkeys(COMMAND_MODULES.values()))
    for name in wanted:
        importlib.import_module(f"console.{name}").register(root)
    if words:
        _narrow(root, words)
    return root


def _narrow(root: RetireTyper, words: list[str]) -> None:
    """Keep only the command that ``words`` name (``["case", "show"]``), so Typer builds nothing else.

    A word that names nothing here leaves the rest as it is, for Typer's own
    usage error or --help listing.
    """
    if not words:
        return
    groups = [g for g in root.registered_groups if g.name == words[0]]
    commands = [c for c in root.registered_commands if c.name == words[0]]
    if not groups and not commands:
        return
    root.registered_groups, root.registered_commands = groups, commands
    if not groups or len(words) < 2 or groups[0].typer_instance is None:
        return
    group = groups[0].typer_instance
    chosen = [c for c in group.registered_commands if c.name == words[1]]
    if chosen and not group.registered_groups:
        narrow = copy.copy(group)  # the module's group stays whole; this root gets a copy holding one command
        narrow.registered_commands = chosen
        groups[0].typer_instance = narrow


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


def _command_words(args: list[str]) -> list[str]:
    """``retire --db X import persons F.csv`` -> ["import", "persons"]: the words naming the command."""
    words: list[str] = []
    i = 0
    while i < len(args) and len(words) < 2:
        word = args[i]
        if word in GLOBAL_OPTIONS_WITH_VALUE:
            i += 2
            continue
        if word.startswith("-"):
            break
        words.append(word)
        i += 1
    return words


def _busy_note(args: list[str]) -> Any:
    """A BusyNote for a long job, else a no-op context."""
    import contextlib

    words = _command_words(args)
    if not words or not (words[0] in LONG_JOBS or (words[0] == "prereview" and "--all" in args)):
        return contextlib.nullcontext()
    from console.faults import BusyNote

    return BusyNote("retire " + " ".join(words))


def _flush_stdout() -> bool:
    """Flush stdout; False (stdout silenced) when the reader has gone away or stdout was closed."""
    if sys.stdout is None:  # started with fd 1 closed (`>&-`): nothing printed reached anyone
        return False
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        from console.faults import silence_stdout

        silence_stdout()
        return False
    except OSError as exc:
        import errno

        if exc.errno != errno.EPIPE:
            raise
        from console.faults import silence_stdout

        silence_stdout()
        return False
    return True


def _refuse_hall_files(args: list[str], word: str | None) -> None:
    """In a hall's service account, no argument may name the hall's own files (console.hall_config)."""
    from console.errors import BadInput
    from console.hall_config import HallConfigError, protected_argument

    try:
        found = protected_argument(args, word)
    except HallConfigError:
        return  # reported with its own message when the database is resolved
    if found is not None:
        raise BadInput("hall.protected_path", path=found)


def _exit_with(error: BaseException, args: list[str]) -> int:
    """One line on stderr for ``error`` and the status to exit with (the top-level guard).

    Even when the guard's own helpers fail (a broken install: an import
    error in console.faults or the catalogues), the user gets one line and 3.
    """
    try:
        from console.faults import crash_line, is_broken_pipe, say, silence_stdout, translate
        from console.i18n import t

        mapped = translate(error)
        if mapped is None:
            say(crash_line(error, "retire " + " ".join(_command_words(args))))
            return 3
        if is_broken_pipe(mapped):
            silence_stdout()
        say(t("cli.error", message=mapped.text()))
        return mapped.exit_code
    except BaseException as broken:
        try:
            sys.stderr.write(f"retire: internal error ({type(error).__name__}; {type(broken).__name__}); "
                             "ask the system administrator / 内部错误，请联系系统管理员\n")
            sys.stderr.flush()
        except BaseException:
            pass
        return 3


def _click_exceptions() -> Any:
    """The exceptions module of the Click that Typer runs on (Typer vendors its own copy)."""
    try:
        from typer._click import exceptions
    except ImportError:  # a Typer that uses the click package
        # the same module under its other home: mypy sees two modules bound to one name
        from click import exceptions  # type: ignore[no-redef]
    return exceptions


def _usage_error(error: Any) -> int:
    """Click's usage error as one line (Click prints three, in English): exit 2, bad input."""
    from console.faults import say
    from console.i18n import t

    ctx = getattr(error, "ctx", None)
    command = ctx.command_path if ctx is not None else "retire"
    say(t("cli.error", message=t("cli.usage", reason=_usage_reason(error), command=command)))
    code = getattr(error, "exit_code", 2)
    return code if code in (1, 2) else 2


_NOT_A_NUMBER = re.compile(r"^(?P<value>.*) is not a valid (?P<kind>integer|float|int range|float range)\.$", re.S)
_NO_SUCH_COMMAND = re.compile(r"^No such command (?P<name>.*)\.$", re.S)
_EXTRA_ARGUMENTS = re.compile(r"^Got unexpected extra argument\(s\) \((?P<args>.*)\)$", re.S)


def _usage_reason(error: Any) -> str:
    """Click's English reason for a usage error, in the user's language (Click's own words as the fallback).

    Click says "No such option: --db" or "Missing argument 'CASE_NO'." in
    English whatever ``--lang`` says; the kinds a clerk meets are said again
    from the exception's fields, so the line reads in one language.
    """
    from console.i18n import t

    kind = type(error).__name__
    option = getattr(error, "option_name", None) or ""
    message = str(getattr(error, "message", "") or "")
    if kind == "NoSuchOption" and option in GLOBAL_OPTIONS_WITH_VALUE:  # `case list --db`: its value is missing
        return t("cli.usage_needs_value", option=option)
    if kind == "NoSuchOption":
        hint = getattr(error, "possibilities", None)
        said = t("cli.usage_no_such_option", option=option)
        return said + t("cli.usage_did_you_mean", options=", ".join(sorted(hint))) if hint else said
    if kind == "BadOptionUsage":
        return t("cli.usage_takes_no_value" if "does not take" in message else "cli.usage_needs_value", option=option)
    if kind in ("MissingParameter", "BadParameter"):
        param = getattr(error, "param", None)
        name = _param_name(param, getattr(error, "param_hint", None), getattr(error, "ctx", None))
        if kind == "MissingParameter":
            which = getattr(error, "param_type", None) or getattr(param, "param_type_name", "")
            return t("cli.usage_missing_argument" if which == "argument" else "cli.usage_missing_option", name=name)
        number = _NOT_A_NUMBER.match(message)
        if number:
            whole = number["kind"].startswith("int")  # "integer" or "int range"
            return t("cli.usage_not_integer" if whole else "cli.usage_not_float", name=name, value=number["value"])
        return t("cli.usage_bad_value", name=name, reason=message)
    for pattern, key in ((_NO_SUCH_COMMAND, "cli.usage_no_such_command"), (_EXTRA_ARGUMENTS, "cli.usage_extra")):
        found = pattern.match(message)
        if found:
            return t(key, **found.groupdict())
    return str(error.format_message())


def _param_name(param: Any, hint: Any, ctx: Any) -> str:
    """How the command line spells the parameter: ``--cases``, or an argument's name (``CASE_NO``)."""
    if hint:
        return hint if isinstance(hint, str) else " / ".join(hint)
    if param is None:
        return ""
    opts = list(getattr(param, "opts", None) or [])
    return " / ".join(opts) if getattr(param, "param_type_name", "") == "option" else str(param.human_readable_name).upper()


def _buffered_stdout() -> None:
    """Give an unbuffered stdout (PYTHONUNBUFFERED, ``python -u``) a buffer again, flushed at each line.

    Unbuffered, Python's text stdout writes straight to the file descriptor
    and ignores a short write: a reader that goes away mid-table (``| head``)
    silently truncates the output and the command still exits 0.  A
    BufferedWriter finishes the write or raises (EPIPE -> exit 3).
    """
    import io

    stream = sys.stdout
    raw = getattr(stream, "buffer", None)
    if not isinstance(stream, io.TextIOWrapper) or not isinstance(raw, io.FileIO):
        return
    try:
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(raw), encoding=stream.encoding, errors=stream.errors,
                                      line_buffering=True)
    except (OSError, ValueError):
        return


def main() -> None:
    """Console-script entry point, and the top-level guard (see the module docstring)."""
    args = hoist_global_options(sys.argv[1:])
    _buffered_stdout()
    word = _command_word(args)
    if word is not None and word in COMMAND_MODULES:
        modules: list[str] | None = [COMMAND_MODULES[word]]
    elif word is None and not any(a.startswith("-") and a not in GLOBAL_OPTIONS_WITH_VALUE for a in args):
        modules = ["cli_tui"]  # a bare `retire` (perhaps with --db/--lang) opens the console
    else:
        modules = None  # --help, or a word we do not know: let Typer list everything
    code: int | str | None
    click_errors = _click_exceptions()
    aborts = (KeyboardInterrupt, typer.Abort, *[e for e in (getattr(click_errors, "Abort", None),) if e is not None])
    usage_errors = getattr(click_errors, "ClickException", ())
    try:
        _refuse_hall_files(args, word)
        with _busy_note(args):
            # not standalone: a usage error reaches the guard below, to be one line in the user's language
            app = build_app(modules, _command_words(args) if modules else None)
            returned = app(args=args, prog_name="retire", standalone_mode=False)
        code = returned if isinstance(returned, int) and not isinstance(returned, bool) else 0
    except SystemExit as done:
        code = done.code
    except aborts:
        from console.faults import say
        from console.i18n import t

        say(t("cli.interrupted"))
        code = 130
    except usage_errors as usage:  # a missing option, an unknown command, a bad int
        code = _usage_error(usage)
    except BaseException as error:
        code = _exit_with(error, args)
    try:
        flushed = _flush_stdout()
    except BaseException as error:
        from console.faults import silence_stdout

        if code in (0, None):  # the command's own error (if any) was said already: one line, never two
            code = _exit_with(error, args)
        silence_stdout()  # what stays in the buffer must not fail again at exit ("Exception ignored", 120)
    else:
        if not flushed and code in (0, None):
            from console.errors import BrokenOutput

            code = _exit_with(BrokenOutput("faults.broken_pipe"), args)
    sys.exit(code)
