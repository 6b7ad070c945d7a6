"""The ``fitbench`` command: argument parsing and one small function per command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from fitbench.errors import FitbenchError

EXIT_USAGE = 2  # bad input of any kind: a config, a file, an argument
EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except FitbenchError as error:
        print(f"fitbench: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("fitbench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fitbench",
        description="Train, evaluate and inspect neural-network classifiers on MNIST-like images.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train one experiment file; prints the run folder last")
    train.add_argument("experiment", help="a YAML experiment file, or a bundled experiment's name")
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help="override a value, e.g. --set training.epochs=5 (repeatable)")
    train.add_argument("--dataset", choices=("mnist", "fashion_mnist", "digits"),
                       help="train on another data set (digits needs no download)")
    train.add_argument("--data-dir", help="folder holding the MNIST/Fashion-MNIST files (IDX or .npz)")
    train.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs)")
    train.add_argument("--quiet", action="store_true", help="no progress, only the summary and the path")
    train.set_defaults(command=cmd_train)

    evaluate = commands.add_parser("evaluate", help="score a run's saved model on a split")
    evaluate.add_argument("run", help="a run folder, e.g. runs/20260101-120000-first")
    evaluate.add_argument("--split", choices=("train", "val", "test"), default="val",
                          help="which split (default: val; keep test for the final check)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(command=cmd_evaluate)

    datasets = commands.add_parser("datasets", help="list data sets and where each would load from")
    datasets.add_argument("--data-dir", help="also look in this folder")
    datasets.set_defaults(command=cmd_datasets)
    return parser


def cmd_train(args: argparse.Namespace) -> int:
    from fitbench.config import load_experiment
    from fitbench.training import run_experiment

    experiment = load_experiment(args.experiment, args.overrides, dataset=args.dataset, data_dir=args.data_dir)
    run = run_experiment(experiment, runs_dir=args.runs_dir, verbose=not args.quiet)
    if args.quiet:
        from fitbench.training import summary_line

        print(summary_line(run))
    print(run.path)
    return EXIT_INTERRUPTED if run.metrics.get("interrupted") else 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from fitbench.runs import load_run

    run = load_run(args.run)
    evaluation = run.evaluate(args.split)
    recorded = run.recorded(args.split)
    if args.json:
        payload = {"run": str(run.path), **evaluation.to_dict(),
                   "matches_recorded": _matches(evaluation.to_dict(), recorded)}
        print(json.dumps(payload))
        return 0
    print(f"{run.path} ({run.state})")
    print(f"  {evaluation}")
    if recorded is not None:
        same = "matches" if _matches(evaluation.to_dict(), recorded) else "DIFFERS FROM"
        print(f"  {same} the scores recorded when the run finished "
              f"(accuracy {recorded['accuracy']:.4f}, macro F1 {recorded['macro_f1']:.4f})")
    return 0


def _matches(now: dict, recorded: dict | None) -> bool | None:
    if recorded is None:
        return None
    return (now["confusion_matrix"] == recorded["confusion_matrix"]
            and abs(now["loss"] - recorded["loss"]) < 1e-4)


def cmd_datasets(args: argparse.Namespace) -> int:
    from fitbench.data import describe_datasets

    for name, where in describe_datasets(args.data_dir).items():
        print(f"{name:14s} {where}")
    return 0
