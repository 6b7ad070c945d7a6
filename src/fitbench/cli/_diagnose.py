"""``fitbench diagnose RUN``: what went wrong (or right) in a run, with the numbers."""

from __future__ import annotations

import argparse
import json


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
        print(json.dumps([finding.to_dict() for finding in findings], indent=2))
        return 0
    print(f"{loaded.path} ({loaded.state})")
    for finding in findings:
        print(f"{finding.severity}: [{finding.code}] {finding.verdict}")
        print(f"    evidence: {finding.evidence}")
        print(f"    next: {finding.advice}")
    if not findings:
        print("no findings: nothing in this run needs attention")
    return 0
