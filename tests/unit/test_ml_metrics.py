"""Metrics cross-checked against scikit-learn and hand calculations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score, roc_curve

from commercelens.ml.curves import calibration_points, gain_points, roc_points
from commercelens.ml.metrics import (
    average_precision,
    binary_metrics,
    expected_calibration_error,
    f1_optimal_threshold,
    ks_statistic,
    roc_auc,
    threshold_table,
    top_k,
)


@pytest.fixture
def scored(rng):
    y = (rng.random(2_000) < 0.2).astype(float)
    p = np.clip(0.2 + 0.3 * (y - 0.2) + 0.2 * rng.standard_normal(2_000), 0.001, 0.999)
    p[:200] = np.round(p[:200], 1)  # ties
    return y, p


def test_roc_auc_equals_sklearn_with_ties(scored):
    y, p = scored
    assert roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)


def test_average_precision_equals_sklearn_with_ties(scored):
    y, p = scored
    assert average_precision(y, p) == pytest.approx(average_precision_score(y, p), abs=1e-12)


def test_brier_and_log_loss_equal_sklearn(scored):
    y, p = scored
    m = binary_metrics(y, p)
    assert m.brier == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert m.log_loss == pytest.approx(log_loss(y, p), abs=1e-12)


def test_ks_equals_max_tpr_minus_fpr_of_sklearn_roc_curve(scored):
    y, p = scored
    fpr, tpr, _ = roc_curve(y, p, drop_intermediate=False)
    assert ks_statistic(y, p) == pytest.approx(np.max(tpr - fpr), abs=1e-12)
    ours = roc_points(y, p)
    assert ours.height == fpr.size


def test_ece_by_hand_two_bins():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.3, 0.6, 0.8])
    # bins {0.1, 0.3} -> |0 - 0.2| and {0.6, 0.8} -> |1 - 0.7|, each weight 1/2
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.25)


def test_ece_of_true_probabilities_is_small_on_a_large_sample(rng):
    p = rng.uniform(0.05, 0.95, 200_000)
    y = (rng.random(p.size) < p).astype(float)
    assert expected_calibration_error(y, p) < 0.005


def test_calibration_bins_have_equal_counts():
    p = np.linspace(0, 1, 30)
    assert calibration_points(np.zeros(30), p, bins=15)["count"].to_list() == [2] * 15


def test_top_k_flags_ceil_share_of_rows():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    p = np.linspace(1, 0.1, 10)
    (at_10, at_20) = top_k(y, p, (0.1, 0.2))
    assert (at_10.n_flagged, at_10.precision, at_10.recall, at_10.lift) == (1, 1.0, 0.5, 5.0)
    assert (at_20.n_flagged, at_20.precision, at_20.threshold) == (2, 0.5, 0.9)


def test_gain_reaches_one_at_full_share(scored):
    y, p = scored
    gain = gain_points(y, p)
    assert gain["gain"][-1] == pytest.approx(1.0)
    assert gain["lift"][-1] == pytest.approx(1.0)


def test_f1_optimal_threshold_beats_every_table_threshold(scored):
    y, p = scored
    t = f1_optimal_threshold(y, p)
    best = threshold_table(y, p, np.array([t]))["f1"][0]
    assert best >= threshold_table(y, p)["f1"].max() - 1e-12


def test_single_class_is_a_status_not_an_error():
    m = binary_metrics(np.zeros(4), np.array([0.1, 0.2, 0.3, 0.4]))
    assert m.status == "single_class"
    assert m.roc_auc is None
    assert m.brier == pytest.approx(np.mean([0.01, 0.04, 0.09, 0.16]))


def test_flat_names_top_k_by_percent(scored):
    flat = binary_metrics(*scored).flat()
    assert {"roc_auc", "precision_at_1pct", "lift_at_10pct"} <= set(flat)
