"""Options several commands share, declared once: overrides and the data set to use, and the
experiment file they apply to."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fitbench.config import Experiment

# Checked (with a "did you mean") when the command runs, by config's dataset_section: argparse's
# choices would refuse idx:FILES and suggest nothing.
DATASET_HELP = ("use another data set: mnist, fashion_mnist, digits (no download), idx:IMAGES,LABELS or idx:FOLDER, "
                "folder:DIR (one subfolder per class) or csv:FILE (Kaggle layout)")


def add_experiment_options(parser: argparse.ArgumentParser, *, example: str = "training.epochs=5") -> None:
    """``--set KEY=VALUE`` (repeatable), ``--dataset NAME`` and ``--data-dir DIR``."""
    add_overrides_option(parser, example=example)
    add_dataset_options(parser)


def add_overrides_option(parser: argparse.ArgumentParser, *, example: str = "training.epochs=5") -> None:
    """``--set KEY=VALUE`` (repeatable), as ``args.overrides``."""
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help=f"override a value, e.g. --set {example} (repeatable)")


def add_dataset_options(parser: argparse.ArgumentParser) -> None:
    """``--dataset SPEC`` and ``--data-dir DIR``."""
    parser.add_argument("--dataset", metavar="SPEC", help=DATASET_HELP)
    add_data_dir_option(parser)


def add_data_dir_option(parser: argparse.ArgumentParser) -> None:
    """``--data-dir DIR``: where MNIST's files are."""
    parser.add_argument("--data-dir", help="folder holding the MNIST/Fashion-MNIST files (IDX or .npz)")


def load_experiment(args: argparse.Namespace) -> Experiment:
    """The experiment file ``args.experiment`` names, with the options above applied; refused
    at once, naming the file, when its model factory does not import."""
    from fitbench.config._files import find_experiment

    find_experiment(args.experiment)  # a misspelt name, answered before the schema (pydantic) is imported
    from fitbench.config import load_experiment

    experiment = load_experiment(args.experiment, args.overrides, dataset=args.dataset, data_dir=args.data_dir)
    # Keras and JAX only once the file and the options are known good: a typo is answered in
    # a fraction of a second, not after seconds of imports (tests/cli/test_fast_errors.py).
    from fitbench.training import check_model

    check_model(experiment.model, where=str(find_experiment(args.experiment)))
    return experiment
