"""Hostile or absurd experiment files: each is one line naming the file (and key), refused
before anything is built, in bounded time and memory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fitbench.config import apply_overrides, load_experiment
from fitbench.errors import ConfigError
from tests.conftest import ROOT

BASE = "name: x\ndataset: {name: digits}\nmodel: {zoo: first}\n"


def _laughs(indent: str) -> str:
    """A "billion laughs": 9 levels of 9 aliases, 324 bytes, 9**9 values once expanded."""
    lines = [f"{indent}a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"{indent}{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi")]
    return "\n".join(lines) + "\n"


HOSTILE = {
    "bomb in model.kwargs": ("name: x\ndataset: {name: digits}\nmodel:\n  factory: fitbench.models:build_model\n"
                             "  kwargs:\n" + _laughs("    "), "more than 100,000 values once its aliases"),
    "bomb in training": (BASE + "training:\n" + _laughs("  "), "more than 100,000 values once its aliases"),
    "deep nesting": (BASE + "training: {epochs: " + "[" * 100_000 + "}", "nested more than 50 levels deep"),
    "duplicate key": (BASE + "training:\n  epochs: 3\n  epochs: 5\n", "line 6, column 3: duplicate key 'epochs'"),
    "seed -1": (BASE + "training: {seed: -1}\n", "training.seed: expected greater than or equal to 0, got -1"),
    "seed 2**64": (BASE + f"training: {{seed: {2**64}}}\n", "training.seed: expected less than 4294967296"),
    "dataset seed -5": (BASE.replace("digits}", "digits, seed: -5}"), "dataset.seed: expected greater than or"),
    "scale nan": ("name: x\ndataset: {name: digits}\nmodel: {layers: [flatten, {type: rescaling, scale: .nan}, "
                  "{type: dense, units: 10}]}\n", "model.layers[1].scale: expected a finite number, got nan"),
    "scale inf": ("name: x\ndataset: {name: digits}\nmodel: {layers: [flatten, {type: rescaling, scale: .inf}, "
                  "{type: dense, units: 10}]}\n", "model.layers[1].scale: expected a finite number, got inf"),
    "units 1e11": ("name: x\ndataset: {name: digits}\nmodel: {layers: [flatten, {type: dense, units: 100000000000}]}\n",
                   "model.layers[1].units: expected less than or equal to 65536, got 100000000000"),
    "zoo units 1e11": ("name: x\ndataset: {name: digits}\nmodel: {zoo: mlp, units: [100000000000]}\n",
                       "model.units[0]: expected less than or equal to 65536"),
    "epochs 1e12": (BASE + "training: {epochs: 1000000000000}\n", "training.epochs: expected less than or equal to"),
    "epochs yes": (BASE + "training: {epochs: yes}\n", "training.epochs: expected a whole number, got True"),
    "min_delta inf": (BASE + "training: {early_stopping: {min_delta: .inf}}\n",
                      "training.early_stopping.min_delta: expected a finite number, got inf"),
    "huge file": (BASE + "description: '" + "x" * 1_100_000 + "'\n", "more than the 1,000,000 an experiment may have"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_one_line(tmp_path: Path, case: str):
    text, expected = HOSTILE[case]
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message and len(message) < 400, message
    assert expected in message


def test_overrides_are_read_with_the_same_limits():
    # --set keeps a value that is not valid YAML as a string, so a bomb stays 300 characters
    bomb = "{" + _laughs("").replace("\n", ", ").rstrip(", ") + "}"
    with pytest.raises(ConfigError) as info:
        load_experiment("first", [f"training.seed={bomb}"])
    assert "\n" not in str(info.value) and len(str(info.value)) < 400
    assert apply_overrides({}, ["training.epochs=3"]) == {"training": {"epochs": 3}}


@pytest.mark.slow
def test_hostile_files_through_the_command_in_bounded_memory(tmp_path: Path):
    """Every hostile file through `fitbench train` in one child whose memory may grow by 300 MB
    after import: each gets one line and exit 2, and no file takes more than the limits."""
    for index, case in enumerate(sorted(HOSTILE)):
        (tmp_path / f"{index:02d}.yaml").write_text(HOSTILE[case][0])
    code = (
        "import resource, sys\n"
        "from fitbench.cli import main\n"
        "import fitbench.config, fitbench.training\n"
        "size = [int(l.split()[1]) << 10 for l in open('/proc/self/status') if l.startswith('VmSize')][0]\n"
        "resource.setrlimit(resource.RLIMIT_AS, (size + (300 << 20),) * 2)\n"
        "for path in sys.argv[1:]:\n"
        "    print(main(['train', path, '--runs-dir', path + '.runs']), flush=True)\n"
    )
    files = sorted(str(path) for path in tmp_path.glob("*.yaml"))
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", code, *files], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["2"] * len(files)
    errors = result.stderr.splitlines()
    assert len(errors) == len(files) and all(line.startswith("fitbench: error: ") for line in errors)
    assert not list(tmp_path.glob("*.runs"))  # refused before any run folder
