"""Input checks shared by the uplift metrics, learners and policy: clear ``ValueError`` messages.

Every public function converts its 1-D inputs here first, so a mistake (a score with NaN, a
treatment column coded 1/2, an arm with no units) fails with one sentence naming the problem
instead of a NaN or a NumPy warning further down.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def as_vector(values: Any, name: str) -> np.ndarray:
    """A non-empty, finite, 1-D float64 array.

    Examples
    --------
    >>> as_vector([1, 0.5], "uplift").tolist()
    [1.0, 0.5]
    """
    try:
        vector = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric: {error}") from None
    if vector.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {vector.shape}")
    if vector.size == 0:
        raise ValueError(f"{name} is empty")
    n_bad = int(np.count_nonzero(~np.isfinite(vector)))
    if n_bad:
        raise ValueError(f"{name} must be finite (no NaN or inf); found {n_bad} non-finite values")
    return vector


def check_same_length(**vectors: np.ndarray) -> None:
    lengths = {name: len(v) for name, v in vectors.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ValueError(f"inputs must have the same length, got {detail}")


def as_binary(values: Any, name: str) -> np.ndarray:
    """A 0/1 int64 array (booleans accepted); any other value raises."""
    vector = as_vector(values, name)
    if not np.isin(vector, (0.0, 1.0)).all():
        found = np.unique(vector[~np.isin(vector, (0.0, 1.0))])[:5].tolist()
        raise ValueError(f"{name} must be binary 0/1, found values such as {found}")
    return vector.astype(np.int64)


def as_treatment(values: Any) -> np.ndarray:
    """A 0/1 treatment indicator with both the treated (1) and the control (0) arm present."""
    treatment = as_binary(values, "treatment")
    n_treated = int(treatment.sum())
    if n_treated == 0 or n_treated == treatment.size:
        raise ValueError("treatment must contain both treated (1) and control (0) units")
    return treatment


def check_uplift_inputs(
    y_true: Any, uplift: Any, treatment: Any, *, binary_outcome: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate and convert ``(y_true, uplift, treatment)`` for a ranking metric.

    Examples
    --------
    >>> check_uplift_inputs([1, 0], [0.2, 0.1], [1, 1], binary_outcome=True)
    Traceback (most recent call last):
    ...
    ValueError: treatment must contain both treated (1) and control (0) units
    """
    y = as_binary(y_true, "y_true").astype(np.float64) if binary_outcome else as_vector(y_true, "y_true")
    score = as_vector(uplift, "uplift")
    t = as_treatment(treatment)
    check_same_length(y_true=y, uplift=score, treatment=t)
    return y, score, t
