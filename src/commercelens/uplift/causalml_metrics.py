"""causalml 0.18's AUUC and Qini scores, kept apart to compare with published causalml numbers.

The product reports scikit-uplift's normalisation (:mod:`commercelens.uplift.metrics`); these
functions exist so a result quoted in causalml's units can be checked. causalml differs in four
ways (from ``causalml/metrics/visualize.py``: ``get_cumlift``, ``get_cumgain``, ``get_qini``,
``auuc_score``, ``qini_score``):

1. one point per unit, ties are not grouped: tied units are ordered by input position here
   (causalml uses pandas' unstable default sort, so with ties the two may disagree);
2. points where an arm has no unit yet are undefined (0/0) and are linearly interpolated from
   the point ``(0, 0)`` to the first defined one (for the AUUC the cumulative lift
   ``Y_T / N_T - Y_C / N_C`` is interpolated, then multiplied by ``N``);
3. with ``normalize=True`` the curve is divided by the absolute value of its end point;
4. the score is the mean height over the ``n + 1`` points (not a trapezoid area). The AUUC uses
   the cumulative gain ``(Y_T / N_T - Y_C / N_C) * N``; the Qini score subtracts the mean height of
   the straight line from the first to the last point of the Qini curve ``Y_T - Y_C * N_T / N_C``.

Pinned to causalml 0.18.0 on REFERENCE.md's 20-row vector (1e-9). No random-ranking
columns are involved: causalml 0.18 draws none for these scores.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from commercelens.uplift.validation import check_uplift_inputs


def _interpolate_head(values: np.ndarray) -> np.ndarray:
    """Prefix the point 0 and fill undefined (NaN) points linearly, as pandas' ``interpolate``."""
    curve = np.r_[0.0, values]
    known = ~np.isnan(curve)
    position = np.arange(curve.size)
    return np.interp(position, position[known], curve[known])


def _per_unit_curve(
    kind: Literal["gain", "qini"], y: np.ndarray, score: np.ndarray, t: np.ndarray
) -> np.ndarray:
    order = np.argsort(-score, kind="stable")
    y, t = y[order], t[order]
    n_all = np.arange(1, y.size + 1, dtype=np.float64)
    n_t = np.cumsum(t, dtype=np.float64)
    n_c = n_all - n_t
    y_t, y_c = np.cumsum(y * t), np.cumsum(y * (1 - t))
    defined = (n_t > 0) & (n_c > 0)
    values = np.full(y.size, np.nan)
    if kind == "qini":
        values[defined] = y_t[defined] - y_c[defined] * n_t[defined] / n_c[defined]
        return _interpolate_head(values)
    # causalml interpolates the cumulative lift, then scales it by the units targeted.
    values[defined] = y_t[defined] / n_t[defined] - y_c[defined] / n_c[defined]
    return _interpolate_head(values) * np.r_[0.0, n_all]


def _normalised(curve: np.ndarray, normalize: bool) -> np.ndarray:
    if not normalize:
        return curve
    if curve[-1] == 0:
        raise ValueError("the curve ends at 0 (no overall effect), so causalml's normalisation is undefined")
    return curve / abs(curve[-1])


def causalml_auuc_score(y_true: Any, uplift: Any, treatment: Any, normalize: bool = True) -> float:
    """causalml's ``auuc_score``: mean height of the (normalised) cumulative gain curve.

    Examples
    --------
    >>> round(causalml_auuc_score([1, 0, 0, 1], [0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0], normalize=False), 6)
    0.8
    """
    y, score, t = check_uplift_inputs(y_true, uplift, treatment, binary_outcome=False)
    gain = _normalised(_per_unit_curve("gain", y, score, t), normalize)
    return float(gain.mean())


def causalml_qini_score(y_true: Any, uplift: Any, treatment: Any, normalize: bool = True) -> float:
    """causalml's ``qini_score``: mean height of the (normalised) Qini curve above its chord."""
    y, score, t = check_uplift_inputs(y_true, uplift, treatment, binary_outcome=False)
    qini = _normalised(_per_unit_curve("qini", y, score, t), normalize)
    chord = np.linspace(qini[0], qini[-1], qini.size)
    return float((qini.sum() - chord.sum()) / qini.size)
