"""The experiment and tuning files: a path, or a bundled file's name. Kept to the standard
library, so that a misspelt name is answered before the schema (pydantic) is imported."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fitbench.errors import ConfigError, did_you_mean

__all__ = ["bundled_experiments", "bundled_files", "find_experiment", "find_file"]


def bundled_files(*folders: str) -> dict[str, Path]:
    """YAML files shipped in ``fitbench/experiments/<folder>`` (``""``: the top), by name."""
    root = resources.files("fitbench") / "experiments"
    return {Path(item.name).stem: Path(str(item)) for folder in folders
            for item in (root / folder if folder else root).iterdir() if item.name.endswith(".yaml")}


def bundled_experiments() -> dict[str, Path]:
    """The experiment files shipped inside the package, by name: the examples and the
    course's experiments (``fitbench curriculum`` runs those in order)."""
    return bundled_files("", "curriculum")


def find_file(source: str | Path, bundled: dict[str, Path], *, kind: str, give: str) -> Path:
    """A path to an existing file, or the bundled file of that name; else a one-line error."""
    try:
        path = Path(source).expanduser()
    except RuntimeError:  # "~name" for a user this machine does not have
        path = Path(source)
    if path.is_file():
        return path
    if str(source) in bundled:
        return bundled[str(source)]
    hint = did_you_mean(str(source), bundled)
    raise ConfigError(f"{source}: no such {kind}{hint}; give {give}: {', '.join(sorted(bundled))}")


def find_experiment(source: str | Path) -> Path:
    """A path to an existing file, or the bundled experiment of that name."""
    return find_file(source, bundled_experiments(), kind="experiment file",
                     give="a path to a YAML file or one of the bundled experiments")
