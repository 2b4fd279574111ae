"""The analysis sections of the report: model quality vs the oracle, the experiment readout."""

from __future__ import annotations

from commercelens.experiments.readout import MetricResult
from commercelens.report import charts
from commercelens.report import markup as m
from commercelens.report.content import Missing, ReportData
from commercelens.report.experiment import ExperimentReadout
from commercelens.report.models import ModelQuality

PLOT_TITLES = {"roc": "ROC curve", "pr": "precision-recall curve", "calibration": "calibration"}


def _model(task: str, part: ModelQuality | Missing) -> str:
    if isinstance(part, Missing):
        return m.heading(task) + m.not_available(part.reason)
    start, end = part.test_window
    out = m.heading(task, f"champion: {part.family}, calibrated with {part.calibration}")
    out += m.note(
        f"Trained at {part.trained_at}; test period {start} to {end}: {m.count(part.n_test)} rows, "
        f"{m.count(part.n_positive)} positive. The oracle scores the same rows with the generator's "
        "true probabilities."
    )
    rows = [(c.name, m.num(c.model), m.num(c.oracle), m.pct(c.ratio)) for c in part.metrics]
    out += m.table(("metric (test)", "model", "oracle", "model / oracle"), rows, numeric=(1, 2, 3))
    if part.note:
        out += m.note(part.note)
    if not part.plots:
        return out + m.note(f"No plots under reports/models/{task}/: run `commercelens evaluate {task}`.")
    figures = "".join(
        m.figure(charts.encode_png(png), f"{task}: {PLOT_TITLES[name]}") for name, png in part.plots.items()
    )
    return out + f'<div class="plots">{figures}</div>'


def models_section(report: ReportData) -> str:
    return "".join(_model(task, part) for task, part in report.models.items())


def _cells(result: MetricResult) -> tuple[str, ...]:
    flag = result.status if result.status != "ok" else ("yes" if result.significant else "no")
    return (
        result.metric + ("*" if result.cuped else ""),
        result.variation,
        m.num(result.control_mean),
        m.num(result.treatment_mean),
        m.num(result.absolute_lift),
        "-" if result.relative_lift is None else f"{result.relative_lift:+.2%}",
        f"[{m.num(result.ci_low)}, {m.num(result.ci_high)}]",
        "-" if result.p_value is None else f"{result.p_value:.2g}",
        "-" if result.adjusted_p_value is None else f"{result.adjusted_p_value:.2g}",
        m.pct(result.chance_to_win),
        flag,
    )


def experiment_section(report: ReportData) -> str:
    part: ExperimentReadout | Missing = report.experiment
    if isinstance(part, Missing):
        return m.not_available(part.reason)
    readout = part.readout
    units = ", ".join(f"{v} {n:,}" for v, n in zip(readout.variations, readout.units, strict=True))
    verdict = (
        '<span class="ok">ok</span>'
        if readout.srm_ok
        else '<span class="bad">sample ratio mismatch: do not trust the lifts</span>'
    )
    out = (
        f"<p><b>{m.esc(readout.experiment_id)}</b>: units {m.esc(units)}. "
        f"SRM check: p = {m.esc(f'{readout.srm.p_value:.3g}')} ({verdict}).</p>"
    )
    out += "".join(m.note(f"note: {text}") for text in readout.notes)
    out += m.note(
        f"{readout.engine} readout, alpha {readout.alpha}, {readout.correction}-corrected p-values, "
        f"as `commercelens experiment analyze {readout.experiment_id}` prints it."
    )
    headers = ("metric", "variation", "control", "treatment", "abs lift", "rel lift", "interval (abs)")
    headers += ("p", f"p ({readout.correction})", "chance to win", "significant")
    rows = [_cells(result) for result in readout.results]
    out += m.table(headers, rows, numeric=range(2, 10))
    if any(result.cuped for result in readout.results):
        out += m.note("* CUPED: lifts adjusted by the pre-period covariate; means shown unadjusted.")
    return out + m.img(charts.lift_chart(part.relative), "relative lift per metric with its interval")
