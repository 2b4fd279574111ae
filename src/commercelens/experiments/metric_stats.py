"""One variation's sufficient statistics for one metric: a row of `fct_experiment_metric_stats`.

The warehouse and unit-level files both reduce to these rows (GrowthBook's column names), and
the readout never sees a unit. `comparable_pair` turns a control and a treatment row into the
two inputs every engine in `stats/` accepts: a proportion stays a proportion; a ratio becomes
its delta-method mean; a metric with a pre-period covariate becomes its CUPED-adjusted mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from commercelens.stats.frequentist import CupedStats, RatioStats, cuped_samples, ratio_samples
from commercelens.stats.types import ProportionStats, SampleStats

MetricType = Literal["proportion", "mean", "ratio"]
METRIC_TYPES: tuple[MetricType, ...] = ("proportion", "mean", "ratio")


@dataclass(frozen=True)
class MetricStats:
    """Sums over the units of one variation; denominator and covariate columns are optional."""

    metric: str
    metric_type: MetricType
    variation: str
    n: int
    main_sum: float
    main_sum_squares: float
    denominator_sum: float | None = None
    denominator_sum_squares: float | None = None
    main_denominator_sum_product: float | None = None
    covariate_sum: float | None = None
    covariate_sum_squares: float | None = None
    main_covariate_sum_product: float | None = None

    def __post_init__(self) -> None:
        if self.metric_type not in METRIC_TYPES:
            raise ValueError(f"metric_type must be one of {METRIC_TYPES}, got {self.metric_type!r}")
        if self.metric_type == "ratio" and self.denominator_sum is None:
            raise ValueError(f"ratio metric {self.metric!r} has no denominator sums")

    @property
    def has_covariate(self) -> bool:
        return self.covariate_sum is not None

    @property
    def mean(self) -> float:
        """The metric's value in this variation: the rate, the mean, or sum / sum for a ratio."""
        if self.metric_type == "ratio":
            return self.main_sum / self.denominator_sum if self.denominator_sum else 0.0
        return self.main_sum / self.n if self.n else 0.0

    def main(self) -> SampleStats:
        return SampleStats(self.n, self.main_sum, self.main_sum_squares)

    def _covariate(self) -> CupedStats:
        covariate = SampleStats(self.n, self.covariate_sum or 0.0, self.covariate_sum_squares or 0.0)
        return CupedStats(self.main(), covariate, self.main_covariate_sum_product or 0.0)

    def _ratio(self) -> RatioStats:
        denominator = SampleStats(self.n, self.denominator_sum or 0.0, self.denominator_sum_squares or 0.0)
        return RatioStats(self.main(), denominator, self.main_denominator_sum_product or 0.0)


Comparable = SampleStats | ProportionStats


def comparable_pair(
    control: MetricStats, treatment: MetricStats, cuped: bool
) -> tuple[Comparable, Comparable]:
    """The two engine inputs for treatment vs control (CUPED only when asked and available).

    Examples
    --------
    >>> a = MetricStats("conversion", "proportion", "control", 100, 10.0, 10.0)
    >>> b = MetricStats("conversion", "proportion", "b", 100, 12.0, 12.0)
    >>> comparable_pair(a, b, cuped=True)
    (ProportionStats(n=100, successes=10), ProportionStats(n=100, successes=12))
    """
    if control.metric_type == "ratio":
        if control.denominator_sum == 0 or treatment.denominator_sum == 0:
            return SampleStats(control.n, 0.0, 0.0), SampleStats(treatment.n, 0.0, 0.0)
        return ratio_samples(control._ratio(), treatment._ratio())
    if cuped and control.has_covariate and treatment.has_covariate:
        return cuped_samples(control._covariate(), treatment._covariate())
    if control.metric_type == "proportion":
        return (
            ProportionStats(control.n, round(control.main_sum)),
            ProportionStats(treatment.n, round(treatment.main_sum)),
        )
    return control.main(), treatment.main()
