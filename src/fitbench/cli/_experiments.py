"""``fitbench experiments [--copy DIR]``: the bundled experiment files, to read or copy as templates."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("experiments", help="list the bundled experiment files, or copy them as templates")
    parser.add_argument("schema", nargs="?", choices=["schema"],
                        help="print the JSON Schema of experiment files (for editors) instead")
    parser.add_argument("--copy", metavar="DIR", help="copy every bundled experiment file into DIR")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.config import bundled_experiments
    from fitbench.errors import FitbenchError
    from fitbench.tuning import bundled_tunings

    if args.schema:
        from fitbench.config import Experiment

        print(json.dumps(Experiment.model_json_schema(), indent=2))
        return 0
    bundled = bundled_experiments() | bundled_tunings()  # tuning files: for `fitbench tune`
    if args.copy is None:
        for name, path in sorted(bundled.items()):
            print(f"{name:26s} {description(path)}")
        return 0
    target = Path(args.copy)
    existing = [path.name for path in bundled.values() if (target / path.name).exists()]
    if existing:
        raise FitbenchError(f"{target}: would overwrite {', '.join(existing)}; choose an empty folder")
    target.mkdir(parents=True, exist_ok=True)
    for path in bundled.values():
        shutil.copy2(path, target / path.name)
    print(f"copied {len(bundled)} experiment files to {target}")
    return 0


def description(path: Path) -> str:
    """The file's opening comment, its lines joined up to the first sentence's end (never cut mid-sentence)."""
    words: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        words += line.lstrip("#").split()
        text = " ".join(words)
        if ". " in text:
            return text.split(". ")[0] + "."
        if text.endswith((".", "?", "!")):
            return text
    return " ".join(words)
