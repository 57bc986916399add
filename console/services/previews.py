"""A notice or form as it WOULD be issued now, without a number and without writing anything.

The clerk reads the acceptance notice, the correction notice, the joint form
(联办一张表) or the approval form before deciding; issuing stays a separate,
confirmed step (``intake`` decisions, ``notices.issue_document``).  The
number line reads "（预览，未编号）": a preview printed by mistake can never
pass for an issued notice.  Nothing is stored: no notice row, no counter, no
audit row (tests/test_previews.py counts them).
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from console.documents.text_writer import render_text as text_of_model
from console.errors import Refused
from console.i18n import current_lang, normalise_lang, t
from console.services import intake, notices
from console.services.identity import Actor, require_role
from console.services.role_matrix import BY_CODE
from db import cases as cases_db

if TYPE_CHECKING:
    from db.engine import Database

PREVIEW_KINDS = ("acceptance", "correction", *notices.FORM_KINDS)
"""What can be previewed: the decisions taken at the window and the two forms (a refusal needs its reason first)."""
PREVIEW_ROLES = BY_CODE["notice.preview"].roles


def _decision_data(db: Database, case: dict[str, Any], kind: str, today: date) -> dict[str, Any]:
    """What the decision would put on the notice (the same assessment intake runs when it decides)."""
    _, facts, result = intake.assessment_for(db, case, today)
    if kind == "acceptance":
        return {"findings": [], "facts": facts.as_dict(), "joint_items": case["joint_items"]}
    return {"findings": intake.findings_data(result), "facts": facts.as_dict()}


def preview_model(db: Database, actor: Actor, case_no: str, kind: str, lang: str | None = None,
                  today: date | None = None) -> dict[str, Any]:
    """The document model in ``lang`` with the preview mark for a number; read-only."""
    require_role(actor, *PREVIEW_ROLES)
    kind = notices.normalise_kind(kind)
    if kind not in PREVIEW_KINDS:
        raise Refused("previews.not_previewable", kind=t(f"notices.kind.{kind}"))
    lang = normalise_lang(lang) if lang else current_lang()
    today = today or date.today()
    case = cases_db.load(db, case_no)
    data = notices.form_data(db, case) if kind in notices.FORM_KINDS else _decision_data(db, case, kind, today)
    _, full = notices.complete_data(db, case, kind, t("previews.number", lang), today, data)
    model: dict[str, Any] = full["document"][lang]
    return model


def preview_text(db: Database, actor: Actor, case_no: str, kind: str, lang: str | None = None,
                 today: date | None = None) -> str:
    """The preview as plain text (the notices screen shows it)."""
    return text_of_model(preview_model(db, actor, case_no, kind, lang, today))
