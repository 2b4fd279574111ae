"""Sequential confidence sequences against REFERENCE vector 6.

Vector: GrowthBook gbstats test suite via REFERENCE.md (A/B statistics section), tolerance 1e-5.
"""

import pytest
from scipy.stats import norm

from commercelens.stats.bayesian import effect_moments
from commercelens.stats.sequential import SequentialConfig, confidence_sequence, half_width
from commercelens.stats.types import ProportionStats

TOL = 1e-5
A, B = ProportionStats(3000, 1396), ProportionStats(3461, 2422)


def test_vector_6_relative():
    r = confidence_sequence(A, B)
    assert r.status == "ok"
    assert r.estimate == pytest.approx(0.50386, abs=TOL)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.40098, 0.60675), abs=TOL)
    assert r.significant


def test_absolute_is_wider_than_fixed_horizon_interval():
    r = confidence_sequence(A, B, SequentialConfig(difference="absolute"))
    m = effect_moments(A, B, "absolute")
    fixed = norm.isf(0.025) * m.variance**0.5
    assert r.estimate == pytest.approx(2422 / 3461 - 1396 / 3000)
    assert r.half_width > fixed


def test_half_width_shrinks_with_n():
    widths = [half_width(1.0 / n, n, 0.05, 5000.0) for n in (100, 1000, 10_000, 100_000)]
    assert widths == sorted(widths, reverse=True)


def test_edge_case_is_status():
    r = confidence_sequence(ProportionStats(100, 0), ProportionStats(100, 3))
    assert r.status == "zero_control_mean"
    assert not r.significant
