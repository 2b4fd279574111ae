"""Uplift metrics: REFERENCE.md's 20-row vector (scikit-uplift 0.5.1, causalml 0.18.0) and invariants."""

from __future__ import annotations

import numpy as np
import pytest

from commercelens.uplift.causalml_metrics import causalml_auuc_score, causalml_qini_score
from commercelens.uplift.metrics import (
    perfect_qini_curve,
    perfect_uplift_curve,
    qini_auc_score,
    qini_coefficient,
    qini_curve,
    uplift_at_k,
    uplift_auc_score,
    uplift_curve,
)

pytestmark = pytest.mark.unit

# REFERENCE.md, "Uplift metrics on a 20-row vector", computed on the real libraries.
Y = [1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1]
T = [1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0]
SCORE = [
    0.95,
    0.90,
    0.85,
    0.80,
    0.75,
    0.70,
    0.65,
    0.60,
    0.55,
    0.50,
    0.45,
    0.40,
    0.35,
    0.30,
    0.25,
    0.20,
    0.15,
    0.10,
    0.05,
    0.01,
]


def test_reference_vector_uplift_auc_score_matches_scikit_uplift():
    assert uplift_auc_score(Y, SCORE, T) == pytest.approx(0.3543120952084537, abs=1e-9)


def test_reference_vector_qini_auc_score_matches_scikit_uplift():
    assert qini_auc_score(Y, SCORE, T, negative_effect=True) == pytest.approx(0.4768806073153899, abs=1e-9)


def test_reference_vector_qini_coefficient_is_qini_auc_score_with_negative_effect():
    assert qini_coefficient(Y, SCORE, T) == pytest.approx(0.4768806073153899, abs=1e-9)


@pytest.mark.parametrize(("strategy", "expected"), [("overall", 0.75), ("by_group", 1 / 3)])
def test_reference_vector_uplift_at_30_percent_matches_scikit_uplift(strategy, expected):
    assert uplift_at_k(Y, SCORE, T, k=0.3, strategy=strategy) == pytest.approx(expected, abs=1e-9)


def test_reference_vector_causalml_auuc_score_normalised():
    assert causalml_auuc_score(Y, SCORE, T, normalize=True) == pytest.approx(1.363813303099017, abs=1e-9)


def test_reference_vector_causalml_qini_score():
    assert causalml_qini_score(Y, SCORE, T) == pytest.approx(1.2581254724111866, abs=1e-9)


def test_oracle_ranking_scores_one():
    y, t = np.array(Y), np.array(T)
    assert qini_auc_score(y, y * t - y * (1 - t), t) == pytest.approx(1.0, abs=1e-12)
    # 3 control responders < 6 treated non-responders, so scikit-uplift's oracle adds t.
    oracle = 2 * (y == t) + t
    assert uplift_auc_score(y, oracle, t) == pytest.approx(1.0, abs=1e-12)
    assert uplift_curve(y, oracle, t).y.tolist() == perfect_uplift_curve(y, t).y.tolist()


def test_constant_score_is_the_random_line_and_scores_exactly_zero():
    constant = [0.5] * len(Y)
    curve = qini_curve(Y, constant, T)
    assert curve.x.tolist() == [0.0, 20.0]
    assert qini_auc_score(Y, constant, T) == pytest.approx(0.0, abs=1e-12)
    assert uplift_auc_score(Y, constant, T) == pytest.approx(0.0, abs=1e-12)


def test_random_scores_on_large_data_score_near_zero():
    rng = np.random.default_rng(20261122)
    n = 200_000
    t = rng.integers(0, 2, n)
    y = (rng.random(n) < 0.10 + 0.05 * t).astype(int)
    random_scores = rng.random(n)
    assert abs(qini_auc_score(y, random_scores, t)) < 0.02
    assert abs(uplift_auc_score(y, random_scores, t)) < 0.02


def test_reversed_scores_rank_below_random():
    reversed_scores = [-s for s in SCORE]
    assert qini_auc_score(Y, reversed_scores, T) < 0 < qini_auc_score(Y, SCORE, T)
    assert uplift_auc_score(Y, reversed_scores, T) < 0 < uplift_auc_score(Y, SCORE, T)


