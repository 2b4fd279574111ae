"""The readout runs the stats engines on warehouse-shaped rows: SRM first, then every pair."""

from __future__ import annotations

import pytest

from commercelens.experiments.metric_stats import MetricStats
from commercelens.experiments.readout import ReadoutConfig, analyze
from commercelens.stats.bayesian import BayesianConfig, gaussian_test
from commercelens.stats.corrections import adjust_p_values
from commercelens.stats.frequentist import (
    CupedStats,
    FrequentistConfig,
    RatioStats,
    compare_cuped,
    compare_proportions,
    compare_ratios,
)
from commercelens.stats.sequential import SequentialConfig, confidence_sequence
from commercelens.stats.types import ProportionStats, SampleStats

pytestmark = pytest.mark.unit

CONVERSION = [
    MetricStats("conversion", "proportion", "control", 5000, 600.0, 600.0),
    MetricStats("conversion", "proportion", "b", 5000, 680.0, 680.0),
    MetricStats("conversion", "proportion", "c", 5000, 610.0, 610.0),
]


def with_covariate(variation, sums, covariate_sums):
    return MetricStats("revenue", "mean", variation, 5000, *sums, None, None, None, *covariate_sums)


REVENUE = [
    with_covariate("control", (52_000.0, 2_900_000.0), (48_000.0, 2_500_000.0, 2_400_000.0)),
    with_covariate("b", (55_500.0, 3_200_000.0), (47_500.0, 2_450_000.0, 2_500_000.0)),
    with_covariate("c", (52_300.0, 2_950_000.0), (48_200.0, 2_520_000.0, 2_420_000.0)),
]
PER_SEARCH = [
    MetricStats(
        "revenue_per_search", "ratio", "control", 5000, 52_000.0, 2_900_000.0, 15_000.0, 60_000.0, 180_000.0
    ),
    MetricStats(
        "revenue_per_search", "ratio", "b", 5000, 55_500.0, 3_200_000.0, 15_200.0, 61_000.0, 190_000.0
    ),
    MetricStats(
        "revenue_per_search", "ratio", "c", 5000, 52_300.0, 2_950_000.0, 14_900.0, 59_000.0, 181_000.0
    ),
]
ROWS = CONVERSION + REVENUE + PER_SEARCH


def result(readout, metric, variation):
    return next(r for r in readout.results if r.metric == metric and r.variation == variation)


def test_proportion_readout_is_the_two_proportion_test():
    readout = analyze("x", ROWS)
    direct = compare_proportions(ProportionStats(5000, 600), ProportionStats(5000, 680), FrequentistConfig())
    r = result(readout, "conversion", "b")
    assert (r.absolute_lift, r.ci_low, r.ci_high, r.p_value) == pytest.approx(
        (direct.estimate, direct.ci_low, direct.ci_high, direct.p_value), rel=1e-12
    )
    assert r.relative_lift == pytest.approx(80 / 600)


def test_ratio_metric_uses_the_delta_method():
    readout = analyze("x", ROWS)
    a, b = (
        RatioStats(
            SampleStats(5000, s.main_sum, s.main_sum_squares),
            SampleStats(5000, s.denominator_sum, s.denominator_sum_squares),
            s.main_denominator_sum_product,
        )
        for s in PER_SEARCH[:2]
    )
    direct = compare_ratios(a, b, FrequentistConfig())
    r = result(readout, "revenue_per_search", "b")
    assert (r.absolute_lift, r.ci_low, r.p_value) == pytest.approx(
        (direct.estimate, direct.ci_low, direct.p_value), rel=1e-9
    )
    assert r.control_mean == pytest.approx(52_000 / 15_000)


