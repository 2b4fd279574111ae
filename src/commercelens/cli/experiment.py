"""`commercelens experiment`: power analysis and readouts (from the warehouse or any unit-level file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from commercelens.cli.console import console
from commercelens.cli.context import state
from commercelens.errors import UserError
from commercelens.experiments.readout import ENGINES, Readout, ReadoutConfig, analyze
from commercelens.experiments.sources import (
    UnitFile,
    metric_specs,
    unit_file_metric_stats,
    warehouse_metric_stats,
)
from commercelens.stats.power import proportion_config, sample_size

experiment_app = typer.Typer(help="Experiments: power analysis and readouts.", no_args_is_help=True)


@experiment_app.command("power")
def power_command(
    baseline: Annotated[float, typer.Option(help="Control conversion rate, e.g. 0.12.")],
    mde: Annotated[float, typer.Option(help="Minimum detectable effect (absolute unless --relative).")],
    relative: Annotated[bool, typer.Option("--relative", help="--mde is relative to the baseline.")] = False,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    power: Annotated[float, typer.Option(help="Target power.")] = 0.8,
    ratio: Annotated[float, typer.Option(help="Units in each treatment per control unit.")] = 1.0,
    variations: Annotated[int, typer.Option(help="Variations including control.")] = 2,
    one_sided: Annotated[bool, typer.Option("--one-sided", help="Test one direction only.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Units needed per variation to detect a change in a conversion rate (two-proportion z formula)."""
    _check_inputs(baseline, mde, relative, alpha, power, ratio, variations)
    alternative = "greater" if one_sided else "two-sided"
    config = proportion_config(
        baseline,
        mde,
        relative=relative,
        alpha=alpha,
        alternative=alternative,
        ratio=ratio,
        variations=variations,
    )
    result = sample_size(config, target=power)
    if result.status != "ok":
        raise UserError(f"no sample size reaches {power:.0%} power for these inputs ({result.status})")
    out = {
        "n_per_variation": result.n_per_variation,
        "n_control": result.n_control,
        "n_total": result.n_total,
        "baseline": baseline,
        "treatment_rate": baseline + config.effect,
        "absolute_effect": config.effect,
        "alpha": alpha,
        "power": power,
        "achieved_power": result.power,
        "method": "two-proportion z formula, each arm's own variance p(1-p)",
    }
    if as_json:
        typer.echo(json.dumps(out))
        return
    table = Table(title="Sample size")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in out.items():
        shown = (
            f"{value:,}" if isinstance(value, int) else f"{value:.6g}" if isinstance(value, float) else value
        )
        table.add_row(key, shown)
    console.print(table)


def _check_inputs(
    baseline: float, mde: float, relative: bool, alpha: float, power: float, ratio: float, variations: int
) -> None:
    treated = baseline * (1 + mde) if relative else baseline + mde
    if not 0 < baseline < 1:
        raise UserError(f"--baseline must be a rate between 0 and 1, got {baseline}")
    if mde == 0 or not 0 < treated < 1:
        raise UserError(
            f"--mde {mde} gives a treatment rate of {treated}, which must differ and lie in (0, 1)"
        )
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise UserError("--alpha and --power must lie between 0 and 1")
    if ratio <= 0 or variations < 2:
        raise UserError("--ratio must be positive and --variations at least 2")


