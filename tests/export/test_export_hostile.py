"""Export reads through the run folder's reader: no symlink followed, no folder outside the one
named, only the folder's declared files (a link in ``figures/`` to ``~/.ssh/id_rsa`` was uploaded)."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fitbench.errors import FitbenchError, FitbenchWarning
from fitbench.export import RunRecord, Skipped, read_records
from fitbench.export._artifacts import staged
from fitbench.export._records import flatten
from tests.conftest import copy_run

SECRET = "PRIVATE KEY of the person exporting"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A secret file outside any run folder, and a folder of them two levels down."""
    secrets = tmp_path / "home" / ".ssh"
    secrets.mkdir(parents=True)
    (secrets / "id_rsa").write_text(SECRET)
    (secrets / "deep" / "er").mkdir(parents=True)
    (secrets / "deep" / "er" / "passwd.png").write_text(SECRET)
    return secrets


def _sent(record: RunRecord, scratch: Path) -> dict[str, bytes]:
    """What the tracker would receive: ``folder/name`` -> bytes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitbenchWarning)
        return {f"{folder}/{path.name}": path.read_bytes() for path, folder in staged(record.artifacts, scratch)}


def test_links_in_figures_are_not_uploaded(tiny_run: Path, tmp_path: Path, outside: Path) -> None:
    run = copy_run(tiny_run, tmp_path)
    figures = run / "figures"
    figures.mkdir(exist_ok=True)
    (figures / "key.png").symlink_to(outside / "id_rsa")
    (figures / "two-down").symlink_to(outside / "deep", target_is_directory=True)  # figures/two-down/er/passwd.png
    (run / "notes").mkdir()
    (run / "notes" / "undeclared.png").write_text("not a file a run folder declares")
    (record,) = read_records(run)
    assert isinstance(record, RunRecord)
    sent = _sent(record, tmp_path / "scratch")
    assert not any(SECRET.encode() in data for data in sent.values())
    assert not any("undeclared" in name or "key.png" in name for name in sent)
    assert "/config.yaml" in sent  # the declared files still go
    assert any("figures/key.png" in problem for problem in record.problems)  # and the link is named


def test_a_linked_figures_folder_is_not_entered(tiny_run: Path, tmp_path: Path, outside: Path) -> None:
    run = copy_run(tiny_run, tmp_path)
    shutil.rmtree(run / "figures", ignore_errors=True)
    (run / "figures").symlink_to(outside / "deep" / "er", target_is_directory=True)
    with pytest.raises(FitbenchError, match="figures is a symbolic link"):  # the whole folder is refused
        read_records(run)
    (record,) = read_records(run.parent)  # in a folder of runs: skipped, the others still go
    assert isinstance(record, Skipped) and "figures is a symbolic link" in record.reason


def test_a_file_swapped_for_a_link_after_listing_is_refused(tiny_run: Path, tmp_path: Path, outside: Path) -> None:
    run = copy_run(tiny_run, tmp_path)
    (record,) = read_records(run)
    (run / "config.yaml").unlink()
    (run / "config.yaml").symlink_to(outside / "id_rsa")  # the race: listed as a file, sent as a link
    with pytest.warns(FitbenchWarning, match="config.yaml not exported: config.yaml is a symbolic link"):
        sent = {folder + path.name: path.read_bytes() for path, folder in staged(record.artifacts, tmp_path / "s")}
    assert "config.yaml" not in sent and not any(SECRET.encode() in data for data in sent.values())


def test_a_linked_run_folder_outside_the_named_folder_is_not_exported(tiny_run: Path, tmp_path: Path) -> None:
    elsewhere = copy_run(tiny_run, tmp_path / "elsewhere")
    named = copy_run(tiny_run, tmp_path / "named")
    os.symlink(elsewhere, named.parent / "linked-run", target_is_directory=True)
    trials = named.parent / "my-study"
    trials.mkdir()
    os.symlink(elsewhere.parent, trials / "trials", target_is_directory=True)  # a study's trials/ leading out
    paths = [str(tag) for record in read_records(named.parent)
             for tag in ([record.tags["fitbench.path"]] if isinstance(record, RunRecord) else [])]
    assert paths == [str(named.resolve())]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=3))
def test_any_config_key_becomes_a_param_name_mlflow_takes(path: list[str]) -> None:
    # A folder's config.yaml may hold any key: fuzz-00060 of the run-folder fuzzer added one with a
    # control character, and MLflow refused the whole export with a traceback.
    from mlflow.utils.validation import _validate_param_name

    config: dict = {}
    leaf = config
    for key in path[:-1]:
        leaf = leaf.setdefault(key, {})
    leaf[path[-1]] = 1
    for name, _ in flatten(config):
        _validate_param_name(name)


def test_any_history_column_becomes_a_metric_name_mlflow_takes(tiny_run: Path, tmp_path: Path) -> None:
    # Found by the run-folder fuzzer at 2,000 folders (fuzz-01820): a history.csv column without a
    # name made MLflow refuse the export ("Invalid value '' for parameter 'metrics[0].name'").
    from mlflow.utils.validation import _validate_metric_name

    folder = copy_run(tiny_run, tmp_path)
    history = folder / "history.csv"
    lines = history.read_text().splitlines()
    header = lines[0].split(",")
    header[1] = ""
    history.write_text("\n".join([",".join(header), *lines[1:]]) + "\n")
    (record,) = read_records(folder)
    assert isinstance(record, RunRecord) and "_" in record.history
    for name in record.history:
        _validate_metric_name(name)


def test_a_history_longer_than_the_export_bound_is_cut_and_said(tiny_run: Path, tmp_path: Path) -> None:
    # Found by the run-folder fuzzer at 2,000 folders (fuzz-00320): 24,000 epochs within
    # history.csv's size limit took MLflow's SQL store 11 s of CPU to take.
    from fitbench.export._records import MAX_EXPORTED_EPOCHS

    folder = copy_run(tiny_run, tmp_path)
    history = folder / "history.csv"
    header, first = history.read_text().splitlines()[:2]
    history.write_text("\n".join([header, *[first] * (MAX_EXPORTED_EPOCHS + 5)]) + "\n")
    (record,) = read_records(folder)
    assert isinstance(record, RunRecord)
    assert {len(values) for values in record.history.values()} == {MAX_EXPORTED_EPOCHS}
    assert f"history.csv has {MAX_EXPORTED_EPOCHS + 5:,} epochs; the first {MAX_EXPORTED_EPOCHS:,} exported" in (
        record.problems)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_history_column_name_becomes_a_metric_name_mlflow_takes(column: str) -> None:
    from mlflow.utils.validation import _validate_metric_name

    from fitbench.export._records import param_name

    _validate_metric_name(param_name(column))
