"""A/A simulations run the real engines: the fixed tests hold alpha, peeking breaks them, the sequence does not.

Expected rates: alpha = 5% for one look; about 20-25% for 14 naive looks (Armitage, McPherson and
Rowe 1969: repeated significance tests at 5% reach about 19% at 10 looks and 25% at 20); at most
alpha at any number of looks for the confidence sequence. With 4,000 experiments the standard
error of a 5% rate is 0.34%, so the [4%, 6%] window is about three standard errors wide.
"""

import pytest

from commercelens.stats.simulation import aa_false_positive_rate, peeking_false_positive_rate

pytestmark = pytest.mark.unit

SEED = 20261122


def test_proportion_test_holds_alpha_on_aa_experiments():
    r = aa_false_positive_rate(4_000, 1_000, metric="proportion", baseline=0.1, alpha=0.05, seed=SEED)
    assert r.n_experiments == 4_000 and r.looks == 1
    assert 0.04 <= r.rate <= 0.06
    assert r.ci_low < r.rate < r.ci_high


def test_welch_mean_test_holds_alpha_on_aa_experiments():
    r = aa_false_positive_rate(4_000, 1_000, metric="mean", baseline=50.0, sd=20.0, alpha=0.05, seed=SEED)
    assert 0.04 <= r.rate <= 0.06


def test_rate_follows_alpha():
    r = aa_false_positive_rate(2_000, 1_000, alpha=0.01, seed=SEED)
    assert r.rate < 0.02


@pytest.mark.parametrize(("metric", "baseline"), [("proportion", 0.1), ("mean", 50.0)])
def test_sequential_stays_under_alpha_with_14_daily_peeks(metric, baseline):
    r = peeking_false_positive_rate(
        2_000, 14, 200, engine="sequential", metric=metric, baseline=baseline, sd=20.0, seed=SEED
    )
    assert r.looks == 14
    assert r.rate <= 0.05


def test_naive_fixed_test_is_inflated_by_14_daily_peeks():
    r = peeking_false_positive_rate(2_000, 14, 200, engine="fixed", metric="proportion", seed=SEED)
    assert r.ci_low > 0.10  # the simulation sees the inflation, far above 5%
    assert r.rate < 0.35


def test_same_seed_gives_same_rate_and_another_seed_a_different_draw():
    first = aa_false_positive_rate(500, 200, seed=7)
    assert aa_false_positive_rate(500, 200, seed=7) == first
    assert aa_false_positive_rate(500, 200, seed=8).count != first.count


def test_wilson_interval_of_zero_hits_starts_at_zero():
    r = aa_false_positive_rate(100, 50, baseline=0.0, seed=SEED)  # no success in any arm
    assert (r.count, r.rate, r.ci_low) == (0, 0.0, 0.0)
    assert r.ci_high == pytest.approx(1.96**2 / (100 + 1.96**2), rel=1e-3)  # Wilson upper end at 0/n


def test_single_unit_per_look_is_refused():
    with pytest.raises(ValueError, match="units per arm"):
        peeking_false_positive_rate(10, 14, 1)


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine"):
        peeking_false_positive_rate(10, 14, 100, engine="bayesian")
