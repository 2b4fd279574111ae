"""Power, sample size and MDE against REFERENCE vector 8, the sample-size paragraph and statsmodels.

Vector 8: GrowthBook gbstats test suite via REFERENCE.md (A/B statistics section), tolerance 1e-5.
"""

import math

import pytest
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from commercelens.stats.power import (
    PowerConfig,
    minimum_detectable_effect,
    power,
    proportion_config,
    sample_size,
    simulate_power,
)

TOL = 1e-5
V8 = PowerConfig(mean=10, variance=3909.9997749994377, effect=0.05, variations=3)


def test_vector_8_power():
    r = power(V8, 400_000)
    assert r.power == pytest.approx(0.52144, abs=TOL)
    assert r.n_per_variation == math.ceil(400_000 / 3)


def test_vector_8_mde():
    r = minimum_detectable_effect(V8, 400_000, target=0.8)
    assert r.effect == pytest.approx(0.07027, abs=TOL)
    assert power(PowerConfig(**{**V8.__dict__, "effect": r.effect}), 400_000).power == (
        pytest.approx(0.8, abs=1e-9)
    )


@pytest.mark.parametrize(
    ("p", "mde", "low", "high"), [(0.10, 0.20, 3838, 3839), (0.12, 0.125 / 0.12 - 1, 67493, 67497)]
)
def test_two_proportion_sample_size_reference(p, mde, low, high):
    r = sample_size(proportion_config(p, mde))
    assert low <= r.n_per_variation <= high
    assert r.n_total == 2 * r.n_per_variation
    assert r.power >= 0.8


@pytest.mark.parametrize(
    ("p1", "p2", "sm_ref", "ours"), [(0.10, 0.12, 3836, 3839), (0.12, 0.125, 67490, 67493)]
)
def test_differs_from_statsmodels_arcsine_as_stated(p1, p2, sm_ref, ours):
    h = proportion_effectsize(p2, p1)
    sm = NormalIndPower().solve_power(h, alpha=0.05, power=0.8, ratio=1)
    assert abs(sm - sm_ref) <= 2  # REFERENCE: "about 3,836 / 67,490"
    r = sample_size(proportion_config(p1, p2 - p1, relative=False))
    assert r.n_per_variation == ours
    assert 0 < r.n_per_variation - sm < 5  # each arm's own variance needs a few more units


@pytest.mark.parametrize("alternative", ["two-sided", "greater"])
@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_absolute_power_matches_statsmodels(alternative, ratio):
    cfg = PowerConfig(
        mean=5, variance=4.0, effect=0.1, difference="absolute", ratio=ratio, alternative=alternative
    )
    n_total = 3000
    ours = power(cfg, n_total)
    sm_alt = "two-sided" if alternative == "two-sided" else "larger"
    sm = NormalIndPower().power(
        0.1 / 2.0, nobs1=n_total / (1 + ratio), alpha=0.05, ratio=ratio, alternative=sm_alt
    )
    assert ours.power == pytest.approx(sm, abs=1e-10)
    if alternative == "greater":  # the closed form is exact for one tail
        back = sample_size(cfg, target=ours.power)
        assert back.n_total == pytest.approx(n_total, abs=3)


def test_less_alternative_mde_is_negative():
    cfg = PowerConfig(mean=5, variance=4.0, effect=-0.1, difference="absolute", alternative="less")
    r = minimum_detectable_effect(cfg, 3000)
    assert r.effect < 0
    assert power(PowerConfig(**{**cfg.__dict__, "effect": r.effect}), 3000).power == pytest.approx(0.8)


def test_simulation_cross_check_means():
    analytic = power(V8, 400_000).power
    assert simulate_power(V8, 400_000, sims=4000, seed=7) == pytest.approx(analytic, abs=0.03)


def test_simulation_cross_check_proportions():
    cfg = proportion_config(0.10, 0.20)
    n_total = sample_size(cfg).n_total
    assert simulate_power(cfg, n_total, sims=4000, seed=3, binomial=True) == pytest.approx(0.8, abs=0.03)


@pytest.mark.parametrize(
    ("cfg", "status"),
    [
        (PowerConfig(mean=0, variance=1, effect=0.1), "zero_control_mean"),
        (PowerConfig(mean=1, variance=0, effect=0.1), "zero_variance"),
    ],
)
def test_edge_cases_are_statuses(cfg, status):
    assert power(cfg, 1000).status == status
    assert sample_size(cfg).status == status
    assert minimum_detectable_effect(cfg, 1000).status == status


def test_too_few_units_and_unreachable():
    assert power(V8, 3).status == "too_few_units"
    assert sample_size(PowerConfig(mean=1, variance=1, effect=0.0)).status == "unreachable"
    assert minimum_detectable_effect(V8, 20).status == "unreachable"
