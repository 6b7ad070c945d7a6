"""``fitbench train EXPERIMENT``: train one experiment file; the run folder is the last line."""

from __future__ import annotations

import argparse

EXIT_INTERRUPTED = 130  # like a shell: 128 + SIGINT


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("train", help="train one experiment file; prints the run folder last")
    parser.add_argument("experiment", help="a YAML experiment file, or a bundled experiment's name")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a value, e.g. --set training.epochs=5 (repeatable)")
    parser.add_argument("--dataset", choices=("mnist", "fashion_mnist", "digits"),
                        help="train on another data set (digits needs no download)")
    parser.add_argument("--data-dir", help="folder holding the MNIST/Fashion-MNIST files (IDX or .npz)")
    parser.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs)")
    parser.add_argument("--quiet", action="store_true", help="no progress, only the summary and the path")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.config import load_experiment
    from fitbench.training import run_experiment, summary_line

    experiment = load_experiment(args.experiment, args.overrides, dataset=args.dataset, data_dir=args.data_dir)
    result = run_experiment(experiment, runs_dir=args.runs_dir, verbose=not args.quiet)
    if args.quiet:
        print(summary_line(result))
    print(result.path)
    return EXIT_INTERRUPTED if result.metrics.get("interrupted") else 0
