"""``fitbench datasets``: what is available, and where each would load from."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("datasets", help="list data sets and where each would load from")
    parser.add_argument("--data-dir", help="also look in this folder")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.data import describe_datasets

    for name, where in describe_datasets(args.data_dir).items():
        print(f"{name:14s} {where}")
    return 0
