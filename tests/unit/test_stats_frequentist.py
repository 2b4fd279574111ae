"""Frequentist comparisons: REFERENCE.md vectors, scipy/statsmodels cross-checks, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats import proportion as sm_proportion

from commercelens.stats.frequentist import (
    CupedStats,
    FrequentistConfig,
    RatioStats,
    compare_cuped,
    compare_means,
    compare_proportions,
    compare_ratios,
)
from commercelens.stats.types import ProportionStats, SampleStats

TOL = 1e-5
# Vectors 1-3: GrowthBook gbstats test suite via REFERENCE.md (A/B statistics section).
GB_A = SampleStats(n=3407, sum=1396.87, sum_squares=52377.9767)
GB_B = SampleStats(n=3461, sum=2422.7, sum_squares=134698.29)


def _sample(values: np.ndarray) -> SampleStats:
    return SampleStats(len(values), float(values.sum()), float((values**2).sum()))


def _assert_close(result, estimate, se, ci_low, ci_high, p):
    assert result.status == "ok"
    assert result.estimate == pytest.approx(estimate, abs=TOL)
    assert result.se == pytest.approx(se, abs=TOL)
    assert result.ci_low == pytest.approx(ci_low, abs=TOL)
    assert result.ci_high == pytest.approx(ci_high, abs=TOL)
    assert result.p_value == pytest.approx(p, abs=TOL)


def test_reference_vector_1_relative_mean_lift_matches_gbstats():
    result = compare_means(GB_A, GB_B, FrequentistConfig(difference="relative"))
    _assert_close(result, 0.70732, 0.37879, -0.03526, 1.44989, 0.06191)


def test_reference_vector_2_absolute_mean_difference_matches_gbstats():
    result = compare_means(GB_A, GB_B, FrequentistConfig(difference="absolute"))
    _assert_close(result, 0.29, 0.12478, 0.04538, 0.53462, 0.02016)


def test_reference_vector_3_relative_proportion_lift_uses_own_variances_and_welch_df():
    result = compare_proportions(
        ProportionStats(28, 14), ProportionStats(30, 16), FrequentistConfig(difference="relative")
    )
    _assert_close(result, 0.06667, 0.2717, -0.47767, 0.61101, 0.80707)
    assert result.df is not None  # a z quantile would give CI (-0.46585, 0.59919)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_absolute_mean_test_matches_scipy_welch(alternative):
    a, b = SampleStats(12, 30.0, 95.0), SampleStats(9, 31.5, 125.0)
    result = compare_means(a, b, FrequentistConfig(alternative=alternative))
    expected = stats.ttest_ind_from_stats(
        b.mean,
        math.sqrt(b.variance),
        b.n,
        a.mean,
        math.sqrt(a.variance),
        a.n,
        equal_var=False,
        alternative=alternative,
    )
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-10)
    assert result.estimate / result.se == pytest.approx(expected.statistic, rel=1e-10)


def test_one_sided_interval_is_open_on_the_far_side():
    greater = compare_means(GB_A, GB_B, FrequentistConfig(alternative="greater"))
    less = compare_means(GB_A, GB_B, FrequentistConfig(alternative="less"))
    assert greater.ci_high == math.inf and less.ci_low == -math.inf
    assert greater.ci_low > 0.04538  # one-sided bound is tighter than the two-sided one
    assert greater.p_value == pytest.approx(0.02016 / 2, abs=TOL)
    assert less.p_value == pytest.approx(1 - 0.02016 / 2, abs=TOL)


def test_absolute_proportion_test_matches_statsmodels_unpooled_wald_on_large_samples():
    a, b = ProportionStats(100_000, 10_000), ProportionStats(100_000, 10_300)
    result = compare_proportions(a, b, FrequentistConfig())
    expected = sm_proportion.test_proportions_2indep(
        10_300, 100_000, 10_000, 100_000, method="wald", compare="diff"
    )
    assert result.estimate == pytest.approx(0.003, abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-3)


def test_tiny_p_value_does_not_underflow_to_zero():
    a, b = ProportionStats(1_000_000, 100_000), ProportionStats(1_000_000, 110_000)
    assert 0 < compare_proportions(a, b, FrequentistConfig()).p_value < 1e-100


def test_non_inferiority_tests_difference_above_minus_margin():
    a, b = SampleStats(12, 30.0, 95.0), SampleStats(9, 21.0, 60.0)
    result = compare_means(a, b, FrequentistConfig(margin=0.5))
    shifted = stats.ttest_ind_from_stats(
        b.mean + 0.5,
        math.sqrt(b.variance),
        b.n,
        a.mean,
        math.sqrt(a.variance),
        a.n,
        equal_var=False,
        alternative="greater",
    )
    assert result.p_value == pytest.approx(shifted.pvalue, rel=1e-10)
    assert result.ci_high == math.inf
    plain = compare_means(a, b, FrequentistConfig(alternative="greater"))
    assert result.p_value < plain.p_value


def test_negative_margin_is_rejected():
    with pytest.raises(ValueError, match="margin"):
        FrequentistConfig(margin=-0.1)


def test_zero_variance_returns_status_not_nan():
    a, b = SampleStats(5, 10.0, 20.0), SampleStats(5, 15.0, 45.0)
    result = compare_means(a, b, FrequentistConfig())
    assert result.status == "zero_variance"
    assert result.estimate == 1.0 and result.p_value == 1.0
    assert not any(math.isnan(v) for v in (result.se, result.ci_low, result.ci_high))


def test_single_unit_arm_returns_too_few_units():
    result = compare_means(SampleStats(1, 3.0, 9.0), GB_B, FrequentistConfig())
    assert result.status == "too_few_units" and result.p_value == 1.0


def test_zero_control_mean_relative_returns_status():
    a, b = SampleStats(4, 0.0, 8.0), SampleStats(4, 4.0, 10.0)
    result = compare_means(a, b, FrequentistConfig(difference="relative"))
    assert result.status == "zero_control_mean"
    assert compare_means(a, b, FrequentistConfig()).status == "ok"


def _ratio(num: np.ndarray, den: np.ndarray) -> RatioStats:
    return RatioStats(_sample(num), _sample(den), float((num * den).sum()))


def test_ratio_with_unit_denominators_equals_mean_test():
    rng = np.random.default_rng(1)
    xa, xb = rng.normal(5, 2, 40), rng.normal(6, 2, 50)
    ratio = compare_ratios(_ratio(xa, np.ones(40)), _ratio(xb, np.ones(50)), FrequentistConfig())
    means = compare_means(_sample(xa), _sample(xb), FrequentistConfig())
    assert ratio.estimate == pytest.approx(means.estimate, rel=1e-10)
    assert ratio.se == pytest.approx(means.se, rel=1e-10)


def test_ratio_variance_matches_delta_method_on_unit_data():
    rng = np.random.default_rng(2)
    den_a, den_b = rng.poisson(3, 60) + 1.0, rng.poisson(3, 70) + 1.0
    num_a, num_b = den_a * rng.gamma(2, 5, 60), den_b * rng.gamma(2, 6, 70)
    result = compare_ratios(_ratio(num_a, den_a), _ratio(num_b, den_b), FrequentistConfig())

    def var_of_ratio(num, den):
        grad = np.array([1 / den.mean(), -num.mean() / den.mean() ** 2])
        return grad @ np.cov(num, den) @ grad / len(num)

    expected_se = math.sqrt(var_of_ratio(num_a, den_a) + var_of_ratio(num_b, den_b))
    assert result.estimate == pytest.approx(num_b.sum() / den_b.sum() - num_a.sum() / den_a.sum())
    assert result.se == pytest.approx(expected_se, rel=1e-9)


def test_ratio_with_zero_denominator_returns_status():
    zero = RatioStats(SampleStats(3, 0.0, 0.0), SampleStats(3, 0.0, 0.0), 0.0)
    ok = RatioStats(SampleStats(3, 6.0, 14.0), SampleStats(3, 3.0, 5.0), 9.0)
    assert compare_ratios(zero, ok, FrequentistConfig()).status == "zero_denominator"


def _cuped_arm(y: np.ndarray, x: np.ndarray) -> CupedStats:
    return CupedStats(_sample(y), _sample(x), float((y * x).sum()))


def _simulate(rng: np.random.Generator, n: int, effect: float) -> tuple[CupedStats, CupedStats]:
    x = rng.normal(10, 2, 2 * n)
    y = 3 * x + rng.normal(0, 2, 2 * n)
    y[n:] += effect
    return _cuped_arm(y[:n], x[:n]), _cuped_arm(y[n:], x[n:])


def test_cuped_reduces_variance_when_covariate_correlates():
    a, b = _simulate(np.random.default_rng(3), 500, 1.0)
    cuped = compare_cuped(a, b, FrequentistConfig())
    plain = compare_means(a.metric, b.metric, FrequentistConfig())
    assert cuped.status == "ok"
    assert cuped.se < 0.5 * plain.se


def test_cuped_estimate_is_unbiased_on_simulated_experiments():
    rng = np.random.default_rng(4)
    estimates = [compare_cuped(*_simulate(rng, 100, 1.0), FrequentistConfig()).estimate for _ in range(300)]
    se_of_mean = np.std(estimates, ddof=1) / math.sqrt(len(estimates))
    assert abs(np.mean(estimates) - 1.0) < 4 * se_of_mean


def test_cuped_relative_lift_is_on_the_metric_scale():
    a, b = _simulate(np.random.default_rng(5), 500, 3.0)
    result = compare_cuped(a, b, FrequentistConfig(difference="relative"))
    assert result.estimate == pytest.approx(3.0 / 30.0, abs=0.02)


def test_cuped_with_constant_covariate_equals_plain_mean_test():
    rng = np.random.default_rng(6)
    ya, yb = rng.normal(5, 1, 30), rng.normal(5.5, 1, 30)
    a, b = _cuped_arm(ya, np.full(30, 2.0)), _cuped_arm(yb, np.full(30, 2.0))
    cuped = compare_cuped(a, b, FrequentistConfig())
    plain = compare_means(a.metric, b.metric, FrequentistConfig())
    assert cuped.estimate == pytest.approx(plain.estimate, rel=1e-9)
    assert cuped.p_value == pytest.approx(plain.p_value, rel=1e-9)
