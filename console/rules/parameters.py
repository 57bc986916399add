"""Local parameters: values the county or province sets, some still unconfirmed.

Each value carries its status and source so that a computation that used an
UNCONFIRMED value can say so (the CLI prints a warning line, the UI marks it).
The values themselves are read from a parameters file by ``console.settings``;
this module only defines their shape and how to look them up, purely.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from console.rules.months import Month
from console.rules.pension import PensionFormula

CONFIRMED = "confirmed"
REPORTED = "reported"  # read from an official notice transcribed in public, not yet confirmed by the hall
UNCONFIRMED = "unconfirmed"
DEFAULT = "default"


@dataclass(frozen=True)
class Parameter:
    """One local value with its provenance."""

    name: str
    value: Any
    status: str
    source: str = ""
    note: str = ""

    @property
    def unconfirmed(self) -> bool:
        return self.status == UNCONFIRMED


@dataclass(frozen=True)
class LocalParameters:
    """The set of local parameters in force, by name."""

    items: Mapping[str, Parameter] = field(default_factory=dict)

    def get(self, name: str) -> Parameter:
        try:
            return self.items[name]
        except KeyError:
            raise KeyError(f"local parameter {name!r} is not defined in the parameters file") from None

    def value(self, name: str) -> Any:
        return self.get(name).value

    @property
    def personal_contribution_start(self) -> Month:
        return Month.parse(str(self.value("personal_contribution_start")))

    @property
    def flexible_worker_female_group(self) -> str:
        return str(self.value("flexible_worker_female_group"))

    def group_parameter(self, sex: str, staff_category: str | None, female_group: str | None) -> Parameter | None:
        """The parameter that decided a person's reform group, if one did: a woman insured as a
        flexible worker with no explicit group follows ``flexible_worker_female_group`` (50 or 55)."""
        if sex == "F" and staff_category == "flexible" and female_group not in ("female50", "female55"):
            return self.get("flexible_worker_female_group")
        return None

    @property
    def benefit_start_rule(self) -> str:
        return str(self.value("benefit_start_rule"))

    def pension_formula(self, code: str | None = None) -> PensionFormula:
        """The province's pension formula row: ``code``, or the one ``pension_formula`` names.

        Raises ValueError naming the row and the rule when a row is missing or
        says something this console cannot compute (the settings loader turns
        that into a refused parameters file).
        """
        code = code if code is not None else str(self.value("pension_formula"))
        row = self.items.get(f"pension_formula_{code}")
        if row is None:
            raise ValueError(f"pension_formula = {code!r}: no [pension_formula_{code}] row in the parameters file")
        return PensionFormula.from_row(code, row.value, row.status, row.source)

    @property
    def county_places(self) -> tuple[str, ...]:
        return tuple(str(p) for p in self.value("county_places"))

    @cached_property
    def _digest(self) -> str:
        canon = json.dumps({k: str(p.value) for k, p in sorted(self.items.items())}, ensure_ascii=False)
        return hashlib.sha256(canon.encode()).hexdigest()[:12]

    def pension_base(self, year: int) -> Decimal | None:
        """The province's pension base C (计发基数) for retirements in ``year`` (None when the hall has not entered it).

        Keyed by the year of retirement it applies to, as the notices state it
        (8179.00 for Inner Mongolia's 2025 retirements), not by the year of the
        wages it was computed from.
        """
        table = self.items.get("pension_base")
        value = (table.value or {}).get(str(year)) if table is not None else None
        return Decimal(str(value).replace(",", "")) if value not in (None, "") else None

    def digest(self) -> str:
        """A short hash of the values, stored with each decision so it can be replayed."""
        return self._digest

    @classmethod
    def from_mapping(cls, data: Mapping[str, Mapping[str, Any]]) -> LocalParameters:
        """Build from ``{name: {value, status, source, note}}`` (the file's shape)."""
        items = {
            name: Parameter(
                name=name,
                value=entry["value"],
                status=str(entry.get("status", DEFAULT)),
                source=str(entry.get("source", "")),
                note=str(entry.get("note", "")),
            )
            for name, entry in data.items()
        }
        return cls(items)


def policy_version(params: LocalParameters) -> str:
    """The version string a decision records: a hash of the national tables plus one of the local values.

    Both halves come from the data, never from a number someone must remember
    to bump: ``CN-2025-01-01.<tables digest>+<parameters digest>``.
    """
    from console.rules.table_digest import national_version

    return f"{national_version()}+{params.digest()}"
