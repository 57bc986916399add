"""The birth date that decides retirement (DOMAIN.md 6.4, 劳社部发〔1999〕8号).

ID card and archive are read together; when they disagree, the birth date
written on the EARLIEST document of the archive wins.  An altered entry that
no organisation confirmed is not used.  A mismatch with the ID card is
flagged for a human decision, never silently resolved.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from console.rules.explain import Finding, Reason
from console.rules.policy import LAOSHE_1999

DOC_KINDS = (
    "school_record",  # 学籍档案
    "league_form",  # 入团志愿书
    "enlistment_form",  # 入伍登记表
    "recruitment_form",  # 招工登记表
    "employment_approval",  # 录用审批表
    "transfer_letter",  # 调动介绍信
    "service_approval",  # 工龄审定表
    "cadre_form",  # 干部履历表
    "other",
)
EARLY_DOC_KINDS = ("school_record", "league_form", "enlistment_form", "recruitment_form")
"""Documents that count as an early record of the birth date (DOMAIN.md 6.5b a)."""


@dataclass(frozen=True)
class ArchiveRecord:
    """One archive document as read at pre-review."""

    doc_kind: str
    doc_date: date | None
    birth_recorded: date | None
    altered: bool = False
    altered_confirmed: bool = False

    @property
    def usable(self) -> bool:
        return self.birth_recorded is not None and (not self.altered or self.altered_confirmed)


@dataclass(frozen=True)
class BirthDecision:
    """The birth date for retirement, where it came from, and what needs a human."""

    birth_date: date | None
    source: str  # "archive", "id_card" or "none"
    record_index: int | None
    reason: Reason
    findings: list[Finding] = field(default_factory=list)


def _order(indexed: tuple[int, ArchiveRecord]) -> tuple[date, int, int]:
    i, rec = indexed
    rank = DOC_KINDS.index(rec.doc_kind) if rec.doc_kind in DOC_KINDS else len(DOC_KINDS)
    return (rec.doc_date or date.max, rank, i)


def decide_birth_date(records: Sequence[ArchiveRecord], id_birth: date | None, archive_lost: bool = False) -> BirthDecision:
    """Pick the earliest recorded, unaltered birth date and compare it with the ID card."""
    findings: list[Finding] = []
    for i, rec in enumerate(records):
        if rec.altered and not rec.altered_confirmed and rec.birth_recorded is not None:
            findings.append(
                Finding("rules.birth.altered_ignored", "warning", {"record": i + 1, "kind": rec.doc_kind, "date": rec.birth_recorded}, LAOSHE_1999)
            )
    usable = sorted(((i, r) for i, r in enumerate(records) if r.usable), key=_order)
    if archive_lost and usable:
        # 6.4: a lost archive cannot prove that these are the earliest records
        findings.append(Finding("rules.birth.lost_archive", "review", {}, LAOSHE_1999))
    if not usable:
        if archive_lost or not records:
            code = "rules.birth.lost_archive" if archive_lost else "rules.birth.no_archive_record"
            findings.append(Finding(code, "review", {}, LAOSHE_1999))
        else:
            findings.append(Finding("rules.birth.no_usable_record", "review", {}, LAOSHE_1999))
        if id_birth is None:
            return BirthDecision(None, "none", None, Reason("rules.birth.unknown", {}, LAOSHE_1999), findings)
        return BirthDecision(id_birth, "id_card", None, Reason("rules.birth.from_id", {"birth": id_birth}, LAOSHE_1999), findings)
    index, chosen = usable[0]
    assert chosen.birth_recorded is not None
    distinct = {r.birth_recorded for _, r in usable}
    if len(distinct) > 1:
        findings.append(
            Finding(
                "rules.birth.records_disagree",
                "warning",
                {"dates": ", ".join(sorted(d.isoformat() for d in distinct if d))},
                LAOSHE_1999,
            )
        )
    if id_birth is not None and chosen.birth_recorded != id_birth:
        findings.append(
            Finding("rules.birth.id_mismatch", "review", {"archive": chosen.birth_recorded, "id": id_birth}, LAOSHE_1999)
        )
    reason = Reason(
        "rules.birth.from_archive",
        {
            "birth": chosen.birth_recorded,
            "record": index + 1,
            "kind": chosen.doc_kind,
            "doc_date": chosen.doc_date or "?",
            "considered": len(usable),
        },
        LAOSHE_1999,
    )
    return BirthDecision(chosen.birth_recorded, "archive", index, reason, findings)
