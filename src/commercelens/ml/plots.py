"""PNG figures (ROC, PR, calibration, gain/lift, importance) and the CSV data behind each.

Figures are drawn on ``matplotlib.figure.Figure`` objects and saved directly (the Agg canvas),
without pyplot: no global backend or figure state, safe in a server or a test run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from commercelens.ml.curves import calibration_points, gain_points, pr_points, roc_points
from commercelens.ml.metrics import ECE_BINS


def _sources(p_model: np.ndarray, p_oracle: np.ndarray | None) -> dict[str, np.ndarray]:
    return {"model": p_model} if p_oracle is None else {"model": p_model, "oracle": p_oracle}


def _save(fig: Figure, table: pl.DataFrame, out_dir: Path, name: str) -> dict[str, Path]:
    png, csv = out_dir / f"{name}.png", out_dir / f"{name}.csv"
    fig.savefig(png, dpi=110, bbox_inches="tight")
    table.write_csv(csv)
    return {name: png, f"{name}_data": csv}


def _curve_table(curve, y: np.ndarray, sources: dict[str, np.ndarray]) -> pl.DataFrame:
    return pl.concat([curve(y, p).with_columns(source=pl.lit(name)) for name, p in sources.items()])


def write_plots(
    out_dir: Path, y: np.ndarray, p_model: np.ndarray, p_oracle: np.ndarray | None = None
) -> dict[str, Path]:
    """Write roc, pr, calibration and gain PNG + CSV files; return their paths by name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = _sources(p_model, p_oracle)
    files: dict[str, Path] = {}

    roc = _curve_table(roc_points, y, sources)
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    for name, part in roc.partition_by("source", as_dict=True).items():
        ax.plot(part["fpr"], part["tpr"], label=name[0])
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title="ROC")
    ax.legend()
    files |= _save(fig, roc, out_dir, "roc")

    pr = _curve_table(pr_points, y, sources)
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    for name, part in pr.partition_by("source", as_dict=True).items():
        ax.plot(part["recall"], part["precision"], label=name[0])
    ax.axhline(float(y.mean()), linestyle=":", color="grey", label="base rate")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall")
    ax.legend()
    files |= _save(fig, pr, out_dir, "pr")

    calibration = _curve_table(lambda y_, p_: calibration_points(y_, p_, ECE_BINS), y, sources)
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    top = float(max(calibration["predicted"].max(), calibration["observed"].max()))
    ax.plot([0, top], [0, top], linestyle=":", color="grey")
    for name, part in calibration.partition_by("source", as_dict=True).items():
        ax.plot(part["predicted"], part["observed"], marker="o", label=name[0])
    ax.set(
        xlabel="mean predicted probability",
        ylabel="observed rate",
        title=f"Calibration ({ECE_BINS} equal-frequency bins)",
    )
    ax.legend()
    files |= _save(fig, calibration, out_dir, "calibration")

    gain = _curve_table(gain_points, y, sources)
    fig = Figure(figsize=(10, 4.5))
    left, right = fig.subplots(1, 2)
    for name, part in gain.partition_by("source", as_dict=True).items():
        left.plot(part["share"], part["gain"], label=name[0])
        right.plot(part["share"], part["lift"], label=name[0])
    left.plot([0, 1], [0, 1], linestyle=":", color="grey")
    left.set(xlabel="share of rows flagged", ylabel="share of positives captured", title="Cumulative gain")
    right.set(xlabel="share of rows flagged", ylabel="lift", title="Lift", xscale="log")
    left.legend()
    files |= _save(fig, gain, out_dir, "gain")
    return files


def write_importance_plot(out_dir: Path, importance: pl.DataFrame, top: int = 20) -> dict[str, Path]:
    """Horizontal bars of mean |contribution| per feature (the global SHAP summary)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shown = importance.head(top).reverse()
    fig = Figure(figsize=(6, 0.3 * shown.height + 1.2))
    ax = fig.add_subplot()
    ax.barh(shown["feature"].to_list(), shown["mean_abs_contribution"].to_numpy())
    ax.set(xlabel="mean |SHAP contribution| (raw score units)", title="Global importance")
    return _save(fig, importance, out_dir, "importance")
