"""Evaluation outputs, explanations."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from commercelens.ml.evaluate import evaluate_bundle
from commercelens.ml.explain import contributions, global_importance, reason_codes
from commercelens.ml.models import raw_scores
from commercelens.ml.synthetic import synthetic_frame
from commercelens.ml.train import TrainConfig, train_model


@pytest.fixture(scope="module")
def data():
    return synthetic_frame(10_000, seed=4)


@pytest.fixture(scope="module")
def bundle(data):
    return train_model(data, TrainConfig(n_jobs=1))


def test_evaluate_writes_plots_data_and_json(tmp_path, data, bundle):
    result = evaluate_bundle(bundle, data.frame, tmp_path, truth="truth")
    for name in ("roc", "pr", "calibration", "gain", "importance"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1_000
        assert pl.read_csv(tmp_path / f"{name}.csv").height > 0
    printed = json.loads((tmp_path / "metrics.json").read_text())
    assert {"auc", "pr_auc", "brier", "ece", "oracle_auc", "oracle_pr_auc", "n_test"} <= set(printed)
    assert printed["n_test"] == 2_000 == result.predictions.height
    assert result.predictions.columns == ["row_id", "decision_at", "split", "label", "probability"]
    assert "vs oracle AUC" in result.summary()


def test_truth_as_an_array_equals_truth_as_a_column(data, bundle):
    test = data.labelled("test")
    by_column = evaluate_bundle(bundle, data.frame, truth="truth")
    by_array = evaluate_bundle(bundle, test, truth=test["truth"].to_numpy())
    assert by_column.oracle_auc == by_array.oracle_auc
    assert by_column.auc == by_array.auc


def test_contributions_sum_to_the_raw_score(data, bundle):
    rows = data.labelled("test").head(200)
    values, base = contributions(bundle, rows)
    raw = raw_scores("lightgbm", bundle.pipeline, bundle.encoder.transform(rows))
    assert np.allclose(1 / (1 + np.exp(-(values.sum(axis=1) + base))), raw, atol=1e-9)


def test_reason_codes_are_top_k_by_absolute_contribution(data, bundle):
    rows = data.labelled("test").head(5)
    values, _ = contributions(bundle, rows)
    reasons = reason_codes(bundle, rows, k=2)
    assert [len(r) for r in reasons] == [2] * 5
    for row_values, row_reasons in zip(values, reasons, strict=True):
        assert abs(row_reasons[0][1]) == pytest.approx(np.abs(row_values).max())


def test_global_importance_ranks_the_planted_strong_features_first(data, bundle):
    top = global_importance(bundle, data.labelled("test"))["feature"].head(3).to_list()
    assert set(top) <= {"x0", "x1", "x2", "channel"}
    assert "x0" in top
