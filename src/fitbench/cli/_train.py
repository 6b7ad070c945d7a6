"""``fitbench train EXPERIMENT``: train one experiment file, then write its report; the run
folder is the last line.

The report is written when training ends, as a run folder of Ultralytics' ``yolo train`` holds
its plots: its pictures land in ``<run>/figures/``, so every later view of the run (``fitbench
report``, the web page) reuses them instead of importing matplotlib and drawing (about 1 s).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fitbench.cli._say import say
from fitbench.cli._options import add_experiment_options, load_experiment
from fitbench.errors import ConfigError, FitbenchError

if TYPE_CHECKING:
    from fitbench.trained import Run

EXIT_INTERRUPTED = 130  # like a shell: 128 + SIGINT


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("train", help="train one experiment file; prints the run folder last")
    parser.add_argument("experiment", nargs="?", help="a YAML experiment file, or a bundled experiment's name")
    parser.add_argument("--resume", metavar="RUN", help="continue a killed or interrupted run from its last "
                        "checkpoint (only --set training.epochs=N may change)")
    parser.add_argument("--trust", metavar="MODULE:FUNCTION", action="append", default=[],
                        help="with --resume: the exact model.factory the run names, which you trust to be "
                        "imported and called (fitbench never imports code because a run folder names it)")
    add_experiment_options(parser)
    parser.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs)")
    parser.add_argument("--quiet", action="store_true", help="no progress, only the summary and the path")
    parser.add_argument("--no-report", dest="report", action="store_false",
                        help="do not write <run>/report.html when training ends (nor draw its pictures)")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    try:
        result, stopped = resume(args) if args.resume else train(args), False
    except KeyboardInterrupt as interrupted:  # fb.Interrupted: saved; say where, as after any training, then exit 130
        # By its `run`, not by importing its class: a signal that lands while fitbench.training is
        # half-imported (Keras, JAX) would make that import fail.
        saved = getattr(interrupted, "run", None)
        if saved is None:  # before training started: nothing was saved, cli._main says "interrupted"
            raise
        result, stopped = saved, True
    from fitbench.training import summary_line  # after the arguments are checked: see _options

    if args.quiet:
        say(summary_line(result))
    if args.report and not stopped:  # interrupted: the person asked to stop now
        write_report(result, quiet=args.quiet)
    say(result.path)
    return EXIT_INTERRUPTED if stopped else 0


def write_report(result: Run, *, quiet: bool) -> None:
    """``<run>/report.html``; a report that cannot be written does not undo the saved run."""
    try:
        report = result.report()
    except FitbenchError as error:
        say(f"fitbench: the run is saved, but its report was not written: {error}", file=sys.stderr)
        return
    if not quiet:
        say(f"report: {report}")


def train(args: argparse.Namespace) -> Run:
    if args.experiment is None:
        raise ConfigError("fitbench train: give an experiment file (or a bundled name), or --resume RUN")
    experiment = load_experiment(args)
    from fitbench.training import run_experiment
    return run_experiment(experiment, runs_dir=args.runs_dir, verbose=not args.quiet)


def resume(args: argparse.Namespace) -> Run:
    from fitbench.config import apply_overrides

    if args.experiment or args.dataset or args.data_dir:
        raise ConfigError("fitbench train --resume RUN: a resumed run keeps its experiment and data; "
                          "give no experiment file, --dataset or --data-dir")
    overrides = apply_overrides({}, args.overrides)
    training = overrides.pop("training", {})
    epochs = training.pop("epochs", None)
    if overrides or training:
        raise ConfigError("fitbench train --resume RUN: only --set training.epochs=N may change a resumed run")
    from fitbench.runs._folder import resumable

    resumable(Path(args.resume))  # a wrong folder is refused before Keras is imported (resume_run checks again)
    from fitbench.training import resume_run

    return resume_run(args.resume, epochs=epochs, verbose=not args.quiet, trust=args.trust)
