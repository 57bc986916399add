"""The reference cache: the persons a file names, settled against the database once.

A county has some 200,000 people; a file of a million rows about them costs
a small entry per distinct person (an index, a first line, a flag), never a
database row per person or anything per row.  References may point at rows
that exist in the database OR that the same file defines (a row carrying the
person's name, 姓名, defines a person not registered yet).
"""
from __future__ import annotations

from array import array
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from console.services.importing.identifiers import compact_id, id_format_error, id_problem, well_formed
from console.services.importing.values import FieldError, error
from db import imports as imports_db
from db.clock import now_iso

if TYPE_CHECKING:
    from db.engine import Database


class PersonRefs:
    """The persons a file names, by ID number: a small index per distinct person.

    ``index`` maps the raw cell to the person's index (or to the FieldError of
    a malformed number), so a million rows about 200,000 people cost 200,000
    parses, and the second pass is a dictionary lookup.
    """

    def __init__(self, today: date) -> None:
        self.today = today
        self.index: dict[Any, int | FieldError] = {}
        self.by_number: dict[str, int] = {}
        self.numbers: list[str] = []
        self.first_line = array("q")
        self.names: dict[int, tuple[str, int]] = {}
        self.registered = bytearray()
        self.db_names: dict[int, str] = {}
        self.bad: dict[int, FieldError] = {}
        self.name_mismatch: set[int] = set()
        self.person_ids: array[int] = array("q")
        self.canonical = True  # every ID cell was already the bare 18-character number

    def register(self, raw: Any, line: int) -> int | FieldError:
        """The index for this cell, registering a new number (checked later, in ``finish``)."""
        try:
            found = self.index.get(raw)
        except TypeError:
            found = None
            raw = str(raw)
        if found is not None:
            return found
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return error("importer.value.required")
        number = compact_id(raw)
        result: int | FieldError
        if isinstance(number, FieldError):
            self.canonical = False
            result = number
        else:
            if number == raw:
                number = raw  # one string object for the cell, the index and the list
            else:
                self.canonical = False
            if not well_formed(number):
                result = id_format_error(number, self.today)
            else:
                idx = self.by_number.get(number)
                if idx is None:
                    idx = len(self.numbers)
                    self.by_number[number] = idx
                    self.numbers.append(number)
                    self.first_line.append(line)
                result = idx
        if len(self.index) < 2_000_000:
            self.index[raw] = result
        return result

    def lookup(self, raw: Any) -> int | FieldError:
        """Second pass: the index of a cell seen in the first pass."""
        try:
            found = self.index.get(raw)
        except TypeError:
            found = None
        if found is not None:
            return found
        number = compact_id(raw)
        if isinstance(number, FieldError):
            return number
        idx = self.by_number.get(number)
        return idx if idx is not None else error("rules.id.format")

    def accepted(self, raw: Any) -> int:
        """Convert pass: the index of a cell the check pass accepted.

        ``convert`` only sees rows without errors, so a FieldError here means
        the passes disagree: a bug to stop on, never a row to write.
        """
        idx = self.lookup(raw)
        if isinstance(idx, FieldError):
            raise AssertionError(f"convert reached a refused ID cell ({idx.code})")
        return idx

    def define(self, idx: int, name: str, line: int) -> FieldError | None:
        """A row gives the person's name: the first one stands; a different later one is an error."""
        seen = self.names.get(idx)
        if seen is None:
            self.names[idx] = (name, line)
            return None
        if seen[0] != name:
            return error("importer.row.name_conflict", other=seen[0], first=seen[1])
        return None

    def finish(self, db: Database, *, defined_by_rows: bool) -> None:
        """Settle every number: registered (fine), new and valid (needs a defining row), or invalid.

        Only a flag per person is kept (and the registered name where the
        file gave one to compare): a million-row file about 200,000 people
        must not hold 200,000 database rows.
        """
        registered = bytearray(len(self.numbers))
        by_number, names = self.by_number, self.names
        for number, _pid, name in imports_db.iter_persons_by_number(db, self.numbers):
            idx = by_number[number]
            registered[idx] = 1
            given = names.get(idx)
            if given is not None:
                self.db_names[idx] = name
                if given[0] != name and not defined_by_rows:
                    self.name_mismatch.add(idx)
        self.registered = registered
        for idx, number in enumerate(self.numbers):
            if registered[idx]:
                continue
            problem = id_problem(number, self.today)
            if problem is not None:
                self.bad[idx] = error(problem)
            elif not defined_by_rows and idx not in names:
                self.bad[idx] = error("importer.row.unknown_person")

    def sex(self, idx: int) -> str:
        return "M" if int(self.numbers[idx][16]) % 2 == 1 else "F"

    def birth_date(self, idx: int) -> str:
        n = self.numbers[idx]
        return f"{n[6:10]}-{n[10:12]}-{n[12:14]}"

    def write_new(self, db: Database, actor: str, initials: Callable[[str], str]) -> int:
        """Insert the persons only this file knows (from rows carrying a name); then map index -> id."""
        now = now_iso()
        batch: list[tuple[Any, ...]] = []
        created = 0
        for idx, (name, _line) in self.names.items():
            if self.registered[idx] or idx in self.bad:
                continue
            batch.append((self.numbers[idx], name, initials(name), self.sex(idx), self.birth_date(idx), now, actor))
            if len(batch) >= 5000:
                created += imports_db.insert_new_persons(db, batch)
                batch = []
        if batch:
            created += imports_db.insert_new_persons(db, batch)
        return created

    def map_ids(self, db: Database) -> None:
        """index -> person id, for ``convert`` (an array: 8 bytes a person)."""
        ids = array("q", bytes(8 * len(self.numbers)))
        by_number = self.by_number
        for number, pid, _name in imports_db.iter_persons_by_number(db, self.numbers):
            ids[by_number[number]] = pid
        self.person_ids = ids


def initials_cache() -> Callable[[str], str]:
    """The pinyin initials of a name (for search), remembered: a file names the same people often.

    The importer's only use of the pinyin helper: switching its home is this one import line.
    """
    from console.names import initials

    return lru_cache(maxsize=500_000)(initials)
