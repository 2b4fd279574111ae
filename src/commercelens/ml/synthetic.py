"""A synthetic task with known probabilities, for tests, benchmarks and docs.

Truth: ``logit P(y=1) = intercept + 0.8 x0 - 0.6 x1 + 0.5 x0 x1 + 0.7 sin(2 x2) + effect[category]
+ 0.1 * (x3 + ... )``, with ``x ~ N(0, 1)``, 5% of ``x1`` missing (imputed as 0 in the truth),
and a 6-level category (one level, "f", rare). Rows are spread over 2026 in time order; the
first 60% are ``train``, the next 20% ``validation``, the last 20% ``test``.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from commercelens.ml.data import TrainingFrame

CATEGORY_EFFECT = {"a": 0.0, "b": 0.5, "c": -0.5, "d": 1.0, "e": -1.0, "f": 1.5}


def synthetic_frame(n: int, seed: int = 0, n_numeric: int = 6, intercept: float = -1.0) -> TrainingFrame:
    """``n`` rows of the synthetic task; ``intercept`` sets the base rate (-1: ~30%, -5: ~1%).

    Examples
    --------
    >>> data = synthetic_frame(1_000, seed=1)
    >>> data.frame.columns[:5], data.categorical
    (['row_id', 'decision_at', 'label', 'split', 'truth'], ('channel',))
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, max(n_numeric, 3)))
    levels = np.array(list(CATEGORY_EFFECT))
    category = rng.choice(levels, size=n, p=[0.3, 0.25, 0.2, 0.13, 0.1, 0.02])
    effect = np.vectorize(CATEGORY_EFFECT.get)(category)
    logit = intercept + 0.8 * x[:, 0] - 0.6 * x[:, 1] + 0.5 * x[:, 0] * x[:, 1] + 0.7 * np.sin(2 * x[:, 2])
    logit += effect + 0.1 * x[:, 3:].sum(axis=1)
    missing = rng.random(n) < 0.05
    logit[missing] += 0.6 * x[missing, 1] - 0.5 * x[missing, 0] * x[missing, 1]  # x1 unseen -> 0
    truth = 1.0 / (1.0 + np.exp(-logit))
    label = (rng.random(n) < truth).astype(np.int8)
    start = datetime(2026, 1, 1)
    seconds = np.sort(rng.uniform(0, 365 * 86_400, n))
    split = np.where(np.arange(n) < 0.6 * n, "train", np.where(np.arange(n) < 0.8 * n, "validation", "test"))
    names = [f"x{i}" for i in range(x.shape[1])]
    features = {name: x[:, i] for i, name in enumerate(names)}
    features["x1"] = np.where(missing, np.nan, x[:, 1])
    frame = pl.DataFrame(
        {
            "row_id": np.arange(n),
            "decision_at": np.datetime64(start, "us") + (seconds * 1e6).astype("timedelta64[us]"),
            "label": label,
            "split": split,
            "truth": truth,
            **features,
            "channel": category,
        }
    ).with_columns(pl.col("x1").fill_nan(None))
    return TrainingFrame(frame, (*names, "channel"), ("channel",), "row_id", truth="truth")
