"""A/A simulations: how often the library's own tests call a difference when there is none.

Both arms draw from the same distribution. Sufficient statistics for every experiment (and every
daily look) are drawn at once with NumPy, never one unit at a time:

- ``metric="proportion"``: successes ~ Binomial(n, baseline) per arm (per day when peeking);
- ``metric="mean"``: normal unit values with mean ``baseline`` and standard deviation ``sd``, drawn
  as their sufficient statistics (the sum is normal, the sum of squared deviations is
  ``sd^2 * chi2(n - 1)``, independent of the sum), which is exact for normal data.

Each experiment's statistics are then handed to the real engine: `compare_proportions` /
`compare_means` (the Welch test, ``difference="absolute"``, significant when ``p_value < alpha``)
or `confidence_sequence` (``difference="absolute"``, significant when the interval excludes 0).
Statuses other than ``"ok"`` (say, no success in either arm) count as not significant. The rate
comes with a 95% Wilson interval for a binomial proportion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import binomtest

from commercelens.stats.frequentist import (
    FrequentistConfig,
    FrequentistResult,
    compare_means,
    compare_proportions,
)
from commercelens.stats.sequential import SequentialConfig, confidence_sequence
from commercelens.stats.types import ProportionStats, SampleStats

Metric = Literal["proportion", "mean"]
Engine = Literal["sequential", "fixed"]
_Stats = ProportionStats | SampleStats


@dataclass(frozen=True)
class FalsePositiveResult:
    """Share of A/A experiments with at least one significant look, and its 95% Wilson interval."""

    rate: float
    count: int
    n_experiments: int
    looks: int
    ci_low: float
    ci_high: float


def _cumulative_stats(
    rng: np.random.Generator, metric: Metric, shape: tuple[int, int], units: int, moments: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Running (sum, sum of squares) after each look, shape ``(experiments, looks, 2 arms)``."""
    baseline, sd = moments
    size = (*shape, 2)
    if metric == "proportion":
        total = np.cumsum(rng.binomial(units, baseline, size), axis=1).astype(float)
        return total, total
    sums = rng.normal(units * baseline, sd * math.sqrt(units), size)
    squares = sd**2 * rng.chisquare(units - 1, size) + sums**2 / units
    return np.cumsum(sums, axis=1), np.cumsum(squares, axis=1)


def _arm(metric: Metric, n: int, total: float, squares: float) -> _Stats:
    if metric == "proportion":
        return ProportionStats(n, round(total))
    return SampleStats(n, total, squares)


@dataclass(frozen=True)
class _Design:
    engine: Engine
    metric: Metric
    looks: int
    units: int  # per arm per look
    moments: tuple[float, float]  # (baseline, sd)
    alpha: float
    tuning: float


def _is_significant(design: _Design, control: _Stats, treatment: _Stats) -> bool:
    if design.engine == "sequential":
        config = SequentialConfig(difference="absolute", alpha=design.alpha, tuning=design.tuning)
        return confidence_sequence(control, treatment, config).significant
    result = _welch(control, treatment, FrequentistConfig(alpha=design.alpha, difference="absolute"))
    return result.status == "ok" and result.p_value < design.alpha


def _welch(control: _Stats, treatment: _Stats, config: FrequentistConfig) -> FrequentistResult:
    if isinstance(control, ProportionStats) and isinstance(treatment, ProportionStats):
        return compare_proportions(control, treatment, config)
    if isinstance(control, SampleStats) and isinstance(treatment, SampleStats):
        return compare_means(control, treatment, config)
    raise TypeError("both arms must hold the same kind of statistics")


