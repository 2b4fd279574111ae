"""`commercelens demo` end to end at tiny scale: the experiment story and the models print, files exist."""

from __future__ import annotations

import pytest

from commercelens.cli.app import run

pytestmark = pytest.mark.e2e


def test_tiny_demo_tells_the_experiment_story_and_writes_the_targeting_list(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COMMERCELENS_PII_KEY", raising=False)  # the demo makes its own key
    assert run(["--workdir", str(tmp_path), "demo", "--scale", "tiny"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "67,493 users per arm",
        "SRM check",
        "ROI over",
        "Uplift: rail-discount-5pct",
        "Targeting list",
    ):
        assert expected in out
    assert out.index("SRM check") < out.index("ROI over") < out.index("Uplift:")
    assert (tmp_path / "uplift" / "rail-discount-5pct.targeting.csv").stat().st_size > 0
    assert (tmp_path / "uplift" / "rail-discount-5pct.pkl").is_file()
    # Models: at tiny scale a split can lack positives; a task is then skipped with a warning.
    assert "Models: booking, conversion, fraud" in out
    assert "booking: model vs oracle" in out
    assert (tmp_path / "mlflow.db").is_file()
    # Stream: the payments replayed through the processor, alerts per rule and level in the warehouse.
    assert "Real-time fraud: the payments replayed through the stream" in out
    assert "alerts per rule and level" in out
    import duckdb

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        rules = {r for (r,) in con.execute("select distinct rule from ops.fraud_alerts").fetchall()}
        runs = con.execute("select processed from ops.stream_runs").fetchall()
    assert {"high_amount", "new_merchant"} <= rules
    assert runs and runs[-1][0] > 0
    # Report: the offline HTML page is written by the demo and its path printed (issue 7).
    report = tmp_path / "reports" / "commercelens_report.html"
    assert report.is_file() and report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"Report: {report}" in " ".join(out.split())  # Rich may wrap a long path onto its own line
    assert "Open what the demo built" in out and report.resolve().as_uri() in out
