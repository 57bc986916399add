"""Adding a department or a case kind is a few entries and one generated migration.

Each test copies the product tree (console, db, screens, fixtures) to a temporary
directory, makes there only the changes such a change is meant to need (the
vocabulary entry; for a department its task-plan row with its time limit; the
catalogue lines; ``python -m db.migration_gen --write``), then runs the copy in a subprocess:
the new department must appear in every screen that lists departments, and a
case of the new kind must open on a hall made by the v6 program.  Forgetting
the migration must give one clear line, not a traceback.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).with_name("data")
TREES = ("console", "db", "screens", "fixtures")


def _copy_tree(target: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in TREES:
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: expected one {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _add_terms(tree: Path, table: str, code: str, zh: str, en: str) -> None:
    """A catalogue line under an existing [table] of both languages' terms.toml."""
    for lang, word in (("zh", zh), ("en", en)):
        _edit(tree / "console" / "locales" / lang / "terms.toml", f"[{table}]\n", f'[{table}]\n{code} = "{word}"\n')


def _add_line(tree: Path, file: str, table: str, line_zh: str, line_en: str) -> None:
    for lang, line in (("zh", line_zh), ("en", line_en)):
        path = tree / "console" / "locales" / lang / file
        _edit(path, f"[{table}]\n", f"[{table}]\n{line}\n")


