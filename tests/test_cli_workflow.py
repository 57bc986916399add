"""A whole case from intake to delivered, using ONLY the CLI (issue #3's done-when).

The CLI decides with the real date (date.today()); the applicant, a man born
1966-06-15, reaches his statutory retirement month 2026-11 (60y5m), so the
application is acceptable from 2026-10 on.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.workflow_helpers import id_number, write_payload

CLERK = "carol"  # clerk + HRSS reviewer
MEDIC = "mel"  # Medical Insurance Bureau


class Shell:
    """Runs ``retire ...`` as a given login and remembers every output (no tracebacks anywhere)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.runner = CliRunner()
        self.outputs: list[str] = []

    def run(self, login: str, *args: str, code: int = 0) -> Any:
        result = self.runner.invoke(self.app, list(args), env={"RETIRE_LOGIN": login})
        text = (result.stdout or "") + (result.stderr or "")
        self.outputs.append(text)
        assert "Traceback" not in text, text
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"retire {' '.join(args)} crashed: {result.exception!r}\n{text}")
        assert result.exit_code == code, f"retire {' '.join(args)} as {login}: exit {result.exit_code}\n{text}"
        return result

    def json(self, login: str, *args: str) -> Any:
        return json.loads(self.run(login, *args, "--json").stdout)


@pytest.fixture
def sh(env: dict[str, str], cli_app: Any) -> Shell:
    shell = Shell(cli_app)
    init = shell.json("alice", "init")
    assert init["admin_login"] == "alice"
    shell.run("alice", "staff", "add", CLERK, "--name", "Carol", "--role", "clerk", "--role", "hrss_reviewer")
    shell.run("alice", "staff", "add", MEDIC, "--name", "Mel", "--role", "medical")
    return shell


def _acted_for(audit_actor: str) -> str:
    """The login an audit row acted for: root running as RETIRE_LOGIN=x is recorded "root for x"."""
    return audit_actor.rsplit(" for ", 1)[-1]


def _tasks(sh: Shell, login: str, *extra: str) -> dict[str, dict[str, Any]]:
    return {r["item"]: r for r in sh.json(login, "task", "list", *extra)}


