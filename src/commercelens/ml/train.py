"""``train_model``: a TrainingFrame in, a calibrated ModelBundle out.

Procedure (rows with a null label are ignored throughout):

1. Splits come from the ``split`` column (time-based: test is the latest period). The validation
   split is cut by time into two halves: the **early-stopping half** (earlier) and the
   **calibration half** (later).
2. The encoder learns category vocabularies on the training rows only.
3. Optional Optuna search (``tune_seconds > 0``): fit on train, score on the early-stopping half.
4. Fit on train; boosters early-stop on the early-stopping half (never on the test split).
5. Calibrate on the calibration half: isotonic or sigmoid, chosen by cross-fitted log loss
   (:mod:`commercelens.ml.calibration`). Thresholds are read off the calibrated probabilities of
   the same half: the F1-optimal one and the scores that flag the top 1% and 5%.
6. Metrics on the whole validation split and on the test split (and the oracle's on test when a
   truth column is given). The test split is scored only after everything is fitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import polars as pl

from commercelens.errors import UserError
from commercelens.ml.bundle import ModelBundle
from commercelens.ml.calibration import choose_calibrator
from commercelens.ml.data import TrainingFrame
from commercelens.ml.encoding import FrameEncoder
from commercelens.ml.metrics import average_precision, binary_metrics, f1_optimal_threshold, roc_auc, top_k
from commercelens.ml.models import (
    Family,
    Imbalance,
    SelectionMetric,
    best_iteration,
    fit_model,
    make_model,
    positive_weight,
    raw_scores,
)

FAMILY_PACKAGES = {"lightgbm": "lightgbm", "xgboost": "xgboost", "catboost": "catboost"}


@dataclass(frozen=True)
class TrainConfig:
    """How to train.

    ``selection_metric`` drives early stopping, tuning and the registry's champion rule
    (``pr_auc`` suits rare positives such as fraud, ``roc_auc`` the rest). ``trained_at`` is
    injected for reproducible bundles; ``None`` means now (UTC).
    """

    family: Family = "lightgbm"
    params: dict[str, Any] = field(default_factory=dict)
    imbalance: Imbalance = "none"
    selection_metric: SelectionMetric = "roc_auc"
    tune_seconds: float = 0.0
    n_jobs: int = 2
    seed: int = 0
    trained_at: datetime | None = None


def _labels(rows: pl.DataFrame) -> np.ndarray:
    return rows.get_column("label").cast(pl.Int8).to_numpy().astype(np.float64)


def _require_both_classes(name: str, y: np.ndarray) -> None:
    if y.size == 0 or y.min() == y.max():
        raise UserError(
            f"the {name} rows need both labels 0 and 1 (got {y.size} rows, {int(y.sum())} positive)"
        )


def _score(metric: SelectionMetric, y: np.ndarray, p: np.ndarray) -> float:
    return roc_auc(y, p) if metric == "roc_auc" else average_precision(y, p)


def _versions(family: Family) -> dict[str, str]:
    names = ["commercelens", "scikit-learn", "numpy", "polars"]
    if family in FAMILY_PACKAGES:
        names.append(FAMILY_PACKAGES[family])
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "unknown"
    return out


def train_model(data: TrainingFrame, config: TrainConfig | None = None) -> ModelBundle:
    """Fit, early-stop, (optionally) tune and calibrate one model; return its bundle.

    Parameters
    ----------
    data
        The task's training frame (train / validation / test by time).
    config
        Family, parameters, imbalance handling, selection metric, tuning budget.

    Returns
    -------
    ModelBundle
        Fitted pipeline, calibrator, thresholds, metrics (``validation``, ``test``,
        ``test_oracle``), data window, training-data hash.
    """
    config = config or TrainConfig()
    train, validation = data.labelled("train"), data.labelled("validation")
    half = validation.height // 2
    stopping, calibration = validation.head(half), validation.slice(half)
    y_train, y_stop, y_cal = _labels(train), _labels(stopping), _labels(calibration)
    for name, y in (("train", y_train), ("early-stopping half of validation", y_stop)):
        _require_both_classes(name, y)
    _require_both_classes("calibration half of validation", y_cal)

    encoder = FrameEncoder(data.feature_columns, data.categorical).fit(train)
    X_train, X_stop, X_cal = (encoder.transform(f) for f in (train, stopping, calibration))
    weight = positive_weight(y_train, config.imbalance)

    def fit(params: dict[str, Any]):
        model = make_model(config.family, params, weight, config.selection_metric, config.n_jobs, config.seed)
        return fit_model(config.family, model, encoder, (X_train, y_train), (X_stop, y_stop))

    params = dict(config.params)
    if config.tune_seconds > 0:
        from commercelens.ml.tuning import tune

        def score(trial_params: dict[str, Any]) -> float:
            pipeline = fit({**params, **trial_params})
            return _score(config.selection_metric, y_stop, raw_scores(config.family, pipeline, X_stop))

        best, n_trials = tune(config.family, score, config.tune_seconds, config.seed)
        params = {**params, **best}
        params_log = {"tuning_trials": n_trials}
    else:
        params_log = {}
    pipeline = fit(params)

    calibrator, losses = choose_calibrator(raw_scores(config.family, pipeline, X_cal), y_cal)
    p_cal = calibrator.predict(raw_scores(config.family, pipeline, X_cal))
    shares = top_k(y_cal, p_cal, (0.01, 0.05))
    thresholds = {
        "f1": f1_optimal_threshold(y_cal, p_cal),
        "top_1pct": shares[0].threshold,
        "top_5pct": shares[1].threshold,
    }

    def probabilities(rows: pl.DataFrame) -> np.ndarray:
        return calibrator.predict(raw_scores(config.family, pipeline, encoder.transform(rows)))

    metrics = {"validation": binary_metrics(_labels(validation), probabilities(validation)).as_dict()}
    test = data.labelled("test")
    metrics["test"] = binary_metrics(_labels(test), probabilities(test)).as_dict()
    if data.truth is not None:
        truth = test.get_column(data.truth).cast(pl.Float64).to_numpy()
        metrics["test_oracle"] = binary_metrics(_labels(test), truth).as_dict()

    window = {
        split: tuple(None if t is None else str(t) for t in bounds)
        for split, bounds in data.data_window().items()
    }
    trained_at = config.trained_at or datetime.now(UTC)
    return ModelBundle(
        family=config.family,
        pipeline=pipeline,
        calibrator=calibrator,
        feature_columns=tuple(data.feature_columns),
        categorical=tuple(data.categorical),
        entity_id=data.entity_id,
        vocabularies=encoder.vocabularies_,
        thresholds=thresholds,
        metrics=metrics,
        data_window=window,  # type: ignore[arg-type]
        training_data_hash=data.training_hash(),
        versions=_versions(config.family),
        trained_at=trained_at.isoformat(),
        selection_metric=config.selection_metric,
        params={**params, **params_log, "imbalance": config.imbalance, "positive_weight": weight},
        best_iteration=best_iteration(config.family, pipeline),
        calibration_losses=losses,
    )
