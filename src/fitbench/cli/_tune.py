"""``fitbench tune FILE`` runs or continues a study; ``fitbench tune-report NAME`` writes its report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fitbench.cli._say import say
from fitbench.cli._options import add_experiment_options


def register(commands: argparse._SubParsersAction) -> None:
    tune = commands.add_parser("tune", help="search hyperparameters with Optuna; prints the best trial last")
    tune.add_argument("tuning", help="a tuning file (an experiment plus a search section), or a bundled "
                                     "one's name: tune (the course's search: study course-tuning), "
                                     "tune-wide (study wide-tuning)")
    tune.add_argument("--trials", type=int, help="trials in total, finished ones included (default: search.trials)")
    tune.add_argument("--timeout", type=float, metavar="S", help="start no trial after S seconds")
    tune.add_argument("--workers", type=int, default=1, help="worker processes on this machine (default: 1)")
    tune.add_argument("--storage", metavar="URL", help="SQLAlchemy URL shared by all workers and machines "
                                                       "(default: sqlite:///RUNS_DIR/studies.db)")
    tune.add_argument("--study", metavar="NAME", help="the study's name, for tune-report (default: the "
                                                     "experiment's name; `tune`: course-tuning)")
    tune.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs)")
    add_experiment_options(tune, example="search.pruner=none")
    tune.add_argument("--quiet", action="store_true", help="no line per trial, only the summary")
    tune.set_defaults(command=run_tune)

    report = commands.add_parser("tune-report", help="write a study's report as one HTML file")
    report.add_argument("study", help="the study's name, as given to (or printed by) fitbench tune")
    report.add_argument("--storage", metavar="URL", help="where the study is (default: sqlite:///RUNS_DIR/studies.db)")
    report.add_argument("--runs-dir", default="runs", help="the runs directory of the default storage")
    report.add_argument("-o", "--output", help="the HTML file (default: RUNS_DIR/NAME/study.html)")
    report.set_defaults(command=run_report)


def run_tune(args: argparse.Namespace) -> int:
    check_arguments(args)
    from fitbench.tuning import tune
    from fitbench.tuning._processes import use_one_xla_thread

    use_one_xla_thread()  # this process is ours: size its XLA pool for one worker, before JAX starts
    tune(args.tuning, overrides=args.overrides, dataset=args.dataset, data_dir=args.data_dir, trials=args.trials,
         timeout=args.timeout, workers=args.workers, storage=args.storage, study=args.study, runs_dir=args.runs_dir,
         progress=not args.quiet)
    return 0


def run_report(args: argparse.Namespace) -> int:
    from fitbench.tuning import default_storage, load_study, write_study_report

    storage = args.storage or default_storage(args.runs_dir)
    study = load_study(args.study, storage)
    output = Path(args.output) if args.output else Path(args.runs_dir) / args.study / "study.html"
    say(write_study_report(study, output, storage=storage))
    return 0


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse what can be refused before Optuna, Keras and JAX are imported (seconds): a
    misspelt file name, --dataset or --set, a bad experiment part or search section of the
    tuning file, or a space value the experiment cannot take."""
    from fitbench.config._load import customize, read_yaml, spelled_options
    from fitbench.errors import ConfigError
    from fitbench.tuning._tuning import check_tuning, find_tuning

    path = find_tuning(args.tuning)
    document = read_yaml(path)
    customized = customize(document, args.overrides, dataset=args.dataset, data_dir=args.data_dir)
    try:
        check_tuning(customized, where=str(path))
    except ConfigError:
        options = spelled_options(args.overrides, args.dataset)
        if not options or not _valid(document, str(path)):
            raise
        check_tuning(customized, where=options)  # the file alone is valid: name the options that broke it


def _valid(document: dict[str, Any], where: str) -> bool:
    from fitbench.errors import ConfigError
    from fitbench.tuning._tuning import check_tuning

    try:
        check_tuning(document, where=where)
    except ConfigError:
        return False
    return True