@experiment_app.command("analyze")
def analyze_command(
    ctx: typer.Context,
    experiment_id: Annotated[
        str | None,
        typer.Argument(help="Experiment id in the warehouse, e.g. discount_5pct."),
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Unit-level CSV or Parquet file instead.")] = None,
    variation_col: Annotated[str, typer.Option(help="--data: the variation column.")] = "variation",
    control: Annotated[str, typer.Option(help="Name of the control variation.")] = "control",
    metric: Annotated[
        list[str] | None,
        typer.Option(help="--data: metric column, COL or COL:proportion|mean; repeatable."),
    ] = None,
    covariate: Annotated[str | None, typer.Option(help="--data: pre-period covariate for CUPED.")] = None,
    variation: Annotated[
        list[str] | None, typer.Option(help="--data: keep only these variations (and control); repeatable.")
    ] = None,
    engine: Annotated[str, typer.Option(help="frequentist, bayesian or sequential.")] = "frequentist",
    relative: Annotated[
        bool, typer.Option("--relative", help="Interval and p-value for the relative lift.")
    ] = False,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    correction: Annotated[str, typer.Option(help="holm, bh or none, across metrics x variations.")] = "holm",
    cuped: Annotated[bool, typer.Option(help="Use the pre-period covariate when present.")] = True,
    split: Annotated[
        str | None, typer.Option(help="Planned split for the SRM check, control first, e.g. 50,50.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """SRM check, then lift, interval, p-value, chance to win and corrected p per metric."""
    config = _readout_config(control, engine, relative, alpha, correction, cuped, split)
    if (experiment_id is None) == (data is None):
        raise UserError("give an EXPERIMENT_ID (from the warehouse) or --data FILE, not both")
    notes: list[str] = []
    if data is not None:
        spec = UnitFile(data, variation_col, metric_specs(metric or []), covariate, tuple(variation or ()))
        rows, notes = unit_file_metric_stats(spec, control)
        name = data.name
    else:
        from commercelens.warehouse import open_warehouse

        settings = state(ctx).settings
        if settings.target == "duckdb" and not settings.duckdb_path.exists():
            raise UserError(f"no warehouse at {settings.duckdb_path}: run `commercelens demo` first")
        # Read-write like every command: DuckDB refuses a read-only handle next to dbt's in one process.
        with open_warehouse(settings) as warehouse:
            rows = warehouse_metric_stats(warehouse, experiment_id or "")
        name = experiment_id or ""
    try:
        readout = analyze(name, rows, config, notes)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(readout.to_dict(), allow_nan=False, default=_finite))
        return
    print_readout(readout)


def _finite(value: object) -> object:
    raise TypeError(f"not JSON serialisable: {value!r}")


def _readout_config(
    control: str, engine: str, relative: bool, alpha: float, correction: str, cuped: bool, split: str | None
) -> ReadoutConfig:
    if engine not in ENGINES:
        raise UserError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if correction not in ("holm", "bh", "none"):
        raise UserError(f"--correction must be holm, bh or none, got {correction!r}")
    if not 0 < alpha < 1:
        raise UserError(f"--alpha must lie between 0 and 1, got {alpha}")
    expected = None
    if split:
        try:
            expected = tuple(float(x) for x in split.split(","))
        except ValueError as exc:
            raise UserError(f"--split must be numbers separated by commas, got {split!r}") from exc
    return ReadoutConfig(
        control=control,
        engine=engine,  # type: ignore[arg-type]
        difference="relative" if relative else "absolute",
        alpha=alpha,
        correction=None if correction == "none" else correction,  # type: ignore[arg-type]
        cuped=cuped,
        expected_split=expected,
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2%}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.2g}"


def print_readout(readout: Readout) -> None:
    """The readout as a Rich table: SRM first, then one row per metric x variation."""
    units = ", ".join(f"{v} {n:,}" for v, n in zip(readout.variations, readout.units, strict=True))
    verdict = "[green]ok[/]" if readout.srm_ok else "[red]MISMATCH[/]"
    console.print(f"[bold]{readout.experiment_id}[/]: units {units}")
    console.print(f"SRM check: p = {readout.srm.p_value:.3g} ({verdict})")
    for note in readout.notes:
        console.print(f"[yellow]note:[/] {note}")
    scale = "relative" if readout.difference == "relative" else "absolute"
    table = Table(title=f"{readout.engine} readout, {scale} difference, alpha {readout.alpha}")
    for column in ("metric", "variation", "control", "treatment", "abs lift", "rel lift"):
        table.add_column(
            column, justify="left" if column in ("metric", "variation") else "right", no_wrap=True
        )
    bayesian = readout.engine == "bayesian"
    table.add_column("credible interval" if bayesian else "interval", justify="right", no_wrap=True)
    tail = (
        ("chance to win", "sig.") if bayesian else ("p", f"p ({readout.correction})", "chance to win", "sig.")
    )
    for column in tail:
        table.add_column(column, justify="right")
    for r in readout.results:
        interval = (
            f"[{_pct(r.ci_low)}, {_pct(r.ci_high)}]"
            if readout.difference == "relative"
            else f"[{_num(r.ci_low)}, {_num(r.ci_high)}]"
        )
        flag = r.status if r.status != "ok" else ("yes" if r.significant else "no")
        table.add_row(
            r.metric + ("*" if r.cuped else ""),
            r.variation,
            _num(r.control_mean),
            _num(r.treatment_mean),
            _num(r.absolute_lift),
            _pct(r.relative_lift),
            interval,
            *(() if bayesian else (_p(r.p_value), _p(r.adjusted_p_value))),
            f"{r.chance_to_win:.1%}",
            flag,
        )
    console.print(table)
    if any(r.cuped for r in readout.results):
        console.print("* CUPED: lifts adjusted by the pre-period covariate; means shown unadjusted")
