"""`commercelens serve` (the REST API under uvicorn) and `commercelens api-key create|list|revoke`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from commercelens.cli.console import console, err_console, warn
from commercelens.cli.context import state

api_key_app = typer.Typer(help="API keys for the REST API (stored as salted hashes).", no_args_is_help=True)


def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0: all).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    access_log: Annotated[bool, typer.Option(help="Log every request (uvicorn's access log).")] = True,
    public_docs: Annotated[
        bool, typer.Option(help="Serve /docs, /redoc and /openapi.json without a key (a browser sends none).")
    ] = False,
) -> None:
    """Serve the REST API (OpenAPI docs at /docs)."""
    import uvicorn

    from commercelens.api import ApiConfig, create_app
    from commercelens.api.security import KeyStore

    settings = state(ctx).settings
    if not KeyStore.for_workdir(settings.home).records():
        warn("no API keys yet: every route but /health answers 401; run `commercelens api-key create NAME`")
    docs = "open" if public_docs else "key needed; --public-docs opens them to a browser"
    err_console.print(f"CommerceLens API on http://{host}:{port} (docs: http://{host}:{port}/docs, {docs})")
    app = create_app(settings, ApiConfig(freeze_gc=True, public_docs=public_docs))
    uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="info")


@api_key_app.command("create")
def create_command(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Who the key is for.")]
) -> None:
    """Create a key and print it once, as the last line (only its hash is stored)."""
    from commercelens.api.security import KeyStore

    store = KeyStore.for_workdir(state(ctx).settings.home)
    key = store.create(name)
    err_console.print(f"API key {name!r} created; stored as a salted hash in {store.path}.")
    err_console.print("Copy it now: it is not shown again. Send it in the X-API-Key header.")
    typer.echo(key)


@api_key_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Names, ids and creation times of the keys (never the keys)."""
    from commercelens.api.security import KeyStore

    table = Table(title="API keys")
    for column in ("name", "id", "created"):
        table.add_column(column)
    for record in KeyStore.for_workdir(state(ctx).settings.home).records():
        table.add_row(record.name, record.key_id, record.created_at)
    console.print(table)


@api_key_app.command("revoke")
def revoke_command(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Delete a key; a running server refuses it from its next request."""
    from commercelens.api.security import KeyStore

    record = KeyStore.for_workdir(state(ctx).settings.home).revoke(name)
    console.print(f"revoked API key {record.name!r} (id {record.key_id})")
