"""Return on investment of a treatment: incremental revenue minus its cost, with an interval.

The readout is a per-unit revenue lift (treatment minus control, currency per unit, the absolute
difference of a revenue-per-unit metric) with its standard error. Scaled to the ``units`` the
decision applies to (the treated units, or the population a roll-out would reach):

    incremental revenue = units * lift
    cost                = units * cost_per_unit
                          + revenue_share * units * treated_revenue_per_unit
                          + fixed_cost
    net ROI             = incremental revenue - cost,   ratio = net / cost  (cost > 0 only)

Assumptions:

- The cost is known (not estimated): ``cost_per_unit`` and ``fixed_cost`` are given, and a
  revenue-share cost (a 5% discount is ``revenue_share=0.05``) is charged on
  ``treated_revenue_per_unit`` as a fixed number. When that number is the treatment arm's observed
  mean its sampling noise is ignored; since net per unit is ``(1 - share) * mean_T - mean_C``
  minus the known costs, ignoring it makes the interval slightly wider than the delta method's
  (conservative) for a share in [0, 1].
- ``lift`` is measured on revenue before the treatment's cost. If the metric already nets the
  discount out, leave ``revenue_share`` at 0 or the discount is counted twice.
- The interval is the normal approximation ``net +- z(1 - alpha/2) * units * se`` (it uses the
  lift's standard error only, a z quantile rather than the t test's). ``probability_positive`` is
  ``P(net > 0)`` under ``N(net, (units * se)^2)``: the flat-prior reading of the same normal, as
  the Gaussian Bayesian engine uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm

from commercelens.stats.frequentist import FrequentistResult
from commercelens.stats.types import Status


@dataclass(frozen=True)
class RevenueLift:
    """A per-unit revenue lift (treatment minus control, currency per unit) and its standard error.

    ``treated_revenue_per_unit`` is the revenue a revenue-share cost is charged on (usually the
    treatment arm's mean); it is needed only when ``RoiConfig.revenue_share > 0``.
    """

    lift: float
    se: float
    treated_revenue_per_unit: float | None = None

    def __post_init__(self) -> None:
        if self.se < 0:
            raise ValueError(f"se must be >= 0, got {self.se}")


@dataclass(frozen=True)
class RoiConfig:
    """The units the decision applies to, the treatment's cost and the interval's level.

    Parameters
    ----------
    units
        Units the decision applies to (treated units, or the roll-out population).
    cost_per_unit
        Cost of treating one unit (currency).
    revenue_share
        Cost as a share of treated revenue, in [0, 1] (a 5% discount is 0.05).
    fixed_cost
        One-off cost independent of the number of units (currency).
    alpha
        The interval is at level ``1 - alpha`` (two-sided).

    The three costs add up, so "0.30 per unit plus a 5% discount" is
    ``RoiConfig(units, cost_per_unit=0.30, revenue_share=0.05)``.
    """

    units: float
    cost_per_unit: float = 0.0
    revenue_share: float = 0.0
    fixed_cost: float = 0.0
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")
        if not 0 <= self.revenue_share <= 1:
            raise ValueError(f"revenue_share must be in [0, 1], got {self.revenue_share}")
        for name in ("units", "cost_per_unit", "fixed_cost"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


@dataclass(frozen=True)
class RoiResult:
    """Incremental revenue, cost and net ROI with its interval and ``P(net > 0)``.

    ``ratio`` and its interval (the net interval divided by the known cost) are ``None`` when the
    cost is 0. ``status`` is the readout's: with a FrequentistResult that is not ``"ok"`` the
    figures are computed from its placeholder estimate and should not be used.
    """

    incremental_revenue: float
    cost: float
    net: float
    net_se: float
    ci_low: float
    ci_high: float
    ratio: float | None
    ratio_ci_low: float | None
    ratio_ci_high: float | None
    probability_positive: float
    status: Status


def _lift(readout: RevenueLift | FrequentistResult) -> tuple[RevenueLift, Status]:
    if isinstance(readout, RevenueLift):
        return readout, "ok"
    absolute = readout.treatment_mean - readout.control_mean
    if readout.status == "ok" and not math.isclose(readout.estimate, absolute, rel_tol=1e-9, abs_tol=1e-12):
        raise ValueError("ROI needs an absolute difference (FrequentistConfig(difference='absolute'))")
    return RevenueLift(readout.estimate, readout.se, readout.treatment_mean), readout.status


def _cost(lift: RevenueLift, config: RoiConfig) -> float:
    share = 0.0
    if config.revenue_share > 0:
        if lift.treated_revenue_per_unit is None:
            raise ValueError("revenue_share needs RevenueLift.treated_revenue_per_unit")
        share = config.revenue_share * config.units * lift.treated_revenue_per_unit
    return config.units * config.cost_per_unit + share + config.fixed_cost


def _probability_positive(net: float, se: float) -> float:
    if se == 0:
        return 1.0 if net > 0 else 0.0
    return float(norm.sf(0.0, loc=net, scale=se))


def estimate_roi(readout: RevenueLift | FrequentistResult, config: RoiConfig) -> RoiResult:
    """Net ROI of treating ``config.units`` units, its interval and ``P(net > 0)``.

    Parameters
    ----------
    readout
        A `RevenueLift`, or the `FrequentistResult` of a revenue-per-unit metric compared with
        ``difference="absolute"`` (its estimate and SE; the share cost is charged on its
        treatment mean). A relative result is refused; a result whose status is not ``"ok"``
        passes its status on.
    config
        Units, costs and alpha.

    Examples
    --------
    A lift of 0.50 per user (SE 0.20) on 10,000 users at 0.20 per user: revenue 5,000, cost 2,000,
    net 3,000 with SE 2,000, so ``P(net > 0) = Phi(1.5)`` and the 95% interval is
    ``3000 +- 1.96 * 2000``.

    >>> r = estimate_roi(RevenueLift(lift=0.5, se=0.2), RoiConfig(units=10_000, cost_per_unit=0.2))
    >>> r.incremental_revenue, r.cost, r.net, r.ratio
    (5000.0, 2000.0, 3000.0, 1.5)
    >>> round(r.ci_low, 1), round(r.ci_high, 1), round(r.probability_positive, 5)
    (-919.9, 6919.9, 0.93319)

    A 5% discount on a readout whose treatment arm spends 11.0 per user, lift 1.0:

    >>> from commercelens.stats.frequentist import FrequentistConfig, compare_means
    >>> from commercelens.stats.types import SampleStats
    >>> a, b = SampleStats(10, 100.0, 1010.0), SampleStats(10, 110.0, 1220.0)
    >>> readout = compare_means(a, b, FrequentistConfig())
    >>> r = estimate_roi(readout, RoiConfig(units=1_000, revenue_share=0.05))
    >>> r.incremental_revenue, r.cost, r.net
    (1000.0, 550.0, 450.0)
    """
    lift, status = _lift(readout)
    incremental = config.units * lift.lift
    cost = _cost(lift, config)
    net = incremental - cost
    net_se = config.units * lift.se
    z = float(norm.isf(config.alpha / 2))
    low, high = net - z * net_se, net + z * net_se
    ratio = (net / cost, low / cost, high / cost) if cost > 0 else (None, None, None)
    return RoiResult(
        incremental_revenue=incremental,
        cost=cost,
        net=net,
        net_se=net_se,
        ci_low=low,
        ci_high=high,
        ratio=ratio[0],
        ratio_ci_low=ratio[1],
        ratio_ci_high=ratio[2],
        probability_positive=_probability_positive(net, net_se),
        status=status,
    )
