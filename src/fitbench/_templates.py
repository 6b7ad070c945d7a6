"""The one jinja2 setup behind every HTML page fitbench writes or serves (report, display, tuning, web)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2


@functools.cache
def environment(package: str) -> jinja2.Environment:
    """The environment of ``package``'s ``templates/`` folder, e.g. ``environment("fitbench.report")``."""
    import jinja2  # only pages need it

    made = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,  # run names, configs and messages are user text
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not as a blank
        trim_blocks=True, lstrip_blocks=True,
    )
    made.filters["number"] = number
    return made


def render(package: str, template: str, **context: Any) -> str:
    return environment(package).get_template(template).render(**context)


def number(value: Any, digits: int = 4) -> str:
    """A table cell: ``—`` for missing, yes/no, ``12,345``, ``0.1235``."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
