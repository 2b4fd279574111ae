"""`commercelens train | evaluate | predict`: the booking, conversion and fraud models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from commercelens.cli.console import console, progress_bar
from commercelens.cli.context import state
from commercelens.errors import UserError
from commercelens.experiments.sources import read_unit_file
from commercelens.ml.evaluate import EvaluationResult
from commercelens.ml.tasks import FAMILIES, TrainOutcome, champion, evaluate_task, train_task

Task = Annotated[str, typer.Argument(help="booking, conversion or fraud.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
DataDir = Annotated[
    Path | None, typer.Option(help="Generated data with its _truth/ (the oracle); default <workdir>/data.")
]


def train_command(
    ctx: typer.Context,
    task: Task,
    model: Annotated[str, typer.Option(help=f"Model family: {', '.join(FAMILIES)}.")] = "lightgbm",
    tune_seconds: Annotated[float, typer.Option(help="Optuna tuning budget on validation (0: off).")] = 0.0,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Train on the features table (time split), calibrate, evaluate against the oracle, register."""
    settings = state(ctx).settings
    with progress_bar() as progress:
        job = progress.add_task(f"train {task} ({model})", total=None)
        outcome = train_task(settings, task, model, tune_seconds, data_dir=data_dir)
        progress.update(job, total=1, completed=1)
    if as_json:
        typer.echo(json.dumps(_outcome_dict(outcome), default=str))
        return
    print_outcome(outcome)


def evaluate_command(
    ctx: typer.Context, task: Task, data_dir: DataDir = None, as_json: AsJson = False
) -> None:
    """Evaluate the champion model on the test period: metrics, oracle, plots."""
    result = evaluate_task(state(ctx).settings, task, data_dir)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), default=str))
        return
    console.print(evaluation_table(task, result))
    for name, path in sorted(result.files.items()):
        console.print(f"  {name}: {path}")


def predict_command(
    ctx: typer.Context,
    task: Task,
    input_path: Annotated[Path, typer.Option("--input", help="CSV or Parquet of feature rows.")],
    output: Annotated[Path, typer.Option(help="Where to write the scores (CSV or Parquet).")],
    high: Annotated[float, typer.Option(help="booking: high-intent cut-off (no discount).")] = 0.7,
    low: Annotated[float, typer.Option(help="booking: below this, low intent (no offer).")] = 0.3,
    reasons: Annotated[int, typer.Option(help="Top reason codes per row.")] = 3,
) -> None:
    """Score rows with the champion: probability, tier, decision and top reasons."""
    from commercelens.ml.bundle import predict_proba
    from commercelens.ml.explain import reason_codes
    from commercelens.ml.policy import DecisionPolicy, decide

    bundle = champion(state(ctx).settings, task)
    frame = read_unit_file(input_path)
    ids = [c for c in (bundle.entity_id,) if c in frame.columns]
    features = frame.drop([c for c in frame.columns if c not in bundle.feature_columns])
    try:
        policy = DecisionPolicy(high=high, low=low)
        probability = predict_proba(bundle, features)
    except (ValueError, pl.exceptions.PolarsError) as exc:  # missing columns, text in a number
        raise UserError(f"{input_path}: {str(exc).splitlines()[0]}") from exc
    decided = decide(task, probability, policy, bundle.thresholds)
    codes = reason_codes(bundle, features, reasons) if reasons > 0 and bundle.family != "logistic" else []
    out = frame.select(ids).with_columns(
        pl.Series("probability", probability),
        pl.Series("tier", decided.tier),
        pl.Series("decision", decided.decision),
        pl.Series(
            "reasons",
            ["; ".join(f"{f} {c:+.3f}" for f, c in row) for row in codes] if codes else [None] * frame.height,
            dtype=pl.String,
        ),
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix == ".parquet":
        out.write_parquet(output)
    else:
        out.write_csv(output)
    console.print(f"Scored {out.height:,} rows with the {task} model of {bundle.trained_at}: {output}")


def _outcome_dict(outcome: TrainOutcome) -> dict:
    return {
        "task": outcome.task,
        "model": outcome.bundle.family,
        "trained_at": outcome.bundle.trained_at,
        "bundle": str(outcome.bundle_dir),
        "champion": outcome.registration.is_champion,
        "registered_version": outcome.registration.version,
        "evaluation": outcome.evaluation.to_dict(),
    }


def _ratio(value: float | None, oracle: float | None) -> str:
    return "-" if value is None or not oracle else f"{value / oracle:.3f}"


def evaluation_table(task: str, result: EvaluationResult) -> Table:
    """Model against the oracle on the test period (also printed by the demo)."""
    table = Table(title=f"{task}: model vs oracle on the test period ({result.n_test:,} units)")
    for column in ("metric", "model", "oracle", "model / oracle"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, value, oracle in (
        ("ROC-AUC", result.auc, result.oracle_auc),
        ("PR-AUC", result.pr_auc, result.oracle_pr_auc),
        ("Brier", result.brier, result.oracle_brier),
        ("ECE", result.ece, result.oracle_ece),
    ):
        shown = "-" if value is None else f"{value:.4f}"
        oracle_shown = "-" if oracle is None else f"{oracle:.4f}"
        ratio = _ratio(value, oracle) if name in ("ROC-AUC", "PR-AUC") else ""
        table.add_row(name, shown, oracle_shown, ratio)
    return table


def print_outcome(outcome: TrainOutcome) -> None:
    console.print(evaluation_table(outcome.task, outcome.evaluation))
    reg = outcome.registration
    verdict = "now champion" if reg.is_champion else f"champion stays version {reg.previous_champion}"
    console.print(f"Registered commercelens-{outcome.task} version {reg.version} ({verdict})")
    console.print(f"Bundle: {outcome.bundle_dir}")
    if outcome.scores_written:
        console.print(f"ml.booking_scores: {outcome.scores_written:,} recent searches with tier and decision")
