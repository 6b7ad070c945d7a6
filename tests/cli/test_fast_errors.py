"""A typo is answered before Keras, JAX, matplotlib or Optuna is imported (each takes seconds):
the command line checks its arguments, files, overrides and data-set names first."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = ("keras", "jax", "matplotlib", "optuna")


def run_in_fresh_process(args: list[str]) -> tuple[int, list[str], str]:
    """``fitbench ARGS`` in a fresh interpreter: its exit code, the heavy modules it loaded, its stderr."""
    code = (f"import json, sys; from fitbench.cli import main; code = main({args!r}); "
            f"print(json.dumps([code, sorted(m for m in {HEAVY!r} if m in sys.modules)]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.stdout, result.stderr
    exit_code, loaded = json.loads(result.stdout.splitlines()[-1])
    return exit_code, loaded, result.stderr


@pytest.mark.parametrize("args", [
    ["train", "nosuchexp"],
    ["train", "first", "--dataset", "digts"],
    ["train", "first", "--set", "training.epoch=3"],
    ["train", "first", "--set", "training.epochs=-1"],
    ["train", "first", "--set", "no-equals-sign"],
    ["train", "--resume", "no/such/run"],
    ["cv", "first", "--set", "model.zoo=frist"],
    ["curriculum", "--dataset", "mnsit"],
    ["tune", "nosuchtuning"],
    ["tune", "tune", "--dataset", "digts"],
    ["tune", "tune", "--set", "training.epoch=3"],
], ids=" ".join)
def test_a_bad_argument_is_refused_without_importing_keras_jax_matplotlib_or_optuna(args: list[str]):
    exit_code, loaded, stderr = run_in_fresh_process(args)
    assert exit_code == 2
    assert loaded == []
    (line,) = stderr.splitlines()  # the one-line message, no traceback
    assert line.startswith("fitbench: error: ")


def test_an_override_typo_names_the_override_not_the_bundled_file():
    exit_code, _, stderr = run_in_fresh_process(["train", "first", "--set", "training.epoch=3"])
    assert exit_code == 2
    assert stderr.startswith("fitbench: error: --set training.epoch=3: training.epoch: unknown key "
                             "(did you mean 'epochs'?)")
    assert "first.yaml" not in stderr


def test_a_bad_file_with_a_good_override_still_names_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nmodel: {zoo: first}\ntraining: {epoch: 3}\n")
    exit_code, _, stderr = run_in_fresh_process(["train", str(bad), "--set", "training.seed=1"])
    assert exit_code == 2
    assert stderr.startswith(f"fitbench: error: {bad}: training.epoch: unknown key")


@pytest.mark.parametrize(("given", "hint"), [
    (["--epochs", "3"], "did you mean --set training.epochs=3?"),
    (["--batch-size=32"], "did you mean --set training.batch_size=32?"),
    (["--val-size", "0.1"], "did you mean --set dataset.val_size=0.1?"),
])
def test_an_experiment_key_given_as_an_option_is_answered_with_its_set(given: list[str], hint: str):
    result = subprocess.run([sys.executable, "-m", "fitbench.cli", "train", "first", *given], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith(hint)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("KERAS_BACKEND", "torch", "fitbench: error: KERAS_BACKEND='torch': fitbench runs Keras on JAX; unset KERAS_BACKEND "
                               "or set KERAS_BACKEND=jax"),
    ("FITBENCH_XLA_THREADS", "al", "fitbench: error: FITBENCH_XLA_THREADS='al': expected 1"),
])
def test_a_bad_environment_variable_is_one_line_before_any_work(name: str, value: str, message: str, tmp_path):
    # KERAS_BACKEND=torch was Keras' ModuleNotFoundError traceback, once a command imported it.
    result = subprocess.run([sys.executable, "-m", "fitbench.cli", "train", "first", "--runs-dir", str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ, name: value})
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(message)
    assert not any(tmp_path.iterdir())
