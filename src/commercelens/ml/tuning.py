"""Optional hyper-parameter search with Optuna, under a wall-clock budget, on validation only.

Each trial fits on the training rows, early-stops on the early-stopping half of validation and
is scored there with the selection metric (ROC-AUC or PR-AUC). The family's defaults are the
first trial, so tuning can only match or beat them on that half. The calibration half and the
test split are never seen. Optuna checks the budget between trials, so the search can overrun
``tune_seconds`` by one trial.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import optuna

from commercelens.ml.models import DEFAULTS, Family

Space = Callable[[optuna.Trial], dict[str, Any]]


def _lightgbm(t: optuna.Trial) -> dict[str, Any]:
    return {
        "learning_rate": t.suggest_float("learning_rate", 0.02, 0.2, log=True),
        "num_leaves": t.suggest_int("num_leaves", 7, 127, log=True),
        "min_child_samples": t.suggest_int("min_child_samples", 10, 300, log=True),
        "colsample_bytree": t.suggest_float("colsample_bytree", 0.5, 1.0),
        "subsample": t.suggest_float("subsample", 0.5, 1.0),
        "reg_lambda": t.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
    }


def _xgboost(t: optuna.Trial) -> dict[str, Any]:
    return {
        "learning_rate": t.suggest_float("learning_rate", 0.02, 0.2, log=True),
        "max_depth": t.suggest_int("max_depth", 3, 10),
        "min_child_weight": t.suggest_float("min_child_weight", 1.0, 100.0, log=True),
        "subsample": t.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": t.suggest_float("colsample_bytree", 0.5, 1.0),
    }


def _catboost(t: optuna.Trial) -> dict[str, Any]:
    return {
        "learning_rate": t.suggest_float("learning_rate", 0.02, 0.2, log=True),
        "depth": t.suggest_int("depth", 4, 8),
        "l2_leaf_reg": t.suggest_float("l2_leaf_reg", 0.5, 30.0, log=True),
    }


def _logistic(t: optuna.Trial) -> dict[str, Any]:
    return {"C": t.suggest_float("C", 1e-3, 100.0, log=True)}


def _random_forest(t: optuna.Trial) -> dict[str, Any]:
    return {
        "min_samples_leaf": t.suggest_int("min_samples_leaf", 1, 200, log=True),
        "max_features": t.suggest_float("max_features", 0.2, 1.0),
    }


SPACES: dict[Family, Space] = {
    "lightgbm": _lightgbm,
    "xgboost": _xgboost,
    "catboost": _catboost,
    "logistic": _logistic,
    "random_forest": _random_forest,
}


def tune(
    family: Family,
    score: Callable[[dict[str, Any]], float],
    seconds: float,
    seed: int = 0,
) -> tuple[dict[str, Any], int]:
    """Search ``family``'s space for the parameters that maximise ``score(params)``.

    ``score`` fits a model with the given parameters and returns the selection metric on the
    early-stopping rows. Returns the best parameters and the number of finished trials.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    space = SPACES[family]
    # numeric defaults only: a string default ("sqrt") is outside the float range searched.
    names = _names(space)
    defaults = {k: v for k, v in DEFAULTS[family].items() if k in names and not isinstance(v, str)}
    study.enqueue_trial(defaults)

    def objective(trial: optuna.Trial) -> float:
        value = score(space(trial))
        return value if np.isfinite(value) else 0.0

    study.optimize(objective, timeout=seconds)
    return dict(study.best_params), len(study.trials)


def _names(space: Space) -> set[str]:
    """Parameter names of a search space (asked once on a throw-away in-memory study)."""
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    space(trial)
    return set(trial.params)
