"""Findings grouped by severity, coloured: what stands between a case and acceptance."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.text import Text
from textual.widgets import Static

from console.i18n import t
from console.rules.explain import Finding

SEVERITY_ORDER = ("unmet", "missing", "review", "to_check", "warning")
SEVERITY_STYLE = {
    "unmet": "bold red",
    "missing": "bold dark_orange",
    "review": "bold magenta",
    "to_check": "bold cyan",
    "warning": "yellow",
}


def as_finding(item: Finding | Mapping[str, Any]) -> Finding:
    """A Finding from itself or from its stored dict form."""
    if isinstance(item, Finding):
        return item
    return Finding(str(item["code"]), str(item["severity"]), dict(item.get("params") or {}), str(item.get("source") or ""))


def finding_text(f: Finding) -> str:
    """The finding in words (catalogue text with its parameters)."""
    return t(f.code, **f.params)


def sort_findings(items: Iterable[Finding | Mapping[str, Any]]) -> list[Finding]:
    """Blocking first: unmet, missing, review, warning; the rules' order within each."""
    found = [as_finding(i) for i in items]
    rank = {s: n for n, s in enumerate(SEVERITY_ORDER)}
    return sorted(found, key=lambda f: rank.get(f.severity, len(rank)))


def render_findings(items: Iterable[Finding | Mapping[str, Any]], numbered: bool = False) -> Text:
    """Every finding on its own line(s), with a coloured severity tag."""
    out = Text()
    found = sort_findings(items)
    if not found:
        out.append(t("tui.findings.none"), style="green")
        return out
    for n, f in enumerate(found, start=1):
        if n > 1:
            out.append("\n")
        if numbered:
            out.append(f"{n}.")  # glued to the tag: a long item folds instead of leaving "1." on a line of its own
        # the tag is glued to the text so that narrow panels fold the line instead of orphaning the tag
        out.append(t("tui.findings.tag", severity=t(f"severity.{f.severity}")), style=SEVERITY_STYLE.get(f.severity, ""))
        out.append(finding_text(f))
    return out


def summary_counts(items: Iterable[Finding | Mapping[str, Any]]) -> dict[str, int]:
    counts = {s: 0 for s in SEVERITY_ORDER}
    for f in items:
        sev = as_finding(f).severity
        counts[sev] = counts.get(sev, 0) + 1
    return counts


class FindingsList(Static):
    """A read-only list of findings; ``show()`` replaces it."""

    DEFAULT_CSS = """
    FindingsList { height: auto; width: 100%; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.findings: list[Finding] = []

    def blank(self) -> None:
        """Nothing to judge yet (no valid input): show nothing rather than "all met"."""
        self.findings = []
        self.update("")

    def show(self, items: Iterable[Finding | Mapping[str, Any]]) -> None:
        self.findings = sort_findings(items)
        self.update(render_findings(self.findings))
