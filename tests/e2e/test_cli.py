"""The CLI as a user runs it: exit codes, one-line errors, generate -> ingest -> status -> erase."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from commercelens.cli.app import run
from commercelens.warehouse.duckdb import DuckDBWarehouse

KEY_ENV = {"COMMERCELENS_PII_KEY": "e2e-test-key-0123456789abcdef"}


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("COMMERCELENS_HOME", str(tmp_path / "home"))
    for name, value in KEY_ENV.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def test_missing_directory_is_exit_1_with_one_line_and_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "commercelens.cli.app", "ingest", "rail", "--path", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        env={**os.environ, **KEY_ENV, "COMMERCELENS_HOME": str(tmp_path / "home")},
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{tmp_path / 'nope'}: not a directory" in result.stderr.replace("\n", "")


def test_unknown_option_is_a_user_error_not_exit_2(env):
    assert run(["generate", "rail", "--out", str(env), "--bogus"]) == 1


def test_ingest_without_a_key_refuses_to_start(env, monkeypatch, capsys):
    monkeypatch.delenv("COMMERCELENS_PII_KEY")
    assert run(["ingest", "rail", "--path", str(env)]) == 1
    assert "COMMERCELENS_PII_KEY" in capsys.readouterr().err


def test_generate_is_deterministic_for_a_seed(env):
    for name in ("a", "b"):
        assert run(["generate", "rail", "--out", str(env / name), "--rows", "500", "--seed", "7"]) == 0
    for file in ("users.csv", "searches.csv", "bookings.csv", "experiment_assignments.csv"):
        assert (env / "a" / file).read_bytes() == (env / "b" / file).read_bytes()


def test_reject_rate_above_the_limit_exits_2_after_loading(env, monkeypatch):
    assert run(["generate", "rail", "--out", str(env / "d"), "--rows", "500", "--dirty", "0.1"]) == 0
    monkeypatch.setenv("COMMERCELENS_MAX_REJECT_RATE", "0.01")
    assert run(["ingest", "rail", "--path", str(env / "d")]) == 2
    monkeypatch.setenv("COMMERCELENS_MAX_REJECT_RATE", "0.5")
    assert run(["ingest", "rail", "--path", str(env / "d")]) == 0


def test_status_lists_loaded_entities(env, capsys):
    run(["generate", "rail", "--out", str(env / "d"), "--rows", "300"])
    run(["ingest", "rail", "--path", str(env / "d")])
    capsys.readouterr()
    assert run(["status"]) == 0
    out = capsys.readouterr().out
    assert "raw.rail__searches" in out and "raw.rail__users" in out


def test_erase_by_email_removes_the_user_everywhere_and_logs_no_identifier(env, capsys):
    run(["generate", "rail", "--out", str(env / "d"), "--rows", "300"])
    run(["ingest", "rail", "--path", str(env / "d")])
    first_user = (env / "d" / "users.csv").read_text().splitlines()[1].split(",")
    user_id, email = first_user[0], first_user[1]
    with DuckDBWarehouse(env / "home" / "warehouse.duckdb") as w:
        assert w.fetch_all("select count(*) from raw.rail__users where user_id = ?", [user_id]) == [(1,)]
    assert run(["privacy", "erase", "--email", email.upper()]) == 0
    with DuckDBWarehouse(env / "home" / "warehouse.duckdb") as w:
        for table in ("users", "searches", "bookings", "experiment_assignments"):
            assert w.fetch_all(f"select count(*) from raw.rail__{table} where user_id = ?", [user_id]) == [
                (0,)
            ]
        log = json.dumps(w.fetch_all("select * from ops.erasures"), default=str)
    assert user_id not in log and email not in log and "email" in log


@pytest.mark.parametrize(
    "flags", [["--rows", "0"], ["--rows", "50"], ["--seed", "-1"], ["--scale", "huge"], ["--dirty", "1.5"]]
)
def test_bad_generate_flags_are_user_errors(env, flags, capsys):
    assert run(["generate", "rail", "--out", str(env / "g"), *flags]) == 1
    assert "internal error" not in capsys.readouterr().err


def test_generate_into_a_file_is_a_user_error(env):
    (env / "afile").write_text("x")
    assert run(["generate", "rail", "--out", str(env / "afile"), "--rows", "300"]) == 1
