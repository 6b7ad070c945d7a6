"""``fitbench explain RUN IMAGE...``: what the run's model looked at, one PNG per image; without
images, the maps of the run's own mistakes and top losses, saved into the run folder for its report."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from fitbench.cli._say import say
from fitbench.errors import FitbenchError

METHODS = ("auto", "integrated_gradients", "occlusion")  # fitbench.explain.METHODS, known without Keras


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("explain", help="attribution maps of a run's model for images, sanity-checked")
    parser.add_argument("run", help="a run folder, e.g. runs/20260101-120000-first")
    parser.add_argument("inputs", nargs="*", metavar="IMAGE",
                        help="image files, folders of images, or CSV files; none: the run's saved mistakes and top "
                             "losses, written into RUN/explanations.npz for its report")
    parser.add_argument("-o", "--output", default="explanations", metavar="DIR",
                        help="folder for the pictures, one PNG per image (default: explanations)")
    parser.add_argument("--method", choices=METHODS, default="auto",
                        help="integrated gradients, occlusion, or auto: occlusion when gradients vanish (default)")
    parser.add_argument("--steps", type=_steps, default=32,
                        help="integrated gradients' interpolation steps (default: 32)")
    parser.set_defaults(command=run)


def _steps(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1024:
        raise argparse.ArgumentTypeError(f"expected a whole number of steps 1..1024, got {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    _check_paths(Path(args.run), [Path(given) for given in args.inputs])  # before Keras loads: seconds saved
    from fitbench.trained import load_run

    if not args.inputs:
        saved = load_run(args.run).save_explanations(method=args.method, steps=args.steps)
        say(f"attribution maps of the run's mistakes and top losses in {saved}; "
            f"`fitbench report {args.run}` shows them")
        return 0
    explanation = load_run(args.run).explain(args.inputs, method=args.method, steps=args.steps)
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(explanation.names):
        explanation.save_png(k, folder / f"{k + 1:04d}-{_file_part(name)}.png")
    say(f"{explanation.summary()}; pictures in {folder}")
    return 0


def _check_paths(run: Path, inputs: list[Path]) -> None:
    if not run.is_dir():
        raise FitbenchError(f"{run}: no such run folder; give a folder under runs/ (fitbench runs lists them)")
    missing = [path for path in inputs if not path.exists()]
    if missing:
        raise FitbenchError(f"{missing[0]}: no such file or folder; give image files, folders of images, or CSV files")
    from fitbench.prediction._inputs import check_paths

    check_paths(inputs)  # an input that is no image, folder or CSV


def _file_part(name: str) -> str:
    """A safe file name part from an input's name: an image's stem, or ``FILE.csv_ROW``."""
    part = Path(name).name
    part = part if ":" in part else Path(part).stem  # "digits.csv:3" keeps its row number
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", part)[:60] or "image"
