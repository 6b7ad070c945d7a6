"""dataset.label_issues: an audit's suspects dropped from, or relabelled in, the train and
validation splits before training; the test split never changes (issue 27's optional
experiment setting)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits

from fitbench.audit import LabelIssues, Suspect
from fitbench.config import DatasetConfig, validate
from fitbench.data import load_from_config, source_positions
from fitbench.errors import ConfigError, DataError
from tests.conftest import ROOT

LABELS = load_digits().target  # the source's labels, by position
NAMES = tuple(str(k) for k in range(10))


def audit_csv(path: Path, positions: list[int], labels: np.ndarray = LABELS) -> Path:
    """A label_issues.csv as fitbench audit writes it: each suspect given its label, suggested the next class."""
    suspects = [Suspect(i, "val", None, int(labels[i]), int((labels[i] + 1) % 10), 0.9, 0.05) for i in positions]
    return LabelIssues(suspects, np.zeros((len(suspects), 8, 8)), NAMES, len(labels), 5, "digits", path.parent
                       ).to_csv(path)


def config(csv: Path, action: str, **more: object) -> DatasetConfig:
    return DatasetConfig(name="digits", label_issues={"action": action, "csv": csv, **more})


@settings(max_examples=15, deadline=None)
@given(suspects=st.sets(st.integers(0, len(LABELS) - 1), max_size=60), stratify=st.booleans(),
       seed=st.integers(0, 2**16))
def test_drop_removes_exactly_the_suspects_and_relabel_changes_only_theirs(tmp_path_factory, suspects, stratify,
                                                                           seed):
    csv = audit_csv(tmp_path_factory.mktemp("audit") / "label_issues.csv", sorted(suspects))
    plain = DatasetConfig(name="digits", seed=seed, stratify=stratify)
    where, before = source_positions(plain), load_from_config(plain)
    dropped = plain.model_copy(update={"label_issues": config(csv, "drop").label_issues})
    kept, after = source_positions(dropped), load_from_config(dropped)
    for split in ("train", "val"):
        expected = [p for p in where[split] if p not in suspects]
        assert kept[split].tolist() == expected  # in the same order, the suspects left out
        np.testing.assert_array_equal(after.split(split)[1], LABELS[expected])
        np.testing.assert_array_equal(after.split(split)[0], before.split(split)[0][np.isin(where[split], expected)])
    np.testing.assert_array_equal(after.split("test")[1], before.split("test")[1])
    assert kept["test"].tolist() == where["test"].tolist()

    relabelled = load_from_config(plain.model_copy(update={"label_issues": config(csv, "relabel").label_issues}))
    for split in ("train", "val", "test"):
        hit = np.isin(where[split], list(suspects)) & (split != "test")
        expected = np.where(hit, (LABELS[where[split]] + 1) % 10, LABELS[where[split]])
        np.testing.assert_array_equal(relabelled.split(split)[1], expected)
        np.testing.assert_array_equal(relabelled.split(split)[0], before.split(split)[0])


def test_top_takes_only_the_most_doubtful(tmp_path: Path):
    csv = audit_csv(tmp_path / "label_issues.csv", list(range(100)))
    sizes = load_from_config(config(csv, "drop", top=10)).sizes()
    full = load_from_config(DatasetConfig(name="digits")).sizes()
    kept = source_positions(DatasetConfig(name="digits"))
    lost = sum(int(np.isin(kept[split], range(10)).sum()) for split in ("train", "val"))
    assert sizes["train"] + sizes["val"] == full["train"] + full["val"] - lost and sizes["test"] == full["test"]


def test_an_audit_of_other_labels_or_a_broken_file_is_refused_in_one_line(tmp_path: Path):
    shifted = audit_csv(tmp_path / "other.csv", [3, 4], labels=(LABELS + 1) % 10)
    with pytest.raises(DataError, match=r"line 2: image 3 is labelled '3' here, '4' in the audit; it audits another"):
        load_from_config(config(shifted, "drop"))
    beyond = tmp_path / "beyond.csv"
    beyond.write_text("rank,index,split,path,given,suggested\n1,5000,val,,1,2\n")
    with pytest.raises(DataError, match=r"line 2: index '5000' is not an image of this data set \(0..1796\)"):
        load_from_config(config(beyond, "relabel"))
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(f"index,given,suggested\n0,{LABELS[0]},cat\n")
    with pytest.raises(DataError, match="suggested class 'cat' is not one of the data set's classes"):
        load_from_config(config(unknown, "relabel"))
    columns = tmp_path / "columns.csv"
    columns.write_text("label,pixel0\n1,0\n")
    with pytest.raises(DataError, match="no index, given, suggested column"):
        load_from_config(config(columns, "drop"))
    with pytest.raises(DataError, match="cannot read .*missing.csv .*run fitbench audit on the data set first"):
        load_from_config(config(tmp_path / "missing.csv", "drop"))


def test_the_setting_is_validated_with_the_experiment(tmp_path: Path):
    document = {"name": "digits", "label_issues": {"action": "remove", "csv": "x.csv"}}
    with pytest.raises(ConfigError, match="label_issues.action: expected 'drop' or 'relabel', got 'remove'"):
        validate(DatasetConfig, document, where="dataset")
    with pytest.raises(ConfigError, match="label_issues.top: "):
        validate(DatasetConfig, {"name": "digits", "label_issues": {"action": "drop", "csv": "x.csv", "top": 0}},
                 where="dataset")
    relative = validate(DatasetConfig, {"name": "digits", "label_issues": {"action": "drop", "csv": "a/b.csv"}},
                        where="dataset")
    assert relative.label_issues is not None and relative.label_issues.csv == Path("a/b.csv").resolve()


@pytest.mark.slow  # one epoch on digits: about 15 s
def test_train_with_the_suspects_dropped_records_the_setting(tmp_path: Path):
    csv = audit_csv(tmp_path / "label_issues.csv", list(range(0, 1797, 10)))
    done = subprocess.run([sys.executable, "-m", "fitbench.cli", "train", "first", "--dataset", "digits",
                           "--set", "training.epochs=1", "--set", "dataset.label_issues.action=drop",
                           "--set", f"dataset.label_issues.csv={csv}", "--runs-dir", str(tmp_path / "runs"),
                           "--no-report"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    run = Path(done.stdout.strip().splitlines()[-1])
    recorded = yaml.safe_load((run / "config.yaml").read_text())["dataset"]["label_issues"]
    assert recorded == {"action": "drop", "csv": str(csv), "top": None}
    full = load_from_config(DatasetConfig(name="digits")).sizes()
    trained = yaml.safe_load((run / "metrics.json").read_text())["splits"]["train"]["n"]
    assert trained < full["train"]  # about a tenth of the training images left out