def test_full_case_from_intake_to_delivered(sh: Shell, tmp_path: Path) -> None:
    new = sh.json(CLERK, "case", "new", "--id", id_number(), "--name", "张三", "--joint", "medical",
                  "--received", "id_card_hukou", "--address", "固阳县金山镇1号", "--phone", "13800000000")
    case_no = new["case_no"]
    assert new["status"] == "draft" and new["due_date"]

    payload = write_payload(tmp_path / "prereview.json")
    pre = sh.json(CLERK, "prereview", case_no, "--file", str(payload))
    assert pre["confirmed"] is False
    assert pre["facts"]["statutory_month"] == "2026-11" and pre["facts"]["total_months"] == 502

    # a medical staffer may not act at the window
    sh.run(MEDIC, "case", "accept", case_no, code=1)
    # papers missing: accepting is refused with the full list; the one-time notice goes out
    refused = sh.run(CLERK, "case", "accept", case_no, code=1)
    assert "2 item(s)" in refused.stderr
    corr = sh.json(CLERK, "case", "correct", case_no)
    assert corr["status"] == "awaiting_correction"
    assert corr["notice_number"].startswith("固人社补〔")
    missing = [f["code"] for f in corr["assessment"]["findings"] if f["severity"] == "missing"]
    assert missing == ["materials.personal_archive", "materials.ssc_card"]
    sh.run(CLERK, "case", "accept", case_no, code=1)  # wrong state while awaiting correction

    resumed = sh.json(CLERK, "case", "resume", case_no, "--received", "personal_archive", "--received", "ssc_card")
    assert resumed["status"] == "draft" and resumed["assessment"]["decision"] == "accept"
    sh.run(CLERK, "case", "resume", case_no, code=1)  # resume a draft

    # complete, but the pre-review is not confirmed: acceptance waits for the reviewer (issue 14, bug 12)
    unconfirmed = sh.run(CLERK, "case", "accept", case_no, code=1)
    assert "not confirmed by a reviewer" in unconfirmed.stderr
    sh.run(MEDIC, "prereview", case_no, "--confirm", code=1)  # not a reviewer
    confirmed = sh.json(CLERK, "prereview", case_no, "--confirm")
    assert confirmed["confirmed"] is True

    stale_version = resumed["version"] - 1
    sh.run(CLERK, "case", "accept", case_no, "--version", str(stale_version), code=1)
    accepted = sh.json(CLERK, "case", "accept", case_no, "--version", str(resumed["version"]))
    assert accepted["status"] == "accepted"
    assert accepted["notice_number"].startswith("固人社受〔") and len(accepted["tasks"]) == 5
    sh.run(CLERK, "case", "accept", case_no, code=1)  # accept twice

    hrss = _tasks(sh, CLERK)
    assert {k: v["status"] for k, v in hrss.items()} == {
        "hrss.card": "open", "hrss.approval": "open", "hrss.benefit": "waiting", "hrss.social_management": "waiting"}
    medical = _tasks(sh, MEDIC)
    assert {k: v["status"] for k, v in medical.items()} == {"medical.transfer": "waiting"}
    sh.run(MEDIC, "task", "claim", str(hrss["hrss.card"]["id"]), code=1)  # other department
    sh.run(MEDIC, "task", "claim", str(medical["medical.transfer"]["id"]), code=1)  # waiting

    card = hrss["hrss.card"]["id"]
    assert sh.json(CLERK, "task", "claim", str(card))["status"] == "claimed"
    sh.run(CLERK, "task", "claim", str(card), code=1)  # claimed twice
    assert sh.json(CLERK, "task", "done", str(card), "--result", "社保卡状态已变更")["status"] == "done"

    approval = hrss["hrss.approval"]["id"]
    sh.run(CLERK, "task", "claim", str(approval))
    sh.run(CLERK, "task", "done", str(approval), "--result", "准予退休")
    sh.run(CLERK, "prereview", case_no, "--file", str(payload), code=1)  # change after confirmation without a reason

    hrss = _tasks(sh, CLERK)
    for item in ("hrss.benefit", "hrss.social_management"):
        assert hrss[item]["status"] == "open"
        sh.run(CLERK, "task", "claim", str(hrss[item]["id"]))
        sh.run(CLERK, "task", "done", str(hrss[item]["id"]), "--result", "ok")
    sh.run(CLERK, "delivery", "send", case_no, "--courier", "EMS", "--waybill", "E0", code=1)  # not completed yet

    medical = _tasks(sh, MEDIC, "--status", "open")
    transfer = medical["medical.transfer"]["id"]
    sh.run(MEDIC, "task", "claim", str(transfer))
    sh.run(MEDIC, "task", "done", str(transfer), "--result", "在职转退休医保已办理")

    sent = sh.json(CLERK, "delivery", "send", case_no, "--courier", "EMS", "--waybill", "EA000000001CN")
    assert sent["address"] == "固阳县金山镇1号"
    back = sh.json(CLERK, "delivery", "returned", case_no, "--note", "查无此人")
    assert back["returned_at"]
    assert sh.json(CLERK, "case", "show", case_no)["status"] == "completed"
    sh.json(CLERK, "delivery", "send", case_no, "--courier", "EMS", "--waybill", "EA000000002CN", "--address", "固阳县金山镇2号")
    done = sh.json(CLERK, "delivery", "delivered", case_no)
    assert done["delivered_at"] and done["waybill"] == "EA000000002CN"

    shown = sh.json(CLERK, "case", "show", case_no)
    assert shown["status"] == "delivered"
    assert {t["status"] for t in shown["tasks"]} == {"done"} and len(shown["tasks"]) == 5
    assert shown["prereview"]["confirmed_by"] == CLERK and shown["prereview"]["confirmed_at"]
    assert [n["kind"] for n in shown["notices"]] == ["correction", "acceptance"]
    assert len(shown["deliveries"]) == 2
    actors = {_acted_for(a["actor"]) for a in shown["audit"]}
    assert {CLERK, MEDIC} <= actors
    actions = [a["action"] for a in shown["audit"]]
    for action in ("case.open", "prereview.compute", "case.correction_requested", "case.resume", "prereview.confirm",
                   "case.accept", "task.claim", "task.done", "task.open", "case.complete",
                   "delivery.send", "delivery.returned", "delivery.delivered"):
        assert action in actions, action
    assert actions.count("case.accept") == 1 and actions.count("case.complete") == 1
    assert [_acted_for(a["actor"]) for a in shown["audit"] if a["action"] == "task.done"].count(MEDIC) == 1

    text = sh.run(CLERK, "case", "show", case_no).stdout
    assert case_no in text and "张三" in text

    sh.run("alice", "staff", "add", "audrey", "--name", "Audrey", "--role", "auditor")
    audit = sh.json("audrey", "audit", case_no, "--verify")
    assert audit["chain"]["ok"] is True and audit["chain"]["first_broken_id"] is None
    assert [r["action"] for r in audit["rows"]] == actions
    sh.run("audrey", "audit", case_no, "--verify")
    sh.run(CLERK, "audit", case_no, "--verify", code=1)  # verifying the chain is for auditors/supervisors
    sh.run("alice", "audit", case_no, "--verify", code=1)  # ... not for the admin (separation of duties)

    listed = sh.json(CLERK, "case", "list", "--status", "delivered")
    assert [r["case_no"] for r in listed] == [case_no]
    found = sh.json(CLERK, "case", "search", "zs")
    assert [r["case_no"] for r in found] == [case_no]
    assert [r["case_no"] for r in sh.json(CLERK, "case", "search", "张")] == [case_no]
    assert [r["case_no"] for r in sh.json(CLERK, "case", "search", id_number())] == [case_no]


