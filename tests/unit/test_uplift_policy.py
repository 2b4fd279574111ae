"""Targeting policy: k chosen by hand-checkable profit, realised profit on a holdout."""

from __future__ import annotations

import numpy as np
import pytest

from commercelens.uplift.policy import TargetingEconomics, evaluate_targeting, plan_targeting

pytestmark = pytest.mark.unit


def test_plan_treats_the_units_worth_more_than_their_cost():
    # value 10 x uplift - 1 per treated = [2, -0.5, 1, 0, -1.2]; ranked 2, 1, 0, -0.5, -1.2.
    plan = plan_targeting([0.30, 0.05, 0.20, 0.10, -0.02], TargetingEconomics(10.0, cost_per_treated=1.0))
    np.testing.assert_allclose(plan.profit_curve, [0.0, 2.0, 3.0, 3.0, 2.5, 1.3])
    assert plan.k == 2  # k = 3 earns the same 3.0: the smaller k wins
    assert plan.share == pytest.approx(0.4)
    assert plan.expected_incremental_conversions == pytest.approx(0.5)
    assert plan.expected_cost == pytest.approx(2.0)
    assert plan.expected_profit == pytest.approx(3.0)


def test_a_discount_paid_on_every_treated_conversion_skips_likely_buyers():
    # 20 x uplift - 2 x P(convert | treated) = [1.7, -0.2, 0.3]: unit 1 has more uplift than
    # unit 2 but would mostly buy anyway, so its discount costs more than it brings.
    economics = TargetingEconomics(20.0, cost_per_conversion=2.0)
    plan = plan_targeting([0.10, 0.05, 0.02], economics, p_treated=[0.15, 0.60, 0.05])
    np.testing.assert_allclose(plan.unit_profit, [1.7, -0.2, 0.3])
    assert plan.k == 2
    assert plan.expected_incremental_conversions == pytest.approx(0.12)
    assert plan.expected_cost == pytest.approx(0.4)
    assert plan.expected_profit == pytest.approx(2.0)


def test_nothing_worth_treating_gives_k_zero():
    plan = plan_targeting([0.01, -0.05], TargetingEconomics(10.0, cost_per_treated=1.0))
    assert (plan.k, plan.share, plan.expected_profit) == (0, 0.0, 0.0)


def test_plan_arrays_are_read_only():
    plan = plan_targeting([0.2, 0.1], TargetingEconomics(10.0))
    with pytest.raises(ValueError, match="read-only"):
        plan.profit_curve[0] = 1.0


def test_cost_per_conversion_without_treated_probabilities_raises():
    with pytest.raises(ValueError, match="needs p_treated"):
        plan_targeting([0.1], TargetingEconomics(10.0, cost_per_conversion=1.0))


def test_treated_probabilities_outside_0_1_raise():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        plan_targeting([0.1, 0.2], TargetingEconomics(10.0, cost_per_conversion=1.0), p_treated=[0.5, 1.5])


def test_negative_money_amounts_raise():
    with pytest.raises(ValueError, match="cost_per_treated"):
        TargetingEconomics(10.0, cost_per_treated=-1.0)


def test_evaluation_by_hand_with_both_kinds_of_cost():
    # Top 4: treated y = 1, 1, 0 (rate 2/3), control y = 0 -> 8/3 incremental conversions;
    # profit = 10 x 8/3 - 1 x 4 - 2 x (2/3 x 4) = 52/3.
    result = evaluate_targeting(
        [1, 0, 1, 0, 0, 1], [1, 0, 1, 1, 0, 0], [6, 5, 4, 3, 2, 1], 4, TargetingEconomics(10.0, 1.0, 2.0)
    )
    assert (result.n_treated, result.n_control, result.status) == (3, 1, "ok")
    assert result.incremental_conversions == pytest.approx(8 / 3)
    assert result.profit == pytest.approx(52 / 3)


def test_evaluation_with_one_arm_missing_from_the_top_k_reports_status():
    result = evaluate_targeting([1, 0, 1], [1, 1, 0], [3, 2, 1], 2, TargetingEconomics(10.0))
    assert result.status == "empty_arm"
    assert (result.incremental_conversions, result.profit) == (0.0, 0.0)


def test_evaluating_k_zero_is_zero_profit():
    result = evaluate_targeting([1, 0], [1, 0], [2, 1], 0, TargetingEconomics(10.0, 1.0))
    assert (result.status, result.incremental_conversions, result.profit) == ("ok", 0.0, 0.0)


@pytest.mark.parametrize("k", [-1, 4])
def test_evaluating_k_outside_the_population_raises(k):
    with pytest.raises(ValueError, match="k must be a count"):
        evaluate_targeting([1, 0, 1], [1, 0, 1], [3, 2, 1], k, TargetingEconomics(10.0))


def test_realised_profit_matches_the_plan_when_the_uplift_is_true():
    rng = np.random.default_rng(20261122)
    n = 200_000
    effect = 0.2 * rng.random(n) - 0.05
    baseline = 0.10 + 0.10 * rng.random(n)
    t = rng.integers(0, 2, n)
    y = (rng.random(n) < baseline + t * effect).astype(int)
    economics = TargetingEconomics(50.0, cost_per_treated=2.0, cost_per_conversion=5.0)
    plan = plan_targeting(effect, economics, p_treated=baseline + effect)
    realised = evaluate_targeting(y, t, plan.unit_profit, plan.k, economics)
    # Standard error of the realised increment here is about 240 conversions (2.5%).
    assert realised.incremental_conversions == pytest.approx(plan.expected_incremental_conversions, rel=0.08)
    assert realised.profit == pytest.approx(plan.expected_profit, rel=0.15)
