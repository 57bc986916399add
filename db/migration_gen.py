"""Write the migration that a changed code list needs: ``python -m db.migration_gen [--write]``.

The CHECK constraints of released migrations are frozen text, so a code added to
``console.vocabulary`` (a case kind, a department, a role) reaches the database
only through a new migration.  SQLite cannot ALTER a CHECK, so the migration
rebuilds each affected table the way SQLite's ALTER TABLE page (the "12 steps")
and sqlite-utils' ``table.transform()`` do: create the new table, copy the rows,
drop the old one, rename the new one, recreate its indexes and the triggers that
the drop took with it or that name it.  ``db.schema.migrate`` runs such a
migration (``rebuilds=True``) with foreign keys off and refuses to commit it
unless ``PRAGMA foreign_key_check`` is clean.

This module compares the vocabulary with the CHECK lists of a freshly migrated
in-memory database and prints the migration as literal SQL; ``--write`` appends
it to db/schema.py as the next ``Vn`` string and ``Migration`` entry, where it
is frozen from then on like the others.  Nothing is interpolated at run time.
``--check`` exits 1 when a migration is due (for CI).  It is a developer's tool:
its output is for the person changing the code, in English.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from console import vocabulary
from console.vocabulary import Family
from db.hall_database import HallDatabase
from db.schema import MIGRATIONS, migrate

if TYPE_CHECKING:
    from db.engine import Database

CHECKED_COLUMNS: dict[tuple[str, str], Family] = {
    ("cases", "kind"): vocabulary.CASE_KIND,
    ("cases", "status"): vocabulary.CASE_STATUS,
    ("cases", "delay_cause"): vocabulary.DELAY_CAUSE,
    ("tasks", "department"): vocabulary.DEPARTMENT,
    ("tasks", "status"): vocabulary.TASK_STATUS,
    ("staff_roles", "role"): vocabulary.ROLE,
    ("persons", "sex"): vocabulary.SEX,
    ("persons", "staff_category"): vocabulary.STAFF_CATEGORY,
    ("persons", "female_group"): vocabulary.FEMALE_GROUP,
    ("contribution_periods", "kind"): vocabulary.PERIOD_KIND,
    ("holiday_overrides", "kind"): vocabulary.DAY_KIND,
    ("promises", "status"): vocabulary.PROMISE_STATUS,
    ("promises", "on_expiry"): vocabulary.PROMISE_ACTION,
    ("ratings", "channel"): vocabulary.RATING_CHANNEL,
    ("rating_followups", "status"): vocabulary.FOLLOWUP_STATUS,
}
"""Every column whose CHECK is a family's code list, and that family."""

SCHEMA_FILE = Path(__file__).with_name("schema.py")
_CHECK = re.compile(r"CHECK \((\w+) IN \(((?:'(?:[^']|'')*'(?:,\s*)?)+)\)\)")
_CODE = re.compile(r"'((?:[^']|'')*)'")
_HEAD = re.compile(r'^CREATE TABLE\s+("?)(\w+)\1\s*\(')


@dataclass(frozen=True)
class Change:
    table: str
    column: str
    have: tuple[str, ...]
    want: tuple[str, ...]


def fresh_database() -> HallDatabase:
    """An in-memory database built by every migration there is."""
    db = HallDatabase(memory=True)
    migrate(db)
    return db


def table_sql(db: Database, table: str) -> str:
    row = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
    if row is None:
        raise KeyError(table)
    return str(row[0])


def check_lists(sql: str) -> dict[str, tuple[str, ...]]:
    """``column -> codes`` of every ``CHECK (column IN ('a', 'b'))`` in a CREATE TABLE statement."""
    return {m.group(1): tuple(c.replace("''", "'") for c in _CODE.findall(m.group(2))) for m in _CHECK.finditer(sql)}


def changes(db: Database) -> list[Change]:
    """The checked columns whose CHECK accepts other codes than the vocabulary has, in table order.

    The codes are compared as sets: reordering a family (its display order) needs no
    migration.  A code dropped from the vocabulary that rows still hold makes the
    generated migration fail at its copy step, whole, with nothing changed.
    """
    out: list[Change] = []
    for (table, column), family in CHECKED_COLUMNS.items():
        have = check_lists(table_sql(db, table)).get(column)
        if have is None:
            raise ValueError(f"{table}.{column} has no CHECK (... IN (...)) list to compare")
        if set(have) != set(family.codes):
            out.append(Change(table, column, have, family.codes))
    return out


