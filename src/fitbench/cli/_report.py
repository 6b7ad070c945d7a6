"""``fitbench report RUN``: one self-contained HTML file about a run; prints its path."""

from __future__ import annotations

import argparse

from fitbench.cli._say import say


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("report", help="write a one-file HTML report of a run (opens offline)")
    parser.add_argument("run", help="a run folder, e.g. runs/20260101-120000-first")
    parser.add_argument("-o", "--output", metavar="FILE", help="where to write it (default: RUN/report.html)")
    parser.add_argument("--split", choices=("train", "val", "test"),
                        help="the split whose mistakes it shows (default: val; test is for the final score)")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.report import write_report
    from fitbench.runs import load_saved_run

    say(write_report(load_saved_run(args.run), args.output, split=args.split))
    return 0
