"""What the dashboard reads beyond `report.data`: route drill-downs, time to convert, latest alerts.

The dashboard reuses the report's readers (`report.data`, `report.models`) and the library's
engines (`stats.power`, `experiments.readout`, `ml`); this module only adds the few queries the
report does not need, in the same style: each reads a mart or an ops table, casts money and rates
to double precision (DuckDB and PostgreSQL give the same Python types) and raises
`NotAvailable` naming the table and what to run when its source is missing.

`gather(settings, readers)` opens the warehouse read-only once and runs several readers; a
workdir with no warehouse makes every part `Missing("... run commercelens demo ...")`, never an
exception. Pages never hold SQL: they call these functions through `dashboard.loaders`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from commercelens.config import Settings
from commercelens.report.content import Missing, attempt
from commercelens.report.data import NotAvailable, require
from commercelens.warehouse.base import Warehouse

DEMO = "run `commercelens demo`"
ROUTES_TABLE = "marts.dim_routes"
DAILY_ROUTES_TABLE = "marts.fct_daily_route_performance"
SEARCHES_TABLE = "marts.fct_searches"
FUNNEL_TABLE = "marts.fct_funnel_daily"
ALERTS_TABLE = "ops.fraud_alerts"
STREAM_RUNS_TABLE = "ops.stream_runs"
METRIC_STATS_TABLE = "marts.fct_experiment_metric_stats"
STORY_ROUTE = "Paris -> Lyon"  # the planted story: converts far less than comparable routes
# Evaluation files `ml/plots.py` writes beside each PNG (the curves' data), by chart name.
EVALUATION_TABLES = ("roc", "pr", "calibration", "gain", "importance")

# The breakdowns of the route drill-down: SQL expression over marts.fct_searches and its label.
# Lead-time buckets are labelled so they sort as text.
_LEAD_BUCKET = """case
    when lead_time_days < 3 then '0-2 days'
    when lead_time_days < 7 then '3-6 days'
    when lead_time_days < 14 then '7-13 days'
    when lead_time_days < 30 then '14-29 days'
    else '30+ days' end"""
BREAKDOWNS: dict[str, tuple[str, str]] = {
    "lead_time": (_LEAD_BUCKET, "lead time"),
    "search_hour": ("search_hour", "hour of search"),
    "search_weekday": ("search_weekday", "weekday of search (1 = Monday)"),
}
LEAD_BUCKETS = ("0-2 days", "3-6 days", "7-13 days", "14-29 days", "30+ days")


def _frame(warehouse: Warehouse, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
    frame = pl.from_arrow(warehouse.fetch_arrow(sql, params))
    assert isinstance(frame, pl.DataFrame)
    return frame


# --- opening the warehouse --------------------------------------------------------------------


def no_warehouse_reason(settings: Settings) -> str | None:
    """Why there is nothing to show at all (no DuckDB file yet), or None."""
    if settings.target == "duckdb" and not settings.duckdb_path.is_file():
        return f"no warehouse at {settings.duckdb_path}: {DEMO} first (or pass --workdir)"
    return None


@contextmanager
def reading(settings: Settings) -> Iterator[Warehouse]:
    """The warehouse for a few reads, closed at once; `NotAvailable` when it cannot be opened.

    Read-only first, so the dashboard never creates a file and never blocks a reader; read-write
    when this process already holds the file read-write (DuckDB refuses a second configuration in
    one process). While another process writes (`demo`, `train`), the page says so.
    """
    import duckdb

    from commercelens.warehouse import open_warehouse

    reason = no_warehouse_reason(settings)
    if reason:
        raise NotAvailable(reason)
    try:
        try:
            warehouse = open_warehouse(settings, read_only=True)
        except duckdb.ConnectionException:  # this process holds it read-write already
            warehouse = open_warehouse(settings)
    except Exception as exc:  # a lock held by a writer, PostgreSQL down, ...: a reason, not a traceback
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        raise NotAvailable(
            f"cannot open the warehouse ({type(exc).__name__}: {first}); "
            "if `commercelens demo` or `train` is running, reload when it is done"
        ) from exc
    try:
        yield warehouse
    finally:
        warehouse.close()


def gather(settings: Settings, readers: Mapping[str, Callable[[Warehouse], Any]]) -> dict[str, Any | Missing]:
    """Each reader's value, or `Missing(reason)`; one warehouse connection for all of them."""
    try:
        with reading(settings) as warehouse:
            return {name: attempt(read, warehouse) for name, read in readers.items()}
    except NotAvailable as exc:
        return {name: Missing(str(exc)) for name in readers}