def _env(tree: Path, tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETIRE_")}
    env.update({
        "PYTHONPATH": str(tree), "XDG_CONFIG_HOME": str(tmp / "config"), "XDG_STATE_HOME": str(tmp / "state"),
        "XDG_CACHE_HOME": str(tmp / "cache"), "XDG_DATA_HOME": str(tmp / "data"), "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra)
    return env


def _run(tree: Path, tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=tree, env=_env(tree, tmp, **env),
                          capture_output=True, text=True, timeout=300, check=False)


def _generate(tree: Path, tmp: Path) -> str:
    printed = _run(tree, tmp, "-m", "db.migration_gen", "--check")
    assert printed.returncode == 1, printed.stdout + printed.stderr  # a migration is due
    written = _run(tree, tmp, "-m", "db.migration_gen", "--write")
    assert written.returncode == 0, written.stderr
    again = _run(tree, tmp, "-m", "db.migration_gen", "--check")
    assert again.returncode == 0 and "no migration needed" in again.stdout, again.stdout + again.stderr
    return (tree / "db" / "schema.py").read_text(encoding="utf-8")


# --- a department ---------------------------------------------------------------

DEPARTMENT_SCRIPT = r'''
import asyncio, io, sqlite3, sys
from datetime import date
from pathlib import Path

from rich.console import Console
from textual.widgets import DataTable, Select, Static

from console.services import intake, prereview
from console.services.identity import resolve_actor
from console.services.store import open_store
from db import audit
from db import staff as staff_db
from db.connection import transaction
from screens.app import RetireApp
from screens.context import AppContext

hall, login, id_number = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
today = date.today()

db = open_store(hall)
with transaction(db):  # the admin grants the new department's role, as `retire staff grant` would
    staff_id = db.execute("SELECT id FROM staff WHERE login = ?", [login]).fetchone()[0]
    staff_db.add_roles(db, staff_id, ["civil_affairs"])
    audit.append(db, "admin", "staff.grant", entity="staff", entity_id=login, detail={"roles": ["civil_affairs"]})
actor = resolve_actor(db, login)
applicant = intake.Applicant(id_number=id_number, name="民政甲", phone="13904720077",
                             address="固阳县金山镇77号", bank_card="6222020603000000077")
day = date(2026, 3, 14)  # a day the applicant (born 1964-09) could retire on
case = intake.open_case(db, actor, applicant, "normal", ["civil_affairs"],
                        ["personal_archive", "id_card_hukou", "ssc_card"], today=day)
case_no = case["case_no"]
prereview.record(db, actor, case_no,
    archive_records=[{"doc_kind": "recruitment_form", "doc_date": "1982-09-01", "birth_date_recorded": "1964-09-09"}],
    periods=[{"from_month": "1982-09", "to_month": "2024-08", "kind": "actual", "place": "固阳县"}], today=day)
prereview.confirm(db, actor, case_no)
intake.accept_case(db, actor, case_no, today=day)
db.close()
check = sqlite3.connect(hall)
print("HELD", check.execute(
    "SELECT count(DISTINCT case_id) FROM tasks WHERE department = 'civil_affairs' AND status != 'done'").fetchone()[0])
print("ACTIVE", check.execute(
    "SELECT count(*) FROM tasks WHERE department = 'civil_affairs' AND status IN ('open', 'claimed', 'returned')").fetchone()[0])
check.close()


def text_of(widget):
    out = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    out.print(widget.content)
    return out.export_text()


async def settle(app, pilot):
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def main():
    app = RetireApp(AppContext(db_path=hall, login=login, lang="zh", today_override=today))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        queue = app.screen
        seen = []
        for _ in range(8):
            await pilot.press("d")
            await settle(app, pilot)
            seen.append(queue.query_state.department)
            if queue.query_state.department == "civil_affairs":
                break
        print("QUEUE_CYCLE", ",".join(str(s) for s in seen))
        print("QUEUE_TOTAL", queue.total)
        table = queue.query_one(DataTable)
        cells = [str(c) for row in range(table.row_count) for c in table.get_row_at(row)]
        print("QUEUE_CELLS", " | ".join(cells).replace("\n", " "))
        await pilot.press("f4")
        await settle(app, pilot)
        print("DASHBOARD", text_of(app.screen.query_one("#by-dept", Static)).replace("\n", " / "))
        await pilot.press("f3")
        await settle(app, pilot)
        pane = app.screen
        options = [str(v) for _, v in pane.query_one("#dept-select", Select)._options]
        print("PANE", ",".join(pane.departments), "|", ",".join(options))

asyncio.run(main())
'''


def id_number(birth: str, seq: int, sex: int) -> str:
    """A valid 18-character ID number of a man (odd ``sex``) or woman born on ``birth`` (yyyymmdd)."""
    body = f"150222{birth}{seq:02d}{sex}"
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
    return body + "10X98765432"[total % 11]


def _add_civil_affairs(tree: Path) -> None:
    vocab = tree / "console" / "vocabulary.py"
    _edit(vocab, '"housing_fund", "health", short=True)', '"housing_fund", "health", "civil_affairs", short=True)')
    _edit(vocab, '"supervisor", "admin", "auditor")', '"supervisor", "admin", "auditor", "civil_affairs")')
    _edit(vocab, '    "health": "health",\n}', '    "health": "health",\n    "civil_affairs": "civil_affairs",\n}')
    _edit(tree / "console" / "rules" / "task_plan.py",
          '    TaskSpec("health", "health.reward", APPROVAL, joint_item="health"),\n',
          '    TaskSpec("health", "health.reward", APPROVAL, joint_item="health"),\n'
          '    TaskSpec("civil_affairs", "civil_affairs.funeral_subsidy", APPROVAL, joint_item="civil_affairs"),\n')
    _edit(tree / "console" / "rules" / "time_limits.py",
          '    "due_soon_days": (3,',
          '    "civil_affairs.funeral_subsidy": (5, "Civil Affairs Bureau: retiree records"),\n    "due_soon_days": (3,')
    _add_terms(tree, "terms.department", "civil_affairs", "民政局", "Civil Affairs")
    _add_terms(tree, "terms.department_short", "civil_affairs", "民", "CA")
    _add_terms(tree, "terms.role", "civil_affairs", "民政局经办", "Civil Affairs officer")


def _task_words(tree: Path) -> None:
    """The words for the new task item, beside those of the other items (found by key)."""
    item = "civil_affairs.funeral_subsidy"
    for lang, long, short in (("zh", "退休人员民政登记", "民政登记"), ("en", "Civil affairs registration", "Civil affairs")):
        for path in sorted((tree / "console" / "locales" / lang).glob("*.toml")):
            text = path.read_text(encoding="utf-8")
            for match in re.finditer(r'^"(item_)?health\.reward" = "[^"]*"\n', text, flags=re.MULTILINE):
                prefix = match.group(1) or ""
                word = short if path.name.startswith("screen_") else long  # screen tables hold the short words
                text = text.replace(match.group(0), match.group(0) + f'"{prefix}{item}" = "{word}"\n', 1)
            path.write_text(text, encoding="utf-8")
    # The joint item the new department is: its name on the forms and its intake checkbox.
    _add_line(tree, "rules.toml", "joint_items", 'civil_affairs = "退休人员民政登记"', 'civil_affairs = "Civil affairs registration"')
    _add_line(tree, "screen_intake.toml", "tui.intake.joint", 'civil_affairs = "民政：退休人员民政登记"',
              'civil_affairs = "Civil affairs: registration"')


LISTS_SCRIPT = r'''
import json
from console import vocabulary
from console.rules import task_plan
print(json.dumps({"families": {f.name: list(f.codes) for f in vocabulary.FAMILIES},
                  "items": [s.item for s in task_plan.TASK_PLAN], "joint": list(vocabulary.JOINT_ITEMS)}))
'''


@pytest.fixture(scope="module")
def civil_affairs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("add_department")
    tree = _copy_tree(tmp / "tree")
    _add_civil_affairs(tree)
    _task_words(tree)
    schema = _generate(tree, tmp)
    assert "CHECK (department IN ('hrss', 'medical', 'housing_fund', 'health', 'civil_affairs'))" in schema
    hall, login = tmp / "hall.db", "clerk1"
    demo = _run(tree, tmp, "-m", "console", "demo", "--cases", "40", RETIRE_DB=str(hall), RETIRE_LOGIN=login, RETIRE_LANG="en")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    (tree / "check_department.py").write_text(DEPARTMENT_SCRIPT, encoding="utf-8")
    run = _run(tree, tmp, "check_department.py", str(hall), login, id_number("19640909", 77, 1), RETIRE_LANG="zh")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    seen = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in run.stdout.splitlines() if " " in line}
    return {**seen, "tree": str(tree), "tmp": str(tmp)}


def test_new_department_is_in_the_queue_filter(civil_affairs: dict[str, str]) -> None:
    cycle = civil_affairs["QUEUE_CYCLE"].split(",")
    assert cycle[-1] == "civil_affairs" and cycle[:4] == ["hrss", "medical", "housing_fund", "health"]
    assert int(civil_affairs["QUEUE_TOTAL"]) == int(civil_affairs["HELD"]) >= 1  # the cases holding a civil-affairs task


def test_new_department_has_a_progress_slot(civil_affairs: dict[str, str]) -> None:
    assert "民○" in civil_affairs["QUEUE_CELLS"]  # its short word, waiting for the approval


def test_new_department_is_on_the_dashboard(civil_affairs: dict[str, str]) -> None:
    row = next(part for part in civil_affairs["DASHBOARD"].split(" / ") if "民政局" in part)
    name, active, overdue = row.split()
    assert name == "民政局" and int(active) == int(civil_affairs["ACTIVE"]) and int(overdue) <= int(active)


def test_new_department_is_a_choice_of_the_department_pane(civil_affairs: dict[str, str]) -> None:
    mine, options = (part.strip().split(",") for part in civil_affairs["PANE"].split("|"))
    assert "civil_affairs" in mine and "civil_affairs" in options
    assert mine[-1] == "civil_affairs"  # in the vocabulary's order, after the others


# --- a case kind ------------------------------------------------------------------

KIND_SCRIPT = r'''
import sys
from datetime import date
from pathlib import Path

from console.services import intake
from console.services.identity import resolve_actor
from console.services.store import open_store
from db.schema import SCHEMA_VERSION, current_version

db = open_store(Path(sys.argv[1]))
login = db.execute(
    "SELECT s.login FROM staff s JOIN staff_roles r ON r.staff_id = s.id WHERE r.role = 'clerk' AND s.active = 1 LIMIT 1"
).fetchone()[0]
actor = resolve_actor(db, login)
applicant = intake.Applicant(id_number=sys.argv[2], name="军转乙", phone="13904720088",
                             address="固阳县金山镇88号", bank_card="6222020603000000088")
case = intake.open_case(db, actor, applicant, "military_transfer", [], ["personal_archive", "id_card_hukou", "ssc_card"],
                        today=date(2026, 3, 16))
print("VERSION", current_version(db), SCHEMA_VERSION)
print("CASE", case["case_no"], db.execute("SELECT kind FROM cases WHERE case_no = ?", [case["case_no"]]).fetchone()[0])
print("KEYS", db.execute("PRAGMA foreign_key_check").fetchall(), db.execute("PRAGMA integrity_check").fetchone()[0])
'''


def _add_kind(tree: Path) -> None:
    _edit(tree / "console" / "vocabulary.py", '"illness", "work_injury", short=True)',
          '"illness", "work_injury", "military_transfer", short=True)')
    _add_terms(tree, "terms.case_kind", "military_transfer", "军转干部退休", "Transferred military officer")
    _add_terms(tree, "terms.case_kind_short", "military_transfer", "军转", "Military")


def _counts(path: Path) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        conn.close()


def test_new_department_has_every_word_its_siblings_have(civil_affairs: dict[str, str]) -> None:
    """No raw key on any screen: wherever the other departments' items have words, the new one has too."""
    from tests.test_code_words import load_catalogue, missing_sibling_words

    tree = Path(civil_affairs["tree"])
    printed = _run(tree, Path(civil_affairs["tmp"]), "-c", LISTS_SCRIPT)
    assert printed.returncode == 0, printed.stderr
    data = json.loads(printed.stdout)
    assert "civil_affairs" in data["joint"]
    lists = {**{k: tuple(v) for k, v in data["families"].items()}, "task_item": tuple(data["items"]), "joint_item": tuple(data["joint"])}
    for lang in ("zh", "en"):
        assert missing_sibling_words(load_catalogue(tree / "console" / "locales", lang), lists) == [], lang


def test_new_case_kind_opens_on_a_v6_hall(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path / "tree")
    _add_kind(tree)
    schema = _generate(tree, tmp_path)
    assert "'work_injury', 'military_transfer')" in schema
    hall = tmp_path / "retire.db"
    shutil.copyfile(DATA / "schema_v6.db", hall)
    before = _counts(hall)
    init = _run(tree, tmp_path, "-m", "console", "init", RETIRE_DB=str(hall), RETIRE_LANG="en")
    assert init.returncode == 0, init.stdout + init.stderr
    after = _counts(hall)
    for table in ("cases", "tasks", "staff_roles", "persons", "notices", "facts", "materials"):
        assert after[table] == before[table], table
    (tree / "check_kind.py").write_text(KIND_SCRIPT, encoding="utf-8")
    run = _run(tree, tmp_path, "check_kind.py", str(hall), id_number("19650101", 88, 1), RETIRE_LANG="en")
    assert run.returncode == 0, run.stdout + run.stderr
    lines = dict(line.split(" ", 1) for line in run.stdout.splitlines())
    from db.schema import SCHEMA_VERSION

    generated = SCHEMA_VERSION + 1  # the migration the recipe appends after this tree's last one
    assert lines["VERSION"] == f"{generated} {generated}"
    assert lines["CASE"].endswith(" military_transfer")
    assert lines["KEYS"] == "[] ok"
    doctor = _run(tree, tmp_path, "-m", "console", "doctor", RETIRE_DB=str(hall), RETIRE_LANG="en")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr


def test_new_case_kind_without_its_migration_is_one_clear_line(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path / "tree")
    _add_kind(tree)  # ... and no db.migration_gen --write
    hall = tmp_path / "demo.db"
    env = {"RETIRE_DB": str(hall), "RETIRE_LANG": "en", "RETIRE_LOGIN": "clerk9"}
    demo = _run(tree, tmp_path, "-m", "console", "demo", "--cases", "0", **env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    run = _run(tree, tmp_path, "-m", "console", "case", "new", "--id", id_number("19650101", 88, 1), "--name", "军转乙",
               "--kind", "military_transfer", **env)
    assert run.returncode in (2, 3), run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert "military_transfer" in lines[0] and "migration" in lines[0]
