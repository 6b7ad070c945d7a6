"""Atomic writes: files readable under the user's umask, leftovers of killed writes removable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fitbench import _io


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_follow_the_umask(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        _io.write_json(tmp_path / "a.json", {"x": 1})
        _io.atomic_write(tmp_path / "b.bin", lambda tmp: tmp.write_bytes(b"x"))
        assert _io.current_umask() == umask
    finally:
        os.umask(previous)
    for name in ("a.json", "b.bin"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_leftovers_of_killed_writes_are_removed(tmp_path: Path) -> None:
    (tmp_path / ".checkpoint.npz.abc123.tmp.npz").write_bytes(b"half")
    (tmp_path / "model.keras").write_bytes(b"kept")
    assert [p.name for p in _io.remove_leftovers(tmp_path)] == [".checkpoint.npz.abc123.tmp.npz"]
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]
