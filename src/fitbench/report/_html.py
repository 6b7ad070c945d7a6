"""HTML from the package's jinja2 templates; images inlined as base64 so a file opens offline."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from fitbench import _io
from fitbench.errors import FitbenchError


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render(template: str, **context: Any) -> str:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("fitbench.report", "templates"),
        autoescape=True,  # run names, configs and messages are user text
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not as a blank
        trim_blocks=True, lstrip_blocks=True,
    )
    environment.filters["number"] = _number
    return environment.get_template(template).render(**context)


def _number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


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
