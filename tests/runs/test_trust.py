"""Trust is named, never inferred: a run folder's ``model.factory`` is imported on resume only
when the command names that exact ``module:function`` with ``--trust``; no module is trusted
for being fitbench's (some of fitbench's own functions do whatever their arguments say)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from fitbench.errors import ConfigError
from fitbench.models._factory import check_trust_names, check_trusted
from tests.cli.test_cli import fitbench

WRAPPER = "fitbench.models._factory:build_from_factory"


def _interrupted_run(folder: Path, model: dict) -> Path:
    """A run folder an attacker wrote: an interrupted factory run, resumable as far as its files go."""
    folder.mkdir(parents=True)
    config = {"name": "r", "dataset": {"name": "digits"}, "model": model, "training": {"epochs": 1}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    (folder / "status.json").write_text(json.dumps({"state": "interrupted"}))
    return folder


def _payloads(tmp_path: Path) -> dict[str, tuple[dict, Path]]:
    """Each payload and the file it would create if fitbench ran it."""
    shell, written = tmp_path / "ran-a-shell-command", tmp_path / "wrote-a-file"
    return {
        "a shell command through fitbench's factory wrapper": (
            {"factory": WRAPPER, "kwargs": {"spec": "subprocess:getoutput", "kwargs": {"cmd": f"touch '{shell}'"}}},
            shell),
        "any file written through fitbench._io": (
            {"factory": "fitbench._io:write_text", "kwargs": {"path": str(written), "text": "owned"}}, written),
    }


@pytest.mark.parametrize("case", ["a shell command through fitbench's factory wrapper", "any file written through fitbench._io"])
def test_resume_without_trust_runs_nothing_and_names_the_flag(tmp_path: Path, case: str) -> None:
    model, marker = _payloads(tmp_path)[case]
    run = _interrupted_run(tmp_path / "runs" / "r", model)
    done = fitbench("train", "--resume", str(run), "--quiet", cwd=tmp_path)
    assert not marker.exists(), f"{case}: the folder's payload ran"
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert f"--trust {model['factory']}" in line and "Traceback" not in done.stderr


def test_trusting_the_module_is_not_trusting_its_functions(tmp_path: Path) -> None:
    model, marker = _payloads(tmp_path)["a shell command through fitbench's factory wrapper"]
    run = _interrupted_run(tmp_path / "runs" / "r", model)
    done = fitbench("train", "--resume", str(run), "--trust", "fitbench.models._factory", "--quiet", cwd=tmp_path)
    assert not marker.exists()
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "--trust 'fitbench.models._factory'" in line and "module:function" in line


def test_only_the_exact_factory_named_is_trusted() -> None:
    check_trusted("mypkg.models:make", ["mypkg.models:make"], where="run")  # named: passes
    for trusted in ([], ["mypkg.models:other"], ["mypkg.other:make"], ["mypkg:models.make"]):
        with pytest.raises(ConfigError, match="--trust mypkg.models:make"):
            check_trusted("mypkg.models:make", trusted, where="run")
    with pytest.raises(ConfigError, match="--trust fitbench.models._factory:build_from_factory"):
        check_trusted(WRAPPER, [], where="run")  # fitbench's own modules are not trusted either


@pytest.mark.parametrize("name", ["mypkg", "mypkg:", ":make", ""])
def test_a_trust_value_must_name_one_function(name: str) -> None:
    with pytest.raises(ConfigError, match="module:function"):
        check_trust_names([name])
