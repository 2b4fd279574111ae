"""`commercelens dashboard`: the Streamlit dashboard over the workdir (`streamlit run` on its entry)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from commercelens.cli.console import err_console
from commercelens.cli.context import state
from commercelens.config import Settings
from commercelens.errors import UserError

ENTRY = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def streamlit_command(port: int, host: str) -> list[str]:
    """`python -m streamlit run <entry>` with a local, headless, quiet server."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ENTRY),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--global.showWarningOnDirectExecution",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


def dashboard_environment(settings: Settings) -> dict[str, str]:
    """The environment the dashboard reads its workdir from (the resolved settings, not the cwd)."""
    env = dict(os.environ)
    env["COMMERCELENS_HOME"] = str(settings.home.resolve())
    env["COMMERCELENS_TARGET"] = settings.target
    if settings.target == "postgres":
        env["COMMERCELENS_POSTGRES_DSN"] = settings.postgres_dsn.get_secret_value()
    return env


def dashboard_command(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8501,
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0: all).")] = "127.0.0.1",
) -> None:
    """Serve the Streamlit dashboard (KPIs, funnels, fraud, models, experiments, pricing simulator)."""
    if importlib.util.find_spec("streamlit") is None or importlib.util.find_spec("altair") is None:
        raise UserError(
            "the dashboard needs Streamlit and Altair (the `dashboard` extra): pip install streamlit altair"
        )
    settings = state(ctx).settings
    command = streamlit_command(port, host)
    err_console.print(f"CommerceLens dashboard on http://{host}:{port} (workdir {settings.home.resolve()})")
    sys.stdout.flush()
    sys.stderr.flush()
    # Become the Streamlit server: Ctrl-C and a supervisor's SIGTERM reach it directly.
    os.execve(command[0], command, dashboard_environment(settings))
