"""`commercelens stream run` from the command line: counts, dead letters naming line and field, errors."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pytest

from commercelens.cli.app import run
from commercelens.generate import generate

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def transactions(tmp_path_factory):
    """A generated payments file with two broken lines appended (lines 2,002 and 2,003)."""
    directory = tmp_path_factory.mktemp("stream_cli")
    generate("payments", directory, rows=2_000, seed=5)
    path = directory / "transactions_data.csv"
    lines = path.read_text().splitlines()
    header, last = lines[0].split(","), lines[-1].split(",")
    no_card = [*last[:3], "", *last[4:]]
    no_card[0] = "999000001"
    bad_amount = [*last[:4], "$12x", *last[5:]]
    bad_amount[0] = "999000002"
    assert len(no_card) == len(header)
    path.write_text("\n".join([*lines, ",".join(no_card), ",".join(bad_amount)]) + "\n")
    return path


def test_stream_run_reports_counts_and_dead_letters_the_broken_lines(transactions, tmp_path, capsys):
    out = tmp_path / "alerts.jsonl"
    args = ["--workdir", str(tmp_path / "home"), "stream", "run", "--source", str(transactions)]
    assert run([*args, "--sink", str(out), "--sink", "duckdb", "--no-model", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    counts = summary["counts"]
    assert counts["processed"] + counts["dead_lettered"] + counts["late"] == 2_002
    assert counts["dead_lettered"] == 2 and counts["alerts"] > 0
    dead = pl.read_ndjson(out.with_name("alerts.dead.jsonl")).sort("offset")
    assert dead.select("offset", "field").rows() == [(2_002, "card_id"), (2_003, "amount")]
    alerts = pl.read_ndjson(out)
    assert len(alerts) == counts["alerts"] and alerts["alert_id"].n_unique() == len(alerts)
    with duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb")) as con:
        assert con.execute("select count(*) from ops.fraud_alerts").fetchone()[0] == len(alerts)
        assert con.execute("select processed, dead_lettered from ops.stream_runs").fetchall() == [
            (counts["processed"], 2)
        ]


def test_stream_run_on_a_missing_file_is_a_one_line_user_error(tmp_path, capsys):
    args = ["--workdir", str(tmp_path), "stream", "run", "--source", str(tmp_path / "nope.csv")]
    assert run([*args, "--sink", str(tmp_path / "a.jsonl"), "--no-model"]) == 1
    err = capsys.readouterr().err
    assert "nope.csv: no such file to replay" in err and "Traceback" not in err
