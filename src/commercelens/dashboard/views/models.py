"""Models: each champion against the oracle (ROC, PR, calibration, lift) and its SHAP importance."""

from __future__ import annotations

import polars as pl
import streamlit as st

from commercelens.dashboard import charts, common, loaders
from commercelens.report.content import Missing
from commercelens.report.models import TASKS, ModelQuality

DECISION_TIME = {
    "booking": "a rail search, at search time: will it be booked?",
    "conversion": "a shop session alive 300 s after its start: will it purchase?",
    "fraud": "a card transaction, at authorisation: is it fraud?",
}


def metrics_table(quality: ModelQuality) -> None:
    common.table(
        pl.DataFrame(
            {
                "metric": [m.name for m in quality.metrics],
                "model": [m.model for m in quality.metrics],
                "oracle": [m.oracle for m in quality.metrics],
                "model / oracle": [m.ratio for m in quality.metrics],
                "better": ["higher" if m.higher_is_better else "lower" for m in quality.metrics],
            },
            schema_overrides={"model": pl.Float64, "oracle": pl.Float64, "model / oracle": pl.Float64},
        ),
        column_config={
            "model": st.column_config.NumberColumn(format="%.4f"),
            "oracle": st.column_config.NumberColumn(format="%.4f", help="The generator's true probabilities"),
            "model / oracle": st.column_config.NumberColumn(format="percent"),
        },
    )


def curves(quality: ModelQuality | Missing, tables: dict[str, pl.DataFrame]) -> None:
    drawn = {
        "roc": charts.roc_chart,
        "pr": charts.pr_chart,
        "calibration": charts.calibration_chart,
        "gain": charts.lift_chart,
    }
    columns = st.columns(2)
    for i, (name, draw) in enumerate(drawn.items()):
        with columns[i % 2]:
            if name in tables:
                common.chart(draw(tables[name]))
            elif not isinstance(quality, Missing) and name in quality.plots:
                st.image(quality.plots[name], caption=f"{name} (PNG of the evaluation)")
    st.subheader("What drives the score: SHAP")
    if "importance" in tables:
        st.caption(
            "Mean absolute TreeSHAP contribution per feature over test rows (raw score units, before "
            "calibration); the Pricing simulator shows one search's own contributions."
        )
        common.chart(charts.importance_chart(tables["importance"]))
    else:
        st.info("No SHAP importance for this model family (tree models only).")


def render() -> None:
    where = common.header(
        "Models",
        "Each task's champion (the MLflow alias `champion`, what `predict` and the API load) on its "
        "test period, beside the oracle: the generator's true probabilities, the best any model "
        "could do on this data.",
    )
    task = st.segmented_control("Task", TASKS, default="booking", required=True, key="models_task")
    st.caption(f"Unit and decision time: {DECISION_TIME.get(task, '')}")
    parts = loaders.model(where.home, where.target, task)
    quality, tables = parts["quality"], parts["tables"]
    if isinstance(quality, Missing) and isinstance(tables, Missing):
        common.unavailable(quality, task)
        return
    if not common.unavailable(quality, "champion"):
        start, end = quality.test_window
        n = f"{quality.n_test:,}" if quality.n_test is not None else "?"
        positives = f"{quality.n_positive:,}" if quality.n_positive is not None else "?"
        st.markdown(
            f"**{quality.family}**, calibration: {quality.calibration}; trained {quality.trained_at}; "
            f"test: {n} rows ({positives} positive), {start} to {end}"
        )
        metrics_table(quality)
        if quality.note:
            st.warning(quality.note)
    if not isinstance(tables, Missing):
        curves(quality, tables)
    elif not isinstance(quality, Missing) and quality.plots:  # PNGs without their CSV data
        curves(quality, {})
    else:
        common.unavailable(tables, "evaluation curves")


if __name__ == "__main__":
    render()
