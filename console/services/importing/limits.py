"""How big and how deep an import file may be: the ``[import]`` table of the parameters file.

Hostile files are expected (a file is input, whoever made it); these limits
are what the readers hold every file to, each a bad row or a refused file,
never memory or recursion without end.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from console.errors import BadInput


@dataclass(frozen=True)
class ImportLimits:
    """How big and how deep an import file may be (``[import]`` in console/parameters.toml)."""

    field_chars: int = 131_072
    """A CSV field longer than this is a bad row (Python's own csv limit, now reported, not raised)."""
    text_chars: int = 500
    """Free text (names, addresses, notes): at most this many characters (the window's limit too)."""
    line_chars: int = 1_048_576
    """A CSV or JSON Lines line longer than this is a bad row, skipped without being held in memory."""
    json_depth: int = 32
    """Brackets nested deeper than this: a bad row, refused before parsing."""
    json_number_chars: int = 30
    """A JSON number written with more characters than this: a bad row (no 5,000-digit integers)."""
    xlsx_uncompressed_bytes: int = 536_870_912
    """An XLSX file whose members add up to more than this, uncompressed, is refused unopened."""
    xlsx_ratio: int = 100
    """A member bigger than ``xlsx_ratio_from_bytes`` that inflates more than this many times: refused."""
    xlsx_ratio_from_bytes: int = 1_048_576
    """Members smaller than this (uncompressed) may compress as well as they like."""
    xlsx_members: int = 10_000
    """More zip members than this: not a workbook."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ImportLimits:
        """From the parameters file's ``[import] value`` table; BadInput for an unknown name or a bad value."""
        known = {f.name for f in fields(cls)}
        values: dict[str, int] = {}
        for name, value in data.items():
            if name not in known:
                raise BadInput("importer.limits.unknown", name=name, known=", ".join(sorted(known)))
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise BadInput("importer.limits.bad_value", name=name, value=str(value))
            values[name] = value
        return cls(**values)


def current_limits() -> ImportLimits:
    """The limits in force: the shipped parameters file, then the hall's ($RETIRE_PARAMETERS)."""
    from console.settings import load_import_limits

    return ImportLimits.from_mapping(load_import_limits())
