"""`commercelens demo`: the whole pipeline on generated data, on the embedded default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from commercelens.cli.console import console, ingest_table, progress_bar, warn
from commercelens.cli.context import state
from commercelens.cli.experiment import print_readout
from commercelens.cli.ingest import report_quarantine
from commercelens.cli.models import evaluation_table
from commercelens.cli.report import open_command
from commercelens.cli.stream import print_summary
from commercelens.cli.transform import summary_table
from commercelens.cli.uplift import uplift_table
from commercelens.config import DEMO_KEY_FILE, resolve_pii_key
from commercelens.errors import UserError
from commercelens.pipeline import (
    PLANNED_BASELINE,
    PLANNED_MDE,
    ExperimentStory,
    ModelsResult,
    StreamResult,
    run_demo,
)


def demo_command(
    ctx: typer.Context,
    scale: Annotated[str, typer.Option(help="tiny, small or full")] = "small",
) -> None:
    """Generate data for every domain, ingest it, and print where to look next."""
    if scale not in ("tiny", "small", "full"):
        raise UserError(f"unknown scale '{scale}': use tiny, small or full")
    settings = state(ctx).settings
    key, key_warning = resolve_pii_key(settings, allow_demo_key=True)
    if key_warning:
        warn(key_warning)
    with progress_bar() as progress:
        task = progress.add_task("demo", total=None)

        def step(description: str) -> None:
            progress.update(task, description=description)

        result = run_demo(settings, key, scale, step)  # type: ignore[arg-type]
        progress.update(task, description="demo done", total=1, completed=1)
    console.print(ingest_table(result.reports, title=f"Demo ({scale}): rows per entity"))
    report_quarantine(result.reports)
    console.print(summary_table(result.transform))
    print_story(result.story)
    print_models(result.models)
    print_stream(result.stream)
    home = settings.home
    console.print(f"Generated data: {result.data_dir}" + ("" if result.generated else " (reused)"))
    console.print(f"Warehouse: {result.warehouse_location}")
    console.print(f"Report: {result.report}", highlight=False, soft_wrap=True)
    key_file = home / DEMO_KEY_FILE
    console.print("Next (in the project's environment: source .venv/bin/activate):")
    if settings.pii_key is None:
        console.print(
            f"  export COMMERCELENS_PII_KEY=$(cat {key_file})   # the demo data's key; other commands need it"
        )
    console.print(f"  commercelens --workdir {home} status")
    manifest = "select * from ops.load_manifest"
    show = f"duckdb.connect('{settings.duckdb_path}', read_only=True).sql('{manifest}').show()"
    console.print(f'  python -c "import duckdb; {show}"')
    console.print(f"  ls {result.data_dir}/*/_truth   # the planted truth beside the data")
    console.print(f"  commercelens --workdir {home} experiment analyze discount_5pct --engine bayesian")
    console.print(f"  commercelens --workdir {home} uplift evaluate")
    console.print(f"  commercelens --workdir {home} evaluate fraud --json")
    console.print(f"  commercelens --workdir {home} segments list   # CRM audiences; segments show NAME")
    console.print(f"  ls {home}/reports/models/*   # ROC, PR, calibration, lift plots and their data")
    console.print(
        f"  commercelens --workdir {home} stream run"
        f" --source {result.data_dir}/payments/transactions_data.csv --sink alerts.jsonl   # live alerts"
    )
    console.print(f"  uvx mlflow ui --backend-store-uri sqlite:///{home}/mlflow.db   # the model registry")
    print_open(ctx, home, result.report)


def print_open(ctx: typer.Context, home: Path, report: Path) -> None:
    """The closing block: the exact commands to open the report, the API docs and the dashboard."""
    available = getattr(ctx.find_root().command, "commands", {})
    serve = f"commercelens --workdir {home} serve --port 8000 --public-docs   # then open http://127.0.0.1:8000/docs"
    board = f"commercelens --workdir {home} dashboard --port 8501   # then open http://127.0.0.1:8501"
    console.rule("Open what the demo built")
    for name, command, built in (
        ("report", open_command(report), True),
        ("API docs", serve, "serve" in available),
        ("dashboard", board, "dashboard" in available),
    ):
        suffix = "" if built else "   (issue 7, not built yet)"
        console.print(f"  {name + ':':<11} {command}{suffix}", highlight=False, soft_wrap=True)


def print_stream(stream: StreamResult) -> None:
    """Alerts per rule and level from replaying the payments through the stream processor."""
    console.rule("Real-time fraud: the payments replayed through the stream")
    print_summary(stream.summary)
    levels = ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
    table = Table(title="alerts per rule and level (ops.fraud_alerts)")
    table.add_column("rule")
    for level in levels:
        table.add_column(level, justify="right")
    counts = {(rule, level): n for rule, level, n in stream.by_rule_and_level}
    for rule in sorted({rule for rule, _, _ in stream.by_rule_and_level}):
        table.add_row(rule, *(f"{counts.get((rule, level), 0):,}" for level in levels))
    console.print(table)


def print_models(models: ModelsResult) -> None:
    """Each model against the oracle that knows the true probabilities."""
    console.rule("Models: booking, conversion, fraud")
    for outcome in models.trained.values():
        console.print(evaluation_table(outcome.task, outcome.evaluation))
    for task, why in models.skipped.items():
        warn(f"{task} model not trained: {why}")


def print_story(story: ExperimentStory) -> None:
    """RailFlow's experiment, in the order a team lives it: plan, read out, cost, target."""
    power = story.power
    console.rule("The discount_5pct experiment")
    console.print(
        f"Plan (explicit inputs): detect conversion {PLANNED_BASELINE:.1%} -> "
        f"{PLANNED_BASELINE + PLANNED_MDE:.1%} at alpha 5%, power 80%: "
        f"{power.n_per_variation:,} users per arm ({power.n_total:,} in all)"
    )
    print_readout(story.readout)
    roi = story.roi
    console.print(
        f"ROI over {story.readout.units[1]:,} treated users: incremental net revenue EUR {roi.net:,.0f} "
        f"(95% CI {roi.ci_low:,.0f} to {roi.ci_high:,.0f}) for EUR {roi.cost:,.0f} of discount given; "
        f"P(ROI > 0) = {roi.probability_positive:.1%}"
    )
    console.print(uplift_table(story.uplift.report))
    console.print(f"Targeting list (ranked by expected profit): {story.uplift_files['targeting_list']}")
