"""A study storage that stops answering mid-study (a PostgreSQL server stopped): one line
saying to run the command again, and the finished trials kept for that rerun."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
import sqlalchemy.exc
import yaml

from fitbench.cli import main
from tests.tuning.conftest import tiny


def _server_gone() -> sqlalchemy.exc.OperationalError:
    return sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


def _raise_plain() -> None:
    raise _server_gone()


def _raise_as_optuna_does() -> None:
    # Optuna's clean-up fails on a variable the lost connection never set; the cause rides along.
    try:
        raise _server_gone()
    except sqlalchemy.exc.OperationalError:
        raise UnboundLocalError("cannot access local variable 'frozen_trial'")  # noqa: B904 - as Optuna does


@pytest.mark.slow
@pytest.mark.parametrize("failure", [_raise_plain, _raise_as_optuna_does])
def test_a_storage_that_stops_mid_study_is_one_line(shared_runs: Path, tmp_path: Path, monkeypatch, capsys, failure):
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump(tiny(trials=2)))
    args = ["tune", str(path), "--storage", f"sqlite:///{tmp_path / 's.db'}", "--study", "gone",
            "--runs-dir", str(shared_runs)]
    real = optuna.storages.RDBStorage._create_new_trial  # what Optuna's cached storage calls for a new trial
    calls = []

    def second_trial_fails(self, *arguments, **keywords):
        calls.append(1)
        if len(calls) == 2:
            failure()
        return real(self, *arguments, **keywords)

    monkeypatch.setattr(optuna.storages.RDBStorage, "_create_new_trial", second_trial_fails)
    assert main(args) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "the study storage stopped answering (OperationalError: " in err[0]
    assert "finished trials are kept: run the same command again once the database is back" in err[0]
    monkeypatch.setattr(optuna.storages.RDBStorage, "_create_new_trial", real)
    assert main(args) == 0  # the rerun after the "restart" finishes the study
    assert "1 already finished" in capsys.readouterr().out
