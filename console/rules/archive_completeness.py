"""Archive completeness checks of the pre-review (DOMAIN.md 6.5b).

Each missing piece becomes a 'missing' finding (a line of the one-time
notice: what, why it matters, where to get it, all in the catalogue).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import pairwise

from console.rules.birth_date import EARLY_DOC_KINDS, ArchiveRecord
from console.rules.explain import Finding
from console.rules.intervals import Span
from console.rules.months import Month
from console.rules.policy import LAOSHE_1999

ENGAGEMENT_DOC_KINDS = ("recruitment_form", "employment_approval", "transfer_letter", "enlistment_form")
"""Documents that evidence the start of a deemed period (招工表, 录用审批表, 调动介绍信, 入伍登记表)."""
EVIDENCE_WINDOW_MONTHS = 12
SOURCE_656 = "劳社部发〔1999〕8号；国发〔2005〕38号（视同缴费年限认定需档案记载）"


def _month(day: date | None) -> Month | None:
    return Month.from_date(day) if day is not None else None


def check_archive(
    records: Sequence[ArchiveRecord],
    deemed_spans: Sequence[Span],
    require_service_approval: bool = False,
) -> list[Finding]:
    """Everything the archive lacks for the retirement facts to stand."""
    findings: list[Finding] = []
    if not any(r.usable and r.doc_kind in EARLY_DOC_KINDS for r in records):
        findings.append(Finding("rules.archive.early_birth_record", "missing", {}, LAOSHE_1999))
    for span in deemed_spans:
        evidenced = False
        for r in records:
            m = _month(r.doc_date)
            if r.doc_kind in ENGAGEMENT_DOC_KINDS and m is not None and span.start.minus(EVIDENCE_WINDOW_MONTHS) <= m <= span.start + 2:
                evidenced = True
                break
        if not evidenced:
            findings.append(
                Finding("rules.archive.deemed_start_evidence", "missing", {"start": span.start, "end": span.end}, SOURCE_656)
            )
    if deemed_spans and require_service_approval and not any(r.doc_kind == "service_approval" for r in records):
        findings.append(Finding("rules.archive.service_approval", "missing", {}, SOURCE_656))
    for before, after in pairwise(deemed_spans):
        findings.append(
            Finding(
                "rules.archive.deemed_break",
                "missing",
                {"from": before.end + 1, "to": after.start.minus(1)},
                SOURCE_656,
            )
        )
    return findings
