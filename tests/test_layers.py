"""The import contracts in pyproject.toml ([tool.importlinter]) hold, checked by `lint-imports`."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from tests.conftest import ROOT

# Contracts broken today, each with the work that keeps it. xfail(strict): once one is kept,
# this test fails until its "pending-" prefix is dropped here and in pyproject.toml.
PENDING = {
    "pending-report-no-training": "report reads folders through fitbench.runs, whose live Run (runs._run) "
                                  "loads the model: runs._run -> models, evaluation, prediction (issue 15.3)",
    "pending-no-cycles": "no cycles left inside a package, but among packages: runs._run (the live Run) "
                         "imports diagnosis, report, display, evaluation, prediction, plots, config, data; "
                         "_repr_html_ methods in data, diagnosis, evaluation import display; "
                         "display._study -> tuning (issue 15.3)",
    "pending-records-no-keras": "runs._environment imports jax and _keras to record the backend; runs._run "
                                "loads the model (models, _keras, evaluation) (issue 15.3)",
}


def _contracts() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return [contract["id"] for contract in config["contracts"]]


def _param(contract: str):
    if contract.startswith("pending-"):
        return pytest.param(contract, marks=pytest.mark.xfail(reason=PENDING[contract], strict=True))
    return contract


@pytest.mark.parametrize("contract", [_param(contract) for contract in _contracts()])
def test_import_contract_is_kept(contract: str):
    pytest.importorskip("importlinter", reason="import-linter is not installed (pip install -e '.[test]')")
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                               "sys.exit(lint_imports_command())", "--no-logo", "--no-cache", "--contract", contract],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_pending_contract_says_why():
    assert sorted(PENDING) == sorted(contract for contract in _contracts() if contract.startswith("pending-"))
