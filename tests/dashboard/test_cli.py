"""`commercelens dashboard`: becomes `streamlit run` on the dashboard's entry, the workdir in its environment."""

from __future__ import annotations

import os
import sys

import pytest

from commercelens.cli import dashboard as dashboard_cli
from commercelens.cli.app import run


class Exec(BaseException):
    """Stands in for os.execve, which would replace the test process."""


@pytest.fixture
def captured(monkeypatch) -> dict:
    calls: dict = {}

    def fake_execve(path, argv, env):
        calls.update(path=path, argv=argv, env=env)
        raise Exec

    monkeypatch.setattr(os, "execve", fake_execve)
    return calls


def test_dashboard_runs_streamlit_on_the_entry_with_the_workdir(captured, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Exec):
        run(["--workdir", "home", "dashboard", "--port", "8765"])
    argv = captured["argv"]
    assert captured["path"] == sys.executable
    assert argv[1:5] == ["-m", "streamlit", "run", str(dashboard_cli.ENTRY)]
    assert dashboard_cli.ENTRY.is_file()
    options = dict(zip(argv[5::2], argv[6::2], strict=True))
    assert options["--server.port"] == "8765"
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.headless"] == "true"
    assert options["--browser.gatherUsageStats"] == "false"  # local-first: phones nowhere
    assert captured["env"]["COMMERCELENS_HOME"] == str(tmp_path / "home")  # absolute
    assert captured["env"]["COMMERCELENS_TARGET"] == "duckdb"


def test_dashboard_default_port_is_8501(captured, tmp_path):
    with pytest.raises(Exec):
        run(["--workdir", str(tmp_path), "dashboard"])
    assert captured["argv"][captured["argv"].index("--server.port") + 1] == "8501"


def test_dashboard_without_streamlit_is_a_user_error(monkeypatch, tmp_path, capsys):
    real = dashboard_cli.importlib.util.find_spec
    monkeypatch.setattr(
        dashboard_cli.importlib.util, "find_spec", lambda name: None if name == "streamlit" else real(name)
    )
    assert run(["--workdir", str(tmp_path), "dashboard"]) == 1
    assert "pip install streamlit altair" in capsys.readouterr().err
