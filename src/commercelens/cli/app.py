"""The Typer app, the global flags and the one place where errors become exit codes.

Exit codes: 0 ok, 1 user error, 2 data-quality failure, 3 internal error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from commercelens import __version__
from commercelens.cli.api import api_key_app, serve_command
from commercelens.cli.console import err_console
from commercelens.cli.context import CliState
from commercelens.cli.dashboard import dashboard_command
from commercelens.cli.demo import demo_command
from commercelens.cli.experiment import experiment_app
from commercelens.cli.features import features_app
from commercelens.cli.generate import generate_command
from commercelens.cli.ingest import ingest_command
from commercelens.cli.models import evaluate_command, predict_command, train_command
from commercelens.cli.privacy import privacy_app
from commercelens.cli.report import report_command
from commercelens.cli.segments import segments_app
from commercelens.cli.status import status_command
from commercelens.cli.stream import stream_app
from commercelens.cli.transform import transform_command
from commercelens.cli.uplift import uplift_app
from commercelens.errors import CommerceLensError

app = typer.Typer(
    name="commercelens",
    help="Local-first commerce analytics: rail, shop and payments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def global_options(
    ctx: typer.Context,
    workdir: Annotated[
        Path | None, typer.Option(help="Workdir (env COMMERCELENS_HOME, default ./.commercelens).")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="YAML settings file.")] = None,
    target: Annotated[str | None, typer.Option(help="Warehouse target: duckdb or postgres.")] = None,
) -> None:
    ctx.obj = CliState(workdir=workdir, config=config, target=target)


@app.command("version")
def version_command() -> None:
    """Print the version."""
    typer.echo(__version__)


app.command("generate")(generate_command)
app.command("ingest")(ingest_command)
app.command("status")(status_command)
app.command("transform")(transform_command)
app.command("demo")(demo_command)
app.command("train")(train_command)
app.command("evaluate")(evaluate_command)
app.command("predict")(predict_command)
app.command("report")(report_command)
app.add_typer(privacy_app, name="privacy")
app.add_typer(experiment_app, name="experiment")
app.add_typer(features_app, name="features")
app.add_typer(uplift_app, name="uplift")
app.add_typer(stream_app, name="stream")
app.add_typer(segments_app, name="segments")
app.command("serve")(serve_command)
app.command("dashboard")(dashboard_command)
app.add_typer(api_key_app, name="api-key")


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; every error becomes one clear line on stderr."""
    try:
        result = app(args=argv, prog_name="commercelens", standalone_mode=False)
    except typer.Abort:
        err_console.print("aborted")
        return 1
    except typer.TyperException as exc:  # usage errors are user errors: 1, not click's 2
        message = exc.format_message()
        if message:  # empty when the command printed its help (no arguments)
            err_console.print(f"[red]error:[/] {message}", highlight=False)
        return 1
    except CommerceLensError as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False)
        return exc.exit_code
    except Exception as exc:
        if os.environ.get("COMMERCELENS_DEBUG"):
            raise
        err_console.print(f"[red]internal error:[/] {type(exc).__name__}: {exc}", highlight=False)
        err_console.print("set COMMERCELENS_DEBUG=1 for the traceback")
        return 3
    return result if isinstance(result, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
