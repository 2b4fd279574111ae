"""`commercelens features build`: point-in-time feature tables `ml.<task>_features`."""

from __future__ import annotations

from typing import Annotated

import typer

from commercelens.cli.console import console, progress_bar
from commercelens.cli.context import state
from commercelens.errors import UserError
from commercelens.features import TASKS, build_features
from commercelens.warehouse import open_warehouse

features_app = typer.Typer(help="Point-in-time features per model task.", no_args_is_help=True)


def tasks_from(name: str) -> list[str]:
    if name == "all":
        return list(TASKS)
    if name not in TASKS:
        raise UserError(f"unknown task {name!r}: use {', '.join(TASKS)} or all")
    return [name]


@features_app.command("build")
def build_command(
    ctx: typer.Context,
    task: Annotated[str, typer.Argument(help="booking, conversion, fraud or all.")] = "all",
) -> None:
    """Compute the features of each task from the marts and replace ml.<task>_features."""
    tasks = tasks_from(task)
    settings = state(ctx).settings
    if settings.target == "duckdb" and not settings.duckdb_path.exists():
        raise UserError(f"no warehouse at {settings.duckdb_path}: run `commercelens demo` first")
    with open_warehouse(settings) as warehouse, progress_bar() as progress:
        for name in tasks:
            job = progress.add_task(f"features {name}", total=None)
            rows = build_features(warehouse, name)
            progress.update(job, total=1, completed=1)
            console.print(f"{TASKS[name].table}: {rows:,} rows")