# --- rail ---------------------------------------------------------------------------------------


def route_performance(warehouse: Warehouse) -> pl.DataFrame:
    """One row per route, most searched first: searches, conversions, conversion rate, revenue."""
    require(warehouse, ROUTES_TABLE)
    return _frame(
        warehouse,
        f"""select
            route,
            origin_station,
            destination_station,
            cast(searches as bigint) as searches,
            cast(converted_searches as bigint) as converted_searches,
            cast(conversion_rate as double precision) as conversion_rate,
            cast(revenue_eur as double precision) as revenue_eur
        from {ROUTES_TABLE}
        order by searches desc, route""",
    )


def route_weekly(warehouse: Warehouse, route: str) -> pl.DataFrame:
    """Per ISO week: conversion of `route` and of every other route together."""
    require(warehouse, DAILY_ROUTES_TABLE)
    return _frame(
        warehouse,
        f"""select
            cast(date_trunc('week', search_date) as date) as week_start_date,
            case when route = ? then route else 'all other routes' end as route_group,
            cast(sum(searches) as bigint) as searches,
            cast(sum(converted_searches) as bigint) as converted_searches,
            cast(sum(converted_searches) as double precision) / nullif(sum(searches), 0) as conversion_rate
        from {DAILY_ROUTES_TABLE}
        group by 1, 2
        order by 1, 2""",
        [route],
    )


def route_breakdown(warehouse: Warehouse, route: str, by: str) -> pl.DataFrame:
    """Conversion of `route` against every other route, per bucket of `by` (see BREAKDOWNS)."""
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}: use {', '.join(BREAKDOWNS)}")
    require(warehouse, SEARCHES_TABLE)
    expression, _ = BREAKDOWNS[by]
    return _frame(
        warehouse,
        f"""select
            cast({expression} as varchar) as bucket,
            case when route = ? then route else 'all other routes' end as route_group,
            cast(count(*) as bigint) as searches,
            cast(count(case when is_converted then 1 end) as bigint) as converted_searches,
            cast(count(case when is_converted then 1 end) as double precision) / count(*) as conversion_rate,
            cast(avg(quoted_price_eur) as double precision) as average_quoted_price_eur
        from {SEARCHES_TABLE}
        group by 1, 2
        order by 2, 1""",
        [route],
    )


# --- shop ---------------------------------------------------------------------------------------


def shop_daily_detail(warehouse: Warehouse) -> pl.DataFrame:
    """Per day: valid sessions, time to convert (mean, median, p90 seconds) and the drop-offs."""
    require(warehouse, FUNNEL_TABLE)
    return _frame(
        warehouse,
        f"""select
            session_start_date,
            cast(session_count as bigint) as session_count,
            cast(sessions_with_view as bigint) as sessions_with_view,
            cast(sessions_with_addtocart as bigint) as sessions_with_addtocart,
            cast(sessions_with_transaction as bigint) as sessions_with_transaction,
            cast(mean_seconds_to_convert as double precision) as mean_seconds_to_convert,
            cast(median_seconds_to_convert as double precision) as median_seconds_to_convert,
            cast(p90_seconds_to_convert as double precision) as p90_seconds_to_convert,
            cast(sessions_dropped_after_view as bigint) as sessions_dropped_after_view,
            cast(sessions_dropped_after_addtocart as bigint) as sessions_dropped_after_addtocart
        from {FUNNEL_TABLE}
        order by session_start_date""",
    )


