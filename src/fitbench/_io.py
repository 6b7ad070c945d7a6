"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from fitbench._inert import spreadsheet_safe


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a unique temporary path beside ``path``, then rename it over ``path``.

    Whatever ``write`` returns (``Path.write_text`` returns a count) is ignored."""
    path = Path(path)
    # mkstemp gives a name no other process uses; the suffix keeps e.g. ".keras" for Keras.
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp makes the file 0600; the result must be readable as any file the user writes
        # (other users, a web server), so give it the mode open() would: 0666 less the umask.
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process's umask, read without changing it where the OS allows (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere reading it means setting it: put it straight back
    os.umask(mask)
    return mask


def remove_leftovers(folder: Path) -> list[Path]:
    """Delete the temporary files a killed write left in ``folder`` (``.NAME.*.tmp*``)."""
    removed = []
    for leftover in Path(folder).glob(".*.tmp*"):
        try:
            leftover.unlink()
        except FileNotFoundError:  # another process finished or removed it meanwhile
            continue
        removed.append(leftover)
    return removed


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_yaml(path: Path, data: Any) -> None:
    write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def write_csv(path: Path, columns: list[str], rows: list[list[Any]]) -> None:
    """Every CSV file fitbench writes: a text cell a spreadsheet would run as a formula (a class
    named ``=HYPERLINK(...)``) is neutralised, as OWASP advises."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spreadsheet_safe(cell) for cell in columns])
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    write_text(path, buffer.getvalue())
