"""Frequentist two-arm comparisons on sufficient statistics (gbstats-compatible).

Every comparison reduces each arm to (mean, unit variance, n) and runs one Welch t-test with
Welch-Satterthwaite degrees of freedom; the relative lift (mean_B - mean_A) / |mean_A| gets its
standard error from the delta method. Proportions use the variance p(1 - p) of each arm and the
same Welch t (this is what gbstats does and what REFERENCE.md vector 3 pins), ratio metrics use
the delta-method variance of the per-arm ratio, CUPED adjusts by a covariate with theta estimated
on the pooled arms. Non-inferiority is the one-sided test of difference > -margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from commercelens.stats.types import (
    Alternative,
    Difference,
    ProportionStats,
    SampleStats,
    Status,
)


@dataclass(frozen=True)
class FrequentistConfig:
    """How to compare: significance level, difference scale, alternative and optional margin.

    With ``margin`` set the test is the non-inferiority test H0: difference <= -margin against
    H1: difference > -margin (one-sided, ``alternative`` is ignored); the margin is on the scale
    of ``difference`` (absolute units, or a fraction of the control mean for relative).
    """

    alpha: float = 0.05
    difference: Difference = "absolute"
    alternative: Alternative = "two-sided"
    margin: float | None = None

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.margin is not None and self.margin < 0:
            raise ValueError(f"margin must be >= 0, got {self.margin}")


@dataclass(frozen=True)
class FrequentistResult:
    """A difference (treatment - control), its standard error, CI and p-value.

    When ``status`` is not ``"ok"`` the inference fields are safe placeholders: ``se = 0``,
    the CI collapses to the estimate and ``p_value = 1``. One-sided CIs have an infinite end.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float | None
    status: Status
    control_mean: float
    treatment_mean: float


@dataclass(frozen=True)
class RatioStats:
    """Per-arm sums for a ratio metric sum(numerator) / sum(denominator) over the same units."""

    numerator: SampleStats
    denominator: SampleStats
    cross_sum: float  # sum of numerator * denominator over units

    def __post_init__(self) -> None:
        if self.numerator.n != self.denominator.n:
            raise ValueError("numerator and denominator must have the same n")


@dataclass(frozen=True)
class CupedStats:
    """Per-arm sums of the metric and its pre-period covariate over the same units."""

    metric: SampleStats
    covariate: SampleStats
    cross_sum: float  # sum of metric * covariate over units

    def __post_init__(self) -> None:
        if self.metric.n != self.covariate.n:
            raise ValueError("metric and covariate must have the same n")


@dataclass(frozen=True)
class _Arm:
    mean: float
    variance: float  # unit-level variance; the variance of the mean is variance / n
    n: int


def _placeholder(status: Status, estimate: float, a: _Arm, b: _Arm) -> FrequentistResult:
    return FrequentistResult(estimate, 0.0, estimate, estimate, 1.0, None, status, a.mean, b.mean)


def _welch_df(va: float, vb: float, na: int, nb: int) -> float:
    """Welch-Satterthwaite df from the variances of the two means."""
    return (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))


def _difference(a: _Arm, b: _Arm, difference: Difference) -> tuple[float, float]:
    """Point estimate and delta-method variance of the difference."""
    va, vb = a.variance / a.n, b.variance / b.n
    if difference == "absolute":
        return b.mean - a.mean, va + vb
    estimate = (b.mean - a.mean) / abs(a.mean)
    return estimate, vb / a.mean**2 + b.mean**2 * va / a.mean**4


