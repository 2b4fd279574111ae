"""An experiment readout from sufficient statistics: SRM first, then every metric x variation.

Pure: rows of `MetricStats` in, a `Readout` out. The three engines share one path: each
(control, treatment) pair is reduced to comparable statistics (`metric_stats.comparable_pair`,
which applies CUPED and the ratio delta method), then

- frequentist: Welch t-test (gbstats) on the chosen difference; p-values corrected across all
  metric x variation pairs (Holm by default; BH or none on request);
- bayesian: Gaussian posterior with a flat prior: credible interval, chance to win, risk; no
  p-value;
- sequential: the always-valid confidence sequence (tuning N* = 5,000) and the p-value that
  inverts it, so peeking every day keeps the error rate; corrected like the frequentist ones.

Every engine reports both lifts (absolute: treatment - control; relative: that over
|control|), and a chance to win from the Gaussian posterior, so readouts read the same across
engines. The interval and p-value refer to the absolute difference unless the config says
relative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from commercelens.experiments.metric_stats import MetricStats, comparable_pair
from commercelens.stats.bayesian import BayesianConfig, effect_moments, gaussian_test
from commercelens.stats.corrections import Correction, adjust_p_values
from commercelens.stats.frequentist import FrequentistConfig, compare_means, compare_proportions
from commercelens.stats.sequential import SequentialConfig, always_valid_p_value, confidence_sequence
from commercelens.stats.srm import SrmResult, srm_test
from commercelens.stats.types import Difference, ProportionStats, Status

Engine = Literal["frequentist", "bayesian", "sequential"]
ENGINES: tuple[Engine, ...] = ("frequentist", "bayesian", "sequential")
SRM_THRESHOLD = 0.001  # GrowthBook's default: below it the split is flagged as broken


@dataclass(frozen=True)
class ReadoutConfig:
    control: str = "control"
    engine: Engine = "frequentist"
    difference: Difference = "absolute"
    alpha: float = 0.05
    correction: Correction | None = "holm"
    cuped: bool = True
    expected_split: tuple[float, ...] | None = None  # control first, then variations in order
    tuning: float = 5000.0  # sequential engine's N*


@dataclass(frozen=True)
class MetricResult:
    """Treatment vs control on one metric; interval and p-value on the config's difference."""

    metric: str
    metric_type: str
    variation: str
    n_control: int
    n_treatment: int
    control_mean: float
    treatment_mean: float
    absolute_lift: float
    relative_lift: float | None
    ci_low: float
    ci_high: float
    se: float | None  # of the estimate (posterior sd for bayesian; none for the sequence)
    p_value: float | None
    adjusted_p_value: float | None
    chance_to_win: float
    significant: bool
    cuped: bool
    status: Status


@dataclass(frozen=True)
class Readout:
    experiment_id: str
    control: str
    variations: tuple[str, ...]  # control first
    units: tuple[int, ...]
    srm: SrmResult
    engine: Engine
    difference: Difference
    alpha: float
    correction: str
    results: tuple[MetricResult, ...]
    notes: tuple[str, ...] = ()

    @property
    def srm_ok(self) -> bool:
        return self.srm.p_value >= SRM_THRESHOLD

    def to_dict(self) -> dict:
        return {
            "experiment_id": self.experiment_id,
            "engine": self.engine,
            "difference": self.difference,
            "alpha": self.alpha,
            "correction": self.correction,
            "control": self.control,
            "variations": list(self.variations),
            "units": dict(zip(self.variations, self.units, strict=True)),
            "srm_p_value": self.srm.p_value,
            "srm_ok": self.srm_ok,
            "results": [asdict(r) for r in self.results],
            "notes": list(self.notes),
        }


def _variations(rows: Sequence[MetricStats], control: str) -> tuple[str, ...]:
    names = sorted({r.variation for r in rows})
    if control not in names:
        raise ValueError(f"control {control!r} is not a variation (variations: {', '.join(names)})")
    if len(names) < 2:
        raise ValueError(f"need a control and at least one other variation, got only {control!r}")
    return (control, *(v for v in names if v != control))


def _units(rows: Sequence[MetricStats], variations: tuple[str, ...]) -> tuple[int, ...]:
    """Units per variation: every metric counts the same units, so take the largest n seen."""
    return tuple(max(r.n for r in rows if r.variation == v) for v in variations)


def _lifts(a, b) -> tuple[float, float | None, Status]:
    absolute = effect_moments(a, b, "absolute")
    relative = effect_moments(a, b, "relative")
    rel = relative.estimate if relative.status in ("ok", "zero_variance") else None
    return absolute.estimate, rel, absolute.status


