"""`commercelens experiment`: power analysis (readouts of experiments are not built yet)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from commercelens.cli.console import console
from commercelens.errors import UserError
from commercelens.stats.power import proportion_config, sample_size

experiment_app = typer.Typer(help="Experiments: power analysis.", no_args_is_help=True)


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