def _test(a: _Arm, b: _Arm, config: FrequentistConfig) -> FrequentistResult:
    if a.n <= 1 or b.n <= 1:
        return _placeholder("too_few_units", 0.0, a, b)
    if config.difference == "relative" and a.mean == 0:
        return _placeholder("zero_control_mean", 0.0, a, b)
    estimate, variance = _difference(a, b, config.difference)
    va, vb = a.variance / a.n, b.variance / b.n
    if variance <= 0 or va + vb <= 0:
        return _placeholder("zero_variance", estimate, a, b)
    se = math.sqrt(variance)
    df = _welch_df(va, vb, a.n, b.n)
    alternative = "greater" if config.margin is not None else config.alternative
    t = (estimate + (config.margin or 0.0)) / se
    dist = stats.t(df)
    if alternative == "two-sided":
        p, q = 2 * dist.sf(abs(t)), dist.isf(config.alpha / 2)
        low, high = estimate - q * se, estimate + q * se
    elif alternative == "greater":
        p, q = dist.sf(t), dist.isf(config.alpha)
        low, high = estimate - q * se, math.inf
    else:
        p, q = dist.sf(-t), dist.isf(config.alpha)
        low, high = -math.inf, estimate + q * se
    return FrequentistResult(estimate, se, low, high, float(p), df, "ok", a.mean, b.mean)


def compare_means(
    control: SampleStats, treatment: SampleStats, config: FrequentistConfig
) -> FrequentistResult:
    """Welch t-test of treatment vs control means from (n, sum, sum_squares).

    Examples
    --------
    >>> a, b = SampleStats(10, 100.0, 1010.0), SampleStats(10, 110.0, 1220.0)
    >>> round(compare_means(a, b, FrequentistConfig()).estimate, 6)
    1.0
    """
    return _test(
        _Arm(control.mean, control.variance, control.n),
        _Arm(treatment.mean, treatment.variance, treatment.n),
        config,
    )


def compare_proportions(
    control: ProportionStats, treatment: ProportionStats, config: FrequentistConfig
) -> FrequentistResult:
    """Two-proportion test with each arm's own variance p(1 - p) and Welch df (gbstats).

    Examples
    --------
    >>> r = compare_proportions(ProportionStats(28, 14), ProportionStats(30, 16),
    ...                         FrequentistConfig(difference="relative"))
    >>> round(r.estimate, 5)
    0.06667
    """
    return _test(
        _Arm(control.mean, control.variance, control.n),
        _Arm(treatment.mean, treatment.variance, treatment.n),
        config,
    )


def _ratio_arm(s: RatioStats) -> _Arm:
    n, num, den = s.numerator.n, s.numerator, s.denominator
    if n <= 1:
        return _Arm(num.mean / den.mean if den.mean else 0.0, 0.0, n)
    m_mean, d_mean = num.mean, den.mean
    cov = (s.cross_sum - num.sum * den.sum / n) / (n - 1)
    ratio = m_mean / d_mean
    variance = num.variance / d_mean**2 - 2 * cov * m_mean / d_mean**3 + m_mean**2 * den.variance / d_mean**4
    return _Arm(ratio, max(variance, 0.0), n)


def compare_ratios(
    control: RatioStats, treatment: RatioStats, config: FrequentistConfig
) -> FrequentistResult:
    """Welch test of ratio metrics sum(num)/sum(den) with the delta-method unit variance.

    An arm whose denominator sums to zero has no ratio and reports ``"zero_denominator"``.

    Examples
    --------
    >>> s = RatioStats(SampleStats(3, 6.0, 14.0), SampleStats(3, 3.0, 5.0), 9.0)
    >>> compare_ratios(s, s, FrequentistConfig()).estimate
    0.0
    """
    if control.denominator.sum == 0 or treatment.denominator.sum == 0:
        a, b = _Arm(0.0, 0.0, control.numerator.n), _Arm(0.0, 0.0, treatment.numerator.n)
        return _placeholder("zero_denominator", 0.0, a, b)
    return _test(_ratio_arm(control), _ratio_arm(treatment), config)


