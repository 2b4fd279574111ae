"""ml.<task>_features on the built warehouse: shape, time splits, agreement with the generators'
truth, idempotent rebuilds, and the same rows on PostgreSQL as on DuckDB."""

from __future__ import annotations

import math
from collections.abc import Iterator

import polars as pl
import pytest

from commercelens.features import SPLITS, TASKS, build_features
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.base import Warehouse


@pytest.fixture(scope="module")
def features_duckdb(built_duckdb) -> Iterator[tuple[Warehouse, dict[str, int]]]:
    """The built DuckDB warehouse with the three feature tables, and the rows written per task."""
    settings, _, _ = built_duckdb
    with open_warehouse(settings) as w:
        written = {task: build_features(w, task) for task in TASKS}
        yield w, written


def _frame(w: Warehouse, table: str) -> pl.DataFrame:
    return pl.from_arrow(w.fetch_arrow(f"select * from {table}"))  # type: ignore[return-value]


def _truth(built_duckdb, task: str) -> pl.DataFrame:
    spec = TASKS[task]
    return pl.read_parquet(built_duckdb[1] / spec.domain / spec.truth_file)


@pytest.mark.parametrize("task", list(TASKS))
def test_feature_table_has_the_whitelisted_columns_and_one_row_per_unit(features_duckdb, task):
    w, written = features_duckdb
    spec = TASKS[task]
    assert tuple(name for name, _ in w.columns(spec.table)) == spec.columns
    assert set(spec.categorical) <= set(spec.features)
    total, distinct, splits, bad_labels = w.fetch_all(
        f"select count(*), count(distinct {spec.entity_id}), list(distinct split), "
        f"count(*) filter (where label not in (0, 1)) from {spec.table}"
    )[0]
    assert total == distinct == written[task] > 0
    assert sorted(splits) == sorted(SPLITS)
    assert bad_labels == 0


@pytest.mark.parametrize("task", list(TASKS))
def test_splits_follow_time_train_then_validation_then_test(features_duckdb, task):
    w, _ = features_duckdb
    rows = w.fetch_all(
        f"select split, min(decision_at), max(decision_at), count(*) from {TASKS[task].table} group by split"
    )
    by_split = {split: (low, high, n) for split, low, high, n in rows}
    assert by_split["train"][1] < by_split["validation"][0]
    assert by_split["validation"][1] < by_split["test"][0]
    total = sum(n for _, _, n in by_split.values())
    assert by_split["train"][2] / total == pytest.approx(0.6, abs=0.01)
    assert by_split["test"][2] / total == pytest.approx(0.2, abs=0.01)


def test_booking_labels_history_and_discount_match_the_rail_truth(features_duckdb, built_duckdb):
    w, _ = features_duckdb
    features = _frame(w, "ml.booking_features")
    joined = features.join(_truth(built_duckdb, "booking"), on="search_id", how="full", coalesce=True)
    assert joined.height == features.height  # every search, nothing else
    assert (joined["label"] == joined["converted"].cast(pl.Int32)).all()
    assert (joined["user_successful_bookings_before"] == joined["prior_successful_bookings"]).all()
    assert (joined["is_discount_shown"] == joined["is_treated"].cast(pl.Int32)).all()


def test_conversion_units_and_observables_equal_the_generators_sessions_at_300s(
    features_duckdb, built_duckdb
):
    w, _ = features_duckdb
    features = _frame(w, "ml.conversion_features")
    truth = _truth(built_duckdb, "conversion")
    assert sorted(features["session_id"]) == sorted(truth["session_id"])
    joined = features.join(truth, on="session_id", suffix="_truth")
    same_name = [
        "views_before_decision",
        "addtocarts_before_decision",
        "distinct_items_before_decision",
        "dwell_before_decision_s",
        "start_hour_utc",
    ]
    for column in same_name:
        assert (
            joined[column].cast(pl.Float64) - joined[f"{column}_truth"].cast(pl.Float64)
        ).abs().max() < 1e-9
    assert (joined["visitor_prior_sessions"] == joined["prior_sessions"]).all()
    assert (joined["visitor_prior_purchase_sessions"] == joined["prior_purchase_sessions"]).all()
    decision_ms = joined["decision_at"].dt.epoch("ms")
    assert (decision_ms == joined["decision_at_ms"]).all()
    # Popularity from earlier views estimates the generator's item popularity.
    assert joined.select(pl.corr("mean_item_popularity", "mean_item_popularity_z")).item() > 0.8
    outcomes = pl.read_parquet(built_duckdb[1] / "shop" / "_truth" / "session_truth.parquet")
    labelled = features.join(outcomes, on="session_id")
    assert (labelled["label"] == labelled["converted_after_300s"].cast(pl.Int32)).all()


def test_fraud_labels_match_the_truth_and_unlabelled_transactions_are_kept(features_duckdb, built_duckdb):
    w, _ = features_duckdb
    features = _frame(w, "ml.fraud_features")
    truth = _truth(built_duckdb, "fraud")
    assert features.height == truth.height
    joined = features.join(truth, on="transaction_id")
    labelled = joined.filter(pl.col("is_labelled"))
    assert (labelled["label"] == labelled["is_fraud"].cast(pl.Int32)).all()
    assert joined.filter(~pl.col("is_labelled"))["label"].null_count() == (~joined["is_labelled"]).sum() > 0
    # The planted bursts show in the card's 60-second window.
    burst = joined.filter(pl.col("pattern").is_in(["card_testing", "velocity"]))
    assert burst["card_count_60s"].mean() > 1.5 > joined["card_count_60s"].mean()


def test_fraud_mcc_risk_after_the_training_window_uses_only_training_labels(features_duckdb):
    w, _ = features_duckdb
    # Every validation and test row of one MCC sees the same (whole) training window.
    spread = w.fetch_all(
        "select max(n) from (select count(distinct mcc_fraud_rate) as n from ml.fraud_features t "
        "join marts.fct_transactions using (transaction_id) where split <> 'train' group by mcc)"
    )[0][0]
    assert spread == 1


def test_rebuilding_replaces_the_table_with_the_same_rows(features_duckdb):
    w, written = features_duckdb
    before = _frame(w, "ml.booking_features").sort("search_id")
    assert build_features(w, "booking") == written["booking"]
    assert _frame(w, "ml.booking_features").sort("search_id").equals(before)


def _same_value(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    return left == right


@pytest.mark.postgres
def test_postgres_features_equal_duckdb_row_for_row(features_duckdb, built_postgres):
    duck, _ = features_duckdb
    with open_warehouse(built_postgres[0]) as pg:
        for task, spec in TASKS.items():
            assert build_features(pg, task) > 0
            assert pg.columns(spec.table) and [c for c, _ in pg.columns(spec.table)] == list(spec.columns)
            query = f"select * from {spec.table}"  # sorted here: PostgreSQL's collation may differ
            on_duckdb = sorted(duck.fetch_all(query), key=lambda row: row[0])
            on_postgres = sorted(pg.fetch_all(query), key=lambda row: row[0])
            assert len(on_duckdb) == len(on_postgres)
            for left, right in zip(on_duckdb, on_postgres, strict=True):
                assert all(_same_value(a, b) for a, b in zip(left, right, strict=True)), (task, left, right)
