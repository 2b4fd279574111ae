"""Sample-ratio mismatch (SRM): chi-square goodness of fit of the arm counts to the planned split."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from commercelens.stats.types import Status


@dataclass(frozen=True)
class SrmResult:
    """Chi-square statistic, its degrees of freedom (arms - 1), p-value and expected counts.

    ``status`` is ``"too_few_units"`` (with ``p_value = 1``) when no unit was assigned at all.
    """

    statistic: float
    df: int
    p_value: float
    expected: tuple[float, ...]
    status: Status


def _weights(k: int, expected_weights: Sequence[float] | None) -> list[float]:
    if expected_weights is None:
        return [1.0 / k] * k
    if len(expected_weights) != k:
        raise ValueError(f"expected {k} weights, got {len(expected_weights)}")
    if any(w <= 0 for w in expected_weights):
        raise ValueError("expected weights must all be > 0")
    total = float(sum(expected_weights))
    return [w / total for w in expected_weights]


def srm_test(counts: Sequence[int], expected_weights: Sequence[float] | None = None) -> SrmResult:
    """Chi-square goodness-of-fit test of observed arm counts against the expected split.

    Parameters
    ----------
    counts
        Units observed per arm (two or more arms).
    expected_weights
        Planned traffic split in any units (normalised to sum to 1); equal split if omitted.

    Examples
    --------
    >>> round(srm_test([500, 600]).p_value, 10)
    0.0025688315
    """
    if len(counts) < 2:
        raise ValueError(f"SRM needs at least two arms, got {len(counts)}")
    if any(c < 0 for c in counts):
        raise ValueError("counts must be >= 0")
    weights = _weights(len(counts), expected_weights)
    total = float(sum(counts))
    expected = tuple(total * w for w in weights)
    df = len(counts) - 1
    if total == 0:
        return SrmResult(0.0, df, 1.0, expected, "too_few_units")
    statistic = sum((c - e) ** 2 / e for c, e in zip(counts, expected, strict=True))
    return SrmResult(float(statistic), df, float(stats.chi2.sf(statistic, df)), expected, "ok")
