"""Sequential testing with always-valid confidence sequences.

Method: the asymptotic confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy and Ramdas
("Time-uniform central limit theory and asymptotic confidence sequences", arXiv:2103.06476),
as GrowthBook's gbstats implements it (``SequentialTwoSidedTTest``). With ``N = n_A + n_B`` and
``sigma^2 = N * Var(effect)`` (delta-method variance for the relative lift), the half-width is

    sqrt(sigma^2) * sqrt(2 (N rho^2 + 1) / (N rho)^2 * log(sqrt(N rho^2 + 1) / alpha)),

with ``rho = sqrt((-2 log(alpha) + log(-2 log(alpha) + 1)) / N*)``. The tuning parameter ``N*``
(default 5,000) is the total sample size at which the sequence is tightest; ``alpha`` (default
0.05) is the time-uniform error rate, so the interval may be checked after every batch (daily
peeking) without inflating the false-positive rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize

from commercelens.stats.bayesian import Stats, effect_moments
from commercelens.stats.types import Difference, Status


@dataclass(frozen=True)
class SequentialConfig:
    """Scale of the effect, time-uniform alpha and the tuning parameter N*."""

    difference: Difference = "relative"
    alpha: float = 0.05
    tuning: float = 5000.0


@dataclass(frozen=True)
class SequentialResult:
    """Point estimate and always-valid confidence interval for the effect."""

    estimate: float
    ci_low: float
    ci_high: float
    half_width: float
    significant: bool
    status: Status


def rho(alpha: float, tuning: float) -> float:
    """Mixture parameter chosen so the sequence is tightest at ``tuning`` units (eq. 161).

    Examples
    --------
    >>> round(rho(0.05, 5000.0), 5)
    0.03984
    """
    log_alpha = math.log(alpha)
    return math.sqrt((-2.0 * log_alpha + math.log(-2.0 * log_alpha + 1.0)) / tuning)


def half_width(variance: float, n: int, alpha: float, tuning: float) -> float:
    """Half-width of the asymptotic confidence sequence at total sample size ``n``.

    Examples
    --------
    >>> round(half_width(0.01, 1000, 0.05, 5000.0), 4)
    0.3364
    """
    r = rho(alpha, tuning)
    scale = n * r**2 + 1.0
    return math.sqrt(variance * n) * math.sqrt(
        2.0 * scale * math.log(math.sqrt(scale) / alpha) / (n * r) ** 2
    )


def confidence_sequence(
    control: Stats, treatment: Stats, config: SequentialConfig = SequentialConfig()
) -> SequentialResult:
    """Always-valid confidence interval for the effect of treatment over control.

    Examples
    --------
    >>> from commercelens.stats.types import ProportionStats
    >>> r = confidence_sequence(ProportionStats(3000, 1396), ProportionStats(3461, 2422))
    >>> round(r.estimate, 5), round(r.ci_low, 5), round(r.ci_high, 5)
    (0.50386, 0.40098, 0.60675)
    """
    moments = effect_moments(control, treatment, config.difference)
    if moments.status != "ok":
        return SequentialResult(moments.estimate, 0.0, 0.0, 0.0, False, moments.status)
    width = half_width(moments.variance, control.n + treatment.n, config.alpha, config.tuning)
    low, high = moments.estimate - width, moments.estimate + width
    return SequentialResult(
        estimate=moments.estimate,
        ci_low=low,
        ci_high=high,
        half_width=width,
        significant=low > 0.0 or high < 0.0,
        status="ok",
    )


def always_valid_p_value(estimate: float, variance: float, n: int, tuning: float = 5000.0) -> float:
    """Smallest alpha whose confidence sequence (same tuning) excludes zero; 1 if none does.

    The sequence half-width falls as alpha grows, so the p-value is found by bisection. It is
    valid at any stopping time, like the sequence it inverts.

    Examples
    --------
    >>> p = always_valid_p_value(0.02, 2.5e-5, 20_000)
    >>> round(p, 6), abs(half_width(2.5e-5, 20_000, p, 5000.0) - 0.02) < 1e-9
    (0.002929, True)
    """
    if variance <= 0 or n <= 0 or estimate == 0:
        return 1.0

    def gap(log_alpha: float) -> float:  # solved in log(alpha): tiny p-values keep their precision
        return half_width(variance, n, math.exp(log_alpha), tuning) - abs(estimate)

    low, high = math.log(1e-300), math.log(0.999)
    if gap(high) > 0:
        return 1.0
    if gap(low) < 0:
        return 1e-300
    return math.exp(optimize.brentq(gap, low, high, xtol=1e-12))
