"""What a score means for the business: tiers and decisions per task.

- booking (RailFlow's pricing rule): calibrated P(book) >= 0.7 is high intent and gets no
  discount (it would book anyway), 0.3-0.7 is medium and gets the 5% discount, < 0.3 is low and
  gets no offer; both cut-offs are configurable.
- fraud: the bundle's validation thresholds rank the risk: the top 1% is high (manual review),
  the top 5% medium (step-up authentication), the rest low (approve).
- conversion: the same thresholds: the top 1% is high (leave alone), the top 5% medium (a nudge:
  reminder or help), the rest low (no action).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DECISIONS = {
    "booking": ("no_offer", "discount_5pct", "no_discount"),
    "fraud": ("approve", "step_up_authentication", "manual_review"),
    "conversion": ("no_action", "nudge", "leave_alone"),
}
TIERS = ("low", "medium", "high")


@dataclass(frozen=True)
class DecisionPolicy:
    """Booking cut-offs on the calibrated probability (fraud and conversion use the bundle's)."""

    high: float = 0.7
    low: float = 0.3

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.high <= 1:
            raise ValueError(f"need 0 <= low <= high <= 1, got low {self.low}, high {self.high}")


@dataclass(frozen=True)
class Decided:
    tier: list[str]
    decision: list[str]


def cutoffs(task: str, policy: DecisionPolicy, thresholds: dict[str, float]) -> tuple[float, float]:
    """(medium from, high from) for the task."""
    if task == "booking":
        return policy.low, policy.high
    return thresholds["top_5pct"], thresholds["top_1pct"]


def decide(
    task: str, probability: np.ndarray, policy: DecisionPolicy, thresholds: dict[str, float]
) -> Decided:
    """Tier and decision for every probability.

    Examples
    --------
    >>> d = decide("booking", np.array([0.1, 0.5, 0.9]), DecisionPolicy(), {})
    >>> d.tier, d.decision
    (['low', 'medium', 'high'], ['no_offer', 'discount_5pct', 'no_discount'])
    """
    medium, high = cutoffs(task, policy, thresholds)
    level = (probability >= medium).astype(int) + (probability >= high).astype(int)
    names = DECISIONS[task]
    return Decided([TIERS[i] for i in level], [names[i] for i in level])
