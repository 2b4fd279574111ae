"""MLflow tracking and model registry in a local SQLite store under the workdir.

Store: ``sqlite:///<workdir>/mlflow.db`` for runs and the registry, artifacts under
``<workdir>/mlartifacts``. mlflow-skinny 3.17 refuses the plain-file store (``./mlruns`` is in
maintenance mode and raises unless ``MLFLOW_ALLOW_FILE_STORE=true``), and the SQLite store needs
SQLAlchemy and Alembic, which are installed (Optuna depends on both). Full ``mlflow`` (with the
UI) is not installed because it pins ``pyarrow<26``; to browse the runs, run the UI from a
separate environment: ``uvx mlflow ui --backend-store-uri sqlite:///<workdir>/mlflow.db``.

Each training run logs its parameters, validation and test metrics and the saved bundle directory
as the artifact ``bundle``, and registers a new version of ``commercelens-<task>``. The alias
``champion`` moves to the new version when it was trained on other data than the champion (a
different training-data hash: new days, another scale, data after an erasure; validation scores
on different rows are not comparable, and the newer data wins), or, on the same data, when its
validation score on the bundle's ``selection_metric`` (PR-AUC for fraud, ROC-AUC otherwise; see
``TrainConfig``) is strictly higher than the champion's; the first version becomes champion.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from commercelens.ml.bundle import ModelBundle

CHAMPION = "champion"
# A local-first tool phones nowhere: MLflow's usage telemetry stays off unless the user opts in.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@dataclass(frozen=True)
class RegistrationResult:
    """What happened to a new model version."""

    run_id: str
    model_name: str
    version: int
    is_champion: bool
    metric: str
    score: float | None
    previous_champion: int | None
    previous_score: float | None


def tracking_uri(workdir: Path) -> str:
    """The SQLite tracking and registry URI for a workdir."""
    return f"sqlite:///{Path(workdir).resolve() / 'mlflow.db'}"


def model_name(task: str) -> str:
    return f"commercelens-{task}"


@contextmanager
def _client(workdir: Path) -> Iterator[object]:
    with warnings.catch_warnings():
        # mlflow 3.17's SQLAlchemy models use the `noload` strategy that SQLAlchemy 2.1 deprecates.
        warnings.filterwarnings(
            "ignore", message="The ``noload`` loader strategy", category=DeprecationWarning
        )
        from mlflow import MlflowClient

        # Creating the SQLite store logs its migrations at INFO on stderr: noise for a CLI user.
        for name in ("mlflow.store.db.utils", "alembic.runtime.migration"):
            logging.getLogger(name).setLevel(logging.WARNING)
        uri = tracking_uri(workdir)
        yield MlflowClient(tracking_uri=uri, registry_uri=uri)


def _experiment_id(client, task: str, workdir: Path) -> str:
    name = model_name(task)
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    artifacts = (Path(workdir).resolve() / "mlartifacts").as_uri()
    return client.create_experiment(name, artifact_location=artifacts)


def _validation_score(bundle: ModelBundle) -> float | None:
    return bundle.metrics.get("validation", {}).get(bundle.selection_metric)


def register_bundle(bundle: ModelBundle, bundle_dir: Path, task: str, workdir: Path) -> RegistrationResult:
    """Log a run for a saved bundle, register it, and move ``champion`` if it is better.

    Parameters
    ----------
    bundle
        The trained bundle (its metrics and parameters are logged).
    bundle_dir
        The directory ``save_bundle`` wrote (logged as the run's ``bundle`` artifact).
    task
        ``booking``, ``conversion`` or ``fraud``: the registered model is ``commercelens-<task>``.
    workdir
        Holds ``mlflow.db`` and ``mlartifacts/``.
    """
    from mlflow.exceptions import MlflowException

    name = model_name(task)
    score = _validation_score(bundle)
    with _client(workdir) as client:
        run = client.create_run(_experiment_id(client, task, workdir), run_name=f"{task}-{bundle.family}")
        run_id = run.info.run_id
        params = {k: str(v) for k, v in bundle.params.items()}
        params |= {"family": bundle.family, "calibration": bundle.calibrator.method}
        params |= {
            "selection_metric": bundle.selection_metric,
            "n_features": str(len(bundle.feature_columns)),
        }
        for key, value in params.items():
            client.log_param(run_id, key, value[:6000])
        for split in ("validation", "test", "test_oracle"):
            for key, value in _flat(bundle.metrics.get(split, {})).items():
                client.log_metric(run_id, f"{split}_{key}", value)
        for key in ("training_data_hash", "trained_at"):
            client.set_tag(run_id, key, getattr(bundle, key))
        client.log_artifacts(run_id, str(bundle_dir), "bundle")
        client.set_terminated(run_id)
        try:
            client.get_registered_model(name)
        except MlflowException:
            client.create_registered_model(name)
        version = int(client.create_model_version(name, f"runs:/{run_id}/bundle", run_id=run_id).version)
        client.set_model_version_tag(name, str(version), bundle.selection_metric, str(score))
        client.set_model_version_tag(name, str(version), "training_data_hash", bundle.training_data_hash)
        previous, previous_score, previous_hash = _champion(client, name, bundle.selection_metric)
        # Validation scores are comparable only on the same data: a model trained on other data
        # (new days, another scale, data after an erasure) replaces the champion.
        new_data = previous_hash != bundle.training_data_hash
        better = (
            previous is None
            or new_data
            or (score is not None and (previous_score is None or score > previous_score))
        )
        if better:
            client.set_registered_model_alias(name, CHAMPION, str(version))
    return RegistrationResult(
        run_id, name, version, better, bundle.selection_metric, score, previous, previous_score
    )


def _flat(metrics: dict) -> dict[str, float]:
    skip = {"status", "top_k"}
    out = {k: float(v) for k, v in metrics.items() if k not in skip and isinstance(v, int | float)}
    for row in metrics.get("top_k", ()):
        tag = f"{round(row['share'] * 100)}pct"
        out |= {f"{m}_at_{tag}": float(row[m]) for m in ("precision", "recall", "lift")}
    return out


def _champion(client, name: str, metric: str) -> tuple[int | None, float | None, str | None]:
    """The champion's version, validation score and training-data hash (Nones without one)."""
    from mlflow.exceptions import MlflowException

    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None, None, None
    value = version.tags.get(metric)
    score = None if value in (None, "None") else float(value)
    return int(version.version), score, version.tags.get("training_data_hash")


def champion_bundle_path(task: str, workdir: Path) -> Path:
    """Local path of the champion's bundle directory (for ``predict`` and serving)."""
    from mlflow.exceptions import MlflowException

    with _client(workdir) as client:
        try:
            version = client.get_model_version_by_alias(model_name(task), CHAMPION)
        except MlflowException as exc:
            raise LookupError(f"no champion model for {task!r} in {tracking_uri(workdir)}") from exc
        root = client.get_run(version.run_id).info.artifact_uri
    return Path(root.removeprefix("file://")) / "bundle"
