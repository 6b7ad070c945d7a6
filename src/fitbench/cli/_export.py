"""``fitbench export mlflow RUN_OR_STUDY...``: runs and tuning studies into an MLflow tracking server."""

from __future__ import annotations

import argparse
import sys

from fitbench._inert import printable
from fitbench.cli._say import say

EXIT_SKIPPED = 2  # some folders could not be read (the others were exported)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("export", help="export runs and tuning studies to a tracker (MLflow)")
    targets = parser.add_subparsers(title="trackers", required=True, metavar="TRACKER")
    mlflow = targets.add_parser("mlflow", help="log runs (params, per-epoch metrics, scores, artifacts) to MLflow; "
                                "a study becomes a parent run with one child per trial; exporting again updates")
    mlflow.add_argument("paths", nargs="+", metavar="RUN_OR_STUDY", help="run folders, study folders, or a folder of both (runs/)")
    mlflow.add_argument("--tracking-uri", metavar="URI", help="e.g. http://mlflow.lab:5000 or sqlite:///mlflow.db "
                        "(default: MLflow's own, $MLFLOW_TRACKING_URI)")
    mlflow.add_argument("--experiment", default="fitbench", metavar="NAME",
                        help="the MLflow experiment to log into (default: fitbench)")
    mlflow.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.export import export_mlflow

    exported = export_mlflow(args.paths, tracking_uri=args.tracking_uri, experiment=args.experiment)
    for item in exported:
        folder = printable(str(item.folder))  # a folder's name is the folder's: one line, inert
        if item.action == "skipped":
            say(f"fitbench: skipped {folder}: {printable(item.problems[0])}", file=sys.stderr)
            continue
        for problem in item.problems:
            say(f"fitbench: warning: {folder}: {printable(problem)}", file=sys.stderr)
        say(f"{item.action} {item.run_id} {folder}")
    return EXIT_SKIPPED if any(item.action == "skipped" for item in exported) else 0