def _with_codes(sql: str, column: str, codes: tuple[str, ...]) -> str:
    def swap(m: re.Match[str]) -> str:
        if m.group(1) != column:
            return m.group(0)
        return f"CHECK ({column} IN ({vocabulary.sql_list(codes)}))"

    return _CHECK.sub(swap, sql)


def rebuild_sql(db: Database, found: list[Change], version: int) -> str:
    """The literal SQL of the migration that gives each changed column its new CHECK list."""
    tables = list(dict.fromkeys(c.table for c in found))
    words = re.compile(r"\b(" + "|".join(map(re.escape, tables)) + r")\b")
    triggers = [
        (str(name), str(sql)) for name, tbl, sql in db.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").fetchall()
        if tbl in tables or words.search(str(sql).split("BEGIN", 1)[-1])
    ]
    lines = [f"-- generated by python -m db.migration_gen; rebuilds {', '.join(tables)}"]
    for c in found:
        lines.append(f"-- {c.table}.{c.column}: {', '.join(c.have)} -> {', '.join(c.want)}")
    for name, _ in triggers:
        lines.append(f"DROP TRIGGER {name};")
    for table in tables:
        new = f"{table}_v{version}"
        sql = table_sql(db, table)
        for c in found:
            if c.table == table:
                sql = _with_codes(sql, c.column, c.want)
        sql = _HEAD.sub(f"CREATE TABLE {new} (", sql, count=1)
        columns = ", ".join(str(r[1]) for r in db.execute(f"PRAGMA table_info({table})").fetchall())
        indexes = [str(r[0]) for r in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
            [table]).fetchall()]
        lines += [
            "",
            sql + ";",
            f"INSERT INTO {new} ({columns})\n SELECT {columns} FROM {table};",
            f"DROP TABLE {table};",
            f"ALTER TABLE {new} RENAME TO {table};",
            *(s + ";" for s in indexes),
        ]
    if triggers:
        lines.append("")
    for _, sql in triggers:
        lines.append(sql + ";")
    return "\n".join(lines) + "\n"


def describe(found: list[Change]) -> str:
    return "code lists: " + ", ".join(f"{c.table}.{c.column}" for c in found)


def python_text(version: int, sql: str, found: list[Change]) -> tuple[str, str]:
    """(the ``Vn = '''...'''`` block, the ``Migration(...)`` line) to add to db/schema.py."""
    if '"""' in sql or "\\" in sql:
        raise ValueError("the generated SQL holds a triple quote or a backslash; write this migration by hand")
    block = (
        f'V{version} = """\n{sql}"""\n'
        f'"""v{version}: the CHECK lists of {", ".join(f"{c.table}.{c.column}" for c in found)} follow\n'
        f'console.vocabulary (generated by db.migration_gen; frozen once released)."""\n\n'
    )
    entry = f'    Migration({version}, "{describe(found)}", V{version}, rebuilds=True),\n'
    return block, entry


def write(path: Path, version: int, sql: str, found: list[Change]) -> None:
    """Append the migration to db/schema.py: its text before MIGRATIONS, its entry at the tuple's end."""
    text = path.read_text(encoding="utf-8")
    block, entry = python_text(version, sql, found)
    head = "MIGRATIONS: tuple[Migration, ...] = ("
    tail = ")\nSCHEMA_VERSION = MIGRATIONS[-1].version"
    if text.count(head) != 1 or text.count(tail) != 1:
        raise ValueError(f"{path}: cannot find the MIGRATIONS tuple to extend")
    text = text.replace(head, block + head).replace(tail, entry + tail)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db.migration_gen", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write", action="store_true", help="append the migration to db/schema.py")
    parser.add_argument("--check", action="store_true", help="exit 1 when the vocabulary needs a migration")
    args = parser.parse_args(argv)
    db = fresh_database()
    found = changes(db)
    version = MIGRATIONS[-1].version + 1
    if not found:
        print(f"The vocabulary and the schema (v{version - 1}) agree: no migration needed.")
        return 0
    sql = rebuild_sql(db, found, version)
    if args.write:
        write(SCHEMA_FILE, version, sql, found)
        print(f"Appended migration {version} ({describe(found)}) to {SCHEMA_FILE}.")
        return 0
    print(f"-- migration {version}: {describe(found)}")
    print(sql, end="")
    return 1 if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
