"""Power, sample size and minimum detectable effect with the z formula, plus a simulation check.

The test powered is the Wald z-test on the effect (treatment over control). For the absolute
difference ``Var = var_C / n_C + var_T / n_T``; for the relative lift the delta-method variance
``var_T / (n_T m^2) + var_C (1 + lift)^2 / (n_C m^2)`` (GrowthBook gbstats' convention). Power is
exact under the normal approximation (both tails for a two-sided test). Traffic is split with
weight 1 for control and ``ratio`` for each of ``variations - 1`` treatments, so with ``ratio = 1``
each variation gets ``N / variations``. Sample size for two proportions uses each arm's own
variance ``p(1 - p)`` (the standard unpooled two-proportion formula, no continuity correction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from commercelens.stats.types import Alternative, Difference

PowerStatus = Literal["ok", "zero_variance", "too_few_units", "zero_control_mean", "unreachable"]


@dataclass(frozen=True)
class PowerConfig:
    """Design inputs: control mean and per-unit variance, effect, test and traffic split.

    ``treatment_variance`` defaults to the control's (means); set it for proportions.
    """

    mean: float
    variance: float
    effect: float
    difference: Difference = "relative"
    alpha: float = 0.05
    alternative: Alternative = "two-sided"
    ratio: float = 1.0
    variations: int = 2
    treatment_variance: float | None = None


@dataclass(frozen=True)
class PowerResult:
    """Power (or the achieved design) for one treatment against control."""

    power: float
    effect: float
    n_per_variation: int
    n_control: int
    n_total: int
    status: PowerStatus


def proportion_config(baseline: float, mde: float, relative: bool = True, **kw) -> PowerConfig:
    """Two-proportion design on the absolute difference, each arm with its own variance.

    Examples
    --------
    >>> round(proportion_config(0.1, 0.2).effect, 6)
    0.02
    """
    treated = baseline * (1 + mde) if relative else baseline + mde
    return PowerConfig(
        mean=baseline,
        variance=baseline * (1 - baseline),
        effect=treated - baseline,
        difference="absolute",
        treatment_variance=treated * (1 - treated),
        **kw,
    )


def _split(config: PowerConfig, n_total: float) -> tuple[float, float]:
    n_control = n_total / (1 + (config.variations - 1) * config.ratio)
    return n_control, n_control * config.ratio


def _unit_variance(config: PowerConfig, effect: float) -> tuple[float, float]:
    """Per-unit variance contributions ``(control, treatment)`` of the effect estimate."""
    var_t = config.variance if config.treatment_variance is None else config.treatment_variance
    if config.difference == "absolute":
        return config.variance, var_t
    return config.variance * (1 + effect) ** 2 / config.mean**2, var_t / config.mean**2


def _z_alpha(config: PowerConfig) -> float:
    tail = config.alpha / 2 if config.alternative == "two-sided" else config.alpha
    return float(norm.isf(tail))


def _power_at(config: PowerConfig, effect: float, n_total: float) -> float:
    n_c, n_t = _split(config, n_total)
    var_c, var_t = _unit_variance(config, effect)
    shift = effect / math.sqrt(var_c / n_c + var_t / n_t)
    z = _z_alpha(config)
    upper, lower = float(norm.sf(z - shift)), float(norm.cdf(-z - shift))
    if config.alternative == "greater":
        return upper
    return lower if config.alternative == "less" else upper + lower


def _check(config: PowerConfig) -> PowerStatus:
    if config.difference == "relative" and config.mean == 0:
        return "zero_control_mean"
    var_t = config.variance if config.treatment_variance is None else config.treatment_variance
    return "ok" if config.variance > 0 and var_t > 0 else "zero_variance"


def _result(config: PowerConfig, power: float, effect: float, n_total: float, status: PowerStatus):
    n_c, n_t = _split(config, n_total)
    return PowerResult(power, effect, math.ceil(n_t), math.ceil(n_c), math.ceil(n_total), status)


def power(config: PowerConfig, n_total: float) -> PowerResult:
    """Power of the z-test for ``config.effect`` with ``n_total`` units over all variations.

    Examples
    --------
    >>> c = PowerConfig(mean=10, variance=3909.9997749994377, effect=0.05, variations=3)
    >>> round(power(c, 400_000).power, 5)
    0.52144
    """
    status = _check(config) if n_total >= 2 * config.variations else "too_few_units"
    if status != "ok":
        return _result(config, 0.0, config.effect, max(n_total, 0), status)
    return _result(config, _power_at(config, config.effect, n_total), config.effect, n_total, "ok")


def sample_size(config: PowerConfig, target: float = 0.8) -> PowerResult:
    """Units needed so the z-test reaches ``target`` power (one-tail closed form).

    ``n_C = (z_alpha + z_beta)^2 (v_C + v_T / ratio) / effect^2``; ``n_per_variation`` is the
    treatment arm's size, ``n_total`` covers all variations.

    Examples
    --------
    >>> sample_size(proportion_config(0.10, 0.20)).n_per_variation
    3839
    """
    status = _check(config) if config.effect != 0 else "unreachable"
    if status != "ok":
        return PowerResult(0.0, config.effect, 0, 0, 0, status)
    var_c, var_t = _unit_variance(config, config.effect)
    z = _z_alpha(config) + float(norm.isf(1 - target))
    n_control = z**2 * (var_c + var_t / config.ratio) / config.effect**2
    n_c, n_t = math.ceil(n_control), math.ceil(n_control * config.ratio)
    n_total = n_c + (config.variations - 1) * n_t
    achieved = _power_at(config, config.effect, n_total)
    return PowerResult(achieved, config.effect, n_t, n_c, n_total, "ok")


def minimum_detectable_effect(config: PowerConfig, n_total: float, target: float = 0.8):
    """Smallest effect (in the direction of ``alternative``) with ``target`` power at ``n_total``.

    Solved exactly (both tails, effect-dependent delta-method variance) by root finding.

    Examples
    --------
    >>> c = PowerConfig(mean=10, variance=3909.9997749994377, effect=0.05, variations=3)
    >>> round(minimum_detectable_effect(c, 400_000).effect, 5)
    0.07027
    """
    status = _check(config) if n_total >= 2 * config.variations else "too_few_units"
    sign = -1.0 if config.alternative == "less" else 1.0
    high = 10.0 * abs(config.mean) if config.difference == "absolute" else 10.0
    gap = lambda e: _power_at(config, sign * e, n_total) - target  # noqa: E731
    if status == "ok" and gap(high) < 0:
        status = "unreachable"
    if status != "ok":
        return _result(config, 0.0, 0.0, max(n_total, 0), status)
    effect = sign * brentq(gap, 1e-12, high, xtol=1e-12)
    return _result(config, target, effect, n_total, "ok")


def simulate_power(
    config: PowerConfig, n_total: int, sims: int = 4000, seed: int = 0, binomial: bool = False
) -> float:
    """Share of simulated experiments the z-test rejects (a Monte Carlo cross-check of `power`).

    Draws sufficient statistics directly: binomial counts for a proportion, or a normal sample
    mean with a chi-square sample variance for a mean metric; vectorised over ``sims``.

    Examples
    --------
    >>> c = proportion_config(0.10, 0.20)
    >>> 0.7 < simulate_power(c, 2 * 3839, sims=2000, binomial=True) < 0.9
    True
    """
    rng = np.random.default_rng(seed)
    n_c, n_t = (max(round(n), 2) for n in _split(config, n_total))
    var_t = config.variance if config.treatment_variance is None else config.treatment_variance
    mean_t = config.mean + config.effect * (abs(config.mean) if config.difference == "relative" else 1)
    arms = []
    for n, mean, var in ((n_c, config.mean, config.variance), (n_t, mean_t, var_t)):
        if binomial:
            m = rng.binomial(n, mean, sims) / n
            arms.append((m, m * (1 - m) / n))
        else:
            m = rng.normal(mean, math.sqrt(var / n), sims)
            arms.append((m, var * rng.chisquare(n - 1, sims) / (n - 1) / n))
    (m_c, v_c), (m_t, v_t) = arms
    with np.errstate(divide="ignore", invalid="ignore"):
        if config.difference == "absolute":
            est, var = m_t - m_c, v_c + v_t
        else:
            est, var = (m_t - m_c) / np.abs(m_c), v_t / m_c**2 + v_c * m_t**2 / m_c**4
        z_stat = np.nan_to_num(est / np.sqrt(var))
    z = _z_alpha(config)
    if config.alternative == "greater":
        return float(np.mean(z_stat > z))
    if config.alternative == "less":
        return float(np.mean(z_stat < -z))
    return float(np.mean(np.abs(z_stat) > z))
