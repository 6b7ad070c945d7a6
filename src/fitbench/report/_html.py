"""HTML from the package's jinja2 templates; images inlined as base64 so a file opens offline."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from fitbench import _io, _templates
from fitbench.errors import FitbenchError


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render(template: str, **context: Any) -> str:
    return _templates.render("fitbench.report", template, **context)


def write_html(path: Path, html: str) -> Path:
    """Write atomically; a folder that does not exist or cannot be written is the user's to fix."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FitbenchError(f"{path}: cannot write the report: folder {path.parent} does not exist")
    try:
        _io.write_text(path, html)
    except OSError as error:
        raise FitbenchError(f"{path}: cannot write the report: {error.strerror}") from None
    return path
