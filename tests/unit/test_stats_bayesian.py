"""Bayesian engine against REFERENCE vectors 4, 5 and 9.

Vectors: GrowthBook gbstats test suite via REFERENCE.md (A/B statistics section), tolerance 1e-5.
"""

import pytest
from scipy.stats import beta

from commercelens.stats.bayesian import (
    BayesianConfig,
    GaussianPrior,
    beta_binomial_test,
    gaussian_test,
)
from commercelens.stats.types import ProportionStats, SampleStats

TOL = 1e-5


def test_vector_4_proportions_flat_prior():
    r = gaussian_test(ProportionStats(100, 49), ProportionStats(100, 51))
    assert r.status == "ok"
    assert r.lift == pytest.approx(0.04082, abs=TOL)
    assert r.sd == pytest.approx(0.14725, abs=TOL)
    assert r.chance_to_win == pytest.approx(0.60918, abs=TOL)
    assert (r.ci_low, r.ci_high) == pytest.approx((-0.24779, 0.32943), abs=TOL)
    assert r.risk == pytest.approx((0.0814, 0.04058), abs=TOL)


def test_vector_5_means_flat_prior():
    r = gaussian_test(SampleStats(10, 100, 1002.25), SampleStats(10, 105, 1111.5))
    assert r.lift == pytest.approx(0.05, abs=TOL)
    assert r.sd == pytest.approx(0.03572, abs=TOL)
    assert r.chance_to_win == pytest.approx(0.91923, abs=TOL)
    assert r.risk == pytest.approx((0.05131, 0.00131), abs=TOL)


def test_risk_difference_is_posterior_mean():
    r = gaussian_test(SampleStats(10, 100, 1002.25), SampleStats(10, 105, 1111.5))
    assert r.risk_control - r.risk_treatment == pytest.approx(r.lift, abs=1e-12)


def test_proper_prior_shrinks_towards_prior_mean():
    flat = gaussian_test(ProportionStats(100, 49), ProportionStats(100, 51))
    prior = GaussianPrior(mean=0.0, variance=0.3**2, proper=True)
    r = gaussian_test(ProportionStats(100, 49), ProportionStats(100, 51), BayesianConfig(prior=prior))
    weight = (1 / flat.sd**2) / (1 / flat.sd**2 + 1 / 0.09)
    assert r.lift == pytest.approx(weight * flat.lift, rel=1e-12)
    assert r.sd < flat.sd


def test_absolute_difference():
    cfg = BayesianConfig(difference="absolute")
    r = gaussian_test(SampleStats(10, 100, 1002.25), SampleStats(10, 105, 1111.5), cfg)
    assert r.lift == pytest.approx(0.5)
    assert r.sd == pytest.approx((0.25 / 10 + 1 / 10) ** 0.5)


@pytest.mark.parametrize(
    ("a", "b", "status"),
    [
        (ProportionStats(1, 0), ProportionStats(100, 5), "too_few_units"),
        (ProportionStats(100, 0), ProportionStats(100, 5), "zero_control_mean"),
        (SampleStats(10, 10, 10), SampleStats(10, 10, 10), "zero_variance"),
    ],
)
def test_edge_cases_are_statuses(a, b, status):
    r = gaussian_test(a, b)
    assert r.status == status
    assert r.chance_to_win == 0.5


def test_vector_9_beta_binomial_exact():
    r = beta_binomial_test(ProportionStats(1000, 100), ProportionStats(900, 100))
    assert r.chance_to_win == pytest.approx(0.7851, abs=1e-4)
    assert r.chance_to_win == pytest.approx(0.7851164267736208, abs=1e-10)


def test_beta_binomial_non_integer_prior_uses_integration():
    closed = beta_binomial_test(ProportionStats(1000, 100), ProportionStats(900, 100))
    numeric = beta_binomial_test(ProportionStats(1000, 100), ProportionStats(900, 100), 1.0 + 1e-9, 1.0)
    assert numeric.chance_to_win == pytest.approx(closed.chance_to_win, abs=1e-6)


def test_beta_binomial_matches_monte_carlo():
    import numpy as np

    rng = np.random.default_rng(1)
    a = beta.rvs(101, 901, size=400_000, random_state=rng)
    b = beta.rvs(101, 801, size=400_000, random_state=rng)
    assert np.mean(b > a) == pytest.approx(0.7851, abs=0.005)


def test_beta_binomial_empty_arm_is_status():
    assert beta_binomial_test(ProportionStats(0, 0), ProportionStats(10, 1)).status == "too_few_units"
