"""What every fuzz example shares: a template hall copied fresh, the CLI in-process, the checks.

One small hall is built once per session (``Template``: staff, 30 imported
persons and their employers, a draft case, an accepted case with a claimed
task, a completed case awaiting delivery).  Each example works on its own
copy of that file (``shutil.copy``: well under a millisecond for a hall this
size), so an example that changes the hall cannot affect the next one.

``check_run`` is the contract of issue 12 item 8 for one example: the exit
code is 0, 1 or 2, nothing printed a traceback, the command raised nothing
but ``SystemExit``, the database is unchanged when the command refused
(exit 1 or 2), and ``PRAGMA integrity_check`` is ok.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from fixtures import generate as gen
from tests.workflow_helpers import id_number, write_payload

CLERK = "carol"  # clerk + HRSS reviewer
MEDIC = "mel"
ADMIN = "alice"
KNOWN_PERSONS = 30
RUNNER = CliRunner()


def known_ids() -> tuple[str, ...]:
    return tuple(gen.id_number(i) for i in range(KNOWN_PERSONS))


_COMMAND: Any = None


def _command() -> Any:
    """The click command of the full app, built once (typer's CliRunner rebuilds it per call: 90% of the time)."""
    global _COMMAND
    if _COMMAND is None:
        import typer.main

        import console.cli

        _COMMAND = typer.main.get_command(console.cli.app)
    return _COMMAND


def reset_cli_state() -> None:
    """Global options and the chosen language live in module globals: start every example clean."""
    from console import i18n
    from console.cli_support import OPTIONS

    OPTIONS.db = None
    OPTIONS.lang = None
    i18n._current = None


@dataclass
class Outcome:
    args: list[str]
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        shown = [a if len(a) < 120 else a[:60] + f"...({len(a)} chars)" for a in self.args]
        return f"retire {shown!r} -> exit {self.code}, exception {self.exception!r}\n--- stderr:\n{self.stderr[-3000:]}"


def run_cli(db: Path, args: list[str], login: str = CLERK, lang: str = "en", stdin: str | bytes | None = None) -> Outcome:
    reset_cli_state()
    env = {"RETIRE_DB": str(db), "RETIRE_LOGIN": login, "RETIRE_LANG": lang}
    full = ["--db", str(db), "--lang", lang, *args]
    result = RUNNER.invoke(_command(), full, env=env, input=stdin)
    exc = result.exception
    if isinstance(exc, SystemExit):
        exc = None
    try:
        stderr = result.stderr
    except ValueError:
        stderr = ""
    return Outcome(full, result.exit_code, result.stdout, stderr, exc)


# --- the hall's state ------------------------------------------------------------------------

SKIP_TABLES = ("sqlite_stat1", "sqlite_stat4")


def file_digest(path: Path) -> str:
    """sha256 of the database file, or "" while a WAL file beside it holds frames (then the content must be read)."""
    wal = Path(str(path) + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(path: Path) -> dict[str, Any]:
    """Row counts, the audit head and a content hash of every table (not the header's counters).

    ``_file`` (the file's digest) is a shortcut for the checks, not part of the comparison.
    """
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                  if r[0] not in SKIP_TABLES]
        out: dict[str, Any] = {}
        for table in tables:
            digest = hashlib.sha256()
            n = 0
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid' if _has_rowid(conn, table) else f'SELECT * FROM "{table}"'):
                digest.update(repr(row).encode("utf-8", "surrogatepass"))
                n += 1
            out[table] = (n, digest.hexdigest()[:16])
        head = conn.execute("SELECT max(id) FROM audit").fetchone() if "audit" in tables else None
        out["_audit_head"] = head[0] if head else None
        out["_schema"] = conn.execute("SELECT group_concat(sql, ';') FROM sqlite_master").fetchone()[0]
        out["_user_version"] = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    out["_file"] = file_digest(path)
    return out


def _has_rowid(conn: sqlite3.Connection, table: str) -> bool:
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()[0] or ""
    return "WITHOUT ROWID" not in sql.upper()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return ";".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


POLICED_TABLES = ("staff", "employers", "persons", "cases", "archive_records", "contribution_periods", "materials",
                  "tasks", "deliveries", "contacts")
ASCII_COLUMN = re.compile(r"(^id_number$|^credit_code$|_month$|_date$|_at$|^at$|^birth_date_id$|^bank_card$|^phone$|^case_no$)")
MAX_STORED = 4096


def poisoned(path: Path) -> list[str]:
    """Stored text that breaks the rules of the door: forbidden characters, other digit scripts, huge values."""
    from console.text_policy import first_forbidden

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    found: list[str] = []
    try:
        for table in POLICED_TABLES:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info('{table}')")]
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for col, value in zip(cols, row, strict=True):
                    if not isinstance(value, str):
                        continue
                    where = f"{table}.{col}={value[:40]!r}"
                    if first_forbidden(value, multiline=True) is not None:
                        found.append(f"{where}: forbidden character")
                    elif ASCII_COLUMN.search(col) and not value.isascii():
                        found.append(f"{where}: not ASCII")
                    elif len(value) > MAX_STORED:
                        found.append(f"{where}: {len(value)} characters")
    finally:
        conn.close()
    return found


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    keys = sorted((set(before) | set(after)) - {"_file"})
    return [f"{k}: {before.get(k)!r} -> {after.get(k)!r}" for k in keys if before.get(k) != after.get(k)]


def check_run(outcome: Outcome, db: Path | None, before: dict[str, Any] | None, *, allowed: tuple[int, ...] = (0, 1, 2),
              unchanged_on_success: bool = False, entry: str = "", inputs: dict[str, bytes] | None = None) -> None:
    """Issue 12 item 8, for one example.

    With FUZZ_FINDINGS=FILE (what ``bench/fuzz`` sets) a failure is written
    to FILE as one JSON line (entry point, signature, arguments, the input
    files under FILE's directory) and the run goes on, so one run lists
    every distinct failure instead of stopping at the first.
    """
    if not entry.count(" then "):
        EXAMPLES[entry] = EXAMPLES.get(entry, 0) + 1
        if EXAMPLES[entry] % (10 if entry.startswith("tui") else 250) == 0:
            _progress(entry)
    try:
        _check(outcome, db, before, allowed, unchanged_on_success)
    except AssertionError as err:
        findings = os.environ.get("FUZZ_FINDINGS")
        if not findings:
            raise
        record_finding(Path(findings), entry or (outcome.args[4] if len(outcome.args) > 4 else "?"), outcome, str(err), inputs or {})


EXAMPLES: dict[str, int] = {}
"""Examples checked per entry point in this process (bench/fuzz reports them)."""
_STARTED: dict[str, float] = {}


def _progress(entry: str) -> None:
    """Every 250 examples (10 for the slow TUI ones): FUZZ_STATS.progress.<worker> says how far each entry point got (a run cut short still counts)."""
    import time

    target = os.environ.get("FUZZ_STATS")
    if not target:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    path = Path(f"{target}.progress.{worker}")
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[entry] = {"examples": EXAMPLES[entry], "at": time.strftime("%H:%M:%S", time.gmtime())}
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def signature(outcome: Outcome, message: str) -> str:
    """What makes two failures the same bug: the exception and the project frame it came from, or the broken rule."""
    exc = outcome.exception
    if exc is not None:
        where = ""
        tb = exc.__traceback__
        root = str(Path(__file__).resolve().parents[2])
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.startswith(root) and "/tests/" not in filename and "/.venv/" not in filename:
                where = f"{Path(filename).relative_to(root)}:{tb.tb_lineno}"
            tb = tb.tb_next
        if not where:  # raised outside the project (the TUI's findings): name it by what it says
            return f"{type(exc).__name__}: {str(exc)[:100]}"
        return f"{type(exc).__name__} at {where}"
    first = message.split(":", 1)[0]
    return f"{first} (exit {outcome.code})"


def record_finding(path: Path, entry: str, outcome: Outcome, message: str, inputs: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sig = signature(outcome, message)
    key = hashlib.sha256(f"{entry}|{sig}".encode()).hexdigest()[:10]
    folder = path.parent / "inputs" / key
    saved: list[str] = []
    if not folder.exists():  # keep the first input of each signature (the smallest is usually found later: keep that too)
        folder.mkdir(parents=True)
    for name, data in inputs.items():
        target = folder / name
        if not target.exists() or len(data) < target.stat().st_size:
            target.write_bytes(data)
        saved.append(str(target))
    tb = ""
    if outcome.exception is not None:
        import traceback

        tb = "".join(traceback.format_exception(outcome.exception))[-4000:]
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    line = {"entry": entry, "test": test, "signature": sig, "key": key, "message": message[:2000], "args": outcome.args,
            "code": outcome.code, "stderr": outcome.stderr[-1500:], "traceback": tb, "inputs": saved}
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=True) + "\n")


