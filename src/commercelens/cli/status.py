"""`commercelens status`: what is loaded, per entity."""

from __future__ import annotations

import typer
from rich.table import Table

from commercelens.cli.console import console
from commercelens.cli.context import state
from commercelens.ingest.status import erasure_count, load_status
from commercelens.warehouse import open_warehouse


def status_command(ctx: typer.Context) -> None:
    """Show the load manifest summary per entity and where the warehouse is."""
    settings = state(ctx).settings
    if settings.target == "duckdb" and not settings.duckdb_path.exists():
        console.print(f"No warehouse at {settings.duckdb_path} yet: run `commercelens demo` or `ingest`.")
        return
    with open_warehouse(settings) as warehouse:
        entities = load_status(warehouse)
        erasures = erasure_count(warehouse)
        location = warehouse.location
    table = Table(title=f"Loaded into {location}")
    for column in ("table", "files", "rows read", "accepted", "quarantined", "last loaded (UTC)"):
        table.add_column(column, justify="left" if column in ("table", "last loaded (UTC)") else "right")
    for e in entities:
        table.add_row(
            f"raw.{e.source}__{e.entity}",
            str(e.files),
            f"{e.rows_read:,}",
            f"{e.rows_accepted:,}",
            f"{e.rows_quarantined:,}",
            e.last_loaded_at.isoformat(sep=" ", timespec="seconds"),
        )
    console.print(table if entities else "Nothing loaded yet.")
    console.print(f"Erasures recorded: {erasures}")
