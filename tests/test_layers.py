"""The import contracts in pyproject.toml ([tool.importlinter]) hold, checked by `lint-imports`."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from tests.conftest import ROOT


def _contracts() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return [contract["id"] for contract in config["contracts"]]


@pytest.mark.parametrize("contract", _contracts())
def test_import_contract_is_kept(contract: str):
    pytest.importorskip("importlinter", reason="import-linter is not installed (pip install -e '.[test]')")
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                               "sys.exit(lint_imports_command())", "--no-logo", "--no-cache", "--contract", contract],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr

