"""The ``fitbench`` command: one module per command, each with ``register(commands)``."""

from __future__ import annotations

import _thread
import argparse
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from fitbench.cli._say import say
from fitbench.cli import (
    _audit, _compare, _curriculum, _cv, _datasets, _diagnose, _evaluate, _experiments, _explain, _export, _predict,
    _report, _runs, _serve, _train, _tune,
)
from fitbench._log import to_console
from fitbench.cli._environment import check_environment
from fitbench.cli._train import EXIT_INTERRUPTED
from fitbench.errors import FitbenchError, command_line

EXIT_USAGE = 2  # bad input of any kind: a config, a file, an argument

# Commands in the order `fitbench --help` lists them.
COMMANDS = (_curriculum, _train, _evaluate, _predict, _explain, _runs, _report, _compare, _diagnose, _cv, _audit,
            _tune, _experiments, _datasets, _export, _serve)


def main(argv: Sequence[str] | None = None) -> int:
    to_console()  # the library's notices and warnings, one `fitbench: ...` line each on stderr
    args = build_parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        with command_line():
            check_environment()
            return command(args)
    except FitbenchError as error:
        say(f"fitbench: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as interrupt:
        _keep(interrupt)
        say("fitbench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def run() -> NoReturn:
    """The ``fitbench`` console script: ``main()``, then exit."""
    stop_on_sigterm()
    sys.unraisablehook = _ctrl_c_passed_on(sys.unraisablehook)
    try:
        code = main()
    except KeyboardInterrupt as interrupt:  # Ctrl-C while parsing the arguments or importing a command
        _keep(interrupt)
        say("fitbench: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED:
        _exit_now(code)
    # Exiting, the interpreter would collect Keras' and JAX's module graph one last time: 0.8 s
    # of every command's wall time (measured). Frozen objects are left to the OS to reclaim.
    gc.freeze()
    sys.exit(code)


def stop_on_sigterm() -> None:
    """SIGTERM (``kill``, a scheduler's stop) ends a command as Ctrl-C does, from its first
    moment: KeyboardInterrupt, "fitbench: interrupted", exit 130, locks released and atomic
    writes finished or not begun. Python's default ends the process where it stands (a resume
    still starting up died silently with -15). Training and saving install their own handler
    (training.StopOnSignal), which stops after the batch and puts this one back."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


_INTERRUPTS: list[KeyboardInterrupt] = []


def _keep(interrupt: KeyboardInterrupt) -> None:
    """Never free a Ctrl-C's traceback: when it landed while an extension module of jaxlib was
    being imported, its frames hold that half-made module, and freeing it crashed the command
    (SIGSEGV in nanobind's nb_module_free, right after "fitbench: interrupted"; gdb, issue 19.6).
    The command exits with os._exit straight after, so nothing is left to leak into."""
    _INTERRUPTS.append(interrupt)


def _ctrl_c_passed_on(hook: Callable[[Any], object]) -> Callable[[Any], object]:
    """``hook``, except that a Ctrl-C Python could not raise is signalled again. Python ignores
    an exception from a garbage-collector callback or a finalizer, and Ctrl-C lands in JAX's gc
    callback often (4 of 6 presses while the command's modules imported, measured): the command then ran to
    the end and exited 0. Signalled again, KeyboardInterrupt is raised where the command runs."""
    def unraisable(info: Any) -> None:
        if not issubclass(info.exc_type, KeyboardInterrupt):
            hook(info)
            return
        # From another thread, a moment later: signalled from here, it would be raised (and
        # ignored) in this hook. The handler in force decides: fitbench's own in training.
        later = threading.Timer(0.01, _thread.interrupt_main, (signal.SIGINT,))
        later.daemon = True
        try:
            later.start()
        except RuntimeError:  # the interpreter is exiting: nothing is left to stop
            hook(info)
    return unraisable


def _exit_now(code: int) -> NoReturn:
    """Exit without tearing the interpreter down. A Ctrl-C that lands in a compile makes XLA's
    call return at once while its threads go on generating code; the C++ static destructors an
    ordinary exit runs then pull LLVM's objects from under them: SIGSEGV (rc -11) or abort
    ("pure virtual method called", rc -6) instead of 130 (core dump, issue 19.6). Everything
    fitbench writes is already on disk (atomic writes), so only the standard streams and
    logging need flushing."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose "unrecognized arguments: --epochs 3" names the ``--set`` meant."""

    def error(self, message: str) -> NoReturn:
        super().error(message + _set_hint(message))


def _set_hint(message: str) -> str:
    """``; did you mean --set training.epochs=3?`` for an option that is an experiment key."""
    words = message.removeprefix("unrecognized arguments: ").split() if "unrecognized arguments" in message else []
    for index, word in enumerate(words):
        name, equals, value = word.removeprefix("--").partition("=")
        key = _experiment_key(name.replace("-", "_")) if word.startswith("--") else None
        if key is None:
            continue
        if not equals:
            value = words[index + 1] if index + 1 < len(words) and not words[index + 1].startswith("-") else "VALUE"
        return f"; did you mean --set {key}={value}?"
    return ""


def _experiment_key(name: str) -> str | None:
    """The dotted key ``name`` is a field of: ``training.epochs``; training's keys first (seed)."""
    from pydantic import BaseModel

    from fitbench.config import DatasetConfig, EarlyStoppingConfig, TrainingConfig

    sections: dict[str, type[BaseModel]] = {"training": TrainingConfig, "dataset": DatasetConfig,
                                            "training.early_stopping": EarlyStoppingConfig}
    return next((f"{section}.{name}" for section, model in sections.items() if name in model.model_fields), None)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fitbench",
        description="Train, evaluate and inspect neural-network classifiers on MNIST-like images.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(commands)
    return parser


class _Version(argparse.Action):
    """argparse's version action, whose version is looked up only when asked: importlib.metadata
    scans every installed package, which every other command would pay for at start-up."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("fitbench")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        from fitbench import __version__

        return __version__
