"""Uplift ranking metrics in scikit-uplift 0.5.1's convention (the product's convention).

Units are ranked by predicted uplift, highest first. Curves are built over unit rank with ties
grouped by score: one point at the end of each run of equal scores, so tied units are always
taken together and their order never matters. At a point where ``N`` units are targeted, ``N_T``
of them treated and ``N_C`` control, with outcome sums ``Y_T`` and ``Y_C``:

- uplift curve  ``u(N) = (Y_T / N_T - Y_C / N_C) * N``  (a rate with a zero count counts as 0);
- Qini curve    ``q(N) = Y_T - Y_C * N_T / N_C``        (0 for the ratio while ``N_C = 0``);

both prefixed with the point ``(0, 0)`` and read as piecewise linear. The perfect (optimal)
curves apply the same formulas to an oracle score built from the observed outcomes:

- perfect uplift curve: score ``2 * [y == t] + (y if CR > TN else t)``, where CR counts control
  responders and TN treated non-responders;
- perfect Qini curve, ``negative_effect=True``: score ``y * t - y * (1 - t)`` (treated responders
  first, control responders last); ``negative_effect=False``: the three points ``(0, 0)``,
  ``(r, r)``, ``(n, r)`` with ``r = q(n)``, the Qini curve's end point.

The normalised scores compare trapezoid areas ``A`` with the random line from ``(0, 0)`` to the
perfect curve's end point ``(n, c(n))``, where every curve of the same kind ends (the whole
population's effect, whatever the ranking):

    score = (A_model - A_random) / (A_perfect - A_random)

so a perfect ranking scores 1, a random one about 0, and an inverted one below 0.
``qini_coefficient`` is ``qini_auc_score`` with ``negative_effect=True``: the one normalised Qini
the product reports. Pinned to scikit-uplift 0.5.1 on REFERENCE.md's 20-row vector (1e-9).
For causalml's different normalisation see :mod:`commercelens.uplift.causalml_metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from commercelens.uplift.validation import as_binary, as_treatment, check_same_length, check_uplift_inputs

Strategy = Literal["overall", "by_group"]


@dataclass(frozen=True, eq=False)
class Curve:
    """Points of an uplift or Qini curve: ``x`` units targeted (starting at 0), ``y`` the value."""

    x: np.ndarray
    y: np.ndarray

    @property
    def area(self) -> float:
        """Trapezoid area under the piecewise-linear curve."""
        return float(np.trapezoid(self.y, self.x))


def _cumulative_at_ties(y: np.ndarray, score: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, ...]:
    """Units, treated units and outcome sums per arm at the end of each run of tied scores."""
    order = np.argsort(score, kind="mergesort")[::-1]
    y, score, t = y[order], score[order], t[order]
    ends = np.r_[np.flatnonzero(np.diff(score)), score.size - 1]
    n_all = (ends + 1).astype(np.float64)
    n_treated = np.cumsum(t, dtype=np.float64)[ends]
    y_treated = np.cumsum(y * t)[ends]
    y_control = np.cumsum(y * (1 - t))[ends]
    return n_all, n_treated, n_all - n_treated, y_treated, y_control


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator != 0)


def _curve(kind: Literal["uplift", "qini"], y: np.ndarray, score: np.ndarray, t: np.ndarray) -> Curve:
    n_all, n_t, n_c, y_t, y_c = _cumulative_at_ties(y, score, t)
    if kind == "uplift":
        values = (_ratio(y_t, n_t) - _ratio(y_c, n_c)) * n_all
    else:
        values = y_t - y_c * _ratio(n_t, n_c)
    return Curve(np.r_[0.0, n_all], np.r_[0.0, values])


def uplift_curve(y_true: Any, uplift: Any, treatment: Any) -> Curve:
    """Uplift curve: difference in arm means among the top ``N``, times ``N``.

    Parameters
    ----------
    y_true, uplift, treatment
        Outcomes (any finite numbers), predicted uplift (higher = target first) and the 0/1
        treatment indicator, all of shape ``(n,)``.

    Examples
    --------
    >>> uplift_curve([1, 0, 0, 1], [0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0]).y.tolist()
    [0.0, 1.0, 2.0, 1.5, 0.0]
    """
    y, score, t = check_uplift_inputs(y_true, uplift, treatment, binary_outcome=False)
    return _curve("uplift", y, score, t)


def qini_curve(y_true: Any, uplift: Any, treatment: Any) -> Curve:
    """Qini curve: treated responders minus control responders scaled to the treated count.

    Examples
    --------
    >>> qini_curve([1, 0, 0, 1], [0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0]).y.tolist()
    [0.0, 1.0, 1.0, 1.0, 0.0]
    """
    y, score, t = check_uplift_inputs(y_true, uplift, treatment, binary_outcome=False)
    return _curve("qini", y, score, t)


def _binary_pair(y_true: Any, treatment: Any) -> tuple[np.ndarray, np.ndarray]:
    y = as_binary(y_true, "y_true").astype(np.float64)
    t = as_treatment(treatment)
    check_same_length(y_true=y, treatment=t)
    return y, t


def perfect_uplift_curve(y_true: Any, treatment: Any) -> Curve:
    """The uplift curve of scikit-uplift's oracle ranking (binary outcomes)."""
    y, t = _binary_pair(y_true, treatment)
    control_responders = np.sum((y == 1) & (t == 0))
    treated_non_responders = np.sum((y == 0) & (t == 1))
    summand = y if control_responders > treated_non_responders else t
    return _curve("uplift", y, 2.0 * (y == t) + summand, t)


