"""HTML for a diagnosis: a list of findings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fitbench.display._render import render

if TYPE_CHECKING:
    from fitbench.diagnosis import Finding


def findings_html(findings: Sequence[Finding]) -> str:
    """Each finding: severity, code, verdict, its evidence and the next thing to try."""
    return render("findings.html.j2", findings=findings)
