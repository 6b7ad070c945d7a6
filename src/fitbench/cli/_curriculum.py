"""``fitbench curriculum``: every experiment of the course, in order, and one report."""

from __future__ import annotations

import argparse

from fitbench.cli._options import add_dataset_options


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("curriculum", help="run every experiment of the course and write one report")
    add_dataset_options(parser)
    parser.add_argument("--seeds", type=int, default=1, help="train each experiment with N seeds (mean +/- sd)")
    parser.add_argument("--quick", action="store_true", help="few epochs on few images: the whole course in about a minute")
    parser.add_argument("--only", metavar="IDS", help="only these experiments, e.g. try05,try06")
    parser.add_argument("-o", "--out", default="runs/curriculum", help="output folder (default: runs/curriculum)")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.config._load import dataset_section
    from fitbench.errors import ConfigError

    if args.seeds < 1:
        raise ConfigError(f"--seeds: expected at least 1, got {args.seeds}")
    if args.dataset:
        dataset_section(args.dataset)  # refused (with a "did you mean") before the first experiment trains
    from fitbench.curriculum import run_curriculum  # Keras: only once the arguments are known good

    # Ctrl-C: run_curriculum saves what it did, then raises KeyboardInterrupt: exit 130 (cli._main).
    run_curriculum(dataset=args.dataset, data_dir=args.data_dir, seeds=args.seeds, quick=args.quick,
                   only=args.only, out=args.out)
    return 0
