"""Bundle save/load, the single-row fast path and input validation."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from commercelens.ml.bundle import load_bundle, predict_one, predict_proba, save_bundle
from commercelens.ml.synthetic import synthetic_frame
from commercelens.ml.train import TrainConfig, train_model


@pytest.fixture(scope="module")
def data():
    return synthetic_frame(10_000, seed=2)


@pytest.fixture(scope="module", params=["lightgbm", "xgboost", "logistic"])
def bundle(request, data):
    return train_model(
        data,
        TrainConfig(
            family=request.param,
            params={"n_estimators": 100} if request.param != "logistic" else {},
            n_jobs=1,
        ),
    )


def test_save_load_round_trip_gives_identical_predictions(tmp_path, data, bundle):
    rows = data.labelled("test").drop("truth")
    path = save_bundle(bundle, tmp_path / "model")
    loaded = load_bundle(path.parent)
    assert np.array_equal(predict_proba(loaded, rows), predict_proba(bundle, rows))
    assert (tmp_path / "model" / "metadata.json").exists()
    assert [p.name for p in (tmp_path / "model").iterdir() if p.name.startswith(".")] == []


def test_single_row_fast_path_equals_batch_and_the_sklearn_wrapper(data, bundle):
    rows = data.labelled("test").drop("truth").head(50)
    batch = predict_proba(bundle, rows)
    single = [predict_one(bundle, row) for row in rows.iter_rows(named=True)]
    wrapper = bundle.calibrator.predict(bundle.pipeline.predict_proba(rows)[:, 1])
    assert np.allclose(single, batch, rtol=0, atol=1e-12)
    assert np.allclose(wrapper, batch, rtol=0, atol=1e-12)


def test_missing_and_unexpected_columns_are_named(data, bundle):
    rows = data.labelled("test").drop("x2", "x4").with_columns(pl.lit(1).alias("surprise"))
    with pytest.raises(ValueError, match=r"missing columns: x2, x4; unexpected columns: truth, surprise"):
        predict_proba(bundle, rows)
    with pytest.raises(ValueError, match="missing columns: channel"):
        predict_one(bundle, {c: 0.0 for c in bundle.feature_columns if c != "channel"})


def test_unknown_category_and_nulls_still_score(bundle):
    row = {c: None for c in bundle.feature_columns} | {"channel": "never-seen"}
    assert 0 < predict_one(bundle, row) < 1


def test_loading_something_else_fails_clearly(tmp_path):
    import joblib

    joblib.dump({"not": "a bundle"}, tmp_path / "model.joblib")
    with pytest.raises(TypeError, match="does not hold a ModelBundle"):
        load_bundle(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_bundle(tmp_path / "nowhere")
