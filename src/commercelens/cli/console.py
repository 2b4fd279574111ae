"""Shared Rich output: consoles, progress bars and the per-file ingest table."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from commercelens.ingest.loader import IngestReport

# Logs and CI are not terminals: give tables room instead of Rich's 80-column default.
_WIDTH = None if sys.stdout.isatty() else 140
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A progress display for steps that take more than a second (spinner, step, elapsed)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        yield progress


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {message}")


def ingest_table(reports: list[IngestReport], title: str = "Ingested") -> Table:
    table = Table(title=title)
    for name, justify in [
        ("table", "left"),
        ("file", "left"),
        ("status", "left"),
        ("rows read", "right"),
        ("accepted", "right"),
        ("quarantined", "right"),
        ("seconds", "right"),
        ("reasons", "left"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for report in reports:
        for f in report.files:
            reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(f.reasons.items()))
            quarantined = f"[yellow]{f.rows_quarantined:,}[/]" if f.rows_quarantined else "0"
            table.add_row(
                f"raw.{f.source}__{f.entity}",
                f.source_file,
                f.status,
                f"{f.rows_read:,}",
                f"{f.rows_accepted:,}",
                quarantined,
                f"{f.seconds:.1f}" if f.status == "loaded" else "-",
                reasons,
            )
    return table
