"""SRM chi-square: REFERENCE.md vector 7 and scipy cross-checks."""

from __future__ import annotations

import pytest
from scipy import stats

from commercelens.stats.srm import srm_test


def test_reference_vector_7_even_split_500_vs_600():
    # GrowthBook gbstats test suite via REFERENCE.md (A/B statistics, vector 7).
    result = srm_test([500, 600], [0.5, 0.5])
    assert result.p_value == pytest.approx(0.0025688315, abs=1e-5)
    assert result.df == 1 and result.status == "ok"


def test_default_weights_are_an_even_split():
    assert srm_test([500, 600]).p_value == srm_test([500, 600], [1, 1]).p_value


@pytest.mark.parametrize(
    ("counts", "weights"),
    [([310, 330, 360], [1, 1, 1]), ([205, 790], [0.2, 0.8]), ([100, 210, 290, 400], [1, 2, 3, 4])],
)
def test_multi_arm_uneven_split_matches_scipy_chisquare(counts, weights):
    result = srm_test(counts, weights)
    total, wsum = sum(counts), sum(weights)
    expected = stats.chisquare(counts, [total * w / wsum for w in weights])
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert result.df == len(counts) - 1


def test_counts_matching_the_split_give_p_value_one():
    result = srm_test([200, 800], [1, 4])
    assert result.statistic == 0.0 and result.p_value == 1.0


def test_extreme_mismatch_keeps_a_positive_p_value():
    result = srm_test([10_000, 13_000])  # chi2 = 391.3; 1 - cdf would round to exactly 0
    assert 0 < result.p_value < 1e-80


def test_no_units_returns_status_not_nan():
    result = srm_test([0, 0])
    assert result.status == "too_few_units" and result.p_value == 1.0


@pytest.mark.parametrize(
    ("counts", "weights", "message"),
    [
        ([5], None, "two arms"),
        ([5, 6], [1, 1, 1], "weights"),
        ([5, 6], [1, 0], "> 0"),
        ([-1, 6], None, ">= 0"),
    ],
)
def test_invalid_input_raises_a_clear_error(counts, weights, message):
    with pytest.raises(ValueError, match=message):
        srm_test(counts, weights)
