"""Readouts of a unit-level file (Hillstrom's real e-mail campaign), checked against SciPy on the units."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

from commercelens.errors import UserError
from commercelens.experiments.readout import ReadoutConfig, analyze
from commercelens.experiments.sources import UnitFile, metric_specs, unit_file_metric_stats

pytestmark = pytest.mark.integration

HILLSTROM = Path(__file__).parents[2] / "datasets" / "hillstrom.csv.gz"
CONTROL = "No E-Mail"


@pytest.fixture(scope="module")
def units() -> pl.DataFrame:
    return pl.read_csv(HILLSTROM, infer_schema_length=None)


def readout(metrics, covariate=None, variations=(), **config):
    spec = UnitFile(HILLSTROM, "segment", metric_specs(metrics), covariate, tuple(variations))
    rows, notes = unit_file_metric_stats(spec, CONTROL)
    return analyze("hillstrom", rows, ReadoutConfig(control=CONTROL, **config), notes)


def arm(units, segment, column):
    return units.filter(pl.col("segment") == segment)[column].to_numpy().astype(float)


def test_spend_readout_is_welchs_t_test_on_the_units(units):
    r = next(x for x in readout(["spend"]).results if x.variation == "Mens E-Mail")
    a, b = arm(units, CONTROL, "spend"), arm(units, "Mens E-Mail", "spend")
    welch = stats.ttest_ind(b, a, equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert (r.absolute_lift, r.p_value, r.ci_low, r.ci_high) == pytest.approx(
        (b.mean() - a.mean(), welch.pvalue, ci.low, ci.high), rel=1e-8
    )


def test_visit_is_a_proportion_with_each_arms_own_variance(units):
    r = next(x for x in readout(["visit"]).results if x.variation == "Womens E-Mail")
    a, b = arm(units, CONTROL, "visit"), arm(units, "Womens E-Mail", "visit")
    assert r.metric_type == "proportion"
    se = np.sqrt(a.mean() * (1 - a.mean()) / len(a) + b.mean() * (1 - b.mean()) / len(b))
    z = (b.mean() - a.mean()) / se
    assert r.absolute_lift == pytest.approx(b.mean() - a.mean(), rel=1e-12)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-3)  # Welch df ~ 42,000: t ~ z


def test_cuped_on_history_is_welch_on_the_adjusted_units(units):
    r = next(x for x in readout(["spend"], covariate="history").results if x.variation == "Mens E-Mail")
    pair = units.filter(pl.col("segment").is_in([CONTROL, "Mens E-Mail"]))
    y, x = pair["spend"].to_numpy().astype(float), pair["history"].to_numpy()
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    adjusted = y - theta * (x - x.mean())
    treated = (pair["segment"] == "Mens E-Mail").to_numpy()
    welch = stats.ttest_ind(adjusted[treated], adjusted[~treated], equal_var=False)
    assert r.cuped
    assert (r.absolute_lift, r.p_value) == pytest.approx(
        (adjusted[treated].mean() - adjusted[~treated].mean(), welch.pvalue), rel=1e-8
    )


def test_srm_is_the_chi_square_of_the_three_arms(units):
    counts = units.group_by("segment").len().sort("segment")["len"].to_list()
    r = readout(["visit"])
    assert r.srm.p_value == pytest.approx(stats.chisquare(counts).pvalue, rel=1e-12)
    assert r.srm_ok and sorted(r.units) == sorted(counts)


def test_the_mens_email_lifts_visits_by_about_seven_and_a_half_points():
    # Published readouts of this campaign: visits 10.6% without e-mail, 18.3% with the men's e-mail.
    r = readout(["visit"], variations=["Mens E-Mail"])
    assert r.variations == (CONTROL, "Mens E-Mail")
    (only,) = r.results
    assert only.control_mean == pytest.approx(0.1062, abs=5e-4)
    assert only.treatment_mean == pytest.approx(0.1828, abs=5e-4)
    assert only.significant


def test_a_declared_proportion_with_other_values_is_analysed_as_a_mean_and_says_so():
    r = readout(["spend:proportion"])
    assert {x.metric_type for x in r.results} == {"mean"}
    assert any("values other than 0/1: analysed as a mean metric" in n for n in r.notes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metrics": ["vist"]}, "no column 'vist'"),
        ({"metrics": ["history_segment"]}, "column 'history_segment' is not numeric"),
        ({"metrics": ["visit"], "control": "No Email"}, "control 'No Email' is not a value of 'segment'"),
        ({"metrics": ["visit"], "variation_col": "history", "control": "0"}, "distinct values"),
    ],
)
def test_bad_requests_are_one_line_user_errors(kwargs, message):
    spec = UnitFile(HILLSTROM, kwargs.get("variation_col", "segment"), metric_specs(kwargs["metrics"]))
    with pytest.raises(UserError, match=message) as caught:
        unit_file_metric_stats(spec, kwargs.get("control", CONTROL))
    assert "\n" not in str(caught.value) and str(HILLSTROM) in str(caught.value)


def test_one_variation_and_empty_values_are_refused(tmp_path):
    single = tmp_path / "single.csv"
    single.write_text("arm,y\ncontrol,1\ncontrol,0\n")
    with pytest.raises(UserError, match="fewer than two variations"):
        unit_file_metric_stats(UnitFile(single, "arm", metric_specs(["y"])), "control")
    holes = tmp_path / "holes.csv"
    holes.write_text("arm,y\ncontrol,1\nb,\nb,0\n")
    with pytest.raises(UserError, match="'y' is empty on 1 rows"):
        unit_file_metric_stats(UnitFile(holes, "arm", metric_specs(["y"])), "control")