def _simulate(n_experiments: int, design: _Design, seed: int) -> FalsePositiveResult:
    if n_experiments < 1 or design.looks < 1 or design.units < 2:
        raise ValueError("need n_experiments >= 1, looks >= 1 and >= 2 units per arm per look")
    if design.metric not in ("proportion", "mean") or design.engine not in ("sequential", "fixed"):
        raise ValueError(f"unknown metric {design.metric!r} or engine {design.engine!r}")
    rng = np.random.default_rng(seed)
    sums, squares = _cumulative_stats(
        rng, design.metric, (n_experiments, design.looks), design.units, design.moments
    )
    count = 0
    for e in range(n_experiments):
        for look in range(design.looks):
            n = design.units * (look + 1)
            a = _arm(design.metric, n, sums[e, look, 0], squares[e, look, 0])
            b = _arm(design.metric, n, sums[e, look, 1], squares[e, look, 1])
            if _is_significant(design, a, b):
                count += 1
                break  # one significant look is enough: later looks cannot undo the false positive
    interval = binomtest(count, n_experiments).proportion_ci(confidence_level=0.95, method="wilson")
    return FalsePositiveResult(
        rate=count / n_experiments,
        count=count,
        n_experiments=n_experiments,
        looks=design.looks,
        ci_low=float(interval.low),
        ci_high=float(interval.high),
    )


def aa_false_positive_rate(
    n_experiments: int,
    n_per_arm: int,
    *,
    metric: Metric = "proportion",
    baseline: float = 0.1,
    sd: float = 1.0,
    alpha: float = 0.05,
    seed: int = 0,
) -> FalsePositiveResult:
    """False-positive rate of the fixed-horizon Welch test on simulated A/A experiments.

    Parameters
    ----------
    n_experiments
        Simulated experiments, each analysed once at the end.
    n_per_arm
        Units in each arm.
    metric
        ``"proportion"`` (``baseline`` is the success rate) or ``"mean"`` (normal values with mean
        ``baseline`` and standard deviation ``sd``).
    alpha
        Significance level; the expected rate is ``alpha``.
    seed
        Seed of the NumPy Generator (the same seed gives the same result).

    Examples
    --------
    >>> r = aa_false_positive_rate(400, 1_000, baseline=0.2, seed=1)
    >>> r.n_experiments, r.looks, r.ci_low < 0.05 < r.ci_high
    (400, 1, True)
    """
    design = _Design("fixed", metric, 1, n_per_arm, (baseline, sd), alpha, tuning=5000.0)
    return _simulate(n_experiments, design, seed)


def peeking_false_positive_rate(
    n_experiments: int,
    days: int,
    daily_units_per_arm: int,
    engine: Engine = "sequential",
    *,
    metric: Metric = "proportion",
    baseline: float = 0.1,
    sd: float = 1.0,
    alpha: float = 0.05,
    tuning: float = 5000.0,
    seed: int = 0,
) -> FalsePositiveResult:
    """False-positive rate when A/A experiments are checked every day and stopped at the first hit.

    Each day adds ``daily_units_per_arm`` units to each arm; the cumulative statistics are tested
    after every day, and an experiment is a false positive if ANY of the ``days`` looks is
    significant. ``engine="fixed"`` is the naive repeated Welch test at ``alpha`` (its rate grows
    with the number of looks); ``engine="sequential"`` is the always-valid confidence sequence,
    whose rate stays below ``alpha`` however often it is checked. Both use the absolute difference.

    Parameters
    ----------
    engine
        ``"sequential"`` or ``"fixed"``.
    tuning
        The confidence sequence's ``N*``: the total sample size (both arms) at which it is
        tightest (`SequentialConfig`'s default, 5,000). It moves power between early and late
        looks; the time-uniform guarantee holds for any value. Ignored by ``"fixed"``.
    metric, baseline, sd, alpha, seed
        As in `aa_false_positive_rate`.

    Examples
    --------
    >>> r = peeking_false_positive_rate(200, 14, 200, engine="sequential", seed=1)
    >>> r.looks, r.rate <= 0.05
    (14, True)
    """
    design = _Design(engine, metric, days, daily_units_per_arm, (baseline, sd), alpha, tuning)
    return _simulate(n_experiments, design, seed)
