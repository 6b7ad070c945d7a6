"""fitbench's logger, and the console handler a program (the CLI, a tuning worker) installs.

The library never prints: notices go to the ``fitbench`` logger (a ``NullHandler`` keeps it
quiet by default, as the logging guide asks of libraries), and things the user must act on
are ``FitbenchWarning``s. A program decides what a person sees by calling ``to_console()``.
"""

from __future__ import annotations

import logging
import re
import sys
import warnings
from typing import Any, TextIO

from fitbench._inert import printable
from fitbench.errors import FitbenchWarning

log = logging.getLogger("fitbench")
log.addHandler(logging.NullHandler())

_FINDING = re.compile(r"(error|warning) \[")  # a diagnosis finding's line names its own severity


def warning_text(message: object) -> str:
    """A ``FitbenchWarning`` as the terminal and a notebook both say it, after ``fitbench: ``:
    ``warning: <message>``, or a finding's own ``warning [code] ...``."""
    text = str(message)
    return text if _FINDING.match(text) else f"warning: {text}"


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
    """Print fitbench's notices and warnings on stderr, one line each (idempotent): the one way
    the ``fitbench`` command and the processes it starts (tuning workers, report drawers) show
    them. ``warnings`` filters still apply: this replaces ``warnings.showwarning``, which Python
    calls only for a warning the filters let through."""
    if not any(isinstance(handler, _Console) for handler in log.handlers):
        log.addHandler(_Console(logging.INFO))
        log.setLevel(logging.INFO)
    if getattr(warnings.showwarning, "_fitbench", False):
        return
    previous = warnings.showwarning

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, FitbenchWarning):
            log.warning(warning_text(message))
        else:
            previous(message, category, *args, **kwargs)

    show._fitbench = True  # type: ignore[attr-defined]
    warnings.showwarning = show
    warnings.simplefilter("always", FitbenchWarning)  # every run's findings, not the first only
