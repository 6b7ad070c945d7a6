"""A data file a config names may come from a run folder (``fitbench train --resume``): it is
read only when it is a regular file under its size limit, and no error quotes what it holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fitbench.data._csv import read_csv_images
from fitbench.data._idx import read_idx
from fitbench.errors import DataError
from tests.cli.test_cli import fitbench

SECRET = "S3CR3T-first-line"


def _resumable(folder: Path, dataset: dict) -> Path:
    folder.mkdir(parents=True)
    config = {"name": "r", "dataset": dataset, "model": {"zoo": "small"}, "training": {"epochs": 1}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    (folder / "status.json").write_text(json.dumps({"state": "interrupted"}))
    return folder


@pytest.mark.parametrize("source", ["/dev/zero", "secret", "fifo"])
def test_resume_reads_no_device_fifo_or_secret(tmp_path: Path, source: str) -> None:
    """``csv:/dev/zero`` was read without end, ``csv:/etc/passwd`` printed its first line."""
    path = {"/dev/zero": Path("/dev/zero"), "secret": tmp_path / "passwd", "fifo": tmp_path / "fifo"}[source]
    if source == "secret":
        path.write_text(f"{SECRET}:x:0:0\nmore:x:1:1\n")
    elif source == "fifo":
        os.mkfifo(path)  # no writer: opening it for reading the usual way blocks forever
    run = _resumable(tmp_path / "runs" / "r", {"name": "csv", "path": str(path)})
    done = fitbench("train", "--resume", str(run), "--quiet", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert str(path) in line and SECRET not in line and "Traceback" not in done.stderr


def test_an_idx_fifo_or_device_is_refused_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), tmp_path):
        with pytest.raises(DataError, match="not a regular file"):
            read_idx(path, kind="images")


def test_a_csv_over_the_limit_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fitbench.data._csv as csv_module

    path = tmp_path / "big.csv"
    path.write_text("label,pixel0\n" + "1,2\n" * 100)
    monkeypatch.setattr(csv_module, "MAX_BYTES", 100)
    with pytest.raises(DataError, match="more than a CSV file of images fitbench reads"):
        read_csv_images(path)


_LINE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=40)


@settings(max_examples=200, deadline=None)
@given(header=_LINE, rows=st.lists(_LINE, max_size=4), secret_row=st.integers(0, 4))
def test_no_csv_error_quotes_the_file(tmp_path_factory: pytest.TempPathFactory, header: str, rows: list[str],
                                      secret_row: int) -> None:
    """Whatever the file holds, a marker put anywhere in it never appears in the error."""
    lines = [header, *rows]
    where = min(secret_row, len(lines) - 1)
    lines[where] = lines[where][: len(lines[where]) // 2] + SECRET + lines[where][len(lines[where]) // 2:]
    path = tmp_path_factory.mktemp("csv") / "data.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        read_csv_images(path)
    except DataError as error:
        assert SECRET not in str(error) and "\n" not in str(error)
