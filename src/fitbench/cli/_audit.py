"""``fitbench audit DATASET``: suspect labels, from k-fold out-of-sample probabilities."""

from __future__ import annotations

import argparse

from fitbench.cli._options import DATASET_HELP, add_data_dir_option, add_overrides_option
from fitbench.cli._say import say

SHOWN = 10  # suspects printed; the CSV and the page list them all


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("audit",
                                 help="find suspect labels in a data set (confident learning on k-fold runs)")
    parser.add_argument("dataset", metavar="DATASET", help=f"a data set ({DATASET_HELP}), or a run folder")
    parser.add_argument("--folds", type=int, default=5, help="number of stratified folds (default: 5)")
    parser.add_argument("--experiment", default="first", help="the experiment trained on each fold (default: first)")
    add_overrides_option(parser)  # of the experiment; DATASET is the positional argument, so no --dataset
    add_data_dir_option(parser)
    parser.add_argument("--runs-dir", default="runs", help="the folds, the CSV and the page go to RUNS_DIR/audit-<dataset> (default: runs)")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.errors import ConfigError

    if args.folds < 2:
        raise ConfigError(f"--folds: expected at least 2 folds, got {args.folds}")  # before any file is read
    from fitbench.audit import find_label_issues  # Keras: only once the arguments are known good
    issues = find_label_issues(args.dataset, args.folds, experiment=args.experiment,
                               overrides=args.overrides or None, data_dir=args.data_dir, runs_dir=args.runs_dir,
                               verbose=not args.quiet)
    say(issues.summary())
    for rank in range(1, min(SHOWN, len(issues.suspects)) + 1):
        say(f"{rank:4d}. {issues.describe(rank)}")
    for written in issues.save():
        say(written)
    return 0
