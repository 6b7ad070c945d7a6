"""User-facing errors: each carries a one-line message that names the key or file,
what was expected, what was received, and how to fix it."""

from __future__ import annotations

import contextlib
import contextvars
import difflib
from collections.abc import Iterable, Iterator

__all__ = ["FitbenchError", "ConfigError", "DataError", "FitbenchWarning", "did_you_mean", "spelled", "command_line"]

# Who reads the messages: a Python caller, or a person at the `fitbench` command.
_AUDIENCE: contextvars.ContextVar[str] = contextvars.ContextVar("fitbench_audience", default="python")


class FitbenchError(Exception):
    """A problem the user can fix; the CLI prints its message (no traceback), exit code 2."""


class ConfigError(FitbenchError, ValueError):
    """A configuration value or function argument that does not validate."""


class DataError(FitbenchError):
    """A data file or array that is missing, corrupt, or inconsistent."""


def did_you_mean(value: str, options: Iterable[str]) -> str:
    """`` (did you mean 'epochs'?)`` for the closest option, or an empty string."""
    close = difflib.get_close_matches(value, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class FitbenchWarning(UserWarning):
    """Something the user should act on, found while going on (the course's scaling bug, say).

    Raised through ``warnings.warn``: a notebook shows it, ``warnings.filterwarnings`` hides it,
    and the CLI prints it as one ``fitbench: ...`` line.
    """


def spelled(python: str, cli: str) -> str:
    """A setting as the reader gives it: ``python`` (an argument, e.g. ``data_dir=DIR``), or
    ``cli`` (an option, e.g. ``--data-dir DIR``) while the ``fitbench`` command runs."""
    return cli if _AUDIENCE.get() == "cli" else python


@contextlib.contextmanager
def command_line() -> Iterator[None]:
    """Within: messages name command-line options (``spelled``); the ``fitbench`` command runs in it."""
    token = _AUDIENCE.set("cli")
    try:
        yield
    finally:
        _AUDIENCE.reset(token)
