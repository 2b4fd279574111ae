"""Curve data behind the metrics and the plots: ROC, precision-recall, calibration, gain/lift.

All functions take 0/1 labels ``y`` and scores ``p`` (1-D arrays of the same length) and work at
the distinct score values, highest first, as scikit-learn's ``roc_curve`` and
``precision_recall_curve`` do (without dropping collinear points).
"""

from __future__ import annotations

import numpy as np
import polars as pl


def cumulative_counts(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True and false positives when flagging ``p >= t``, at each distinct ``t`` (descending)."""
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    last_of_value = np.r_[np.flatnonzero(np.diff(p_sorted)), p_sorted.size - 1]
    tp = np.cumsum(y_sorted)[last_of_value]
    fp = (last_of_value + 1) - tp
    return tp.astype(np.float64), fp.astype(np.float64), p_sorted[last_of_value]


def roc_points(y: np.ndarray, p: np.ndarray) -> pl.DataFrame:
    """False- and true-positive rate per threshold, starting at (0, 0).

    >>> roc_points(np.array([0, 1]), np.array([0.2, 0.9]))["tpr"].to_list()
    [0.0, 1.0, 1.0]
    """
    tp, fp, thresholds = cumulative_counts(y, p)
    return pl.DataFrame(
        {
            "threshold": np.r_[np.inf, thresholds],
            "fpr": np.r_[0.0, fp / max(fp[-1], 1.0)],
            "tpr": np.r_[0.0, tp / max(tp[-1], 1.0)],
        }
    )


def pr_points(y: np.ndarray, p: np.ndarray) -> pl.DataFrame:
    """Precision and recall per threshold (descending threshold, so recall rises)."""
    tp, fp, thresholds = cumulative_counts(y, p)
    return pl.DataFrame(
        {"threshold": thresholds, "precision": tp / (tp + fp), "recall": tp / max(tp[-1], 1.0)}
    )


def calibration_points(y: np.ndarray, p: np.ndarray, bins: int = 15) -> pl.DataFrame:
    """Mean predicted probability and observed rate in ``bins`` equal-frequency bins.

    Rows are sorted by ``p`` and cut into ``bins`` groups of (almost) equal size; equal frequency
    rather than equal width, because rare-event scores crowd into the lowest width bin.

    >>> table = calibration_points(np.array([0, 1, 0, 1]), np.array([0.1, 0.2, 0.7, 0.8]), bins=2)
    >>> table["observed"].to_list()
    [0.5, 0.5]
    """
    order = np.argsort(p, kind="stable")
    groups = [g for g in np.array_split(order, min(bins, p.size)) if g.size]
    return pl.DataFrame(
        {
            "bin": np.arange(len(groups)),
            "count": [g.size for g in groups],
            "predicted": [float(p[g].mean()) for g in groups],
            "observed": [float(y[g].mean()) for g in groups],
            "upper": [float(p[g].max()) for g in groups],
        }
    )


def gain_points(y: np.ndarray, p: np.ndarray, points: int = 100) -> pl.DataFrame:
    """Cumulative gain (share of positives captured) and lift at each percentile of the ranking.

    >>> gain_points(np.array([1, 0, 0, 0]), np.array([0.9, 0.1, 0.2, 0.3]), points=4)["lift"].to_list()
    [4.0, 2.0, 1.3333333333333333, 1.0]
    """
    order = np.argsort(-p, kind="stable")
    captured = np.cumsum(y[order])
    share = np.arange(1, points + 1) / points
    k = np.maximum(np.ceil(share * y.size).astype(int), 1)
    gain = captured[k - 1] / max(captured[-1], 1)
    return pl.DataFrame({"share": share, "gain": gain, "lift": gain / share})
