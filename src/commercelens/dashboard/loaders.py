"""Cached reads for the pages: every function takes the workdir (and target) as plain strings.

`st.cache_data` keys on the arguments, so two workdirs never share an entry; marts are cached
for a few minutes, the stream's alerts for a few seconds, and the sidebar's "Reload data" button
clears everything. The fitted booking model and the online feature state are a resource
(`st.cache_resource`, not copied per session), keyed by the registry's and the warehouse's
modification times, so a retrain or a rebuilt warehouse is picked up without a restart.

Each value is what the library returned or a `Missing(reason)`; nothing here raises for missing
data.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from commercelens.config import Settings, load_settings
from commercelens.dashboard import data
from commercelens.report import data as report_data
from commercelens.report.content import Missing, attempt
from commercelens.report.data import NotAvailable

MARTS_TTL = 300  # seconds
ALERTS_TTL = 15
SPINNER = "Reading the warehouse..."


def settings() -> Settings:
    """The workdir settings: COMMERCELENS_HOME / COMMERCELENS_TARGET (set by `commercelens dashboard`)."""
    return load_settings()


def _settings(home: str, target: str) -> Settings:
    return load_settings(home=Path(home), target=target)


def clear() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@st.cache_data(ttl=MARTS_TTL, show_spinner=SPINNER)
def overview(home: str, target: str) -> dict[str, Any]:
    return data.gather(
        _settings(home, target),
        {
            "rail": report_data.rail_kpis,
            "shop": report_data.shop_kpis,
            "payments": report_data.payments_kpis,
            "alerts": report_data.alerts_by_rule_and_level,
        },
    )


@st.cache_data(ttl=MARTS_TTL, show_spinner=SPINNER)
def rail(home: str, target: str) -> dict[str, Any]:
    return data.gather(
        _settings(home, target), {"kpis": report_data.rail_kpis, "routes": data.route_performance}
    )


@st.cache_data(ttl=MARTS_TTL, show_spinner=SPINNER)
def route_drilldown(home: str, target: str, route: str) -> dict[str, Any]:
    readers = {"weekly": partial(data.route_weekly, route=route)}
    readers |= {by: partial(data.route_breakdown, route=route, by=by) for by in data.BREAKDOWNS}
    return data.gather(_settings(home, target), readers)


@st.cache_data(ttl=MARTS_TTL, show_spinner=SPINNER)
def shop(home: str, target: str) -> dict[str, Any]:
    return data.gather(
        _settings(home, target), {"kpis": report_data.shop_kpis, "daily": data.shop_daily_detail}
    )


@st.cache_data(ttl=MARTS_TTL, show_spinner=SPINNER)
def fraud(home: str, target: str) -> dict[str, Any]:
    return data.gather(
        _settings(home, target),
        {
            "kpis": report_data.payments_kpis,
            "by_hour": report_data.fraud_by_hour,
            "mccs": report_data.risky_mccs,
            "loss": report_data.fraud_loss_monthly,
        },
    )


@st.cache_data(ttl=ALERTS_TTL, show_spinner=SPINNER)
def alerts(home: str, target: str, levels: tuple[str, ...], limit: int = 50) -> dict[str, Any]:
    return data.gather(
        _settings(home, target),
        {
            "by_rule": report_data.alerts_by_rule_and_level,
            "latest": partial(data.latest_alerts, limit=limit, levels=levels),
            "run": data.latest_stream_run,
        },
    )


@st.cache_data(ttl=MARTS_TTL, show_spinner="Reading the model registry...")
def model(home: str, target: str, task: str) -> dict[str, Any]:
    """The champion's metrics beside the oracle's (`report.models`) and the evaluation's curves."""
    from commercelens.report.models import model_quality

    return {
        "quality": attempt(model_quality, _settings(home, target), task),
        "tables": attempt(data.evaluation_tables, Path(home), task),
    }


@st.cache_data(ttl=MARTS_TTL, show_spinner=False)
def latest_evaluations(home: str) -> dict[str, Any]:
    from commercelens.features import TASKS

    return {task: attempt(data.latest_evaluation, Path(home), task) for task in TASKS}


@st.cache_data(ttl=MARTS_TTL, show_spinner=SPINNER)
def experiments(home: str, target: str) -> dict[str, Any]:
    return data.gather(_settings(home, target), {"ids": data.experiment_ids})


@st.cache_data(ttl=MARTS_TTL, show_spinner="Analysing...")
def readout(
    home: str, target: str, experiment_id: str, engine: str, difference: str, alpha: float, correction: str
) -> Any:
    """`experiments.readout.analyze` on the mart's sufficient statistics, or Missing."""
    from commercelens.errors import UserError
    from commercelens.experiments.readout import ReadoutConfig, analyze
    from commercelens.experiments.sources import warehouse_metric_stats

    config = ReadoutConfig(
        engine=engine,  # type: ignore[arg-type]
        difference=difference,  # type: ignore[arg-type]
        alpha=alpha,
        correction=None if correction == "none" else correction,  # type: ignore[arg-type]
    )

    def read(warehouse):
        try:
            return analyze(experiment_id, warehouse_metric_stats(warehouse, experiment_id), config)
        except (UserError, ValueError) as exc:
            raise NotAvailable(str(exc)) from exc

    return data.gather(_settings(home, target), {"readout": read})["readout"]


def _mtime(path: Path) -> float:
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return 0.0


def booking_stamp(settings: Settings) -> tuple[float, float]:
    """Changes when a model is registered or the warehouse is rewritten."""
    return _mtime(settings.home / "mlflow.db"), _mtime(settings.duckdb_path)


EXAMPLE_USERS = 50


@st.cache_resource(show_spinner="Loading the booking model and the users' history...", max_entries=2)
def booking_model(home: str, target: str, stamp: tuple[float, float]) -> Any:
    """(champion bundle, online feature state, known users with the most searches), or Missing."""
    del stamp  # only part of the cache key
    settings = _settings(home, target)
    if not (settings.home / "mlflow.db").is_file():  # opening the registry would create it
        return Missing(f"no trained booking model: {data.DEMO} (or `commercelens train booking`)")
    from commercelens.api.booking_features import load_state
    from commercelens.errors import UserError
    from commercelens.ml.tasks import champion

    try:
        bundle = champion(settings, "booking")
    except UserError as exc:
        return Missing(str(exc))

    def read(warehouse):
        try:
            return load_state(warehouse)
        except UserError as exc:
            raise NotAvailable(str(exc)) from exc

    state = data.gather(settings, {"state": read})["state"]
    if isinstance(state, Missing):
        return state
    known = [(user_id, u.searches) for user_id, u in state.users.items() if u.is_known]
    examples = [user_id for user_id, _ in sorted(known, key=lambda x: (-x[1], x[0]))[:EXAMPLE_USERS]]
    return bundle, state, examples