def _check(outcome: Outcome, db: Path | None, before: dict[str, Any] | None, allowed: tuple[int, ...],
           unchanged_on_success: bool) -> None:
    assert outcome.exception is None, f"crashed: {outcome.describe()}"
    assert "Traceback (most recent call last)" not in outcome.text, f"traceback printed: {outcome.describe()}"
    assert outcome.code in allowed, f"exit code not in {allowed}: {outcome.describe()}"
    if outcome.code != 0:
        assert outcome.stderr.strip(), f"refused without a word on stderr: {outcome.describe()}"
    if db is not None and before is not None:
        if file_digest(db) == before.get("_file"):
            return  # byte for byte the file the example started from (no WAL left): unchanged, and intact
        after = fingerprint(db)
        if outcome.code != 0 or unchanged_on_success:
            changes = diff(before, after)
            assert not changes, f"database changed on refusal (exit {outcome.code}): {changes}\n{outcome.describe()}"
        ok = integrity(db)
        assert ok == "ok", f"integrity_check: {ok}\n{outcome.describe()}"
        if outcome.code == 0 and diff(before, after):
            bad = poisoned(db)
            assert not bad, f"stored a value the text policy refuses: {bad[:5]}\n{outcome.describe()}"


# --- the template hall -----------------------------------------------------------------------


