"""``fitbench evaluate RUN``: score a run's saved model on one split, again."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from fitbench.cli._say import say

if TYPE_CHECKING:
    from fitbench.runs import SplitScores


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("evaluate", help="score a run's saved model on a split")
    parser.add_argument("run", help="a run folder, e.g. runs/20260101-120000-first")
    parser.add_argument("--split", choices=("train", "val", "test"), default="val",
                        help="which split (default: val; keep test for the final check)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.trained import load_run

    loaded = load_run(args.run)
    for problem in loaded.problems:  # say what is damaged, then carry on with what is intact
        say(f"fitbench: warning: {loaded.path}: {problem}", file=sys.stderr)
    evaluation = loaded.evaluate(args.split).to_dict()
    recorded = loaded.recorded(args.split)
    if args.json:
        say(json.dumps({"run": str(loaded.path), **evaluation, "matches_recorded": matches(evaluation, recorded)}))
        return 0
    say(f"{loaded.path} ({loaded.state})")
    say(f"  {args.split}: accuracy {evaluation['accuracy']:.4f}, macro F1 {evaluation['macro_f1']:.4f}, "
          f"loss {evaluation['loss']:.4f} ({evaluation['n']} images)")
    if recorded is not None:
        same = "matches" if matches(evaluation, recorded) else "DIFFERS FROM"
        say(f"  {same} the scores recorded when the run finished "
              f"(accuracy {recorded.accuracy:.4f}, macro F1 {recorded.macro_f1:.4f})")
    return 0


def matches(now: dict[str, Any], recorded: SplitScores | None) -> bool | None:
    """Same predictions (confusion matrix) and the same loss up to float rounding."""
    if recorded is None:
        return None
    return now["confusion_matrix"] == recorded.confusion_matrix and abs(now["loss"] - (recorded.loss or 0.0)) < 1e-4
