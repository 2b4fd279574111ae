"""Training on a synthetic task with known probabilities: quality, families, leakage guards."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from commercelens.errors import UserError
from commercelens.ml.bundle import predict_proba
from commercelens.ml.data import TrainingFrame
from commercelens.ml.evaluate import evaluate_bundle
from commercelens.ml.models import FAMILIES
from commercelens.ml.synthetic import synthetic_frame
from commercelens.ml.train import TrainConfig, train_model

SMALL = {
    "lightgbm": {"n_estimators": 200},
    "xgboost": {"n_estimators": 200},
    "catboost": {"iterations": 200},
    "logistic": {},
    "random_forest": {"n_estimators": 30},
}


@pytest.fixture(scope="module")
def large():
    return synthetic_frame(100_000, seed=11)


@pytest.fixture(scope="module")
def lightgbm_large(large):
    return train_model(large, TrainConfig(n_jobs=1))


def test_lightgbm_reaches_97_percent_of_oracle_auc_and_is_calibrated(large, lightgbm_large):
    result = evaluate_bundle(lightgbm_large, large.frame, truth="truth")
    assert result.n_test == 20_000
    assert result.auc >= 0.97 * result.oracle_auc
    assert result.pr_auc >= 0.9 * result.oracle_pr_auc
    assert result.ece <= 0.02


def test_bundle_records_window_hash_thresholds_and_both_metric_sets(large, lightgbm_large):
    b = lightgbm_large
    assert set(b.metrics) == {"validation", "test", "test_oracle"}
    assert b.data_window["train"][1] < b.data_window["validation"][0] <= b.data_window["test"][0]
    assert b.training_data_hash == large.training_hash()
    assert 0 < b.thresholds["top_5pct"] <= b.thresholds["top_1pct"] < 1
    assert b.vocabularies == {"channel": ["a", "b", "c", "d", "e", "f"]}
    assert b.best_iteration < 2000  # early stopping stopped it


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_trains_and_beats_chance_by_far(family):
    data = synthetic_frame(12_000, seed=5)
    bundle = train_model(data, TrainConfig(family=family, params=SMALL[family], n_jobs=1))
    auc, oracle = bundle.metrics["test"]["roc_auc"], bundle.metrics["test_oracle"]["roc_auc"]
    assert auc >= 0.9 * oracle
    assert bundle.calibrator.method in ("isotonic", "sigmoid")


def test_test_rows_do_not_influence_the_fitted_model():
    data = synthetic_frame(12_000, seed=7)
    scrambled = data.frame.with_columns(
        pl.when(pl.col("split") == "test")
        .then(1 - pl.col("label"))
        .otherwise(pl.col("label"))
        .alias("label"),
        pl.when(pl.col("split") == "test").then(pl.col("x0") * -5).otherwise(pl.col("x0")).alias("x0"),
    )
    other = TrainingFrame(scrambled, data.feature_columns, data.categorical, data.entity_id, data.truth)
    a = train_model(data, TrainConfig(n_jobs=1))
    b = train_model(other, TrainConfig(n_jobs=1))
    validation = data.labelled("validation").drop("truth")
    assert a.best_iteration == b.best_iteration
    assert a.thresholds == b.thresholds
    assert np.array_equal(predict_proba(a, validation), predict_proba(b, validation))
    assert a.metrics["test"] != b.metrics["test"]  # the test split did change


def test_unlabelled_rows_are_ignored():
    data = synthetic_frame(12_000, seed=7)
    unlabelled = pl.DataFrame({**{c: data.frame[c][:500] for c in data.frame.columns}}).with_columns(
        pl.lit(None, dtype=pl.Int8).alias("label"), (pl.col("row_id") + 1_000_000).alias("row_id")
    )
    padded = TrainingFrame(
        pl.concat([data.frame, unlabelled]), data.feature_columns, data.categorical, "row_id", "truth"
    )
    a, b = train_model(data, TrainConfig(n_jobs=1)), train_model(padded, TrainConfig(n_jobs=1))
    assert a.training_data_hash == b.training_data_hash
    assert a.metrics["test"] == b.metrics["test"]


def test_tuning_respects_its_budget_and_keeps_the_defaults_as_a_candidate():
    data = synthetic_frame(8_000, seed=3)
    bundle = train_model(data, TrainConfig(n_jobs=1, tune_seconds=2.0, params={"n_estimators": 150}))
    assert bundle.params["tuning_trials"] >= 1
    assert bundle.metrics["test"]["roc_auc"] >= 0.9 * bundle.metrics["test_oracle"]["roc_auc"]


def test_a_split_without_positives_is_a_user_error():
    data = synthetic_frame(4_000, seed=3)
    no_pos = data.frame.with_columns(
        pl.when(pl.col("split") == "validation")
        .then(0)
        .otherwise(pl.col("label"))
        .cast(pl.Int8)
        .alias("label")
    )
    with pytest.raises(UserError, match="early-stopping half of validation"):
        train_model(
            TrainingFrame(no_pos, data.feature_columns, data.categorical, "row_id"), TrainConfig(n_jobs=1)
        )


@pytest.mark.parametrize(("imbalance", "expected"), [("none", 1.0), ("sqrt", 2.0), ("balanced", 4.0)])
def test_imbalance_sets_the_positive_weight_of_the_booster(imbalance, expected):
    data = synthetic_frame(6_000, seed=3, intercept=-1.9)  # 20% positive in train: ratio 4.01
    bundle = train_model(data, TrainConfig(n_jobs=1, imbalance=imbalance, params={"n_estimators": 30}))
    weight = bundle.params["positive_weight"]
    assert weight == pytest.approx(expected, rel=0.01)
    assert bundle.pipeline.named_steps["model"].get_params()["scale_pos_weight"] == weight
