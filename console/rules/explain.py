"""Explanations: every computed fact can say why it is what it is.

A ``Reason`` names a message code (translated at the edge through the zh/en
catalogues), its parameters, and the legal source that decided it.  Rules
return facts with reasons attached; nothing in rules formats text for people.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    """Why a fact holds: a catalogue code, its parameters and its source."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": {k: str(v) for k, v in self.params.items()}, "source": self.source}


@dataclass(frozen=True)
class Finding:
    """An unmet condition or a warning: what a correction notice lists.

    ``severity`` is ``"unmet"`` (blocks acceptance), ``"missing"`` (a material
    to bring), ``"review"`` (needs a human decision) or ``"warning"``.
    """

    code: str
    severity: str
    params: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "params": {k: str(v) for k, v in self.params.items()},
            "source": self.source,
        }