def perfect_qini_curve(y_true: Any, treatment: Any, negative_effect: bool = True) -> Curve:
    """The optimal Qini curve (binary outcomes), with or without room for negative effects.

    With ``negative_effect=False`` the middle point is ``(r, r)`` as in scikit-uplift: its
    ``x`` is the Qini end point ``r``, read as "the first ``r`` units each convert because of
    the treatment".
    """
    y, t = _binary_pair(y_true, treatment)
    if negative_effect:
        return _curve("qini", y, y * t - y * (1 - t), t)
    treated, control = t == 1, t == 0
    end = y[treated].sum() - treated.sum() * y[control].sum() / control.sum()
    return Curve(np.array([0.0, end, float(y.size)]), np.array([0.0, end, end]))


def _normalised_area(model: Curve, perfect: Curve) -> float:
    random_area = Curve(np.array([0.0, perfect.x[-1]]), np.array([0.0, perfect.y[-1]])).area
    perfect_gain = perfect.area - random_area
    if perfect_gain == 0:
        raise ValueError(
            "the perfect curve has no area above the random line (e.g. no positive outcomes), "
            "so the normalised score is undefined"
        )
    return (model.area - random_area) / perfect_gain


def uplift_auc_score(y_true: Any, uplift: Any, treatment: Any) -> float:
    """Normalised area under the uplift curve (1 = perfect, about 0 = random).

    Examples
    --------
    >>> y, t = [1, 0, 0, 1], [1, 0, 1, 0]
    >>> uplift_auc_score(y, [0.9, 0.8, 0.3, 0.1], t), uplift_auc_score(y, [0.1, 0.3, 0.8, 0.9], t)
    (1.0, -1.0)
    """
    y, score, t = check_uplift_inputs(y_true, uplift, treatment, binary_outcome=True)
    return _normalised_area(_curve("uplift", y, score, t), perfect_uplift_curve(y, t))


def qini_auc_score(y_true: Any, uplift: Any, treatment: Any, negative_effect: bool = True) -> float:
    """Normalised area under the Qini curve (scikit-uplift's Qini coefficient).

    Parameters
    ----------
    negative_effect
        If True (the default) the perfect curve may rank units the campaign hurts last; if
        False it assumes the campaign harms nobody (a smaller perfect area, so larger scores).

    Examples
    --------
    >>> y, t = [1, 0, 0, 1], [1, 0, 1, 0]
    >>> qini_auc_score(y, [1, 0, 0, -1], t)  # the oracle ranking
    1.0
    """
    if not isinstance(negative_effect, bool):
        raise TypeError(f"negative_effect must be a bool, got {type(negative_effect).__name__}")
    y, score, t = check_uplift_inputs(y_true, uplift, treatment, binary_outcome=True)
    return _normalised_area(_curve("qini", y, score, t), perfect_qini_curve(y, t, negative_effect))


def qini_coefficient(y_true: Any, uplift: Any, treatment: Any) -> float:
    """The product's Qini coefficient: ``qini_auc_score`` with ``negative_effect=True``."""
    return qini_auc_score(y_true, uplift, treatment, negative_effect=True)


def _top_count(k: float, n: int) -> int:
    """scikit-uplift's reading of k: a share in (0, 1) truncated to units, or a count in (0, n)."""
    if isinstance(k, bool) or not isinstance(k, int | float | np.integer | np.floating):
        raise ValueError(f"k must be an int count or a float share, got {k!r}")
    if isinstance(k, float | np.floating):
        if not 0 < k < 1:
            raise ValueError(f"a float k is a share and must be in (0, 1), got {k}")
        return int(n * k)
    if not 0 < k < n:
        raise ValueError(f"an int k is a count and must be in (0, {n}), got {k}")
    return int(k)


def _top_counts_by_group(k: float, n: int, n_treated: int, n_control: int) -> tuple[int, int]:
    _top_count(k, n)  # the same validation of k as the overall strategy
    if isinstance(k, float | np.floating):
        return int(n_treated * k), int(n_control * k)
    if k > min(n_treated, n_control):
        raise ValueError(f"k={k} exceeds the size of the smaller arm ({min(n_treated, n_control)})")
    return int(k), int(k)


def _mean_of(y: np.ndarray, arm: str, k: float) -> float:
    if y.size == 0:
        raise ValueError(f"no {arm} units among the top k={k}; increase k")
    return float(y.mean())


def uplift_at_k(
    y_true: Any, uplift: Any, treatment: Any, *, k: float = 0.3, strategy: Strategy = "overall"
) -> float:
    """Treated minus control outcome rate among the top-k units by predicted uplift.

    Parameters
    ----------
    k
        A float in (0, 1) is a share (``int(share * size)`` units, truncated as scikit-uplift
        does); an int is a count of units.
    strategy
        ``"overall"``: the top k of all units, then each arm's mean among them. ``"by_group"``:
        the top k within each arm separately (a share of each arm's size; an int k per arm).

    Ranking follows scikit-uplift: a stable ascending sort reversed, so tied scores put the later
    unit first.

    Examples
    --------
    >>> uplift_at_k([1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0], k=2)
    1.0
    """
    if strategy not in ("overall", "by_group"):
        raise ValueError(f"strategy must be 'overall' or 'by_group', got {strategy!r}")
    y, score, t = check_uplift_inputs(y_true, uplift, treatment, binary_outcome=False)
    order = np.argsort(score, kind="mergesort")[::-1]
    y, t = y[order], t[order]
    if strategy == "overall":
        top = _top_count(k, y.size)
        y_top, t_top = y[:top], t[:top]
        return _mean_of(y_top[t_top == 1], "treated", k) - _mean_of(y_top[t_top == 0], "control", k)
    y_treated, y_control = y[t == 1], y[t == 0]
    top_treated, top_control = _top_counts_by_group(k, y.size, y_treated.size, y_control.size)
    return _mean_of(y_treated[:top_treated], "treated", k) - _mean_of(y_control[:top_control], "control", k)