def test_covariate_turns_on_cuped_and_no_cuped_turns_it_off():
    a, b = (
        CupedStats(
            SampleStats(5000, s.main_sum, s.main_sum_squares),
            SampleStats(5000, s.covariate_sum, s.covariate_sum_squares),
            s.main_covariate_sum_product,
        )
        for s in REVENUE[:2]
    )
    direct = compare_cuped(a, b, FrequentistConfig())
    with_cuped = result(analyze("x", ROWS), "revenue", "b")
    without = result(analyze("x", ROWS, ReadoutConfig(cuped=False)), "revenue", "b")
    assert with_cuped.cuped and not without.cuped
    assert (with_cuped.absolute_lift, with_cuped.ci_high, with_cuped.p_value) == pytest.approx(
        (direct.estimate, direct.ci_high, direct.p_value), rel=1e-9
    )
    assert with_cuped.ci_high - with_cuped.ci_low < without.ci_high - without.ci_low


def test_holm_correction_spans_every_metric_and_variation():
    readout = analyze("x", ROWS)
    raw = [r.p_value for r in readout.results]
    assert len(raw) == 6
    assert [r.adjusted_p_value for r in readout.results] == pytest.approx(adjust_p_values(raw, "holm"))
    assert all(r.significant == (r.adjusted_p_value < 0.05) for r in readout.results)
    no_correction = analyze("x", ROWS, ReadoutConfig(correction=None))
    assert [r.adjusted_p_value for r in no_correction.results] == raw


def test_relative_difference_moves_the_interval_to_the_relative_scale():
    r = result(analyze("x", ROWS, ReadoutConfig(difference="relative")), "conversion", "b")
    assert r.ci_low < 80 / 600 < r.ci_high
    assert r.ci_high < 1  # a relative interval, not the absolute one around 0.016


def test_bayesian_engine_reports_chance_to_win_and_no_p_value():
    r = result(analyze("x", ROWS, ReadoutConfig(engine="bayesian")), "conversion", "b")
    posterior = gaussian_test(
        ProportionStats(5000, 600), ProportionStats(5000, 680), BayesianConfig(difference="absolute")
    )
    assert r.p_value is None and r.adjusted_p_value is None
    assert (r.chance_to_win, r.ci_low, r.ci_high) == pytest.approx(
        (posterior.chance_to_win, posterior.ci_low, posterior.ci_high)
    )


def test_sequential_interval_is_the_confidence_sequence_and_wider_than_the_fixed_one():
    fixed = result(analyze("x", ROWS), "conversion", "b")
    seq = result(analyze("x", ROWS, ReadoutConfig(engine="sequential")), "conversion", "b")
    cs = confidence_sequence(
        ProportionStats(5000, 600), ProportionStats(5000, 680), SequentialConfig(difference="absolute")
    )
    assert (seq.ci_low, seq.ci_high) == pytest.approx((cs.ci_low, cs.ci_high))
    assert seq.ci_high - seq.ci_low > fixed.ci_high - fixed.ci_low
    assert seq.p_value > fixed.p_value


def test_broken_split_is_flagged_first():
    rows = [
        MetricStats("conversion", "proportion", "control", 10_000, 1200.0, 1200.0),
        MetricStats("conversion", "proportion", "b", 10_600, 1300.0, 1300.0),
    ]
    readout = analyze("x", rows)
    assert not readout.srm_ok
    assert readout.notes[0].startswith("sample ratio mismatch")
    assert readout.to_dict()["srm_p_value"] == readout.srm.p_value < 0.001
    assert analyze("x", rows, ReadoutConfig(expected_split=(50, 53))).srm_ok


def test_zero_denominator_ratio_is_a_status_not_a_crash():
    rows = [
        MetricStats("rps", "ratio", "control", 10, 0.0, 0.0, 0.0, 0.0, 0.0),
        MetricStats("rps", "ratio", "b", 10, 5.0, 9.0, 4.0, 4.0, 5.0),
    ]
    r = analyze("x", rows).results[0]
    assert r.status == "zero_denominator" and r.p_value == 1.0 and not r.significant


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (CONVERSION[1:], "control 'control' is not a variation"),
        (CONVERSION[:1], "at least one other variation"),
        (CONVERSION + REVENUE[:2], "metric 'revenue' has no statistics for c"),
    ],
)
def test_unanalysable_inputs_say_why(rows, message):
    with pytest.raises(ValueError, match=message):
        analyze("x", rows)
