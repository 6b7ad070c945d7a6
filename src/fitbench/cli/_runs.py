"""``fitbench runs``: list run folders with their state; ``--clean`` removes incomplete ones."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fitbench._inert import printable
from fitbench.cli._say import say
from fitbench.errors import FitbenchError

if TYPE_CHECKING:
    from fitbench.runs._clean import Cleaning

EXIT_USAGE = 2


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("runs", help="list runs with their state (complete, interrupted, failed, incomplete)")
    parser.add_argument("schema", nargs="?", choices=["schema"],
                        help="print the JSON Schema of each file of a run folder instead")
    parser.add_argument("--runs-dir", default="runs", help="where run folders are (default: runs)")
    parser.add_argument("--clean", nargs="*", metavar="RUN", default=None,
                        help="remove incomplete run folders that hold no model or checkpoint (asks first); "
                        "with RUN folders: remove exactly those, whatever they hold")
    parser.add_argument("--yes", action="store_true", help="with --clean: do not ask")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.runs._listing import find_runs

    if args.schema:
        from fitbench.runs._record import json_schemas

        say(json.dumps(json_schemas(), indent=2))
        return 0
    if args.clean:
        return _clean_named([Path(path) for path in args.clean], args.yes)
    entries = find_runs(args.runs_dir)
    for entry in entries:
        val = f"val accuracy {entry.val_accuracy:.4f}" if entry.val_accuracy is not None else ""
        resumable = "  (resume: fitbench train --resume PATH)" if entry.resumable else ""
        # names and notes come from the folder: one line each, whatever they hold
        note = f"  ({printable(entry.note)})" if entry.note else ""
        epochs = "epoch " if entry.epochs_run == 1 else "epochs"
        say(f"{entry.state:11s} {entry.epochs_run:3d} {epochs}  {val:20s} {printable(str(entry.path))}{resumable}{note}")
        for problem in entry.problems:
            say(f"{'':11s} damaged: {printable(problem)}")
    incomplete = [entry for entry in entries if entry.state == "incomplete"]
    say(f"{len(entries)} runs, {len(incomplete)} incomplete")
    if args.clean is not None and incomplete:
        if not args.yes and not _confirm("remove the incomplete run folders that hold no model or checkpoint? [y/N] "):
            say("nothing removed")
            return 0
        from fitbench.runs._clean import clean

        _report(clean([entry.path for entry in entries]))
    return 0


def _clean_named(paths: list[Path], yes: bool) -> int:
    missing = [path for path in paths if not path.is_dir()]
    if missing:
        raise FitbenchError(f"{missing[0]}: no such run folder; nothing removed")
    if not yes and not _confirm(f"remove {len(paths)} run folders, with their models and checkpoints? [y/N] "):
        say("nothing removed")
        return 0
    from fitbench.runs._clean import clean

    done = clean(paths, named=True)
    _report(done)
    return 0 if not done.kept else EXIT_USAGE


def _report(done: Cleaning) -> None:
    for path in done.removed:
        say(f"removed {printable(str(path))}")
    for path, reason in done.kept:
        say(f"kept {printable(str(path))}: {printable(reason)}")
    for path in done.leftovers:
        say(f"removed leftover {printable(str(path))}")


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        say(f"{question}no (not a terminal; use --yes)")
        return False
    return input(question).strip().lower() in ("y", "yes")
