"""A finding: what an instructor would say about a run, with the numbers that prove it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from fitbench._display_names import ShownAsHtml

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")  # most serious first


@dataclass(frozen=True)
class Finding:
    """One diagnosis.

    Attributes:
        code: stable identifier, e.g. ``overfitting`` (safe to match on in scripts).
        severity: ``error`` (the numbers are wrong), ``warning`` (worth changing) or ``info``.
        verdict: one line saying what happened.
        evidence: the numbers from this run that show it.
        advice: the next experiment to try.
        numbers: the same numbers as values, for code and tests.
    """

    code: str
    severity: Severity
    verdict: str
    evidence: str
    advice: str
    numbers: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: code, severity, verdict, evidence, advice, and a leakage finding's pairs."""
        shown: dict[str, Any] = {"code": self.code, "severity": self.severity, "verdict": self.verdict,
                                 "evidence": self.evidence, "advice": self.advice}
        if self.numbers.get("pairs"):
            shown["pairs"] = [list(pair) for pair in self.numbers["pairs"]]
        return shown

    def line(self) -> str:
        """One line for a terminal: ``warning [overfitting] verdict (evidence); advice``."""
        return f"{self.severity} [{self.code}] {self.verdict} ({self.evidence}); {self.advice}"

    def __str__(self) -> str:
        return self.line()


class Findings(list[Finding], ShownAsHtml):
    """A diagnosis: a plain list of findings that a notebook shows as HTML."""


def by_severity(findings: list[Finding]) -> Findings:
    """Errors first, then warnings, then information; stable within each."""
    return Findings(sorted(findings, key=lambda finding: SEVERITIES.index(finding.severity)))


def points(fraction: float) -> str:
    """0.0412 -> '4.1 points' (percentage points, as people compare accuracies)."""
    return f"{100 * fraction:.1f} points"