@dataclass
class Template:
    path: Path
    draft_case: str = ""
    accepted_case: str = ""
    claimed_task: int = 0
    completed_case: str = ""
    known: tuple[str, ...] = field(default_factory=known_ids)

    _baseline: dict[str, Any] | None = None

    @property
    def baseline(self) -> dict[str, Any]:
        """The template's fingerprint: every fresh copy starts as this."""
        if self._baseline is None:
            self._baseline = fingerprint(self.path)
        return self._baseline

    def fresh(self, directory: Path, tag: str) -> Path:
        """A new copy of the template under a new name (a crashed command may still hold the previous one open)."""
        global _COPIES
        _COPIES += 1
        for old in directory.glob(f"{tag}-*.db*"):
            old.unlink(missing_ok=True)
        target = directory / f"{tag}-{_COPIES}.db"
        shutil.copyfile(self.path, target)
        return target


_COPIES = 0


def _must(db: Path, args: list[str], login: str = CLERK, code: int = 0) -> Any:
    out = run_cli(db, args, login=login)
    assert out.exception is None and out.code == code, f"template step failed: {out.describe()}\n{out.stdout[-2000:]}"
    return json.loads(out.stdout) if "--json" in args and out.stdout.strip() else out


def build_template(directory: Path) -> Template:
    """Build the session's template hall (about two seconds)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "template.db"
    tpl = Template(path)
    _must(path, ["init", "--json"], login=ADMIN)
    _must(path, ["staff", "add", CLERK, "--name", "Carol", "--role", "clerk", "--role", "hrss_reviewer"], login=ADMIN)
    _must(path, ["staff", "add", MEDIC, "--name", "Mel", "--role", "medical"], login=ADMIN)
    employers = directory / "employers.csv"
    with employers.open("w", encoding="utf-8", newline="") as fh:
        gen.write("employers", gen.EMPLOYERS, fh)
    persons = directory / "persons.csv"
    with persons.open("w", encoding="utf-8", newline="") as fh:
        gen.write("persons", KNOWN_PERSONS, fh)
    contributions = directory / "contributions.csv"
    with contributions.open("w", encoding="utf-8", newline="") as fh:
        gen.write("contributions", KNOWN_PERSONS * gen.PER_PERSON, fh)
    _must(path, ["import", "employers", str(employers)], login=ADMIN)
    _must(path, ["import", "persons", str(persons)], login=ADMIN)
    _must(path, ["import", "contributions", str(contributions)], login=ADMIN)

    payload = write_payload(directory / "prereview.json")
    everything = ["--received", "id_card_hukou", "--received", "personal_archive", "--received", "ssc_card"]
    draft = _must(path, ["case", "new", "--id", id_number(13), "--name", "李四", "--json",
                         "--address", "固阳县金山镇2号", "--phone", "13800000001"])
    tpl.draft_case = draft["case_no"]

    completed = _must(path, ["case", "new", "--id", id_number(), "--name", "张三", "--joint", "medical", *everything,
                             "--address", "固阳县金山镇1号", "--phone", "13800000000", "--json"])["case_no"]
    _must(path, ["prereview", completed, "--file", str(payload), "--json"])
    _must(path, ["prereview", completed, "--confirm", "--json"])  # acceptance waits for the reviewer
    _must(path, ["case", "accept", completed, "--json"])
    for login in (CLERK, MEDIC):
        for task in _must(path, ["task", "list", "--json"], login=login):
            if task["case_no"] == completed and task["status"] == "open":
                _must(path, ["task", "claim", str(task["id"]), "--json"], login=login)
                _must(path, ["task", "done", str(task["id"]), "--result", "ok", "--json"], login=login)
    for task in _must(path, ["task", "list", "--json"]):  # the two that opened after the approval
        if task["case_no"] == completed and task["status"] == "open":
            _must(path, ["task", "claim", str(task["id"]), "--json"])
            _must(path, ["task", "done", str(task["id"]), "--result", "ok", "--json"])
    shown = _must(path, ["case", "show", completed, "--json"])
    assert shown["status"] == "completed", shown["status"]
    tpl.completed_case = completed

    accepted = _must(path, ["case", "new", "--id", id_number(24), "--name", "王五", *everything,
                            "--address", "固阳县金山镇3号", "--json"])["case_no"]
    _must(path, ["prereview", accepted, "--file", str(payload), "--json"])
    _must(path, ["prereview", accepted, "--confirm", "--json"])
    _must(path, ["case", "accept", accepted, "--json"])
    for task in _must(path, ["task", "list", "--json"]):
        if task["case_no"] == accepted and task["item"] == "hrss.card":
            _must(path, ["task", "claim", str(task["id"]), "--json"])
            tpl.claimed_task = int(task["id"])
    assert tpl.claimed_task
    tpl.accepted_case = accepted

    conn = sqlite3.connect(path)  # fold the WAL in: the template is one self-contained file
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return tpl


_COMMON: dict[str, Any] = dict(
    deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture,
                           HealthCheck.filter_too_much, HealthCheck.large_base_example])
settings.register_profile("ci", max_examples=100, **_COMMON)
settings.register_profile("deep", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "10000")), **_COMMON)


def fuzz_settings(ci: int) -> settings:
    """Hypothesis settings for one entry point: the active profile (HYPOTHESIS_PROFILE, default ci), ``ci`` examples in ci."""
    profile = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    if profile not in ("ci", "deep"):
        profile = "ci"
    return settings(settings.get_profile(profile), max_examples=example_count(ci))


def example_count(ci: int) -> int:
    """Examples per test: ``ci`` in the normal run; FUZZ_EXAMPLES (default 10,000) under HYPOTHESIS_PROFILE=deep."""
    if os.environ.get("HYPOTHESIS_PROFILE") == "deep":
        return int(os.environ.get("FUZZ_EXAMPLES", "10000"))
    return int(os.environ.get("FUZZ_CI_EXAMPLES", str(ci)))
