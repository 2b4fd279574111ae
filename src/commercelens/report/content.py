"""Everything the report shows, gathered once: each part is its value or a `Missing` reason.

A part whose source is absent (a mart not built, no trained model, no stream replay) becomes
`Missing("... : run commercelens demo ...")`, so the page says so in one line and every other
section still renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import polars as pl

from commercelens.config import Settings
from commercelens.report import data
from commercelens.report.data import Funnel, NotAvailable, PaymentsKpis, RailKpis, ShopKpis
from commercelens.report.experiment import ExperimentReadout, experiment_readout
from commercelens.report.models import TASKS, ModelQuality, model_quality
from commercelens.warehouse.base import Warehouse

T = TypeVar("T")


@dataclass(frozen=True)
class Missing:
    """Why a part of the report is not there, and what to run."""

    reason: str


@dataclass(frozen=True)
class ReportData:
    generated_at: str
    workdir: str
    warehouse: str
    rail: RailKpis | Missing
    shop: ShopKpis | Missing
    payments: PaymentsKpis | Missing
    rail_funnel: Funnel | Missing
    shop_funnel: Funnel | Missing
    shop_daily: pl.DataFrame | Missing
    fraud_by_hour: pl.DataFrame | Missing
    risky_mccs: pl.DataFrame | Missing
    fraud_loss_monthly: pl.DataFrame | Missing
    alerts: pl.DataFrame | Missing
    models: dict[str, ModelQuality | Missing]
    experiment: ExperimentReadout | Missing


def attempt(read: Callable[..., T], *args: object) -> T | Missing:
    """`read(*args)`, or the reason it is not available."""
    try:
        return read(*args)
    except NotAvailable as exc:
        return Missing(str(exc))


def _then(value: T | Missing, step: Callable[[T], object]) -> object:
    return value if isinstance(value, Missing) else step(value)


def gather_report(settings: Settings, warehouse: Warehouse) -> ReportData:
    """Read every part of the report from the warehouse, the registry and the evaluation files."""
    rail = attempt(data.rail_kpis, warehouse)
    shop = attempt(data.shop_kpis, warehouse)
    return ReportData(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        workdir=str(settings.home),
        warehouse=warehouse.location,
        rail=rail,
        shop=shop,
        payments=attempt(data.payments_kpis, warehouse),
        rail_funnel=_then(rail, data.rail_funnel),  # type: ignore[arg-type]
        shop_funnel=_then(shop, data.shop_funnel),  # type: ignore[arg-type]
        shop_daily=attempt(data.shop_funnel_daily, warehouse),
        fraud_by_hour=attempt(data.fraud_by_hour, warehouse),
        risky_mccs=attempt(data.risky_mccs, warehouse),
        fraud_loss_monthly=attempt(data.fraud_loss_monthly, warehouse),
        alerts=attempt(data.alerts_by_rule_and_level, warehouse),
        models={task: attempt(model_quality, settings, task) for task in TASKS},
        experiment=attempt(experiment_readout, warehouse),
    )
