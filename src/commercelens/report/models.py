"""Model quality for the report: each task's champion against the oracle, with its plots.

The champion is the bundle the MLflow alias `champion` points at (what `predict` and serving
load); its `metadata.json` holds the test metrics of the model and of the oracle (the
generator's true probabilities) computed at training time, so nothing is re-scored here and
the fitted model is never loaded. The plots are the PNG files the last evaluation of the task
wrote under `<workdir>/reports/models/<task>/` (see `ml/evaluate.py`), embedded as they are.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from commercelens.config import Settings
from commercelens.features import TASKS
from commercelens.report.data import NotAvailable

__all__ = ["TASKS", "ModelQuality", "model_quality"]
PLOTS = ("roc", "pr", "calibration")
# (key in the bundle's metrics, label, True when higher is better)
METRICS = (
    ("roc_auc", "ROC-AUC", True),
    ("pr_auc", "PR-AUC", True),
    ("brier", "Brier score", False),
    ("log_loss", "log loss", False),
    ("ece", "ECE (calibration error)", False),
    ("ks", "KS", True),
)


@dataclass(frozen=True)
class MetricComparison:
    name: str
    model: float | None
    oracle: float | None
    higher_is_better: bool

    @property
    def ratio(self) -> float | None:
        """Model / oracle, shown for the ranking metrics only (1.0 = as good as the truth)."""
        if not self.higher_is_better or self.model is None or not self.oracle:
            return None
        return self.model / self.oracle


@dataclass(frozen=True)
class ModelQuality:
    task: str
    family: str
    trained_at: str
    calibration: str
    n_test: int | None
    n_positive: int | None
    test_window: tuple[str | None, str | None]
    metrics: tuple[MetricComparison, ...]
    plots: dict[str, bytes]  # name -> PNG bytes, in PLOTS order, only those on disk
    note: str | None = None  # when the plots do not match the champion's test metrics


def _hint(task: str) -> str:
    return f"run `commercelens demo` (or `commercelens train {task}`)"


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def champion_metadata(settings: Settings, task: str) -> dict:
    """The champion bundle's metadata.json; NotAvailable without a registry or a champion."""
    if not (settings.home / "mlflow.db").is_file():  # opening the registry would create it
        raise NotAvailable(f"no trained {task} model: {_hint(task)}")
    from commercelens.ml.registry import champion_bundle_path

    try:
        path = champion_bundle_path(task, settings.home) / "metadata.json"
        return json.loads(path.read_text(encoding="utf-8"))
    except (LookupError, FileNotFoundError, json.JSONDecodeError) as exc:
        raise NotAvailable(f"no trained {task} model ({exc}): {_hint(task)}") from exc


def _plots(folder: Path) -> dict[str, bytes]:
    return {
        name: (folder / f"{name}.png").read_bytes() for name in PLOTS if (folder / f"{name}.png").is_file()
    }


def _plots_note(folder: Path, task: str, champion_auc: float | None) -> str | None:
    """Say so when the plots on disk come from another evaluation than the champion's test."""
    try:
        evaluated = _number(json.loads((folder / "metrics.json").read_text(encoding="utf-8")).get("auc"))
    except (FileNotFoundError, json.JSONDecodeError, AttributeError):
        return None
    if evaluated is None or champion_auc is None or abs(evaluated - champion_auc) < 1e-9:
        return None
    return (
        f"The plots come from the latest evaluation in reports/models/{task}/ (ROC-AUC {evaluated:.4f}), "
        f"not from this champion's test period: run `commercelens evaluate {task}` to redraw them."
    )


def model_quality(settings: Settings, task: str) -> ModelQuality:
    """The champion's test metrics beside the oracle's, and its evaluation plots."""
    meta = champion_metadata(settings, task)
    metrics = meta.get("metrics", {})
    test, oracle = metrics.get("test", {}), metrics.get("test_oracle", {})
    comparisons = tuple(
        MetricComparison(label, _number(test.get(key)), _number(oracle.get(key)), higher)
        for key, label, higher in METRICS
    )
    folder = settings.home / "reports" / "models" / task
    window = (meta.get("data_window") or {}).get("test") or (None, None)
    return ModelQuality(
        task=task,
        family=str(meta.get("family", "?")),
        trained_at=str(meta.get("trained_at", "?")),
        calibration=str((meta.get("calibration") or {}).get("method", "?")),
        n_test=test.get("n"),
        n_positive=test.get("n_positive"),
        test_window=(window[0], window[1]),
        metrics=comparisons,
        plots=_plots(folder),
        note=_plots_note(folder, task, _number(test.get("roc_auc"))),
    )
