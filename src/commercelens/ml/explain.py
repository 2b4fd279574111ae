"""Global importance and per-row reason codes from exact TreeSHAP contributions.

Contributions are in the model's raw output units, before calibration: log-odds for LightGBM
(``pred_contrib=True``), XGBoost (``pred_contribs=True``) and CatBoost (``ShapValues``), which
compute exact TreeSHAP natively and fast; probability for ``random_forest`` (shap's
``TreeExplainer``, slower: explain a sample). ``logistic`` is not supported (its one-hot columns
would need mapping back to features; use its coefficients instead). Calibration is monotone, so
the ranking of reasons does not change.

A row's contributions plus the base value sum to its raw score. Reason codes are the ``k``
features with the largest absolute contribution, with their signed contribution.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import polars as pl

from commercelens.ml.bundle import ModelBundle, check_columns
from commercelens.ml.encoding import as_polars

EXPLAINABLE = ("lightgbm", "xgboost", "catboost", "random_forest")


def contributions(bundle: ModelBundle, frame: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-row, per-feature contributions ``(n, n_features)`` and the base values ``(n,)``."""
    if bundle.family not in EXPLAINABLE:
        raise ValueError(f"reason codes need a tree model ({', '.join(EXPLAINABLE)}), not {bundle.family}")
    frame = as_polars(frame)
    check_columns(bundle, frame.columns, strict=False)
    X = bundle.encoder.transform(frame)
    model = bundle.pipeline.named_steps["model"]
    if bundle.family == "lightgbm":
        values = model.booster_.predict(X, pred_contrib=True, num_iteration=model.best_iteration_ or None)
    elif bundle.family == "xgboost":
        from xgboost import DMatrix

        rounds = (0, int(model.best_iteration) + 1)
        values = model.get_booster().predict(DMatrix(X), pred_contribs=True, iteration_range=rounds)
    elif bundle.family == "catboost":
        from catboost import Pool

        values = model.get_feature_importance(Pool(X), type="ShapValues")
    else:
        with warnings.catch_warnings():
            # shap 0.51 calls Colormap.set_bad/set_over/set_under at import (pending deprecation in
            # matplotlib 3.11); nothing we can change from here.
            warnings.filterwarnings(
                "ignore", message="The set_(bad|over|under) function", category=PendingDeprecationWarning
            )
            import shap

        explainer = shap.TreeExplainer(model)
        shap_values = np.asarray(explainer.shap_values(X, check_additivity=False))
        expected = np.atleast_1d(explainer.expected_value)
        values = np.c_[shap_values[:, :, 1], np.full(X.shape[0], expected[-1])]
    values = np.asarray(values, dtype=np.float64)
    return values[:, :-1], values[:, -1]


def global_importance(bundle: ModelBundle, frame: Any) -> pl.DataFrame:
    """Mean absolute contribution per feature, largest first."""
    values, _ = contributions(bundle, frame)
    return pl.DataFrame(
        {"feature": list(bundle.feature_columns), "mean_abs_contribution": np.abs(values).mean(axis=0)}
    ).sort("mean_abs_contribution", descending=True)


def reason_codes(bundle: ModelBundle, frame: Any, k: int = 3) -> list[list[tuple[str, float]]]:
    """Top ``k`` (feature, signed contribution) per row, by absolute contribution."""
    values, _ = contributions(bundle, frame)
    k = min(k, values.shape[1])
    top = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :k]
    names = bundle.feature_columns
    return [[(names[j], float(values[i, j])) for j in row] for i, row in enumerate(top)]
