"""fitbench's logger, and the console handler a program (the CLI, a tuning worker) installs.

The library never prints: notices go to the ``fitbench`` logger (a ``NullHandler`` keeps it
quiet by default, as the logging guide asks of libraries), and things the user must act on
are ``FitbenchWarning``s. A program decides what a person sees by calling ``to_console()``.
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import Any, TextIO

from fitbench._inert import printable
from fitbench.errors import FitbenchWarning

log = logging.getLogger("fitbench")
log.addHandler(logging.NullHandler())


class _Console(logging.Handler):
    """``fitbench: <message>`` on the stream that is ``sys.stderr`` when the line is written
    (not when the handler was made: tests and notebooks swap the stream)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream: TextIO = sys.stderr
            # a warning may quote a run folder: no control character reaches the terminal
            stream.write(f"fitbench: {printable(record.getMessage(), keep_newlines=True)}\n")
            stream.flush()
        except Exception:  # a closed stream must not break training
            self.handleError(record)


def to_console() -> None:
    """Print fitbench's notices and warnings on stderr, one line each (idempotent)."""
    if not any(isinstance(handler, _Console) for handler in log.handlers):
        log.addHandler(_Console(logging.INFO))
        log.setLevel(logging.INFO)
    if getattr(warnings.showwarning, "_fitbench", False):
        return
    previous = warnings.showwarning

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, FitbenchWarning):
            log.warning(str(message))
        else:
            previous(message, category, *args, **kwargs)

    show._fitbench = True  # type: ignore[attr-defined]
    warnings.showwarning = show
    warnings.simplefilter("always", FitbenchWarning)  # every run's findings, not the first only
