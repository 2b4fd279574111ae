"""Binary classification metrics for calibrated probabilities (no I/O; numpy in, dataclasses out).

Definitions (``y`` 0/1 labels, ``p`` probabilities, ``n`` rows):

- ``roc_auc``: Mann-Whitney form, ties count one half (equals scikit-learn's ``roc_auc_score``).
- ``pr_auc``: average precision, ``sum_k (R_k - R_{k-1}) P_k`` over distinct thresholds
  (equals ``average_precision_score``; no trapezoid interpolation, which is optimistic).
- ``brier``: mean of ``(p - y)^2``. ``log_loss``: mean negative log-likelihood, ``p`` clipped to
  ``[eps, 1 - eps]`` with the float64 machine epsilon (as scikit-learn).
- ``ece``: expected calibration error over 15 **equal-frequency** bins (see
  :func:`~commercelens.ml.curves.calibration_points`): ``sum_b n_b / n * |mean(y_b) - mean(p_b)|``.
  On a finite sample even the true probabilities have ECE above 0 (about
  ``sqrt(2 / pi * p (1 - p) / n_b)``); the oracle's ECE shows that floor.
- ``ks``: Kolmogorov-Smirnov, ``max_t (TPR(t) - FPR(t))``.
- top-k at 1, 2, 5, 10%: flag the ``ceil(k n)`` highest scores; precision, recall, lift
  (precision / base rate) and the score of the last flagged row as the threshold.

Non-fatal conditions (a single class) come back as ``status = "single_class"`` with the ranking
metrics ``None``, not as an exception or a NaN.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import polars as pl
from scipy.stats import rankdata

from commercelens.ml.curves import calibration_points, cumulative_counts

TOP_SHARES = (0.01, 0.02, 0.05, 0.10)
ECE_BINS = 15
Status = Literal["ok", "single_class", "empty"]


@dataclass(frozen=True)
class TopK:
    share: float
    threshold: float
    n_flagged: int
    precision: float
    recall: float
    lift: float


@dataclass(frozen=True)
class BinaryMetrics:
    """Scalar metrics of one set of probabilities against labels."""

    n: int
    n_positive: int
    base_rate: float | None
    roc_auc: float | None
    pr_auc: float | None
    brier: float | None
    log_loss: float | None
    ece: float | None
    ks: float | None
    top_k: tuple[TopK, ...]
    status: Status = "ok"

    def as_dict(self) -> dict:
        return asdict(self)

    def flat(self) -> dict[str, float]:
        """Scalars only, top-k flattened (``precision_at_5pct``...): for MLflow and tables."""
        out = {k: v for k, v in asdict(self).items() if isinstance(v, int | float) and v is not None}
        for t in self.top_k:
            tag = f"{round(t.share * 100)}pct"
            out |= {
                f"precision_at_{tag}": t.precision,
                f"recall_at_{tag}": t.recall,
                f"lift_at_{tag}": t.lift,
            }
        return out


def _check(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(y, dtype=np.float64), np.asarray(p, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError(f"y and p must be 1-D of the same length, got {y.shape} and {p.shape}")
    return y, p


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC-AUC by ranks (ties count one half).

    >>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    y, p = _check(y, p)
    n_pos = y.sum()
    n_neg = y.size - n_pos
    ranks = rankdata(p)
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """PR-AUC as average precision (step-wise, no interpolation).

    >>> round(average_precision(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])), 4)
    0.8333
    """
    y, p = _check(y, p)
    tp, fp, _ = cumulative_counts(y, p)
    precision = tp / (tp + fp)
    recall = tp / tp[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE over equal-frequency bins, weighted by bin size."""
    y, p = _check(y, p)
    table = calibration_points(y, p, bins)
    gaps = (table["observed"] - table["predicted"]).abs() * table["count"]
    return float(gaps.sum() / y.size)


def ks_statistic(y: np.ndarray, p: np.ndarray) -> float:
    """Largest gap between the cumulative score distributions of positives and negatives."""
    y, p = _check(y, p)
    tp, fp, _ = cumulative_counts(y, p)
    return float(np.max(tp / tp[-1] - fp / fp[-1]))


def top_k(y: np.ndarray, p: np.ndarray, shares: tuple[float, ...] = TOP_SHARES) -> tuple[TopK, ...]:
    """Precision, recall and lift when flagging the top ``share`` of rows by score."""
    y, p = _check(y, p)
    order = np.argsort(-p, kind="stable")
    captured = np.cumsum(y[order])
    base = y.mean()
    rows = []
    for share in shares:
        k = max(math.ceil(share * y.size - 1e-9), 1)
        precision = float(captured[k - 1] / k)
        rows.append(
            TopK(
                share=share,
                threshold=float(p[order[k - 1]]),
                n_flagged=k,
                precision=precision,
                recall=float(captured[k - 1] / captured[-1]) if captured[-1] else 0.0,
                lift=precision / base if base else 0.0,
            )
        )
    return tuple(rows)


def binary_metrics(y: np.ndarray, p: np.ndarray) -> BinaryMetrics:
    """All scalar metrics of probabilities ``p`` against labels ``y``.

    Examples
    --------
    >>> m = binary_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> m.roc_auc, m.status
    (0.75, 'ok')
    """
    y, p = _check(y, p)
    if y.size == 0:
        return BinaryMetrics(0, 0, None, None, None, None, None, None, None, (), "empty")
    n_pos = int(y.sum())
    eps = np.finfo(np.float64).eps  # as scikit-learn's log_loss
    clipped = np.clip(p, eps, 1 - eps)
    brier = float(np.mean((p - y) ** 2))
    loss = float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)))
    ece = expected_calibration_error(y, p)
    if n_pos in (0, y.size):
        return BinaryMetrics(
            y.size, n_pos, n_pos / y.size, None, None, brier, loss, ece, None, (), "single_class"
        )
    return BinaryMetrics(
        n=int(y.size),
        n_positive=n_pos,
        base_rate=n_pos / y.size,
        roc_auc=roc_auc(y, p),
        pr_auc=average_precision(y, p),
        brier=brier,
        log_loss=loss,
        ece=ece,
        ks=ks_statistic(y, p),
        top_k=top_k(y, p),
    )


def threshold_table(y: np.ndarray, p: np.ndarray, thresholds: np.ndarray | None = None) -> pl.DataFrame:
    """Flagging ``p >= t`` for each threshold: counts, precision, recall, F1, false-positive rate.

    Default thresholds: 0.05 to 0.95 in steps of 0.05.
    """
    y, p = _check(y, p)
    ts = np.round(np.arange(0.05, 1.0, 0.05), 2) if thresholds is None else np.asarray(thresholds)
    n_pos, n_neg = y.sum(), y.size - y.sum()
    rows = []
    for t in ts:
        flagged = p >= t
        tp = float(y[flagged].sum())
        fp = float(flagged.sum() - tp)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / n_pos if n_pos else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((float(t), int(flagged.sum()), precision, recall, f1, fp / n_neg if n_neg else 0.0))
    return pl.DataFrame(
        rows, schema=["threshold", "n_flagged", "precision", "recall", "f1", "fpr"], orient="row"
    )


def f1_optimal_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The score threshold (flag ``p >= t``) with the highest F1."""
    y, p = _check(y, p)
    tp, fp, thresholds = cumulative_counts(y, p)
    f1 = 2 * tp / (tp + fp + tp[-1])
    return float(thresholds[int(np.argmax(f1))])
