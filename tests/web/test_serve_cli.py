"""``fitbench serve``: listens where asked, warns off this machine, and a taken port is one line."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from fitbench.cli import main
from fitbench.cli._serve import bind


@pytest.fixture
def served_args(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Stops ``uvicorn.Server.run`` from serving; records what it was given."""
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: calls.append(
        {"app": self.config.app, "sockets": sockets}))
    return calls


def test_serves_on_localhost_by_default(served_args: list[dict], tmp_path: Path, capsys):
    assert main(["serve", "--runs-dir", str(tmp_path), "--port", "0"]) == 0
    (listener,) = served_args[0]["sockets"]
    assert listener.getsockname()[0] == "127.0.0.1" and listener.proto == socket.IPPROTO_TCP
    listener.close()
    out, err = capsys.readouterr()
    assert "serving" in out and "http://127.0.0.1:" in out and err == ""


def test_another_host_warns(served_args: list[dict], tmp_path: Path, capsys):
    assert main(["serve", "--runs-dir", str(tmp_path / "later"), "--host", "0.0.0.0", "--port", "0"]) == 0
    served_args[0]["sockets"][0].close()
    err = capsys.readouterr().err
    assert "warning: listening on 0.0.0.0: anyone who can reach this machine" in err
    assert "does not exist yet" in err


def test_a_taken_port_is_one_line(tmp_path: Path, capsys):
    taken = bind("127.0.0.1", 0)
    try:
        code = main(["serve", "--runs-dir", str(tmp_path), "--port", str(taken.getsockname()[1])])
    finally:
        taken.close()
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("fitbench: error: cannot listen on 127.0.0.1:") and err.count("\n") == 1


def test_a_bad_port_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--port", "99999"])
    assert "expected a port number 0..65535, got '99999'" in capsys.readouterr().err


def test_allow_host_adds_a_name_to_the_loopback_ones(served_args: list[dict], tmp_path: Path):
    from fastapi.testclient import TestClient

    assert main(["serve", "--runs-dir", str(tmp_path), "--port", "0", "--allow-host", "lab.example"]) == 0
    served_args[0]["sockets"][0].close()
    app = served_args[0]["app"]
    assert TestClient(app, base_url="http://lab.example").get("/api/runs").status_code == 200
    assert TestClient(app, base_url="http://localhost:8000").get("/api/runs").status_code == 200
    assert TestClient(app, base_url="http://attacker.example").get("/api/runs").status_code == 400
