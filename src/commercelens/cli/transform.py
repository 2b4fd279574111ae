"""`commercelens transform`: build and test the warehouse with dbt."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from commercelens.cli.console import console, progress_bar
from commercelens.cli.context import state
from commercelens.config import Settings
from commercelens.errors import UserError
from commercelens.warehouse.dbt import TransformResult, run_dbt


def transform_command(
    ctx: typer.Context,
    target: Annotated[
        str | None, typer.Option(help="duckdb or postgres (overrides --target before the command).")
    ] = None,
    select: Annotated[
        str | None, typer.Option(help="dbt selector, e.g. marts.shop+ or fct_sessions.")
    ] = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild incremental models from scratch.")] = False,
) -> None:
    """Run `dbt build` (models, data tests, unit tests) on the warehouse; exit 2 if a test fails."""
    settings = state(ctx).settings
    if target is not None:
        if target not in ("duckdb", "postgres"):
            raise UserError(f"unknown target '{target}': use duckdb or postgres")
        settings = settings.model_copy(update={"target": target})
    result = run_transform(settings, select, full_refresh)
    console.print(summary_table(result))


def run_transform(
    settings: Settings, select: str | None = None, full_refresh: bool = False
) -> TransformResult:
    with progress_bar() as progress:
        task = progress.add_task(f"dbt build ({settings.target})", total=None)

        def step(description: str) -> None:
            progress.update(task, description=description)
            progress.advance(task)

        extra = ["--full-refresh"] if full_refresh else []
        result = run_dbt(settings, "build", select, extra, step)
        progress.update(task, description=f"dbt build ({settings.target}) done", total=1, completed=1)
    return result


def summary_table(result: TransformResult) -> Table:
    table = Table(title=f"Warehouse built on {result.target}")
    for column in ("what", "ok", "warn", "failed", "skipped"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for kind, label in (("model", "models"), ("test", "data tests"), ("unit_test", "unit tests")):
        table.add_row(
            label,
            str(result.count(kind, "success", "pass")),
            str(result.count(kind, "warn")),
            str(result.count(kind, "fail", "error")),
            str(result.count(kind, "skipped")),
        )
    return table
