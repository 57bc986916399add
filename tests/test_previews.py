"""Action 7 (issue 14): a notice or form previewed without a number, and nothing written."""
from __future__ import annotations

import hashlib

import pytest

from console.errors import PermissionDenied, Refused
from console.services import notices, previews
from tests.workflow_helpers import TODAY, accepted_case, open_case, ready_case


@pytest.fixture
def carol(staff):
    return staff("carol", "clerk", "hrss_reviewer")


def _everything(db) -> str:
    """Every row of every table: a preview changes none (no notice, no counter, no audit row)."""
    digest = hashlib.sha256()
    for line in db.conn.iterdump():
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def test_previews_carry_the_mark_and_store_nothing(db, carol) -> None:
    case_no, _ = accepted_case(db, carol, joint=("medical",))
    before = _everything(db)
    notices_before = db.execute("SELECT count(*) FROM notices").fetchone()[0]
    for kind in ("joint_form", "approval_form"):
        text = previews.preview_text(db, carol, case_no, kind, lang="zh", today=TODAY)
        assert "（预览，未编号）" in text and "张三" in text
    english = previews.preview_text(db, carol, case_no, "joint-form", lang="en", today=TODAY)
    assert "(preview, not numbered)" in english
    assert _everything(db) == before
    assert db.execute("SELECT count(*) FROM notices").fetchone()[0] == notices_before
    issued = notices.issue_document(db, carol, case_no, "joint_form", today=TODAY)  # issuing is the separate step
    assert issued["number"] and "预览" not in issued["number"]


def test_a_draft_previews_its_acceptance_or_its_correction(db, carol) -> None:
    ready = ready_case(db, carol, seq=13)
    missing = open_case(db, carol, seq=15, received=("id_card_hukou",))
    before = _everything(db)
    assert "（预览，未编号）" in previews.preview_text(db, carol, ready, "acceptance", lang="zh", today=TODAY)
    text = previews.preview_text(db, carol, missing, "correction", lang="zh", today=TODAY)
    assert "（预览，未编号）" in text
    assert "社会保障卡" in text or "社保卡" in text  # the paper still to bring is listed
    assert _everything(db) == before


def test_a_refusal_is_not_previewed_and_a_medical_officer_does_not_preview(db, carol, staff) -> None:
    case_no = open_case(db, carol)
    with pytest.raises(Refused):
        previews.preview_text(db, carol, case_no, "refusal", today=TODAY)
    with pytest.raises(PermissionDenied):
        previews.preview_text(db, staff("mel", "medical"), case_no, "acceptance", today=TODAY)