# --- fraud --------------------------------------------------------------------------------------

_STREAM_HINT = "run `commercelens demo` (or `commercelens stream run --sink duckdb`)"


ALERT_LEVELS = ("LOW", "MEDIUM", "HIGH", "CRITICAL")


def latest_alerts(
    warehouse: Warehouse, limit: int = 50, levels: Sequence[str] = ALERT_LEVELS
) -> pl.DataFrame:
    """The stream's newest alerts (by event time) at the given levels, one row per (transaction, rule)."""
    require(warehouse, ALERTS_TABLE, _STREAM_HINT)
    wanted = [level for level in levels if level in ALERT_LEVELS] or list(ALERT_LEVELS)
    marks = ", ".join("?" for _ in wanted)
    return _frame(
        warehouse,
        f"""select
            event_time,
            transaction_id,
            card_id,
            rule,
            level,
            cast(score as double precision) as score,
            cast(model_probability as double precision) as model_probability,
            rules_fired
        from {ALERTS_TABLE}
        where level in ({marks})
        order by event_time desc, transaction_id desc, rule
        limit {int(limit)}""",
        wanted,
    )


@dataclass(frozen=True)
class StreamRun:
    source: str
    model: str
    processed: int
    alerts: int
    finished_at: datetime | None


def latest_stream_run(warehouse: Warehouse) -> StreamRun:
    """The last `stream run` (or demo replay) recorded in ops.stream_runs."""
    require(warehouse, STREAM_RUNS_TABLE, _STREAM_HINT)
    rows = warehouse.fetch_all(
        f"""select source, model, processed, alerts, finished_at
        from {STREAM_RUNS_TABLE} order by finished_at desc limit 1"""
    )
    if not rows:
        raise NotAvailable(f"{STREAM_RUNS_TABLE} is empty: {_STREAM_HINT}")
    source, model, processed, alerts, finished = rows[0]
    return StreamRun(str(source), str(model), int(processed or 0), int(alerts or 0), finished)


# --- experiments --------------------------------------------------------------------------------


def experiment_ids(warehouse: Warehouse) -> list[str]:
    """Experiments with sufficient statistics in the mart, sorted."""
    require(warehouse, METRIC_STATS_TABLE)
    rows = warehouse.fetch_all(f"select distinct experiment_id from {METRIC_STATS_TABLE} order by 1")
    if not rows:
        raise NotAvailable(f"{METRIC_STATS_TABLE} holds no experiment: {DEMO}")
    return [str(r[0]) for r in rows]


# --- models -------------------------------------------------------------------------------------


def evaluation_tables(home: Path, task: str) -> dict[str, pl.DataFrame]:
    """The CSV data behind the evaluation's plots under `<home>/reports/models/<task>/`."""
    folder = Path(home) / "reports" / "models" / task
    tables = {
        name: pl.read_csv(folder / f"{name}.csv")
        for name in EVALUATION_TABLES
        if (folder / f"{name}.csv").is_file()
    }
    if not tables:
        raise NotAvailable(
            f"no evaluation files in {folder}: run `commercelens demo` (or `commercelens train {task}`)"
        )
    return tables


@dataclass(frozen=True)
class LatestEvaluation:
    """The headline of `<home>/reports/models/<task>/metrics.json` (the task's latest evaluation)."""

    task: str
    n_test: int | None
    roc_auc: float | None
    oracle_roc_auc: float | None
    pr_auc: float | None
    oracle_pr_auc: float | None

    @property
    def auc_ratio(self) -> float | None:
        return (
            self.roc_auc / self.oracle_roc_auc if self.roc_auc is not None and self.oracle_roc_auc else None
        )