def _compare(control: MetricStats, treatment: MetricStats, config: ReadoutConfig) -> dict:
    """One pair through the configured engine; p-value corrections happen afterwards."""
    use_cuped = config.cuped and control.has_covariate and treatment.has_covariate
    a, b = comparable_pair(control, treatment, config.cuped)
    absolute, relative, status = _lifts(a, b)
    if control.metric_type == "ratio" and not (control.denominator_sum and treatment.denominator_sum):
        status = "zero_denominator"
    posterior = gaussian_test(a, b, BayesianConfig(difference=config.difference, interval=1 - config.alpha))
    row = {
        "metric": control.metric,
        "metric_type": control.metric_type,
        "variation": treatment.variation,
        "n_control": control.n,
        "n_treatment": treatment.n,
        "control_mean": control.mean,
        "treatment_mean": treatment.mean,
        "absolute_lift": absolute,
        "relative_lift": relative,
        "chance_to_win": posterior.chance_to_win,
        "cuped": use_cuped,
    }
    if config.engine == "bayesian":
        low, high, p, se = posterior.ci_low, posterior.ci_high, None, posterior.sd
        status = posterior.status if status == "ok" else status
    elif config.engine == "sequential":
        seq = confidence_sequence(a, b, SequentialConfig(config.difference, config.alpha, config.tuning))
        moments = effect_moments(a, b, config.difference)
        low, high, se = seq.ci_low, seq.ci_high, None
        p = always_valid_p_value(moments.estimate, moments.variance, a.n + b.n, config.tuning)
        status = seq.status if status == "ok" else status
    else:
        freq = _frequentist(a, b, config)
        low, high, p, se = freq.ci_low, freq.ci_high, freq.p_value, freq.se
        status = freq.status if status == "ok" else status
    if status != "ok":
        p = None if p is None else 1.0
    return row | {"ci_low": low, "ci_high": high, "se": se, "p_value": p, "status": status}


def _frequentist(a, b, config: ReadoutConfig):
    freq_config = FrequentistConfig(alpha=config.alpha, difference=config.difference)
    if isinstance(a, ProportionStats):
        return compare_proportions(a, b, freq_config)
    return compare_means(a, b, freq_config)


def _significance(rows: list[dict], config: ReadoutConfig) -> list[MetricResult]:
    if config.engine == "bayesian":
        return [
            MetricResult(
                **r,
                adjusted_p_value=None,
                significant=r["status"] == "ok"
                and not config.alpha / 2 < r["chance_to_win"] < 1 - config.alpha / 2,
            )
            for r in rows
        ]
    raw = [r["p_value"] for r in rows]
    adjusted = list(raw) if config.correction is None or not raw else adjust_p_values(raw, config.correction)
    return [
        MetricResult(**r, adjusted_p_value=q, significant=r["status"] == "ok" and q < config.alpha)
        for r, q in zip(rows, adjusted, strict=True)
    ]


def analyze(
    experiment_id: str,
    rows: Sequence[MetricStats],
    config: ReadoutConfig = ReadoutConfig(),
    notes: Sequence[str] = (),
) -> Readout:
    """SRM on the units per variation, then each metric for each variation against control.

    Raises ``ValueError`` when the control is missing, only one variation exists, a metric lacks
    a variation, or a metric's type differs between variations.
    """
    variations = _variations(rows, config.control)
    units = _units(rows, variations)
    srm = srm_test(units, config.expected_split)
    by_key = {(r.metric, r.variation): r for r in rows}
    metrics = list(dict.fromkeys(r.metric for r in rows))
    compared = []
    for metric in metrics:
        missing = [v for v in variations if (metric, v) not in by_key]
        if missing:
            raise ValueError(f"metric {metric!r} has no statistics for {', '.join(missing)}")
        control = by_key[(metric, config.control)]
        for variation in variations[1:]:
            treatment = by_key[(metric, variation)]
            if treatment.metric_type != control.metric_type:
                raise ValueError(f"metric {metric!r} has different types across variations")
            compared.append(_compare(control, treatment, config))
    all_notes = list(notes)
    if srm.p_value < SRM_THRESHOLD:
        all_notes.insert(
            0,
            f"sample ratio mismatch: p = {srm.p_value:.2g} < {SRM_THRESHOLD}; the split is broken, "
            "so the results below are not trustworthy",
        )
    return Readout(
        experiment_id=experiment_id,
        control=config.control,
        variations=variations,
        units=units,
        srm=srm,
        engine=config.engine,
        difference=config.difference,
        alpha=config.alpha,
        correction=config.correction or "none",
        results=tuple(_significance(compared, config)),
        notes=tuple(all_notes),
    )
