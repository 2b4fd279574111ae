"""The fraud model in the stream: the champion bundle scores each step's streaming features."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from commercelens.config import Settings
from commercelens.errors import UserError
from commercelens.features.fraud import WINDOWS
from commercelens.ml.bundle import ModelBundle, predict_proba
from commercelens.stream.features import fraud_features
from commercelens.stream.state import CardState

# the longest card-history window the features read: the state keeps that much
KEEP_SECONDS = max(WINDOWS.values()) + 1


@dataclass
class FraudScorer:
    bundle: ModelBundle
    mcc_risk: Mapping[int, float]

    def __call__(self, state: CardState, step: pl.DataFrame) -> np.ndarray:
        features = fraud_features(state, step, self.mcc_risk)
        return predict_proba(self.bundle, features.drop("transaction_id", "decision_at"))


def load_scorer(settings: Settings) -> tuple[FraudScorer | None, str, int | None]:
    """(scorer, description, seconds of history to keep); no scorer, and why, without a model."""
    from commercelens.features.build import fraud_mcc_risk
    from commercelens.ml.tasks import champion
    from commercelens.warehouse import open_warehouse

    try:
        bundle = champion(settings, "fraud")
    except UserError as e:
        return None, str(e), None
    if settings.target == "duckdb" and not settings.duckdb_path.exists():
        return None, f"no warehouse at {settings.duckdb_path} for the MCC risk", None
    with open_warehouse(settings) as warehouse:
        mcc_risk = fraud_mcc_risk(warehouse)
    return FraudScorer(bundle, mcc_risk), f"fraud {bundle.family} trained {bundle.trained_at}", KEEP_SECONDS
