"""Rows already stored that break the text policy, for ``retire doctor``.

The policy (console.text_policy) guards every door now, but rows stored
before it existed, or put in by SQL, may still carry control characters
(they break exports and notices and act on terminals) or digits of another
script in ID numbers, dates, months and phones (they break every date parse
and let a person be registered twice).  Nothing is rewritten here: the
doctor reports them (a count and the first few ids per table) as a warning,
and the county-wide jobs skip and report such a row instead of dying
(console/services/upcoming.recompute).  A clerk corrects them through the
normal use-cases, which normalise at the door.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from console.text_chars import BIDI as _BIDI  # the policy's own sets, so both say the same
from console.text_chars import ZERO_WIDTH as _ZERO_WIDTH
from db import data_checks as checks_db

if TYPE_CHECKING:
    from db.engine import Database

FIRST_IDS = 5

_TEXT_GLOB = "*[\u0001-\u001f\u007f-\u009f" + _BIDI + _ZERO_WIDTH + "]*"
"""Any C0/C1 control, bidi control or zero-width character (the same set check_text refuses)."""
_DIGIT_GLOBS = {
    "id_number": "*[^0-9X]*",
    "date": "*[^0-9-]*",
    "month": "*[^0-9-]*",
    "phone": "*[^0-9+() -]*",
    "bank_card": "*[^0-9]*",
}
"""What a stored number may contain once normalised at the door; anything else (Arabic-Indic digits...) is reported."""


@dataclass
class TableBreaks:
    table: str
    count: int
    first: list[tuple[int, list[str]]] = field(default_factory=list)


@dataclass
class PolicyReport:
    tables: list[TableBreaks] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(t.count for t in self.tables)

    def summary(self) -> str:
        """'persons: 2 (#12 birth_date_id, #40 name); tasks: 1 (#7 result)'."""
        parts = []
        for t in self.tables:
            ids = ", ".join(f"#{i} {'/'.join(cols)}" for i, cols in t.first)
            more = f", +{t.count - len(t.first)}" if t.count > len(t.first) else ""
            parts.append(f"{t.table}: {t.count} ({ids}{more})")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {"count": self.count, "tables": [{"table": t.table, "count": t.count, "first": [{"id": i, "columns": c} for i, c in t.first]}
                                                for t in self.tables]}


def stored_policy_breaks(db: Database, first: int = FIRST_IDS) -> PolicyReport:
    """Every table's rows whose text or numbers break the policy, counted, with the first few ids."""
    report = PolicyReport()
    tables = sorted(set(checks_db.TEXT_COLUMNS) | set(checks_db.DIGIT_COLUMNS))
    for table in tables:
        patterns = {c: _TEXT_GLOB for c in checks_db.TEXT_COLUMNS.get(table, ())}
        # a number's pattern (a class of allowed ASCII) also excludes every control character: it replaces the text one
        patterns.update({c: _DIGIT_GLOBS[kind] for c, kind in checks_db.DIGIT_COLUMNS.get(table, {}).items()})
        count, rows = checks_db.policy_breaks(db, table, patterns, first)
        if count:
            report.tables.append(TableBreaks(table, count, rows))
        bad_count, bad_rows = checks_db.invalid_utf8(db, table, list(patterns), first)
        if bad_count:  # not text at all: every read of the row fails until it is corrected
            report.tables.append(TableBreaks(f"{table} (UTF-8)", bad_count, bad_rows))
    return report
