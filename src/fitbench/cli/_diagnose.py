"""``fitbench diagnose RUN``: what went wrong (or right) in a run, with the numbers."""

from __future__ import annotations

import argparse
import json

from fitbench._inert import printable
from fitbench.cli._say import say


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("diagnose", help="diagnose a run: overfitting, scaling bugs, noisy scores...")
    parser.add_argument("run", help="a run folder, e.g. runs/20260101-120000-first")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list of {code, severity, verdict, evidence, advice}")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.diagnosis import diagnose
    from fitbench.runs import load_saved_run

    loaded = load_saved_run(args.run)
    findings = diagnose(loaded)
    if args.json:
        say(json.dumps([finding.to_dict() for finding in findings], indent=2))
        return 0
    # a finding's texts may come from the folder (findings.json): one line each, whatever they hold
    say(f"{printable(str(loaded.path))} ({loaded.state})")
    for finding in findings:
        say(f"{printable(finding.severity)}: [{printable(finding.code)}] {printable(finding.verdict)}")
        say(f"    evidence: {printable(finding.evidence)}")
        say(f"    next: {printable(finding.advice)}")
    if not findings:
        say("no findings: nothing in this run needs attention")
    return 0
