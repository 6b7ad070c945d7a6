"""``fitbench cv EXPERIMENT --folds K``: k-fold cross-validation and the vote of the k models."""

from __future__ import annotations

import argparse
from pathlib import Path

from fitbench.cli._say import say
from fitbench.cli._options import add_experiment_options, load_experiment


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("cv", help="k-fold cross-validation of an experiment, and the k models' vote")
    parser.add_argument("experiment", help="a YAML experiment file, or a bundled experiment's name")
    parser.add_argument("--folds", type=int, default=5, help="number of stratified folds (default: 5)")
    add_experiment_options(parser)
    parser.add_argument("--runs-dir", default="runs", help="the folds go to RUNS_DIR/cv-<name> (default: runs)")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.errors import ConfigError

    if args.folds < 2:
        raise ConfigError(f"--folds: expected at least 2 folds, got {args.folds}")  # before any file is read
    experiment = load_experiment(args)
    from fitbench.crossval import cross_validate  # Keras: only once the arguments are known good
    out = Path(args.runs_dir) / f"cv-{experiment.name}"
    result = cross_validate(experiment, args.folds, runs_dir=out, verbose=not args.quiet)
    for fold, accuracy in enumerate(result.fold_accuracy, start=1):
        say(f"fold {fold}: validation accuracy {accuracy:.4f}")
    say(result.summary())
    say(out)
    return 0
