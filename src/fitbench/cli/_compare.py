"""``fitbench compare RUN RUN ...``: the runs side by side, best validation score first."""

from __future__ import annotations

import argparse

from fitbench.cli._say import say


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("compare", help="compare runs: scores, sizes, times, and what differs")
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run folders")
    parser.add_argument("-o", "--output", metavar="FILE", help="also write an HTML comparison to FILE")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.report import compare

    comparison = compare(args.runs)
    say(comparison.text())
    differences = comparison.differences()
    if differences:
        say("differs:", "; ".join(f"{key} = {', '.join(map(str, values))}" for key, values in differences.items()))
    if args.output:
        say(comparison.to_html(args.output))
    return 0
