"""What each model task is: its unit, its inputs, its feature whitelist and its truth.

One registry (`TASKS`) that the feature builders, the trainer and the tests all read, so the
columns a model trains on are written down exactly once. The ML side trains on exactly
`spec.features` (in that order) and treats `spec.categorical` (a subset) as categories.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from commercelens.warehouse.base import SqlType

Task = Literal["booking", "conversion", "fraud"]
SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class InputTable:
    """A warehouse table a task reads, under a logical name, with the columns it needs typed.

    The engine reads `columns` through `Warehouse.engine_relation` and casts each to its type,
    so the feature SQL sees the same types on DuckDB and PostgreSQL (whose engine copy is CSV).
    """

    name: str
    table: str
    columns: tuple[tuple[str, SqlType], ...]


@dataclass(frozen=True)
class TaskSpec:
    """One model task. The feature table holds `entity_id, decision_at, label, split, *features`."""

    task: Task
    domain: Literal["rail", "shop", "payments"]
    table: str  # the warehouse table the features are written to, e.g. ml.booking_features
    entity_id: str  # search_id, session_id or transaction_id
    features: tuple[str, ...]
    categorical: tuple[str, ...]
    inputs: tuple[InputTable, ...]
    truth_file: str  # relative to the domain's data directory
    truth_probability: str  # column of the true outcome probability in truth_file
    label_may_be_null: bool = False  # fraud: unlabelled transactions are scored, not trained on

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column of the feature table, in order."""
        return (self.entity_id, "decision_at", "label", "split", *self.features)


BOOKING = TaskSpec(
    task="booking",
    domain="rail",
    table="ml.booking_features",
    entity_id="search_id",
    features=(
        "route",
        "lead_time_days",
        "search_hour",
        "search_weekday",
        "passenger_count",
        "quoted_price_eur",
        "price_vs_route_lead_log_ratio",
        "subscription_type",
        "age",
        "device_os",
        "account_age_days",
        "is_discount_shown",
        "user_searches_before",
        "user_successful_bookings_before",
        "user_searches_7d",
        "user_route_searches_before",
        "hours_since_previous_search",
        "days_since_previous_booking",
    ),
    categorical=("route", "subscription_type", "device_os"),
    inputs=(
        InputTable(
            "searches",
            "marts.fct_searches",
            (
                ("search_id", "VARCHAR"),
                ("user_id", "VARCHAR"),
                ("searched_at", "TIMESTAMP"),
                ("route", "VARCHAR"),
                ("lead_time_days", "INTEGER"),
                ("passenger_count", "INTEGER"),
                ("quoted_price_eur", "DOUBLE"),
                ("is_converted", "BOOLEAN"),
            ),
        ),
        InputTable(
            "bookings",
            "marts.fct_bookings",
            (("user_id", "VARCHAR"), ("booked_at", "TIMESTAMP"), ("is_successful", "BOOLEAN")),
        ),
        InputTable(
            "users",
            "marts.dim_users",
            (
                ("user_id", "VARCHAR"),
                ("signup_at", "TIMESTAMP"),
                ("subscription_type", "VARCHAR"),
                ("age", "INTEGER"),
                ("device_os", "VARCHAR"),
            ),
        ),
        InputTable(
            "assignments",
            "marts.fct_experiment_assignments",
            (("user_id", "VARCHAR"), ("variation", "VARCHAR"), ("first_assigned_at", "TIMESTAMP")),
        ),
    ),
    truth_file="_truth/search_truth.parquet",
    truth_probability="true_booking_probability",
)

CONVERSION = TaskSpec(
    task="conversion",
    domain="shop",
    table="ml.conversion_features",
    entity_id="session_id",
    features=(
        "views_before_decision",
        "addtocarts_before_decision",
        "events_before_decision",
        "distinct_items_before_decision",
        "repeat_view_share",
        "dwell_before_decision_s",
        "start_hour_utc",
        "start_weekday",
        "visitor_prior_sessions",
        "visitor_prior_purchase_sessions",
        "hours_since_previous_session",
        "mean_item_popularity",
    ),
    categorical=(),
    inputs=(
        InputTable(
            "events",
            "intermediate.int_events_sessionised",
            (
                ("session_id", "VARCHAR"),
                ("visitor_id", "BIGINT"),
                ("session_start_ms", "BIGINT"),
                ("event_ms", "BIGINT"),
                ("event_type", "VARCHAR"),
                ("item_id", "BIGINT"),
            ),
        ),
    ),
    truth_file="_truth/session_features_at_300s.parquet",
    truth_probability="true_conversion_probability",
)

FRAUD = TaskSpec(
    task="fraud",
    domain="payments",
    table="ml.fraud_features",
    entity_id="transaction_id",
    features=(
        "amount",
        "is_refund",
        "channel",
        "transaction_hour",
        "has_error",
        "error_count",
        "has_card_data_error",
        "is_foreign_merchant",
        "mcc_fraud_rate",
        "is_new_device",
        "is_new_merchant",
        "card_transactions_before",
        "seconds_since_card_previous",
        "card_count_60s",
        "card_amount_60s",
        "card_count_1h",
        "card_amount_1h",
        "card_count_24h",
        "card_amount_24h",
        "card_count_7d",
        "card_amount_7d",
        "amount_zscore_card",
        "km_since_previous_present",
        "seconds_since_previous_present",
        "kmh_since_previous_present",
    ),
    categorical=("channel",),
    inputs=(
        InputTable(
            "transactions",
            "marts.fct_transactions",
            (
                ("transaction_id", "BIGINT"),
                ("event_at", "TIMESTAMP"),
                ("card_id", "BIGINT"),
                ("amount", "DOUBLE"),
                ("channel", "VARCHAR"),
                ("merchant_id", "BIGINT"),
                ("merchant_state", "VARCHAR"),
                ("zip", "VARCHAR"),
                ("mcc", "BIGINT"),
                ("has_error", "BOOLEAN"),
                ("error_count", "INTEGER"),
                ("has_error_bad_card_number", "BOOLEAN"),
                ("has_error_bad_expiration", "BOOLEAN"),
                ("has_error_bad_cvv", "BOOLEAN"),
                ("device_id", "VARCHAR"),
                ("merchant_latitude", "DOUBLE"),
                ("merchant_longitude", "DOUBLE"),
                ("is_labelled", "BOOLEAN"),
                ("is_fraud", "BOOLEAN"),
            ),
        ),
    ),
    truth_file="_truth/transaction_truth.parquet",
    truth_probability="true_fraud_probability",
    label_may_be_null=True,
)

TASKS: dict[str, TaskSpec] = {spec.task: spec for spec in (BOOKING, CONVERSION, FRAUD)}
