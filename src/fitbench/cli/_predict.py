"""``fitbench predict RUN INPUT...``: the run's predictions for new images, as a CSV file."""

from __future__ import annotations

import argparse
import sys

from fitbench.cli._say import say


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("predict", help="predict new images (files, folders, a CSV) with a run's model")
    parser.add_argument("run", help="a run folder, e.g. runs/20260101-120000-first")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders of images, or CSV files "
                        "(Kaggle layout: pixel0..pixelN)")
    parser.add_argument("-o", "--output", default="predictions.csv", metavar="FILE",
                        help="where to write the predictions (default: predictions.csv)")
    parser.add_argument("--kaggle", action="store_true", help="write Kaggle's submission layout: ImageId,Label")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench._backend import keras_without_extras

    with keras_without_extras():  # this process predicts: 1-2 s of Keras' optional imports saved
        import fitbench._keras  # noqa: F401
    from fitbench.trained import load_run

    prediction = load_run(args.run).predict(args.inputs)  # its warnings: one line each (fitbench._log)
    path = prediction.write_csv(args.output, kaggle=args.kaggle)
    say(f"{len(prediction.names)} predictions written", file=sys.stderr)
    say(path)
    return 0
