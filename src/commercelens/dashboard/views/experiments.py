"""Experiments: a power calculator (`stats.power`) and readouts with intervals (`experiments.readout`)."""

from __future__ import annotations

import numpy as np
import polars as pl
import streamlit as st

from commercelens.dashboard import charts, common, loaders
from commercelens.experiments.readout import ENGINES, Readout
from commercelens.stats.power import power, proportion_config, sample_size


def power_calculator() -> None:
    st.subheader("Power calculator")
    st.caption(
        "Units needed to detect a change in a conversion rate: the two-proportion z formula with each "
        "arm's own variance p(1-p), as `commercelens experiment power` computes it."
    )
    a, b, c = st.columns(3)
    baseline = a.number_input("Control conversion rate", 0.0001, 0.9999, 0.12, step=0.01, format="%.4f")
    relative = b.toggle("Effect relative to the control rate", value=False)
    mde = b.number_input(
        "Minimum detectable effect" + (" (relative)" if relative else " (absolute)"),
        -0.9999,
        10.0,
        0.10 if relative else 0.005,
        step=0.001,
        format="%.4f",
    )
    alpha = c.number_input("Significance level (alpha)", 0.001, 0.5, 0.05, step=0.01, format="%.3f")
    target = a.number_input("Target power", 0.5, 0.999, 0.8, step=0.05, format="%.2f")
    variations = b.number_input("Variations (with control)", 2, 20, 2, step=1)
    ratio = c.number_input("Treatment units per control unit", 0.05, 20.0, 1.0, step=0.1, format="%.2f")
    one_sided = c.toggle("One-sided test (treatment better)", value=False)

    treated = baseline * (1 + mde) if relative else baseline + mde
    if mde == 0 or not 0 < treated < 1:
        st.error(
            f"The treatment rate would be {treated:.4f}: the effect must be non-zero and keep it in (0, 1)."
        )
        return
    config = proportion_config(
        baseline,
        mde,
        relative=relative,
        alpha=alpha,
        alternative="greater" if one_sided and mde > 0 else "less" if one_sided else "two-sided",
        ratio=ratio,
        variations=int(variations),
    )
    result = sample_size(config, target=target)
    if result.status != "ok":
        st.error(f"No sample size reaches {target:.0%} power for these inputs ({result.status}).")
        return
    common.cards(
        [
            ("Per treatment arm", f"{result.n_per_variation:,}", "Units in each treatment variation"),
            ("Control", f"{result.n_control:,}", None),
            ("Total", f"{result.n_total:,}", f"All {int(variations)} variations"),
            (
                "Treatment rate",
                f"{treated:.2%}",
                f"Control {baseline:.2%}; effect {config.effect:+.4f} absolute",
            ),
        ]
    )
    grid = np.unique(
        np.linspace(max(2 * int(variations), result.n_total / 50), result.n_total * 2, 80).astype(int)
    )
    curve = pl.DataFrame({"n_total": grid.tolist(), "power": [power(config, float(n)).power for n in grid]})
    common.chart(charts.power_curve_chart(curve, target, result.n_total))


def readout_results(readout: Readout) -> pl.DataFrame:
    relative = readout.difference == "relative"
    rows = []
    for r in readout.results:
        estimate = r.relative_lift if relative else r.absolute_lift
        rows.append(
            {
                "label": f"{r.metric} ({r.variation})",
                "metric": r.metric + (" (CUPED)" if r.cuped else ""),
                "variation": r.variation,
                "control": r.control_mean,
                "treatment": r.treatment_mean,
                "estimate": estimate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "p_value": r.p_value,
                "adjusted_p_value": r.adjusted_p_value,
                "chance_to_win": r.chance_to_win,
                "significant": r.significant,
                "status": r.status,
            }
        )
    return pl.DataFrame(
        rows,
        schema_overrides={
            c: pl.Float64
            for c in ("control", "treatment", "estimate", "ci_low", "ci_high", "p_value", "adjusted_p_value")
        },
    )


def readouts(where: common.Workdir) -> None:
    st.subheader("Readouts")
    ids = loaders.experiments(where.home, where.target)["ids"]
    if common.unavailable(ids, "experiments"):
        return
    a, b, c, d, e = st.columns(5)
    experiment_id = a.selectbox("Experiment", ids)
    engine = b.selectbox("Engine", ENGINES, help="Frequentist (Welch), Bayesian (Gaussian) or sequential")
    difference = c.selectbox("Difference", ("relative", "absolute"))
    alpha = d.selectbox("Alpha", (0.05, 0.01, 0.1))
    correction = e.selectbox("Correction", ("holm", "bh", "none"), help="Across metrics x variations")
    readout = loaders.readout(where.home, where.target, experiment_id, engine, difference, alpha, correction)
    if common.unavailable(readout, experiment_id):
        return
    units = ", ".join(f"{v}: {n:,}" for v, n in zip(readout.variations, readout.units, strict=True))
    if readout.srm_ok:
        st.success(
            f"Split check (SRM): p = {readout.srm.p_value:.3g}, no sample ratio mismatch. Units: {units}"
        )
    else:
        st.error(
            f"Sample ratio mismatch: p = {readout.srm.p_value:.3g}; do not trust the lifts. Units: {units}"
        )
    for note in readout.notes:
        st.warning(note)
    results = readout_results(readout)
    level = f"{1 - readout.alpha:.0%}"
    kind = (
        "credible"
        if readout.engine == "bayesian"
        else "confidence sequence"
        if readout.engine == "sequential"
        else "confidence"
    )
    percent = difference == "relative"
    st.markdown(
        f"**{difference.capitalize()} lift of each variation over control, with its {level} {kind} interval**"
    )
    common.chart(charts.interval_chart(results, f"{difference} lift", percent))
    fmt = "percent" if percent else "%.4f"
    common.table(
        results.drop("label"),
        column_config={
            "control": st.column_config.NumberColumn(format="%.4f"),
            "treatment": st.column_config.NumberColumn(format="%.4f"),
            "estimate": st.column_config.NumberColumn("lift", format=fmt),
            "ci_low": st.column_config.NumberColumn("interval low", format=fmt),
            "ci_high": st.column_config.NumberColumn("interval high", format=fmt),
            "p_value": st.column_config.NumberColumn("p", format="%.4f"),
            "adjusted_p_value": st.column_config.NumberColumn(f"p ({readout.correction})", format="%.4f"),
            "chance_to_win": st.column_config.NumberColumn("chance to win", format="percent"),
        },
    )
    st.caption(
        f"{readout.engine} engine, {readout.correction}-corrected p-values; the same readout as "
        f"`commercelens experiment analyze {readout.experiment_id} --engine {readout.engine}`"
        + (" --relative" if percent else "")
    )


def render() -> None:
    where = common.header(
        "Experiments",
        "Plan a test, then read it out from the warehouse's sufficient statistics "
        "(marts.fct_experiment_metric_stats): SRM first, then every metric against control.",
    )
    power_calculator()
    readouts(where)


if __name__ == "__main__":
    render()
