"""`commercelens experiment power`: REFERENCE.md's sample sizes through the CLI, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from commercelens.cli.app import run
from commercelens.warehouse import open_warehouse


def power_json(capsys, *flags: str) -> dict:
    assert run(["experiment", "power", *flags, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_ten_percent_baseline_twenty_percent_relative_mde_needs_about_3838_per_variant(capsys):
    # REFERENCE.md: the two-proportion formula with each arm's own variance gives about 3,838.
    out = power_json(capsys, "--baseline", "0.10", "--mde", "0.20", "--relative")
    assert out["n_per_variation"] == 3839  # 3838.1 rounded up
    assert out["n_total"] == 2 * 3839


def test_railflow_twelve_to_twelve_and_a_half_percent_needs_about_67493(capsys):
    # REFERENCE.md: 12% -> 12.5% gives about 67,493-67,497 per group with the same formula.
    out = power_json(capsys, "--baseline", "0.12", "--mde", "0.005")
    assert 67_493 <= out["n_per_variation"] <= 67_497


def test_three_variations_count_every_arm_in_the_total(capsys):
    out = power_json(capsys, "--baseline", "0.10", "--mde", "0.02", "--variations", "3")
    assert out["n_total"] == out["n_control"] + 2 * out["n_per_variation"]


@pytest.mark.parametrize(
    "flags",
    [
        ["--baseline", "1.5", "--mde", "0.1"],
        ["--baseline", "0.1", "--mde", "0"],
        ["--baseline", "0.9", "--mde", "0.2"],
    ],
)
def test_impossible_inputs_are_user_errors(capsys, flags):
    assert run(["experiment", "power", *flags]) == 1
    assert "internal error" not in capsys.readouterr().err


# --- experiment analyze ------------------------------------------------------------------------

HILLSTROM = str(Path(__file__).parents[2] / "datasets" / "hillstrom.csv.gz")
HILLSTROM_FLAGS = ["--data", HILLSTROM, "--variation-col", "segment", "--control", "No E-Mail"]
RESULT_KEYS = {"metric", "variation", "absolute_lift", "relative_lift", "ci_low", "ci_high", "p_value"}


def analyze_json(capsys, *args: str) -> dict:
    code = run(["experiment", "analyze", *args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


@pytest.mark.parametrize("engine", ["frequentist", "bayesian", "sequential"])
def test_hillstrom_readout_json_has_srm_and_one_result_per_metric_and_variation(capsys, engine):
    out = analyze_json(
        capsys,
        *HILLSTROM_FLAGS,
        "--metric",
        "visit",
        "--metric",
        "spend",
        "--covariate",
        "history",
        "--engine",
        engine,
    )
    assert 0.05 < out["srm_p_value"] <= 1  # a properly randomised campaign
    assert [(r["metric"], r["variation"]) for r in out["results"]] == [
        ("visit", "Mens E-Mail"),
        ("visit", "Womens E-Mail"),
        ("spend", "Mens E-Mail"),
        ("spend", "Womens E-Mail"),
    ]
    for r in out["results"]:
        assert r.keys() >= RESULT_KEYS
        assert r["ci_low"] < r["absolute_lift"] < r["ci_high"]
        assert (r["p_value"] is None) == (engine == "bayesian")


def test_relative_flag_puts_the_interval_around_the_relative_lift(capsys):
    out = analyze_json(capsys, *HILLSTROM_FLAGS, "--metric", "visit", "--relative")
    for r in out["results"]:
        assert r["ci_low"] < r["relative_lift"] < r["ci_high"] and r["ci_high"] < 2


def test_table_output_shows_the_srm_check_first(capsys):
    assert run(["experiment", "analyze", *HILLSTROM_FLAGS, "--metric", "conversion"]) == 0
    out = capsys.readouterr().out
    assert out.index("SRM check") < out.index("conversion")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--metric", "visits"], "no column 'visits'"),
        (["--metric", "channel"], "is not numeric"),
        (["--metric", "visit", "--engine", "magic"], "--engine must be one of"),
        (["--metric", "visit", "--variation", "Kids E-Mail"], "'Kids E-Mail' not in 'segment'"),
        ([], "at least one --metric"),
    ],
)
def test_bad_analyze_requests_exit_1_with_one_line(capsys, flags, message):
    assert run(["experiment", "analyze", *HILLSTROM_FLAGS, *flags]) == 1
    err = capsys.readouterr().err
    assert message in err and "internal error" not in err


def test_experiment_id_and_data_together_are_refused(capsys):
    assert run(["experiment", "analyze", "discount_5pct", *HILLSTROM_FLAGS, "--metric", "visit"]) == 1
    assert "not both" in capsys.readouterr().err


def warehouse_readout(capsys, settings, *flags: str) -> dict:
    code = run(
        [
            "--workdir",
            str(settings.home),
            "--target",
            settings.target,
            "experiment",
            "analyze",
            "discount_5pct",
            *flags,
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_warehouse_readout_reads_the_rail_experiments_mart(capsys, built_duckdb):
    settings, _, _ = built_duckdb
    out = warehouse_readout(capsys, settings)
    with open_warehouse(settings) as w:
        mart = w.fetch_all(
            "select variation, n, main_sum from marts.fct_experiment_metric_stats "
            "where experiment_id = 'discount_5pct' and metric_name = 'conversion'"
        )
    assert out["units"] == {variation: n for variation, n, _ in mart}
    assert {r["metric"] for r in out["results"]} == {"conversion", "revenue_per_user", "revenue_per_search"}
    conversion = next(r for r in out["results"] if r["metric"] == "conversion")
    control_n, control_sum = next((n, s) for v, n, s in mart if v == "control")
    assert conversion["control_mean"] == pytest.approx(float(control_sum) / control_n)
    assert conversion["variation"] == "discount_5pct" and conversion["cuped"]


@pytest.mark.postgres
def test_warehouse_readout_is_the_same_on_postgres(capsys, built_duckdb, built_postgres, monkeypatch):
    monkeypatch.setenv("COMMERCELENS_POSTGRES_DSN", built_postgres[0].postgres_dsn.get_secret_value())
    on_duckdb = warehouse_readout(capsys, built_duckdb[0])
    on_postgres = warehouse_readout(capsys, built_postgres[0])
    assert len(on_postgres["results"]) == len(on_duckdb["results"]) == 3
    for pg, duck in zip(on_postgres["results"], on_duckdb["results"], strict=True):
        assert pg == {k: pytest.approx(v) if isinstance(v, float) else v for k, v in duck.items()}
    assert on_postgres["srm_p_value"] == pytest.approx(on_duckdb["srm_p_value"])


def test_unknown_experiment_names_the_known_ones(capsys, built_duckdb):
    settings, _, _ = built_duckdb
    assert run(["--workdir", str(settings.home), "experiment", "analyze", "discount_10pct"]) == 1
    assert "experiments: discount_5pct" in capsys.readouterr().err