def latest_evaluation(home: Path, task: str) -> LatestEvaluation:
    """Read without opening the model registry (the Overview stays light; Models shows the champion)."""
    path = Path(home) / "reports" / "models" / task / "metrics.json"
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError) as exc:
        raise NotAvailable(f"no evaluation of {task} ({path.name} missing): {DEMO}") from exc

    def number(key: str) -> float | None:
        value = values.get(key)
        return float(value) if isinstance(value, int | float) and math.isfinite(value) else None

    n = values.get("n_test")
    return LatestEvaluation(
        task,
        int(n) if isinstance(n, int) else None,
        number("auc"),
        number("oracle_auc"),
        number("pr_auc"),
        number("oracle_pr_auc"),
    )


# --- pricing simulator --------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedSearch:
    """One search in the rail `searches.csv` layout (what `/predict/booking` accepts)."""

    user_id: str
    searched_at: datetime  # naive UTC
    origin_station: str
    destination_station: str
    departure_date: date
    passenger_count: int | None = 1
    quoted_price_eur: float | None = None


@dataclass(frozen=True)
class Simulation:
    probability: list[float]
    tier: list[str]
    decision: list[str]
    features: pl.DataFrame  # exactly the model's feature columns, one row per search
    reasons: list[list[tuple[str, float]]]  # top TreeSHAP contributions (raw score units)


def split_route(route: str) -> tuple[str, str]:
    """'Paris -> Lyon' -> ('Paris', 'Lyon')."""
    origin, _, destination = route.partition(" -> ")
    if not destination:
        raise ValueError(f"a route looks like 'Paris -> Lyon', got {route!r}")
    return origin, destination


def typical_price(state: Any, route: str, lead_time_days: int) -> float | None:
    """The geometric mean quoted price of the route at this lead time so far (None if unseen).

    The same reference `price_vs_route_lead_log_ratio` compares a quote with, so quoting it gives
    a ratio of 0.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import math
    >>> state = SimpleNamespace(price_reference={("A -> B", 5): (2 * math.log(50.0), 2)})
    >>> round(typical_price(state, "A -> B", 7), 2), typical_price(state, "A -> B", 0)
    (50.0, None)
    """
    from commercelens.api.booking_features import lead_bucket

    if lead_time_days < 0:
        return None
    reference = state.price_reference.get((route, lead_bucket(lead_time_days)))
    if reference is None or not reference[1]:
        return None
    return math.exp(reference[0] / reference[1])


def earliest_search_time(state: Any) -> datetime:
    """The first whole minute the online state can score (its history ends just before)."""
    start = state.valid_from
    rounded = start.replace(second=0, microsecond=0)
    return rounded if rounded >= start else rounded + timedelta(minutes=1)


def simulate(bundle: Any, state: Any, searches: Sequence[SimulatedSearch], policy: Any, reasons: int = 0):
    """Calibrated P(book) and RailFlow's decision for each search, with the model's own features.

    The features come from the API's online builder (`api.booking_features.search_features`):
    the user's history from the warehouse, exactly as training computed it; a user id the
    warehouse does not know has no history (nulls and zeros, as for a first-time visitor).
    Scoring is `ml.bundle.predict_proba` and the decision `ml.policy.decide`.
    """
    from commercelens.api.booking_features import SPEC, feature_frame, search_features
    from commercelens.ml.bundle import check_columns, predict_proba
    from commercelens.ml.explain import EXPLAINABLE, reason_codes
    from commercelens.ml.policy import decide

    check_columns(bundle, list(SPEC.features))  # the online features are the training features
    frame = feature_frame([search_features(state, search) for search in searches])
    probability = predict_proba(bundle, frame)
    decided = decide("booking", probability, policy, bundle.thresholds)
    explained = (
        reason_codes(bundle, frame, reasons)
        if reasons > 0 and bundle.family in EXPLAINABLE
        else [[] for _ in searches]
    )
    return Simulation([float(p) for p in probability], decided.tier, decided.decision, frame, explained)
