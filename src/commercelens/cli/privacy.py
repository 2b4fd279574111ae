"""`commercelens privacy erase`: remove one data subject everywhere."""

from __future__ import annotations

from typing import Annotated

import typer

from commercelens.cli.console import console, warn
from commercelens.cli.context import state
from commercelens.config import resolve_pii_key
from commercelens.errors import UserError
from commercelens.privacy.erase import AGGREGATES_TO_REBUILD, erase_subject
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.dbt import run_dbt

privacy_app = typer.Typer(help="Data-subject rights: erasure.", no_args_is_help=True)


@privacy_app.command("erase")
def erase_command(
    ctx: typer.Context,
    user_id: Annotated[str | None, typer.Option("--user-id", help="The subject's id in its domain.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="A rail user's e-mail address.")] = None,
    domain: Annotated[
        str, typer.Option(help="rail (user_id), shop (visitorid), payments (client id)")
    ] = "rail",
    rebuild: Annotated[bool, typer.Option(help="Rebuild the domain's marts afterwards (aggregates).")] = True,
) -> None:
    """Delete a subject's rows from every table that holds them; log it without the identifier."""
    if domain not in ("rail", "shop", "payments"):
        raise UserError(f"unknown domain '{domain}': use rail, shop or payments")
    settings = state(ctx).settings
    key, key_warning = resolve_pii_key(settings)
    if key_warning:
        warn(key_warning)
    with open_warehouse(settings) as warehouse:
        result = erase_subject(warehouse, domain, key, user_id=user_id, email=email)  # type: ignore[arg-type]
        built = any(t.startswith("marts.") for t in warehouse.tables(["marts"]))
    if result.subjects_found == 0 and result.rows_deleted == 0:
        warn("no rows held this subject; the erasure request is still recorded")
    console.print(
        f"Erased {result.rows_deleted:,} rows from {result.tables_touched} tables "
        f"(erasure {result.erasure_id}, recorded in ops.erasures)."
    )
    if built and rebuild:
        run_dbt(settings, "build", select=AGGREGATES_TO_REBUILD[domain])
        console.print(f"Rebuilt the {domain} marts, so no aggregate still counts the subject.")
        rebuilt = rebuild_features(settings, domain)
        if rebuilt:
            console.print(
                f"Rebuilt {', '.join(rebuilt)} (their history windows and rates counted the subject)."
            )


def rebuild_features(settings, domain: str) -> list[str]:
    """Feature tables of the domain's tasks that exist are recomputed from the rebuilt marts."""
    from commercelens.features import TASKS, build_features

    rebuilt = []
    with open_warehouse(settings) as warehouse:
        for name, spec in TASKS.items():
            if spec.domain == domain and warehouse.table_exists(spec.table):
                build_features(warehouse, name)
                rebuilt.append(spec.table)
    return rebuilt
