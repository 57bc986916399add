"""Contribution periods: the nightly import, keyed on (person, from, to, kind).

A million rows a night: the check and the conversion are built once per file
with everything bound to locals, and a canonical file goes to SQLite
unconverted (``raw_cells_sql``).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from console.services.importing.base import ReferringPlan, cached
from console.services.importing.codes import PERIOD_KIND
from console.services.importing.errors import Errors
from console.services.importing.limits import ImportLimits
from console.services.importing.values import Cached, FieldError, parse_amount, parse_bool, parse_month
from db import imports as imports_db

if TYPE_CHECKING:
    from db.engine import Database


class ContributionsPlan(ReferringPlan):
    """The hot path of a nightly import: kept to dictionary lookups per row."""

    kind = "contributions"
    table = "contribution_periods"
    dup_field = "from_month"

    def __init__(self, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> None:
        super().__init__(fields, errors, today, limits)
        self.month = Cached(parse_month, text_of=lambda m: m[1])
        self.kind_code = cached(PERIOD_KIND.parse)
        self.amount = cached(parse_amount)
        self.flag = cached(parse_bool)
        self.i_id = fields["id_number"]
        self.i_from = fields["from_month"]
        self.i_to = fields["to_month"]
        self.i_kind = fields["kind"]
        self.i_name = fields.get("name")
        # the per-instance closure replaces the method on purpose (its locals are the hot loop's speed);
        # mypy cannot express a method an instance overrides with a same-signature callable
        self.check = self._make_check()  # type: ignore[method-assign, assignment]

    def _make_check(self) -> Callable[[int, list[Any]], None]:
        """The per-row check with everything it needs bound to locals (it runs a million times).

        Cells are always hashable (readers see to it), so every lookup is one
        ``dict.get``; an optional cell costs one set membership test once its
        value has been seen valid.  The row's key (person, from, to, kind packed
        into one integer, in that order of significance, so that a file sorted
        by person and period has ever-growing keys) goes to the scratch tables:
        a key above every earlier one cannot be a duplicate and is only
        appended to an array (``RowKeys`` ordered keys), any other one is
        written with its line for the ``GROUP BY``.
        """
        index_get = self.refs.index.get
        person_ref = self._person_ref
        add = self.errors.add
        mcache_get, mget = self.month.cache.get, self.month.get
        kcache_get, kget = self.kind_code.cache.get, self.kind_code.get
        i_id, i_from, i_to, i_kind, i_name = self.i_id, self.i_from, self.i_to, self.i_kind, self.i_name
        has_name = i_name is not None
        i_named = 0 if i_name is None else i_name  # read only when has_name
        optional = [(i, self._optional_check(name, parser)) for name, i, parser in self._optional_parsers()]
        keys = self.keys
        run_keys = keys.run_keys  # flush_run() empties these very arrays
        run_keys_append, run_lines_append = run_keys.append, keys.run_lines.append
        flush_run, run_size, unordered = keys.flush_run, keys.run_size, keys.unordered
        top = -1  # the greatest key so far
        slow = self._check_slow
        fe = FieldError

        def check(line: int, cells: list[Any]) -> None:
            nonlocal top
            raw = cells[i_id]
            idx = index_get(raw)
            if idx is None or (has_name and cells[i_named]):
                idx = person_ref(line, cells)
            elif isinstance(idx, fe):
                add(line, "id_number", raw, idx)
                idx = None
            raw_f = cells[i_from]
            f = mcache_get(raw_f) or mget(raw_f)
            raw_t = cells[i_to]
            t = mcache_get(raw_t) or mget(raw_t)
            raw_k = cells[i_kind]
            k = kcache_get(raw_k) or kget(raw_k)
            for i, (good, slow_optional) in optional:
                raw = cells[i]
                if raw and raw not in good:
                    slow_optional(line, raw)
            if idx is None or isinstance(f, fe) or isinstance(t, fe) or isinstance(k, fe):
                slow(line, cells, f, t, k)
                return
            start, end = f[0], t[0]
            if start > end:
                slow(line, cells, f, t, k)
                return
            key = (idx << 37) | (start << 19) | (end << 1) | (k == "deemed")
            if key > top:
                top = key
                run_keys_append(key)
                run_lines_append(line)
                if len(run_keys) >= run_size:
                    flush_run()
            else:
                unordered(key, line)

        return check

    def _optional_parsers(self) -> list[tuple[str, int, Cached[Any]]]:
        out = []
        for name, parser in (("place", self.text), ("base", self.amount), ("evidence", self.text), ("arrears", self.flag)):
            i = self.fields.get(name)
            if i is not None:
                out.append((name, i, parser))
        return out

    def _optional_check(self, name: str, parser: Cached[Any]) -> tuple[set[Any], Callable[[int, Any], None]]:
        """(values known good, the check for any other value): good values are remembered up to a limit."""
        good: set[Any] = set()

        def check(line: int, raw: Any) -> None:
            value = parser.get(raw)
            if value.__class__ is FieldError:
                if value.code != "importer.value.required":
                    self.errors.add(line, name, raw, value)
            elif len(good) < 200_000:
                good.add(raw)

        return good, check

    def _check_slow(self, line: int, cells: list[Any], f: Any, t: Any, k: Any) -> None:
        """A row with a bad cell: record each (the person reference is already recorded)."""
        if type(f) is FieldError:
            self.errors.add(line, "from_month", cells[self.i_from], f)
        if type(t) is FieldError:
            self.errors.add(line, "to_month", cells[self.i_to], t)
        elif type(f) is not FieldError and f[0] > t[0]:
            self.errors.add_code(line, "to_month", cells[self.i_to], "importer.row.reversed", start=f[1])
        if type(k) is FieldError:
            self.errors.add(line, "kind", cells[self.i_kind], k)

    def raw_cells_sql(self, width: int) -> str | None:
        """The upsert that binds this file's cells as they are, when pass 1 proved them canonical.

        A nightly export from the social-insurance system already has bare ID
        numbers, ISO months and the English kinds: converting each cell in
        Python would only copy it.  Then the second pass hands the rows to
        SQLite untouched (the person found by a sub-select on the unique
        ID-number index), which makes the write pass cost what a plain load
        costs.  Any other file goes through ``convert``.
        """
        parsers: list[Any] = [self.refs, self.month, self.kind_code, self.text, self.amount]
        if not all(p.canonical for p in parsers) or "arrears" in self.fields:
            return None  # a file marking owed periods goes through convert (the flag has many spellings)
        return imports_db.period_upsert_by_number_sql(
            {name: self.fields.get(name) for name in ("id_number", "from_month", "to_month", "kind", "place", "base", "evidence")},
            width,
        )

    def fixup(self, line: int, cells: list[Any]) -> None:
        self._ref_fixup(line, cells)
        self._dup_fixup(line, cells)

    def _make_convert(self) -> Callable[[list[Any]], tuple[Any, ...]]:
        """Second pass: cells -> (person_id, from, to, kind, place, base, evidence, arrears), all from the caches."""
        index_get, lookup = self.refs.index.get, self.refs.lookup
        pids = self.refs.person_ids
        mcache_get, mget = self.month.cache.get, self.month.get
        kcache_get, kget = self.kind_code.cache.get, self.kind_code.get
        i_id, i_from, i_to, i_kind = self.i_id, self.i_from, self.i_to, self.i_kind
        slots = {name: (i, parser) for name, i, parser in self._optional_parsers()}
        fe = FieldError

        def optional(name: str) -> Callable[[list[Any]], Any]:
            if name not in slots:
                return lambda cells: None
            i, parser = slots[name]
            cache_get, get = parser.cache.get, parser.get

            def value(cells: list[Any]) -> Any:
                raw = cells[i]
                if not raw:
                    return None
                parsed = cache_get(raw) or get(raw)
                return None if parsed.__class__ is fe else parsed

            return value

        place, base, evidence, arrears = optional("place"), optional("base"), optional("evidence"), optional("arrears")

        def convert(cells: list[Any]) -> tuple[Any, ...]:
            raw = cells[i_id]
            idx = index_get(raw)
            if idx is None:
                idx = lookup(raw)
            raw_f = cells[i_from]
            # check() let only rows with a person and good months through: no FieldError here
            f = cast("tuple[int, str]", mcache_get(raw_f) or mget(raw_f))
            raw_t = cells[i_to]
            t = cast("tuple[int, str]", mcache_get(raw_t) or mget(raw_t))
            raw_k = cells[i_kind]
            return (pids[cast(int, idx)], f[1], t[1], kcache_get(raw_k) or kget(raw_k), place(cells), base(cells), evidence(cells),
                    arrears(cells))

        return convert

    def prepare(self, db: Database, actor: str, *, convert: bool = True) -> None:
        super().prepare(db, actor, convert=convert)
        if convert:
            # as for check above: the bound closure replaces the method for this instance
            self.convert = self._make_convert()  # type: ignore[method-assign, assignment]

    def write(self, db: Database, batch: list[tuple[Any, ...]]) -> None:
        self._count("contribution_periods", updated=imports_db.upsert_periods(db, batch))