def test_refuse_needs_reason_from_the_cli(sh: Shell, tmp_path: Path) -> None:
    case_no = sh.json(CLERK, "case", "new", "--id", id_number(13), "--name", "李四",
                      "--received", "id_card_hukou", "--received", "personal_archive", "--received", "ssc_card")["case_no"]
    sh.run(CLERK, "prereview", case_no, "--file", str(write_payload(tmp_path / "p.json")))
    before = sh.json(CLERK, "case", "show", case_no)
    told = sh.run(CLERK, "case", "refuse", case_no, code=2)  # the old `refuse` (a correction) must not end a case
    assert "--reason" in told.stderr and f"retire case correct {case_no}" in told.stderr and told.stderr.count("\n") == 1
    assert sh.json(CLERK, "case", "show", case_no)["status"] == before["status"] == "draft"
    sh.run(CLERK, "case", "refuse", case_no, "--reason", "", code=1)  # eligible and complete: a refusal needs a reason
    out = sh.json(CLERK, "case", "refuse", case_no, "--reason", "申请人撤回申请")
    assert out["status"] == "refused" and out["notice_number"].startswith("固人社不受〔")
    sh.run(CLERK, "case", "refuse", case_no, "--reason", "again", code=1)


def test_reject_is_a_hidden_alias_of_refuse_with_a_deprecation_line(sh: Shell, tmp_path: Path) -> None:
    case_no = sh.json(CLERK, "case", "new", "--id", id_number(14), "--name", "王五",
                      "--received", "id_card_hukou", "--received", "personal_archive", "--received", "ssc_card")["case_no"]
    sh.run(CLERK, "prereview", case_no, "--file", str(write_payload(tmp_path / "p.json")))
    done = sh.run(CLERK, "case", "reject", case_no, "--reason", "申请人撤回申请", "--json")
    assert json.loads(done.stdout)["status"] == "refused"  # reject refuses, as it always did
    assert done.stderr.count("\n") == 1 and "retire case refuse" in done.stderr and "retire case correct" in done.stderr
    listing = sh.run(CLERK, "case", "--help").stdout
    assert "correct" in listing and "refuse" in listing and "reject" not in listing
    refuse_help = sh.run(CLERK, "case", "refuse", "--help").stdout
    assert "Refuse for good" in refuse_help and "status refused" in refuse_help and "retire case correct" in refuse_help


def test_correct_issues_the_correction_notice_and_pauses_the_clock(sh: Shell) -> None:
    case_no = sh.json(CLERK, "case", "new", "--id", id_number(15), "--name", "赵六", "--received", "id_card_hukou")["case_no"]
    out = sh.json(CLERK, "case", "correct", case_no)
    assert out["status"] == "awaiting_correction" and out["notice_number"]
    shown = sh.json(CLERK, "case", "show", case_no)
    assert shown["status"] == "awaiting_correction" and [n["kind"] for n in shown["notices"]] == ["correction"]


def test_exit_codes_for_refusals_and_bad_input(sh: Shell, tmp_path: Path) -> None:
    # bad input: 2
    sh.run(CLERK, "case", "new", "--id", "150222196606150119", "--name", "张三", code=2)  # checksum
    sh.run(CLERK, "case", "new", "--id", id_number(), "--name", "张三", "--kind", "odd", code=2)
    sh.run(CLERK, "case", "new", "--id", id_number(), "--name", "张三", "--joint", "pets", code=2)
    sh.run(CLERK, "case", "new", "--id", id_number(), "--name", "张三", "--received", "passport", code=2)
    sh.run(CLERK, "case", "show", "not-a-case", code=2)
    sh.run(CLERK, "case", "show", "GY-2026-000999", code=2)  # NotFound is bad input
    sh.run(CLERK, "case", "list", "--status", "bogus", code=2)
    sh.run(CLERK, "case", "list", "--from", "2026-13-01", code=2)
    sh.run(CLERK, "task", "claim", "999", code=2)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    case_no = sh.json(CLERK, "case", "new", "--id", id_number(), "--name", "张三")["case_no"]
    sh.run(CLERK, "prereview", case_no, "--file", str(bad), code=2)
    sh.run(CLERK, "prereview", case_no, "--file", str(tmp_path / "missing.json"), code=2)
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps({"archive_records": [{"doc_kind": "diary"}]}), encoding="utf-8")
    sh.run(CLERK, "prereview", case_no, "--file", str(rows), code=2)
    sh.run(CLERK, "delivery", "send", case_no, "--courier", "EMS", "--waybill", " ", code=2)
    # refusals: 1
    sh.run(CLERK, "case", "new", "--id", id_number(), "--name", "张三", code=1)  # second open case
    sh.run("nobody", "case", "list", code=1)  # unknown login
    sh.run("alice", "staff", "add", "gone", "--name", "Gone", "--role", "clerk")
    sh.run("alice", "staff", "disable", "gone")
    sh.run("gone", "case", "list", code=1)  # disabled login
    sh.run(MEDIC, "case", "new", "--id", id_number(13), "--name", "李四", code=1)  # wrong role
    sh.run(CLERK, "prereview", case_no, "--confirm", code=1)  # nothing to confirm
    sh.run(CLERK, "case", "resume", case_no, code=1)  # a draft
    sh.run(CLERK, "delivery", "delivered", case_no, code=1)
    sh.run(CLERK, "staff", "add", "eve", "--name", "Eve", "--role", "clerk", code=1)  # admin only
    assert not any("Traceback" in o for o in sh.outputs)