def test_tied_units_form_one_point_so_their_order_does_not_matter():
    y, t, s = [1, 0, 0, 1, 0], [1, 0, 1, 0, 1], [0.9, 0.5, 0.5, 0.5, 0.1]
    curve = qini_curve(y, s, t)
    permuted = qini_curve([0, 1, 0, 1, 0], [0.5, 0.5, 0.5, 0.9, 0.1], [1, 0, 0, 1, 1])
    assert curve.x.tolist() == [0.0, 1.0, 4.0, 5.0]
    assert curve.y.tolist() == permuted.y.tolist()


def test_curves_by_hand_on_four_units():
    # Ranked: treated responder, control non-responder, treated non-responder, control responder.
    y, s, t = [1, 0, 0, 1], [0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0]
    assert uplift_curve(y, s, t).y.tolist() == [0.0, 1.0, 2.0, 1.5, 0.0]
    assert qini_curve(y, s, t).y.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_perfect_qini_curve_without_negative_effect_is_the_three_point_line():
    # Qini end point r = 2 treated responders - 3 treated * 1 control responder / 2 controls = 0.5
    curve = perfect_qini_curve([1, 1, 0, 1, 0], [1, 1, 1, 0, 0], negative_effect=False)
    assert curve.x.tolist() == [0.0, 0.5, 5.0]
    assert curve.y.tolist() == [0.0, 0.5, 0.5]


def test_qini_without_negative_effect_scores_higher_than_with():
    assert qini_auc_score(Y, SCORE, T, negative_effect=False) > qini_auc_score(Y, SCORE, T)


def test_uplift_at_k_int_is_a_count_of_units():
    # Top 4: treated y = 1, 0, 1 and control y = 0.
    assert uplift_at_k(Y, SCORE, T, k=4) == pytest.approx(2 / 3)


def test_uplift_at_k_ties_put_the_later_unit_first_as_scikit_uplift_does():
    y, s, t = [0, 1, 1, 0], [0.5, 0.5, 0.1, 0.1], [1, 1, 0, 0]
    # Top 3 of the reversed stable order: units 1, 0, 3 -> treated mean 0.5, control mean 0.
    assert uplift_at_k(y, s, t, k=3) == pytest.approx(0.5)


def test_uplift_at_k_without_control_units_in_the_top_k_raises():
    with pytest.raises(ValueError, match="no control units among the top"):
        uplift_at_k(Y, SCORE, T, k=3)


@pytest.mark.parametrize("k", [0, 20, 1.0, 0.0, True, "0.3"])
def test_uplift_at_k_rejects_k_outside_its_range(k):
    with pytest.raises(ValueError, match="k"):
        uplift_at_k(Y, SCORE, T, k=k)


def test_uplift_at_k_rejects_unknown_strategy():
    with pytest.raises(ValueError, match="strategy"):
        uplift_at_k(Y, SCORE, T, strategy="first")


def test_unequal_lengths_raise():
    with pytest.raises(ValueError, match="same length"):
        qini_auc_score(Y, SCORE[:-1], T)


def test_non_binary_treatment_raises():
    with pytest.raises(ValueError, match="treatment must be binary"):
        qini_auc_score(Y, SCORE, [2 if v else 1 for v in T])


def test_single_arm_raises():
    with pytest.raises(ValueError, match="both treated"):
        uplift_curve(Y, SCORE, [1] * len(Y))


def test_non_finite_score_raises():
    with pytest.raises(ValueError, match="finite"):
        qini_curve(Y, [np.nan, *SCORE[1:]], T)


def test_normalised_scores_need_binary_outcomes():
    with pytest.raises(ValueError, match="y_true must be binary"):
        uplift_auc_score([v * 2.5 for v in Y], SCORE, T)


def test_curves_accept_continuous_outcomes():
    spend = [v * 2.5 for v in Y]
    assert qini_curve(spend, SCORE, T).y[-1] == pytest.approx(2.5 * qini_curve(Y, SCORE, T).y[-1])


def test_no_positive_outcome_makes_the_normalised_score_undefined():
    with pytest.raises(ValueError, match="undefined"):
        qini_auc_score([0] * len(Y), SCORE, T)


def test_negative_effect_must_be_a_bool():
    with pytest.raises(TypeError, match="negative_effect"):
        qini_auc_score(Y, SCORE, T, negative_effect=1)