def _pooled_theta(a: CupedStats, b: CupedStats) -> float:
    """theta = cov(metric, covariate) / var(covariate) on the pooled arms (gbstats compute_theta)."""
    n = a.metric.n + b.metric.n
    if n <= 1:
        return 0.0
    cov = SampleStats(n, a.covariate.sum + b.covariate.sum, a.covariate.sum_squares + b.covariate.sum_squares)
    x_sum, y_sum = a.covariate.sum + b.covariate.sum, a.metric.sum + b.metric.sum
    covariance = (a.cross_sum + b.cross_sum - x_sum * y_sum / n) / (n - 1)
    return covariance / cov.variance if cov.variance > 0 else 0.0


def _cuped_arm(s: CupedStats, theta: float, pooled_covariate_mean: float) -> _Arm:
    n = s.metric.n
    if n <= 1:
        return _Arm(s.metric.mean, 0.0, n)
    cov = (s.cross_sum - s.metric.sum * s.covariate.sum / n) / (n - 1)
    variance = s.metric.variance + theta**2 * s.covariate.variance - 2 * theta * cov
    mean = s.metric.mean - theta * (s.covariate.mean - pooled_covariate_mean)
    return _Arm(mean, max(variance, 0.0), n)


def compare_cuped(control: CupedStats, treatment: CupedStats, config: FrequentistConfig) -> FrequentistResult:
    """CUPED: Welch test on metric - theta * (covariate - pooled covariate mean).

    theta is estimated on the pooled arms; centring the covariate on its pooled mean keeps each
    adjusted mean on the metric's scale (so the relative lift has a meaningful denominator) and
    leaves the absolute difference and all variances unchanged. ``control_mean`` and
    ``treatment_mean`` on the result are the adjusted means.

    Examples
    --------
    >>> s = CupedStats(SampleStats(3, 6.0, 14.0), SampleStats(3, 3.0, 5.0), 9.0)
    >>> compare_cuped(s, s, FrequentistConfig()).estimate
    0.0
    """
    theta = _pooled_theta(control, treatment)
    n = control.covariate.n + treatment.covariate.n
    center = (control.covariate.sum + treatment.covariate.sum) / n if n > 0 else 0.0
    return _test(_cuped_arm(control, theta, center), _cuped_arm(treatment, theta, center), config)


def _as_sample(arm: _Arm) -> SampleStats:
    """Sufficient statistics of any unit values with this arm's mean, unit variance and n."""
    return SampleStats(arm.n, arm.mean * arm.n, arm.variance * max(arm.n - 1, 0) + arm.n * arm.mean**2)


def ratio_samples(control: RatioStats, treatment: RatioStats) -> tuple[SampleStats, SampleStats]:
    """Each arm's ratio as a mean metric with its delta-method variance.

    Lets the Bayesian and sequential engines, which take means, read ratio metrics too;
    ``compare_means`` on the result equals ``compare_ratios``.

    Examples
    --------
    >>> a = RatioStats(SampleStats(4, 8.0, 20.0), SampleStats(4, 6.0, 10.0), 13.0)
    >>> b = RatioStats(SampleStats(4, 12.0, 40.0), SampleStats(4, 7.0, 13.0), 22.0)
    >>> direct = compare_ratios(a, b, FrequentistConfig())
    >>> via_means = compare_means(*ratio_samples(a, b), FrequentistConfig())
    >>> round(direct.p_value, 9) == round(via_means.p_value, 9)
    True
    """
    return _as_sample(_ratio_arm(control)), _as_sample(_ratio_arm(treatment))


def cuped_samples(control: CupedStats, treatment: CupedStats) -> tuple[SampleStats, SampleStats]:
    """Each arm's CUPED-adjusted metric as a mean metric (theta pooled, covariate centred).

    ``compare_means`` on the result equals ``compare_cuped``.
    """
    theta = _pooled_theta(control, treatment)
    n = control.covariate.n + treatment.covariate.n
    center = (control.covariate.sum + treatment.covariate.sum) / n if n > 0 else 0.0
    return _as_sample(_cuped_arm(control, theta, center)), _as_sample(_cuped_arm(treatment, theta, center))
