"""One bundle per model: what training writes and serving loads.

A :class:`ModelBundle` carries the fitted Pipeline (encoder + estimator) and the calibrator, the
feature list and category vocabularies, decision thresholds, validation and test metrics, the data
window, a training-data hash, versions, the model family and when it was trained.

``save_bundle`` writes ``model.joblib`` (the bundle) and ``metadata.json`` (everything but the
fitted objects, for humans and the registry) atomically: each to a temporary file in the same
directory, then ``os.replace``. ``predict_proba`` scores a frame; ``predict_one`` scores a single
row from a mapping without building a frame (the serving fast path).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import polars as pl
from sklearn.pipeline import Pipeline

from commercelens.ml.calibration import Calibrator
from commercelens.ml.data import META_COLUMNS
from commercelens.ml.encoding import FrameEncoder, as_polars
from commercelens.ml.models import Family, raw_scores

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"


@dataclass(frozen=True)
class ModelBundle:
    """A fitted, calibrated model and everything needed to trust and serve it."""

    family: Family
    pipeline: Pipeline
    calibrator: Calibrator
    feature_columns: tuple[str, ...]
    categorical: tuple[str, ...]
    entity_id: str
    vocabularies: dict[str, list[str]]
    thresholds: dict[str, float]
    metrics: dict[str, dict[str, Any]]
    data_window: dict[str, tuple[str | None, str | None]]
    training_data_hash: str
    versions: dict[str, str]
    trained_at: str
    selection_metric: str
    params: dict[str, Any] = field(default_factory=dict)
    best_iteration: int | None = None
    calibration_losses: dict[str, float] = field(default_factory=dict)

    @property
    def encoder(self) -> FrameEncoder:
        return self.pipeline.named_steps["encode"]

    def metadata(self) -> dict[str, Any]:
        """Everything except the fitted objects, JSON-ready."""
        # not asdict(self): it would deep-copy the fitted pipeline only to drop it
        out = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("pipeline", "calibrator")
        }
        out["calibration"] = asdict(self.calibrator)
        return out


def check_columns(bundle: ModelBundle, columns: list[str], strict: bool = True) -> None:
    """Raise ``ValueError`` naming missing feature columns and (if ``strict``) unexpected ones.

    Allowed besides the features: the entity id, ``decision_at``, ``label`` and ``split``.
    """
    missing = [c for c in bundle.feature_columns if c not in columns]
    allowed = {*bundle.feature_columns, bundle.entity_id, *META_COLUMNS}
    unexpected = [c for c in columns if c not in allowed] if strict else []
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing columns: {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected columns: {', '.join(unexpected)}")
        raise ValueError(f"input does not match the model's features ({'; '.join(parts)})")


def predict_proba(bundle: ModelBundle, frame: Any, strict: bool = True) -> np.ndarray:
    """Calibrated P(label = 1) for every row of a polars or pandas frame.

    Parameters
    ----------
    bundle
        A trained bundle.
    frame
        Rows with (at least) the bundle's feature columns.
    strict
        Reject columns that are neither features nor the id / ``decision_at`` / ``label`` /
        ``split``.

    Returns
    -------
    numpy.ndarray of shape (n_rows,)
    """
    frame = as_polars(frame)
    check_columns(bundle, frame.columns, strict)
    X = bundle.encoder.transform(frame)
    return bundle.calibrator.predict(raw_scores(bundle.family, bundle.pipeline, X))


def predict_one(bundle: ModelBundle, row: Mapping[str, Any], strict: bool = True) -> float:
    """Calibrated probability of one row given as a mapping (the low-latency serving path)."""
    check_columns(bundle, list(row), strict)
    X = bundle.encoder.encode_row(row)
    return float(bundle.calibrator.predict(raw_scores(bundle.family, bundle.pipeline, X))[0])


def _atomic_write(path: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_bundle(bundle: ModelBundle, directory: Path) -> Path:
    """Write ``model.joblib`` and ``metadata.json`` into ``directory``; return the model path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    _atomic_write(model_path, lambda tmp: joblib.dump(bundle, tmp))
    text = json.dumps(bundle.metadata(), indent=2, default=str, sort_keys=True)
    _atomic_write(directory / METADATA_FILE, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return model_path


def load_bundle(path: Path) -> ModelBundle:
    """Load a bundle from ``model.joblib`` or the directory that holds it."""
    path = Path(path)
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.exists():
        raise FileNotFoundError(f"no model bundle at {path}")
    bundle = joblib.load(path)
    if not isinstance(bundle, ModelBundle):
        raise TypeError(f"{path} does not hold a ModelBundle but a {type(bundle).__name__}")
    return bundle


def scored_frame(bundle: ModelBundle, frame: pl.DataFrame, probability: np.ndarray) -> pl.DataFrame:
    """The id, split and label of scored rows plus their probability (``ml.<task>_predictions``)."""
    keep = [c for c in (bundle.entity_id, "decision_at", "split", "label") if c in frame.columns]
    return frame.select(keep).with_columns(pl.Series("probability", probability))
