"""Probability calibration: isotonic or sigmoid (Platt), chosen by cross-fitting.

The calibrator is fitted on the *calibration slice*: the later half (by time) of the validation
split. The earlier half is used for early stopping and tuning, so the calibrator never sees the
rows that chose the number of trees (those rows' scores are slightly optimistic).

Choice: the slice is cut in two by time; each method is fitted on one part and scored (log
loss) on the other, both ways; the method with the lower mean held-out log loss wins and is refit
on the whole slice. Isotonic is more flexible but overfits small slices (few positives); the
cross-fit lets the data decide instead of a fixed row-count rule.

Both calibrators are stored as plain numbers (isotonic: the step function's knots; sigmoid: a
slope and an intercept on the logit), so applying them costs microseconds. Outputs are clipped to
``[1e-6, 1 - 1e-6]`` so a log loss is always finite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

Method = Literal["isotonic", "sigmoid"]
EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Calibrator:
    """A fitted monotone map from raw scores to probabilities.

    Examples
    --------
    >>> c = fit_calibrator(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1]), "isotonic")
    >>> c.predict(np.array([0.15, 0.85])).tolist()
    [1e-06, 0.999999]
    """

    method: Method
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()
    slope: float = 1.0
    intercept: float = 0.0

    def predict(self, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=np.float64)
        if self.method == "isotonic":
            out = np.interp(scores, self.knots_x, self.knots_y)
        else:
            out = 1.0 / (1.0 + np.exp(-(self.slope * _logit(scores) + self.intercept)))
        return np.clip(out, EPS, 1 - EPS)


def fit_calibrator(scores: np.ndarray, y: np.ndarray, method: Method) -> Calibrator:
    """Fit one calibration method on raw scores and 0/1 labels."""
    if method == "isotonic":
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, y)
        return Calibrator("isotonic", tuple(iso.X_thresholds_.tolist()), tuple(iso.y_thresholds_.tolist()))
    # C large: a 2-parameter fit needs no regularisation.
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(scores).reshape(-1, 1), y)
    return Calibrator("sigmoid", slope=float(lr.coef_[0, 0]), intercept=float(lr.intercept_[0]))


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def choose_calibrator(scores: np.ndarray, y: np.ndarray) -> tuple[Calibrator, dict[str, float]]:
    """Pick isotonic or sigmoid by two-fold (time-ordered) held-out log loss; refit on all rows.

    ``scores`` and ``y`` must be in time order. Returns the calibrator and the held-out log loss
    of each method. With fewer than 2 positives or negatives in a half, sigmoid is used.
    """
    half = len(y) // 2
    folds = [(slice(0, half), slice(half, None)), (slice(half, None), slice(0, half))]
    if any(len(np.unique(y[fit])) < 2 or np.sum(y[fit]) < 2 for fit, _ in folds):
        return fit_calibrator(scores, y, "sigmoid"), {}
    losses: dict[str, float] = {}
    for method in ("isotonic", "sigmoid"):
        held_out = [
            _log_loss(y[test], fit_calibrator(scores[fit], y[fit], method).predict(scores[test]))
            for fit, test in folds
        ]
        losses[method] = float(np.mean(held_out))
    best: Method = "isotonic" if losses["isotonic"] < losses["sigmoid"] else "sigmoid"
    return fit_calibrator(scores, y, best), losses
