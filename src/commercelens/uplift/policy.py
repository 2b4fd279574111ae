"""Targeting policy: how many of the best-ranked units to treat, and what it earned on holdout data.

Expected profit of treating unit ``i`` (predicted uplift ``u_i`` in conversion probability):

    profit_i = value_per_conversion * u_i - cost_per_treated - cost_per_conversion * p_i

``cost_per_treated`` is paid for every treated unit (a voucher printed, an e-mail sent).
``cost_per_conversion`` is paid for every treated unit that converts, incremental or not (a
discount on the ticket), so it needs ``p_i``, the unit's conversion probability when treated (for
example ``TLearner.predict_outcomes(X)[1]``); it is required whenever that cost is non-zero.
Units are ranked by ``profit_i`` (with no per-conversion cost this is the uplift order) and ``k``
is the smallest count that maximises the cumulative profit of the top ``k``.

On held-out randomised data the realised effect of treating the top ``k`` is estimated from the
two arms inside it: ``incremental = (mean_T - mean_C) * k`` and
``profit = value * incremental - cost_per_treated * k - cost_per_conversion * mean_T * k``, the
same accounting as the prediction, so planned and realised profit can be compared directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from commercelens.uplift.validation import as_binary, as_vector, check_same_length

EvaluationStatus = Literal["ok", "empty_arm"]


@dataclass(frozen=True)
class TargetingEconomics:
    """Money per unit: value of a conversion, cost per treated unit, cost per treated conversion."""

    value_per_conversion: float
    cost_per_treated: float = 0.0
    cost_per_conversion: float = 0.0

    def __post_init__(self) -> None:
        for name in ("value_per_conversion", "cost_per_treated", "cost_per_conversion"):
            amount = getattr(self, name)
            if not math.isfinite(amount) or amount < 0:
                raise ValueError(f"{name} must be a finite amount >= 0, got {amount}")


@dataclass(frozen=True, eq=False)
class TargetingPlan:
    """The chosen ``k`` and what it is expected to bring.

    ``unit_profit`` is each unit's expected profit in input order (the ranking score);
    ``profit_curve[j]`` the expected profit of treating the best ``j`` units, ``j = 0..n``.
    """

    k: int
    share: float
    expected_incremental_conversions: float
    expected_cost: float
    expected_profit: float
    unit_profit: np.ndarray
    profit_curve: np.ndarray


@dataclass(frozen=True)
class TargetingEvaluation:
    """Realised outcome of treating the top ``k`` on held-out randomised data.

    ``status`` is ``"empty_arm"`` (with zero rates, increment and profit) when the top ``k``
    holds no treated or no control unit, so no effect can be estimated there.
    """

    k: int
    n_treated: int
    n_control: int
    treated_rate: float
    control_rate: float
    incremental_conversions: float
    profit: float
    status: EvaluationStatus


def _read_only(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


def _treated_conversion(p_treated: Any, n: int, economics: TargetingEconomics) -> np.ndarray:
    if p_treated is None:
        if economics.cost_per_conversion > 0:
            raise ValueError(
                "cost_per_conversion needs p_treated, each unit's conversion probability if treated"
            )
        return np.zeros(n)
    probability = as_vector(p_treated, "p_treated")
    if probability.size != n:
        raise ValueError(f"p_treated has {probability.size} values for {n} units")
    if ((probability < 0) | (probability > 1)).any():
        raise ValueError("p_treated must be probabilities in [0, 1]")
    return probability


def plan_targeting(uplift: Any, economics: TargetingEconomics, p_treated: Any = None) -> TargetingPlan:
    """Choose how many top-ranked units to treat to maximise expected profit.

    Parameters
    ----------
    uplift
        Predicted uplift in conversion probability per unit, shape ``(n,)``.
    economics
        Value of a conversion and the two kinds of cost.
    p_treated
        Conversion probability of each unit if treated; needed only for ``cost_per_conversion``.

    Examples
    --------
    >>> plan = plan_targeting([0.30, 0.05, 0.20], TargetingEconomics(10.0, cost_per_treated=1.0))
    >>> plan.k, round(plan.expected_profit, 6), plan.profit_curve.round(6).tolist()
    (2, 3.0, [0.0, 2.0, 3.0, 2.5])
    """
    effect = as_vector(uplift, "uplift")
    conversion = _treated_conversion(p_treated, effect.size, economics)
    unit_cost = economics.cost_per_treated + economics.cost_per_conversion * conversion
    unit_profit = economics.value_per_conversion * effect - unit_cost
    order = np.argsort(-unit_profit, kind="stable")
    profit_curve = np.r_[0.0, np.cumsum(unit_profit[order])]
    k = int(np.argmax(profit_curve))  # the first maximum: fewest treatments for the best profit
    top = order[:k]
    return TargetingPlan(
        k=k,
        share=k / effect.size,
        expected_incremental_conversions=float(effect[top].sum()),
        expected_cost=float(unit_cost[top].sum()),
        expected_profit=float(profit_curve[k]),
        unit_profit=_read_only(unit_profit),
        profit_curve=_read_only(profit_curve),
    )


def evaluate_targeting(
    y_true: Any, treatment: Any, score: Any, k: int, economics: TargetingEconomics
) -> TargetingEvaluation:
    """Realised incremental conversions and profit of treating the top ``k`` units by ``score``.

    ``y_true`` and ``treatment`` come from a randomised holdout; ``score`` ranks its units the
    way the policy would (for example ``plan_targeting(...).unit_profit`` on the same units;
    ties keep input order).

    Examples
    --------
    >>> result = evaluate_targeting(
    ...     [1, 0, 1, 0, 0, 1], [1, 0, 1, 1, 0, 0], [6, 5, 4, 3, 2, 1], 4, TargetingEconomics(10.0, 1.0)
    ... )
    >>> round(result.incremental_conversions, 6), round(result.profit, 6)
    (2.666667, 22.666667)
    """
    outcome = as_vector(y_true, "y_true")
    arm = as_binary(treatment, "treatment")
    ranking = as_vector(score, "score")
    check_same_length(y_true=outcome, treatment=arm, score=ranking)
    if isinstance(k, bool) or not 0 <= k <= outcome.size:
        raise ValueError(f"k must be a count in [0, {outcome.size}], got {k}")
    top = np.argsort(-ranking, kind="stable")[:k]
    treated, control = outcome[top][arm[top] == 1], outcome[top][arm[top] == 0]
    if k > 0 and (treated.size == 0 or control.size == 0):
        return TargetingEvaluation(k, treated.size, control.size, 0.0, 0.0, 0.0, 0.0, "empty_arm")
    treated_rate = float(treated.mean()) if k else 0.0
    control_rate = float(control.mean()) if k else 0.0
    incremental = (treated_rate - control_rate) * k
    cost = economics.cost_per_treated * k + economics.cost_per_conversion * treated_rate * k
    profit = economics.value_per_conversion * incremental - cost
    return TargetingEvaluation(
        k, treated.size, control.size, treated_rate, control_rate, incremental, profit, "ok"
    )
