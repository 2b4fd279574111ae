"""`commercelens train | evaluate | predict` on the shared generated warehouse (booking task)."""

from __future__ import annotations

import json

import polars as pl
import pytest

from commercelens.cli.app import run
from commercelens.warehouse import open_warehouse

pytestmark = pytest.mark.e2e

EVALUATE_KEYS = {"auc", "pr_auc", "brier", "ece", "oracle_auc", "oracle_pr_auc", "n_test"}


def cli(capsys, *args: str) -> str:
    code = run(list(args))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


@pytest.fixture(scope="module")
def trained(built_duckdb):
    """The booking model trained once through the CLI on the shared warehouse."""
    settings, data_dir, _ = built_duckdb
    assert run(["--workdir", str(settings.home), "train", "booking", "--data-dir", str(data_dir)]) == 0
    return settings, data_dir


def test_train_registers_a_champion_and_keeps_the_scored_rows(trained, capsys):
    settings, data_dir = trained
    out = json.loads(
        cli(
            capsys,
            "--workdir",
            str(settings.home),
            "evaluate",
            "booking",
            "--data-dir",
            str(data_dir),
            "--json",
        )
    )
    assert out.keys() >= EVALUATE_KEYS
    assert out["oracle_auc"] is not None and 0.5 < out["auc"] <= 1
    with open_warehouse(settings) as w:
        rows = w.fetch_all(
            "select split, count(*), min(probability), max(probability) from ml.booking_predictions group by 1"
        )
        scores = w.fetch_all(
            "select tier, decision, count(*) from ml.booking_scores group by 1, 2 order by 1"
        )
    by_split = {split: (n, low, high) for split, n, low, high in rows}
    assert set(by_split) == {"validation", "test"}
    assert by_split["test"][0] == out["n_test"]
    assert all(0 <= low <= high <= 1 for _, low, high in by_split.values())
    assert {(tier, decision) for tier, decision, _ in scores} <= {
        ("high", "no_discount"),
        ("medium", "discount_5pct"),
        ("low", "no_offer"),
    }


def test_predict_scores_feature_rows_with_tier_decision_and_reasons(trained, capsys, tmp_path):
    settings, _ = trained
    with open_warehouse(settings) as w:
        rows = pl.from_arrow(w.fetch_arrow("select * from ml.booking_features order by search_id limit 50"))
    source = tmp_path / "searches.csv"
    rows.drop("label", "split", "decision_at").write_csv(source)
    output = tmp_path / "scores.csv"
    cli(
        capsys,
        "--workdir",
        str(settings.home),
        "predict",
        "booking",
        "--input",
        str(source),
        "--output",
        str(output),
    )
    scores = pl.read_csv(output)
    assert scores.columns == ["search_id", "probability", "tier", "decision", "reasons"]
    assert scores.height == 50 and scores["probability"].is_between(0, 1).all()
    assert scores["reasons"].str.count_matches(";").max() == 2  # three reason codes


def test_predict_names_the_missing_columns(trained, capsys, tmp_path):
    settings, _ = trained
    source = tmp_path / "bad.csv"
    source.write_text("search_id,route\nS1,Paris -> Lyon\n")
    assert (
        run(
            [
                "--workdir",
                str(settings.home),
                "predict",
                "booking",
                "--input",
                str(source),
                "--output",
                str(tmp_path / "o.csv"),
            ]
        )
        == 1
    )
    err = " ".join(capsys.readouterr().err.split())  # Rich wraps at the path's length: one line
    assert "missing columns" in err and "lead_time_days" in err and "internal error" not in err


def test_unknown_task_and_untrained_task_are_user_errors(built_duckdb, capsys, tmp_path):
    assert run(["--workdir", str(tmp_path), "evaluate", "weather"]) == 1
    assert "unknown task 'weather'" in capsys.readouterr().err
    assert run(["--workdir", str(tmp_path), "evaluate", "conversion"]) == 1
    assert "run `commercelens train conversion` first" in capsys.readouterr().err


def test_predict_without_reasons_and_with_text_in_a_number_column(trained, capsys, tmp_path):
    settings, _ = trained
    with open_warehouse(settings) as w:
        rows = pl.from_arrow(w.fetch_arrow("select * from ml.booking_features order by search_id limit 5"))
    source = tmp_path / "five.csv"
    rows.drop("label", "split", "decision_at").write_csv(source)
    output = tmp_path / "no_reasons.csv"
    home = ["--workdir", str(settings.home)]
    cli(
        capsys, *home, "predict", "booking", "--input", str(source), "--output", str(output), "--reasons", "0"
    )
    assert pl.read_csv(output)["reasons"].null_count() == 5
    broken = tmp_path / "broken.csv"
    rows.drop("label", "split", "decision_at").with_columns(pl.lit("n/a").alias("age")).write_csv(broken)
    assert run([*home, "predict", "booking", "--input", str(broken), "--output", str(output)]) == 1
    err = capsys.readouterr().err
    assert str(broken) in err and "internal error" not in err
