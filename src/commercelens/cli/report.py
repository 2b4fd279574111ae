"""`commercelens report`: the offline HTML report (KPIs, funnels, fraud, models, experiment)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from commercelens.cli.console import console
from commercelens.cli.context import state


def open_command(path: Path) -> str:
    """The shell command that opens a report in the default browser (any OS)."""
    return f"python -m webbrowser -t {Path(path).resolve().as_uri()}"


def report_command(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the HTML file (default <workdir>/reports/commercelens_report.html)."
        ),
    ] = None,
) -> None:
    """Write one self-contained HTML report that works offline, and print its path."""
    from commercelens.report import write_report

    path = write_report(state(ctx).settings, output)
    console.print(f"Report: {path}", highlight=False, soft_wrap=True)
    console.print(f"Open it: {open_command(path)}", highlight=False, soft_wrap=True)
