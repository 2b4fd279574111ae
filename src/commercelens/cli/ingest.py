"""`commercelens ingest`: validate, quarantine, pseudonymise and load raw tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from commercelens.cli.console import console, ingest_table, progress_bar, warn
from commercelens.cli.context import state
from commercelens.config import Settings, resolve_pii_key
from commercelens.errors import UserError
from commercelens.ingest.contracts import FORMATS, entities_for
from commercelens.ingest.loader import IngestReport, check_reject_rate, ingest_source
from commercelens.warehouse import open_warehouse


def ingest_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="rail, shop or payments")],
    path: Annotated[Path, typer.Option("--path", help="Directory holding the source files.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="native, retailrocket, kaggle or tabformer")
    ] = None,
) -> None:
    """Load a source directory into raw.* (bad rows go to quarantine.*, never lost)."""
    check_source(source, fmt)
    settings = state(ctx).settings
    key, key_warning = resolve_pii_key(settings)
    if key_warning:
        warn(key_warning)
    report = run_ingest(settings, source, path, fmt, key)
    console.print(ingest_table([report]))
    report_quarantine([report])
    check_reject_rate(report, settings.max_reject_rate)


def check_source(source: str, fmt: str | None) -> int:
    """Validate source and format; return how many files the source has."""
    if source not in FORMATS:
        raise UserError(f"unknown source '{source}': use rail, shop or payments")
    try:
        return sum(len(e.files) for e in entities_for(source, fmt))
    except ValueError as exc:
        raise UserError(str(exc)) from None


def run_ingest(settings: Settings, source: str, path: Path, fmt: str | None, key: bytes) -> IngestReport:
    n_files = check_source(source, fmt)
    with open_warehouse(settings) as warehouse, progress_bar() as progress:
        task = progress.add_task(f"ingest {source}", total=n_files)

        def step(description: str) -> None:
            progress.update(task, description=description)
            progress.advance(task)

        report = ingest_source(warehouse, source, path, key, fmt, step)
        progress.update(task, completed=n_files, description=f"ingest {source}")
    return report


def report_quarantine(reports: list[IngestReport]) -> None:
    """One warning per file with quarantined rows (naming its first problem), and any notice."""
    for report in reports:
        for f in report.files:
            if f.notice:
                warn(f.notice)
            if f.rows_quarantined and f.status == "loaded":
                warn(
                    f"{f.rows_quarantined:,} rows of {f.source_file} quarantined in "
                    f"quarantine.{f.source}__{f.entity}; first: {f.first_problem}"
                )
