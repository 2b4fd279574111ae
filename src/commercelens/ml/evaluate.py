"""``evaluate_bundle``: score the test rows, compare model and oracle, write plots and data.

Output directory layout (all optional when ``out_dir`` is ``None``):

- ``metrics.json``: the :class:`EvaluationResult` as printed by ``evaluate --json``.
- ``roc``, ``pr``, ``calibration``, ``gain``, ``importance``: ``.png`` plus ``.csv``.
- ``thresholds.csv`` (threshold table), ``top_k.csv`` (model and oracle at 1, 2, 5, 10%).
- ``predictions.parquet``: label and probability of every evaluated row (the CLI keeps them with
  their unit ids in ``ml.<task>_predictions``, which ``privacy erase`` reaches; files it does not).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from commercelens.ml.bundle import ModelBundle, predict_proba, scored_frame
from commercelens.ml.explain import EXPLAINABLE, global_importance
from commercelens.ml.metrics import BinaryMetrics, binary_metrics, threshold_table
from commercelens.ml.plots import write_importance_plot, write_plots

# rows explained for the global importance: TreeSHAP through shap on a random forest is slow
IMPORTANCE_ROWS = {"random_forest": 300}
DEFAULT_IMPORTANCE_ROWS = 5_000


@dataclass(frozen=True)
class EvaluationResult:
    """Model vs oracle on the evaluated rows; ``oracle_*`` are ``None`` without a truth."""

    n_test: int
    n_positive: int
    auc: float | None
    pr_auc: float | None
    brier: float | None
    log_loss: float | None
    ece: float | None
    ks: float | None
    oracle_auc: float | None
    oracle_pr_auc: float | None
    oracle_brier: float | None
    oracle_ece: float | None
    model: BinaryMetrics
    oracle: BinaryMetrics | None
    files: dict[str, str] = field(default_factory=dict)
    predictions: pl.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def auc_ratio(self) -> float | None:
        """Model AUC / oracle AUC (1.0 = as good as the true probabilities)."""
        if self.auc is None or not self.oracle_auc:
            return None
        return self.auc / self.oracle_auc

    def to_dict(self) -> dict[str, Any]:
        out = asdict(replace(self, predictions=None))  # no deep copy of the scored rows
        out.pop("predictions")
        out["auc_ratio"] = self.auc_ratio
        return out

    def summary(self) -> str:
        """One line: "model AUC x vs oracle AUC y"."""
        text = f"model AUC {_fmt(self.auc)} vs oracle AUC {_fmt(self.oracle_auc)}"
        text += f", PR-AUC {_fmt(self.pr_auc)} vs {_fmt(self.oracle_pr_auc)}"
        text += f", ECE {_fmt(self.ece)} vs {_fmt(self.oracle_ece)}"
        return text + f" (n={self.n_test})"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _truth(rows: pl.DataFrame, truth: str | np.ndarray | None) -> np.ndarray | None:
    if truth is None:
        return None
    if isinstance(truth, str):
        return rows.get_column(truth).cast(pl.Float64).to_numpy()
    return np.asarray(truth, dtype=np.float64)


def evaluate_bundle(
    bundle: ModelBundle,
    frame: pl.DataFrame,
    out_dir: Path | None = None,
    truth: str | np.ndarray | None = None,
    split: str = "test",
) -> EvaluationResult:
    """Compute every metric for the model (and the oracle), write plots and data.

    Parameters
    ----------
    bundle
        A trained bundle.
    frame
        The task's feature table, or just its test rows. Rows of other splits (when a ``split``
        column is present) and unlabelled rows are dropped.
    out_dir
        Where to write figures and data; ``None`` writes nothing.
    truth
        A column of ``frame`` with the true probabilities, or an array aligned with the
        evaluated rows (after filtering).
    split
        Which split to evaluate.
    """
    rows = frame
    if "split" in rows.columns:
        rows = rows.filter(pl.col("split") == split)
    rows = rows.filter(pl.col("label").is_not_null())
    features = rows.select(list(bundle.feature_columns))
    y = rows.get_column("label").cast(pl.Float64).to_numpy()
    p = predict_proba(bundle, features)
    p_true = _truth(rows, truth)
    model = binary_metrics(y, p)
    oracle = binary_metrics(y, p_true) if p_true is not None else None
    predictions = scored_frame(bundle, rows, p)
    files: dict[str, Path] = {}
    if out_dir is not None and y.size:
        files = _write_outputs(Path(out_dir), bundle, features, y, p, p_true, predictions)
    result = EvaluationResult(
        n_test=model.n,
        n_positive=model.n_positive,
        auc=model.roc_auc,
        pr_auc=model.pr_auc,
        brier=model.brier,
        log_loss=model.log_loss,
        ece=model.ece,
        ks=model.ks,
        oracle_auc=oracle.roc_auc if oracle else None,
        oracle_pr_auc=oracle.pr_auc if oracle else None,
        oracle_brier=oracle.brier if oracle else None,
        oracle_ece=oracle.ece if oracle else None,
        model=model,
        oracle=oracle,
        files={k: str(v) for k, v in files.items()},
        predictions=predictions,
    )
    if out_dir is not None:
        text = json.dumps(result.to_dict(), indent=2, default=str)
        (Path(out_dir) / "metrics.json").write_text(text, encoding="utf-8")
    return result


def _write_outputs(
    out_dir: Path,
    bundle: ModelBundle,
    features: pl.DataFrame,
    y: np.ndarray,
    p: np.ndarray,
    p_true: np.ndarray | None,
    predictions: pl.DataFrame,
) -> dict[str, Path]:
    files = write_plots(out_dir, y, p, p_true)
    threshold_table(y, p).write_csv(out_dir / "thresholds.csv")
    top = [{"source": "model", **asdict(t)} for t in binary_metrics(y, p).top_k]
    if p_true is not None:
        top += [{"source": "oracle", **asdict(t)} for t in binary_metrics(y, p_true).top_k]
    pl.DataFrame(top).write_csv(out_dir / "top_k.csv")
    # Labels and probabilities only: unit ids live in ml.<task>_predictions, which erasure reaches.
    predictions.select("label", "probability").write_parquet(out_dir / "predictions.parquet")
    files |= {"thresholds": out_dir / "thresholds.csv", "top_k": out_dir / "top_k.csv"}
    files["predictions"] = out_dir / "predictions.parquet"
    if bundle.family in EXPLAINABLE:
        importance = global_importance(
            bundle, features.head(IMPORTANCE_ROWS.get(bundle.family, DEFAULT_IMPORTANCE_ROWS))
        )
        files |= write_importance_plot(out_dir, importance)
    return files
