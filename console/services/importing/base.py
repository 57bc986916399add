"""The base class of every import kind: how a kind's rows are checked and turned into tuples.

A *plan* is the importer's knowledge of one kind (persons, employers,
archive, contributions, cases).  It is driven in passes over the file:

1. ``check(line, cells)`` for every row: per-cell parsing, per-row rules,
   and the keys needed across rows.  Each row's natural key goes, with its
   line, to a scratch table on disk (``db.imports.RowKeys``: a TEMP table of
   the import's own connection, written in batches); the persons (and, in a
   persons file, the employers) referred to are kept in memory, a small
   entry per distinct person (``PersonRefs``): a county has some 200,000
   people, so that is bounded by people, not by rows.  Nothing kept in
   memory grows with the number of rows, only with the number of people
   and of bad rows (``MAX_ERRORS`` at most).
2. ``finish(db)`` once: one ``GROUP BY`` on the scratch table finds every
   duplicated key, its first line and the later ones; references and ID
   numbers are settled against the database in chunked lookups (an ID number
   already registered was checked when it was stored, so only new numbers go
   through ``parse_id``).  Returns whether a *fix-up* pass is needed.
3. ``fixup(line, cells)`` (only when something in 2 failed, or a duplicate
   was found): reports every row that refers to a bad reference and every
   later row of a duplicated key (naming the first line), so the report
   names them all.
4. ``prepare(db, actor)`` inside the import transaction: parents the file
   defines (an employer named in a persons file, a person named in a
   contributions file) are written first, and keys become row ids.
5. ``convert(cells)`` for every good row -> a tuple for ``executemany``;
   ``write(db, batch)`` sends a batch.

One module per kind (``kinds/<kind>.py``) subclasses :class:`Plan` (or
:class:`ReferringPlan`, for rows that refer to a person); the passes are run
by ``console.services.importing.run``.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from datetime import date
from typing import TYPE_CHECKING, Any

from console.services.importing.errors import Errors, TooManyErrors
from console.services.importing.limits import ImportLimits
from console.services.importing.references import PersonRefs, initials_cache
from console.services.importing.values import Cached, FieldError, clean, parse_person_name, text_parser
from db import imports as imports_db
from db.clock import now_iso

if TYPE_CHECKING:
    from db.engine import Database

FREE_TEXT_CACHE = 5_000
"""Names, phones, addresses are mostly unique: remembering them would cost memory for nothing."""

BAD: Any = object()
"""What ``Plan._opt`` / ``_req`` return for a cell they refused (the error is already recorded)."""


def usable(value: Any) -> bool:
    return value is not None and value is not BAD


def cached(parse: Callable[[Any], Any], limit: int = 200_000) -> Cached[Any]:
    """A parser that remembers its answers (bounded): most cells of a column repeat."""
    return Cached(parse, limit)


class Plan:
    """The common frame of a kind; see the module docstring for the passes."""

    kind = ""
    table = ""
    uses_persons = False
    dup_field = ""
    """The column a duplicate row is reported on (its cell is the error's value)."""
    key_columns: tuple[str, ...] = ()
    """Integer columns the scratch key table carries besides (key, line)."""

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        self.fields = fields
        self.errors = errors
        self.today = today
        self.limits = limits or ImportLimits()
        self.name_text = cached(text_parser("name", self.limits.text_chars), FREE_TEXT_CACHE)
        limit = self.limits.text_chars
        self.person_name = cached(lambda raw: parse_person_name(raw, limit), FREE_TEXT_CACHE)
        """A name a person is registered with: also refused when Han and Latin letters mix (door.name_mix_refused)."""
        self.text = cached(text_parser("text", self.limits.text_chars), FREE_TEXT_CACHE)
        """Free text (addresses, places, notes): every kind has some."""
        self.refs = PersonRefs(today)
        self.keys = imports_db.RowKeys(self.key_columns)
        self.dup_later: dict[int, int] = {}
        """Later line -> first line of a duplicated key; each entry is a bad row (bounded by MAX_ERRORS)."""
        self.counts: dict[str, dict[str, int]] = {}
        self.actor = ""
        self.now = ""

    def open(self, db: Database) -> None:
        """Before pass 1: the scratch table for the rows' keys (``close`` drops it)."""
        self.keys.open(db)

    def close(self) -> None:
        self.keys.close()

    def col(self, name: str) -> int | None:
        return self.fields.get(name)

    # pass 1 -------------------------------------------------------------
    def check(self, line: int, cells: list[Any]) -> None:
        raise NotImplementedError

    def finish(self, db: Database) -> bool:
        return self._find_duplicates()

    def fixup(self, line: int, cells: list[Any]) -> None:
        pass

    def _find_duplicates(self) -> bool:
        """After pass 1: every later row of a duplicated key, with the key's first line (one GROUP BY)."""
        later = self.dup_later
        limit = self.errors.limit
        with closing(self.keys.duplicates()) as rows:
            for _key, first, line in rows:
                later[line] = first
                if len(later) > limit:  # each is a bad line: the file is the wrong file
                    raise TooManyErrors()
        return bool(later)

    def _dup_fixup(self, line: int, cells: list[Any]) -> None:
        """Fix-up: a later row of a duplicated key names the line it repeats."""
        first = self.dup_later.get(line)
        if first is not None:
            field = self.dup_field
            self.errors.add_code(line, field, cells[self.fields[field]], "importer.row.duplicate", first=first)

    # pass 2 -------------------------------------------------------------
    def prepare(self, db: Database, actor: str, *, convert: bool = True) -> None:
        """Write what must exist first; ``convert`` False: rows go in raw (``raw_cells_sql``), no id maps needed."""
        self.actor = actor
        self.now = now_iso()

    def convert(self, cells: list[Any]) -> tuple[Any, ...]:
        raise NotImplementedError

    def write(self, db: Database, batch: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def raw_cells_sql(self, width: int) -> str | None:
        """An upsert taking the file's cells unconverted, when that is safe (see ContributionsPlan)."""
        return None

    def write_raw(self, db: Database, sql: str, batch: list[list[str]]) -> None:
        self._count(self.table, updated=imports_db.write_batch(db, sql, batch))

    # helpers --------------------------------------------------------------
    def _person_ref(self, line: int, cells: list[Any]) -> int | None:
        """Check the ID number cell and the optional name that defines the person."""
        i = self.fields["id_number"]
        raw = cells[i]
        idx = self.refs.register(raw, line)
        if isinstance(idx, FieldError):
            self.errors.add(line, "id_number", raw, idx)
            return None
        ni = self.fields.get("name")
        if ni is not None:
            name_raw = cells[ni]
            if name_raw is not None and name_raw != "":
                name = self.name_text.get(name_raw)
                if isinstance(name, FieldError):
                    if name.code != "importer.value.required":
                        self.errors.add(line, "name", name_raw, name)
                else:
                    problem = self.refs.define(idx, name, line)
                    if problem is not None:
                        self.errors.add(line, "name", name_raw, problem)
        return idx

    def _ref_fixup(self, line: int, cells: list[Any]) -> int | None:
        """Fix-up: report this row if its person turned out invalid, unknown, or named differently."""
        raw = cells[self.fields["id_number"]]
        idx = self.refs.lookup(raw)
        if isinstance(idx, FieldError):
            return None
        bad = self.refs.bad.get(idx)
        if bad is not None:
            self.errors.add(line, "id_number", raw, bad)
        elif idx in self.refs.name_mismatch:
            ni = self.fields.get("name")
            given = clean(cells[ni]) if ni is not None else None
            registered = self.refs.db_names[idx]
            if given is not None and given != registered:
                self.errors.add_code(line, "name", given, "importer.row.name_differs", registered=registered)
        return idx

    def _parsed(self, cells: list[Any], name: str, parser: Cached[Any]) -> Any:
        """A cell as its parser gives it (a FieldError included); None when the file has no such column or it is empty."""
        i = self.fields.get(name)
        if i is None:
            return None
        raw = cells[i]
        if raw is None or raw == "":
            return None
        return parser.get(raw)

    def _opt(self, line: int, cells: list[Any], name: str, parser: Cached[Any]) -> Any:
        """An optional cell: None when empty or absent, the parsed value, or BAD after recording an error."""
        value = self._parsed(cells, name, parser)
        if type(value) is FieldError:
            if value.code == "importer.value.required":
                return None  # whitespace only: empty
            self.errors.add(line, name, cells[self.fields[name]], value)
            return BAD
        return value

    def _req(self, line: int, cells: list[Any], name: str, parser: Cached[Any]) -> Any:
        """A required cell: the parsed value, or BAD after recording an error."""
        raw = cells[self.fields[name]]
        value = parser.get(raw)
        if type(value) is FieldError:
            self.errors.add(line, name, raw, value)
            return BAD
        return value

    def _val(self, cells: list[Any], name: str, parser: Cached[Any]) -> Any:
        """Second pass: the parsed value (the row was valid), None when empty."""
        value = self._parsed(cells, name, parser)
        return None if type(value) is FieldError else value

    def _count(self, table: str, inserted: int = 0, updated: int = 0) -> None:
        c = self.counts.setdefault(table, {"inserted": 0, "updated": 0})
        c["inserted"] += inserted
        c["updated"] += updated


class ReferringPlan(Plan):
    """A kind whose rows refer to a person (archive, contributions, cases)."""

    uses_persons = True

    def finish(self, db: Database) -> bool:
        self.refs.finish(db, defined_by_rows=False)
        duplicates = self._find_duplicates()
        return bool(self.refs.bad or self.refs.name_mismatch or duplicates)

    def prepare(self, db: Database, actor: str, *, convert: bool = True) -> None:
        super().prepare(db, actor)
        if self.refs.names:
            created = self.refs.write_new(db, actor, initials_cache())
            if created:
                self._count("persons", inserted=created)
        if convert:
            self.refs.map_ids(db)
