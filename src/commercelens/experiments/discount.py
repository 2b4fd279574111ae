"""ROI of a percentage discount, from the readout of revenue per user measured after the discount.

The warehouse records what customers paid, so the treated arm's revenue is already net of the
discount. `stats.roi` wants the lift before the treatment's cost, so the treated mean is grossed
up (net / (1 - share)), the discount is charged back as a revenue share, and the net ROI is
exactly the measured lift times the treated units; the ratio reads "euros of net revenue per
euro of discount given".
"""

from __future__ import annotations

from commercelens.experiments.readout import MetricResult
from commercelens.stats.roi import RevenueLift, RoiConfig, RoiResult, estimate_roi


def discount_roi(revenue_per_user: MetricResult, discount_share: float, alpha: float = 0.05) -> RoiResult:
    """Incremental revenue, discount cost and net ROI over the treated units, with an interval.

    Examples
    --------
    >>> from commercelens.experiments.readout import MetricResult
    >>> r = MetricResult("revenue_per_user", "mean", "b", 1000, 1000, 100.0, 95.0 * 1.1, 9.5, 0.095,
    ...                  0.0, 19.0, 5.0, 0.06, 0.06, 0.97, False, False, "ok")
    >>> roi = discount_roi(r, 0.05)
    >>> round(roi.net, 6), round(roi.cost, 6)  # net = 1000 users x 9.5 lift; cost = 5% of 110,000
    (9500.0, 5500.0)
    """
    if not 0 <= discount_share < 1:
        raise ValueError(f"discount_share must be in [0, 1), got {discount_share}")
    if revenue_per_user.se is None:
        raise ValueError("ROI needs the frequentist readout (a standard error of the lift)")
    gross_treated = revenue_per_user.treatment_mean / (1 - discount_share)
    gross_lift = revenue_per_user.absolute_lift + gross_treated - revenue_per_user.treatment_mean
    return estimate_roi(
        RevenueLift(gross_lift, revenue_per_user.se, gross_treated),
        RoiConfig(units=revenue_per_user.n_treatment, revenue_share=discount_share, alpha=alpha),
    )
