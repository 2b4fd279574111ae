"""Value objects shared by every test in `stats/`: what the warehouse hands over, what comes back."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "zero_variance", "too_few_units", "zero_control_mean", "zero_denominator"]
Difference = Literal["absolute", "relative"]
Alternative = Literal["two-sided", "greater", "less"]


@dataclass(frozen=True)
class SampleStats:
    """Sufficient statistics of one variation for a mean (or 0/1 proportion) metric.

    Examples
    --------
    >>> SampleStats(n=4, sum=2.0, sum_squares=2.0).mean
    0.5
    """

    n: int
    sum: float
    sum_squares: float

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n > 0 else 0.0

    @property
    def variance(self) -> float:
        """Sample variance (n - 1 in the denominator); 0 when n <= 1."""
        if self.n <= 1:
            return 0.0
        return max((self.sum_squares - self.sum**2 / self.n) / (self.n - 1), 0.0)


@dataclass(frozen=True)
class ProportionStats:
    """Successes out of n for a 0/1 metric; variance p(1 - p) (gbstats' convention)."""

    n: int
    successes: int

    @property
    def mean(self) -> float:
        return self.successes / self.n if self.n > 0 else 0.0

    @property
    def variance(self) -> float:
        p = self.mean
        return p * (1 - p)

    def as_sample(self) -> SampleStats:
        return SampleStats(self.n, float(self.successes), float(self.successes))


def is_finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)
