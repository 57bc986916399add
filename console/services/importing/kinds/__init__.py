"""One module per import kind; ``PLANS`` maps each kind's name to its plan.

Adding a kind: its columns in ``columns.py`` (and its name in ``KINDS``),
a module here with a ``Plan`` subclass, one line below, its upserts in
``db/imports.py`` and its catalogue lines (``importer.hint.*``).
"""
from __future__ import annotations

from datetime import date

from console.services.importing.base import Plan
from console.services.importing.errors import Errors
from console.services.importing.kinds.archive import ArchivePlan
from console.services.importing.kinds.cases import CasesPlan
from console.services.importing.kinds.contributions import ContributionsPlan
from console.services.importing.kinds.employers import EmployersPlan
from console.services.importing.kinds.persons import PersonsPlan
from console.services.importing.kinds.ratings import RatingsPlan
from console.services.importing.limits import ImportLimits

PLANS: dict[str, type[Plan]] = {
    "persons": PersonsPlan,
    "employers": EmployersPlan,
    "archive": ArchivePlan,
    "contributions": ContributionsPlan,
    "cases": CasesPlan,
    "ratings": RatingsPlan,
}


def new_plan(kind: str, fields: dict[str, int], errors: Errors, today: date, limits: ImportLimits | None = None) -> Plan:
    return PLANS[kind](fields, errors, today, limits)
