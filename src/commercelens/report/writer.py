"""`write_report(settings, path)`: gather the report, render it, write one HTML file atomically."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from commercelens.config import Settings
from commercelens.errors import UserError
from commercelens.report.content import gather_report
from commercelens.report.html import render_page
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.base import Warehouse

REPORT_FILE = "commercelens_report.html"


def default_report_path(settings: Settings) -> Path:
    """`<workdir>/reports/commercelens_report.html`."""
    return settings.home / "reports" / REPORT_FILE


def _open(settings: Settings) -> Warehouse:
    """Read-write like every command (DuckDB refuses a read-only handle next to dbt's in one
    process); read-only when another process holds the file (the API reads it per request)."""
    try:
        return open_warehouse(settings)
    except duckdb.IOException as first:
        try:
            return open_warehouse(settings, read_only=True)
        except duckdb.Error:
            reason = (str(first).strip().splitlines() or [""])[0]
            raise UserError(f"cannot open the warehouse: another process holds it ({reason})") from first


def write_report(settings: Settings, path: Path | None = None) -> Path:
    """Write the offline HTML report to `path` (default: `default_report_path`) and return it.

    Raises UserError when there is no warehouse at all; a missing mart, model or table only
    makes its section say "not available" and what to run.
    """
    target = Path(path) if path is not None else default_report_path(settings)
    if target.is_dir():
        raise UserError(f"--output {target} is a directory: give a file name such as {target / REPORT_FILE}")
    if settings.target == "duckdb" and not settings.duckdb_path.is_file():
        raise UserError(f"no warehouse at {settings.duckdb_path}: run `commercelens demo` first")
    with _open(settings) as warehouse:
        report = gather_report(settings, warehouse)
    page = render_page(report)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A reader (a browser refreshing the page) never sees half a file: write beside, then rename.
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(page, encoding="utf-8")
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target
