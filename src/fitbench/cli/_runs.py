"""``fitbench runs``: list run folders with their state; ``--clean`` removes incomplete ones."""

from __future__ import annotations

import argparse
import json
import sys


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("runs", help="list runs with their state (complete, interrupted, failed, incomplete)")
    parser.add_argument("schema", nargs="?", choices=["schema"],
                        help="print the JSON Schema of each file of a run folder instead")
    parser.add_argument("--runs-dir", default="runs", help="where run folders are (default: runs)")
    parser.add_argument("--clean", action="store_true", help="remove incomplete run folders (asks first)")
    parser.add_argument("--yes", action="store_true", help="with --clean: do not ask")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from fitbench.runs._listing import find_runs, remove_incomplete

    if args.schema:
        from fitbench.runs._record import json_schemas

        print(json.dumps(json_schemas(), indent=2))
        return 0
    entries = find_runs(args.runs_dir)
    for entry in entries:
        val = f"val accuracy {entry.val_accuracy:.4f}" if entry.val_accuracy is not None else ""
        resumable = "  (resume: fitbench train --resume PATH)" if entry.resumable else ""
        note = f"  ({entry.note})" if entry.note else ""
        epochs = "epoch " if entry.epochs_run == 1 else "epochs"
        print(f"{entry.state:11s} {entry.epochs_run:3d} {epochs}  {val:20s} {entry.path}{resumable}{note}")
        for problem in entry.problems:
            print(f"{'':11s} damaged: {problem}")
    incomplete = [entry for entry in entries if entry.state == "incomplete"]
    print(f"{len(entries)} runs, {len(incomplete)} incomplete")
    if args.clean and incomplete:
        if not args.yes and not _confirm(f"remove {len(incomplete)} incomplete run folders? [y/N] "):
            print("nothing removed")
            return 0
        for path in remove_incomplete(incomplete):
            print(f"removed {path}")
    return 0


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        print(f"{question}no (not a terminal; use --yes)")
        return False
    return input(question).strip().lower() in ("y", "yes")
