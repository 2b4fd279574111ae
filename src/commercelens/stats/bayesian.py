"""Bayesian A/B comparisons: Gaussian (flat or proper normal prior) and beta-binomial.

Gaussian engine (GrowthBook gbstats' ``EffectBayesianABTest``): the effect (relative lift
``(mean_B - mean_A) / |mean_A|`` with its delta-method variance, or the absolute difference) is
approximately normal; with a flat prior the posterior is ``N(estimate, variance)``, with a proper
prior ``N(m0, v0)`` it is the precision-weighted combination. Chance to win is
``P(effect > 0)``; risk (expected loss) of shipping control is ``E[max(effect, 0)]`` and of shipping
treatment ``E[max(-effect, 0)]`` (so ``risk_control - risk_treatment`` equals the posterior mean).

Beta-binomial engine: independent ``Beta(a + successes, b + failures)`` posteriors and the exact
``P(p_B > p_A)`` (Evan Miller's closed-form sum when the treatment's posterior alpha is an integer,
numerical integration otherwise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate
from scipy.special import betaln
from scipy.stats import beta, norm

from commercelens.stats.types import Difference, ProportionStats, SampleStats, Status

Stats = SampleStats | ProportionStats


@dataclass(frozen=True)
class EffectMoments:
    """Point estimate and sampling variance of the effect of treatment over control."""

    estimate: float
    variance: float
    status: Status


def effect_moments(control: Stats, treatment: Stats, difference: Difference) -> EffectMoments:
    """Estimate and (delta-method, for relative) variance of the treatment effect.

    Examples
    --------
    >>> m = effect_moments(ProportionStats(100, 49), ProportionStats(100, 51), "relative")
    >>> round(m.estimate, 5), m.status
    (0.04082, 'ok')
    """
    if control.n <= 1 or treatment.n <= 1:
        return EffectMoments(0.0, 0.0, "too_few_units")
    mean_a, mean_b = control.mean, treatment.mean
    var_a, var_b = control.variance / control.n, treatment.variance / treatment.n
    if difference == "absolute":
        estimate, variance = mean_b - mean_a, var_a + var_b
    elif mean_a == 0:
        return EffectMoments(0.0, 0.0, "zero_control_mean")
    else:
        estimate = (mean_b - mean_a) / abs(mean_a)
        variance = var_b / mean_a**2 + var_a * mean_b**2 / mean_a**4
    if variance <= 0 or not math.isfinite(variance):
        return EffectMoments(estimate, 0.0, "zero_variance")
    return EffectMoments(estimate, variance, "ok")


@dataclass(frozen=True)
class GaussianPrior:
    """Normal prior on the effect; ``proper=False`` is the flat (improper) prior."""

    mean: float = 0.0
    variance: float = 1.0
    proper: bool = False


@dataclass(frozen=True)
class BayesianConfig:
    """Scale of the effect, prior on it, and credible-interval level."""

    difference: Difference = "relative"
    prior: GaussianPrior = GaussianPrior()
    interval: float = 0.95


@dataclass(frozen=True)
class BayesianResult:
    """Posterior summary of the effect; ``lift`` is the posterior mean."""

    lift: float
    sd: float
    chance_to_win: float
    risk_control: float
    risk_treatment: float
    ci_low: float
    ci_high: float
    status: Status

    @property
    def risk(self) -> tuple[float, float]:
        """(expected loss of shipping control, expected loss of shipping treatment)."""
        return (self.risk_control, self.risk_treatment)


def gaussian_test(
    control: Stats, treatment: Stats, config: BayesianConfig = BayesianConfig()
) -> BayesianResult:
    """Gaussian Bayesian comparison of treatment against control.

    Examples
    --------
    >>> r = gaussian_test(ProportionStats(100, 49), ProportionStats(100, 51))
    >>> round(r.lift, 5), round(r.chance_to_win, 5)
    (0.04082, 0.60918)
    """
    moments = effect_moments(control, treatment, config.difference)
    if moments.status != "ok":
        return BayesianResult(0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, moments.status)
    mean, variance = moments.estimate, moments.variance
    prior = config.prior
    if prior.proper:
        precision = 1.0 / variance + 1.0 / prior.variance
        mean = (mean / variance + prior.mean / prior.variance) / precision
        variance = 1.0 / precision
    sd = math.sqrt(variance)
    tail = (1.0 - config.interval) / 2.0
    risk_control, risk_treatment = _risk(mean, sd)
    return BayesianResult(
        lift=mean,
        sd=sd,
        chance_to_win=float(norm.sf(0.0, loc=mean, scale=sd)),
        risk_control=risk_control,
        risk_treatment=risk_treatment,
        ci_low=float(norm.ppf(tail, loc=mean, scale=sd)),
        ci_high=float(norm.isf(tail, loc=mean, scale=sd)),
        status="ok",
    )


def _risk(mean: float, sd: float) -> tuple[float, float]:
    """``(E[max(X, 0)], E[max(-X, 0)])`` for ``X ~ N(mean, sd^2)``."""
    z = mean / sd
    density = sd * float(norm.pdf(z))
    positive = mean * float(norm.cdf(z)) + density
    negative = -mean * float(norm.sf(z)) + density
    return positive, negative


@dataclass(frozen=True)
class BetaBinomialResult:
    """Exact posterior probability that the treatment's rate exceeds the control's."""

    chance_to_win: float
    control_mean: float
    treatment_mean: float
    status: Status


def beta_binomial_test(
    control: ProportionStats,
    treatment: ProportionStats,
    prior_alpha: float = 1.0,
    prior_beta: float = 1.0,
) -> BetaBinomialResult:
    """``P(p_B > p_A)`` under independent ``Beta(prior_alpha, prior_beta)`` priors.

    Examples
    --------
    >>> r = beta_binomial_test(ProportionStats(1000, 100), ProportionStats(900, 100))
    >>> round(r.chance_to_win, 4)
    0.7851
    """
    if control.n < 1 or treatment.n < 1:
        return BetaBinomialResult(0.5, 0.0, 0.0, "too_few_units")
    a_a, b_a = prior_alpha + control.successes, prior_beta + control.n - control.successes
    a_b, b_b = prior_alpha + treatment.successes, prior_beta + treatment.n - treatment.successes
    if float(a_b).is_integer():
        i = np.arange(int(a_b))
        terms = betaln(a_a + i, b_a + b_b) - np.log(b_b + i) - betaln(1 + i, b_b)
        chance = float(np.exp(terms - betaln(a_a, b_a)).sum())
    else:
        chance, _ = integrate.quad(lambda x: beta.pdf(x, a_a, b_a) * beta.sf(x, a_b, b_b), 0, 1)
    return BetaBinomialResult(
        chance_to_win=min(max(chance, 0.0), 1.0),
        control_mean=a_a / (a_a + b_a),
        treatment_mean=a_b / (a_b + b_b),
        status="ok",
    )
