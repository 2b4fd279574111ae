"""The MLflow registry on a real local SQLite store (no mocks)."""

from __future__ import annotations

import dataclasses

import pytest

from commercelens.ml.bundle import load_bundle, save_bundle
from commercelens.ml.registry import champion_bundle_path, register_bundle, tracking_uri
from commercelens.ml.synthetic import synthetic_frame
from commercelens.ml.train import TrainConfig, train_model


@pytest.fixture(scope="module")
def bundle():
    return train_model(synthetic_frame(6_000, seed=9), TrainConfig(n_jobs=1, params={"n_estimators": 60}))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """One store for the module (creating the SQLite schema takes a few seconds); one task per test."""
    return tmp_path_factory.mktemp("registry")


def _with_validation_score(bundle, score):
    metrics = {**bundle.metrics, "validation": {**bundle.metrics["validation"], "roc_auc": score}}
    return dataclasses.replace(bundle, metrics=metrics)


def test_champion_moves_only_to_a_strictly_better_model(workdir, bundle):
    first = _with_validation_score(bundle, 0.70)
    save_bundle(first, workdir / "v1")
    r1 = register_bundle(first, workdir / "v1", "booking", workdir)
    assert (r1.version, r1.is_champion, r1.previous_champion) == (1, True, None)

    worse = _with_validation_score(bundle, 0.69)
    save_bundle(worse, workdir / "v2")
    r2 = register_bundle(worse, workdir / "v2", "booking", workdir)
    assert (r2.version, r2.is_champion, r2.previous_champion, r2.previous_score) == (2, False, 1, 0.70)

    tie = _with_validation_score(bundle, 0.70)
    save_bundle(tie, workdir / "v3")
    assert not register_bundle(tie, workdir / "v3", "booking", workdir).is_champion

    better = _with_validation_score(bundle, 0.71)
    save_bundle(better, workdir / "v4")
    r4 = register_bundle(better, workdir / "v4", "booking", workdir)
    assert (r4.version, r4.is_champion, r4.previous_champion) == (4, True, 1)

    champion = load_bundle(champion_bundle_path("booking", workdir))
    assert champion.metrics["validation"]["roc_auc"] == 0.71
    assert tracking_uri(workdir).startswith("sqlite:///") and (workdir / "mlflow.db").exists()


def test_runs_carry_params_metrics_and_the_bundle_artifact(workdir, bundle):
    from mlflow import MlflowClient

    save_bundle(bundle, workdir / "fraud")
    result = register_bundle(bundle, workdir / "fraud", "fraud", workdir)
    client = MlflowClient(tracking_uri=tracking_uri(workdir), registry_uri=tracking_uri(workdir))
    run = client.get_run(result.run_id)
    assert run.data.params["family"] == "lightgbm"
    assert run.data.metrics["test_roc_auc"] == pytest.approx(bundle.metrics["test"]["roc_auc"])
    assert "validation_precision_at_5pct" in run.data.metrics
    assert run.data.tags["training_data_hash"] == bundle.training_data_hash
    assert {a.path for a in client.list_artifacts(result.run_id, "bundle")} == {
        "bundle/model.joblib",
        "bundle/metadata.json",
    }


def test_no_champion_is_a_lookup_error(workdir):
    with pytest.raises(LookupError, match="no champion model for 'conversion'"):
        champion_bundle_path("conversion", workdir)


def test_a_model_trained_on_other_data_replaces_the_champion_even_if_it_scores_lower(workdir, bundle):
    # Scores on different validation rows are not comparable: new data wins (e.g. after an erasure).
    first = _with_validation_score(bundle, 0.80)
    save_bundle(first, workdir / "d1")
    assert register_bundle(first, workdir / "d1", "conversion", workdir).is_champion
    retrained = dataclasses.replace(_with_validation_score(bundle, 0.75), training_data_hash="other-data")
    save_bundle(retrained, workdir / "d2")
    result = register_bundle(retrained, workdir / "d2", "conversion", workdir)
    assert result.is_champion and result.previous_champion == 1
    assert load_bundle(champion_bundle_path("conversion", workdir)).training_data_hash == "other-data"
