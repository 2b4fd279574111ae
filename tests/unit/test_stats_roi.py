"""ROI of a treatment: hand-computed values, the FrequentistResult path and the edge cases.

Golden values by hand: net = units * lift - cost, SE = units * se, interval net +- 1.959964 * SE,
P(net > 0) = Phi(net / SE) (Phi(1.5) = 0.9331928, Phi(-0.5) = 0.3085375).
"""

import pytest

from commercelens.stats.frequentist import FrequentistConfig, compare_means
from commercelens.stats.roi import RevenueLift, RoiConfig, estimate_roi
from commercelens.stats.types import SampleStats

Z95 = 1.959963985


def test_cost_per_unit():
    r = estimate_roi(RevenueLift(0.5, 0.2), RoiConfig(units=10_000, cost_per_unit=0.2))
    assert (r.incremental_revenue, r.cost, r.net, r.net_se) == pytest.approx((5_000, 2_000, 3_000, 2_000))
    assert (r.ci_low, r.ci_high) == pytest.approx((3_000 - Z95 * 2_000, 3_000 + Z95 * 2_000))
    assert r.ratio == pytest.approx(1.5)
    assert (r.ratio_ci_low, r.ratio_ci_high) == pytest.approx((r.ci_low / 2_000, r.ci_high / 2_000))
    assert r.probability_positive == pytest.approx(0.9331928, abs=1e-7)
    assert r.status == "ok"


def test_revenue_share_and_per_unit_and_fixed_costs_add_up():
    # 20,000 units, lift 1.00 (SE 0.40), treated revenue 12.00 per unit:
    # 5% discount 12,000 + 0.25 per unit 5,000 + fixed 3,000 = 20,000 cost; net 0.
    lift = RevenueLift(1.0, 0.4, treated_revenue_per_unit=12.0)
    config = RoiConfig(units=20_000, cost_per_unit=0.25, revenue_share=0.05, fixed_cost=3_000)
    r = estimate_roi(lift, config)
    assert (r.incremental_revenue, r.cost, r.net) == pytest.approx((20_000, 20_000, 0.0))
    assert r.probability_positive == pytest.approx(0.5)
    assert r.ratio == pytest.approx(0.0)


def test_loss_gives_negative_ratio_and_low_probability():
    r = estimate_roi(RevenueLift(0.1, 0.2), RoiConfig(units=1_000, cost_per_unit=0.2))
    assert (r.net, r.net_se, r.ratio) == pytest.approx((-100, 200, -0.5))
    assert r.probability_positive == pytest.approx(0.3085375, abs=1e-7)


def test_alpha_sets_the_interval_level():
    r = estimate_roi(RevenueLift(1.0, 0.1), RoiConfig(units=100, alpha=0.10))
    assert r.ci_high - r.net == pytest.approx(1.644853627 * 10)


def test_zero_cost_has_no_ratio():
    r = estimate_roi(RevenueLift(0.5, 0.2), RoiConfig(units=10_000))
    assert (r.cost, r.net) == (0.0, 5_000.0)
    assert (r.ratio, r.ratio_ci_low, r.ratio_ci_high) == (None, None, None)


@pytest.mark.parametrize(("lift", "expected"), [(0.3, 1.0), (0.1, 0.0), (0.2, 0.0)])
def test_zero_se_collapses_the_interval_and_makes_the_probability_certain(lift, expected):
    r = estimate_roi(RevenueLift(lift, 0.0), RoiConfig(units=1_000, cost_per_unit=0.2))
    assert r.ci_low == r.ci_high == r.net
    assert r.probability_positive == expected  # a net of exactly 0 is not > 0


def test_frequentist_result_gives_lift_se_and_treated_revenue():
    # control mean 10, treatment mean 11; both variances 10/9 -> SE sqrt(2/9)
    a, b = SampleStats(10, 100.0, 1010.0), SampleStats(10, 110.0, 1220.0)
    readout = compare_means(a, b, FrequentistConfig())
    r = estimate_roi(readout, RoiConfig(units=1_000, revenue_share=0.05))
    assert (r.incremental_revenue, r.cost, r.net) == pytest.approx((1_000, 550, 450))
    assert r.net_se == pytest.approx(1_000 * (2 / 9) ** 0.5)


def test_relative_frequentist_result_is_refused():
    a, b = SampleStats(10, 100.0, 1010.0), SampleStats(10, 110.0, 1220.0)
    readout = compare_means(a, b, FrequentistConfig(difference="relative"))
    with pytest.raises(ValueError, match="absolute"):
        estimate_roi(readout, RoiConfig(units=1_000))


def test_failed_readout_passes_its_status_on():
    readout = compare_means(SampleStats(1, 5.0, 25.0), SampleStats(1, 6.0, 36.0), FrequentistConfig())
    assert estimate_roi(readout, RoiConfig(units=10)).status == "too_few_units"


def test_revenue_share_without_treated_revenue_is_refused():
    with pytest.raises(ValueError, match="treated_revenue_per_unit"):
        estimate_roi(RevenueLift(1.0, 0.1), RoiConfig(units=10, revenue_share=0.05))


@pytest.mark.parametrize(
    "kwargs", [{"revenue_share": 1.5}, {"cost_per_unit": -1.0}, {"units": -1}, {"alpha": 0}]
)
def test_invalid_config_is_refused(kwargs):
    with pytest.raises(ValueError):
        RoiConfig(**{"units": 10, **kwargs})
