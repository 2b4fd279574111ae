"""`commercelens segments`: the audiences of `commercelens.activation`, listed and paged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from commercelens.activation import MAX_PAGE_SIZE, list_segments, segment_definition, segment_page
from commercelens.activation.segments import json_value
from commercelens.cli.console import console
from commercelens.cli.context import state
from commercelens.errors import UserError
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.base import Warehouse

segments_app = typer.Typer(
    help="Segments: audiences as SQL over the marts (docs/segments.md).", no_args_is_help=True
)
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


@contextmanager
def _warehouse(ctx: typer.Context) -> Iterator[Warehouse]:
    settings = state(ctx).settings
    if settings.target == "duckdb" and not settings.duckdb_path.exists():
        raise UserError(f"no warehouse at {settings.duckdb_path}: run `commercelens demo` first")
    # Read-write like every command: DuckDB refuses a read-only handle next to dbt's in one process.
    with open_warehouse(settings) as warehouse:
        yield warehouse


@segments_app.command("list")
def list_command(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Every segment: its domain, member key, member count and audience."""
    with _warehouse(ctx) as warehouse:
        found = list_segments(warehouse)
    if as_json:
        typer.echo(json.dumps([{**s.definition.to_dict(), "members": s.members} for s in found]))
        return
    table = Table(title="Segments (members as of the data's latest event per domain)")
    for column, justify in (("name", "left"), ("domain", "left"), ("key", "left"), ("members", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("audience", overflow="fold")
    for s in found:
        d = s.definition
        table.add_row(d.name, d.domain, d.key, f"{s.members:,}", d.audience)
    console.print(table)
    console.print("Members of one: commercelens segments show NAME [--page N --page-size K] [--json]")


@segments_app.command("show")
def show_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A segment name from `commercelens segments list`.")],
    page: Annotated[int, typer.Option(min=1, help="1-based page number.")] = 1,
    page_size: Annotated[int, typer.Option(min=1, max=MAX_PAGE_SIZE, help="Members per page.")] = 100,
    as_json: AsJson = False,
) -> None:
    """One page of a segment's members, ordered by its key."""
    segment_definition(name)  # an unknown name fails before the warehouse is opened
    with _warehouse(ctx) as warehouse:
        result = segment_page(warehouse, name, page, page_size)
    d = result.definition
    if as_json:
        out = {"name": d.name, "domain": d.domain, "key": d.key, "page": result.page}
        out |= {"page_size": result.page_size, "total": result.total, "pages": result.pages}
        typer.echo(json.dumps({**out, "members": result.json_members()}))
        return
    title = (
        f"{d.name} ({d.domain}): page {result.page} of {result.pages}, {result.total:,} members by {d.key}"
    )
    table = Table(title=title, caption=d.description)
    for column in result.columns:
        table.add_column(column, overflow="fold")
    for member in result.members:
        table.add_row(*(_cell(member[column]) for column in result.columns))
    console.print(table)
    if not result.members:
        pages = f"{result.pages} page{'' if result.pages == 1 else 's'}"
        console.print(f"No members on page {result.page}: the segment has {pages} of {result.page_size}.")


def _cell(value: Any) -> str:
    """Times as `YYYY-MM-DD HH:MM:SS` (UTC) for people; everything else as in the JSON."""
    shown = value if isinstance(value, datetime) else json_value(value)
    return "" if shown is None else str(shown)
