"""`commercelens stream run|produce`: real-time fraud alerts from a file replay or Redis Streams."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from commercelens.cli.console import console, err_console
from commercelens.cli.context import state
from commercelens.stream.processor import Processor
from commercelens.stream.rules import load_rules
from commercelens.stream.run import RunSummary, run_stream
from commercelens.stream.runs import record_run
from commercelens.stream.scoring import load_scorer
from commercelens.stream.uri import open_sink, open_source

stream_app = typer.Typer(
    help="Real-time fraud detection: rules and the fraud model in event time.", no_args_is_help=True
)


@stream_app.command("run")
def run_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Option(help="file://PATH (CSV or JSON lines) or redis://HOST:PORT/STREAM.")],
    sink: Annotated[
        list[str],
        typer.Option(
            help="file://PATH.jsonl, duckdb (the workdir's warehouse), duckdb://PATH or "
            "redis://HOST:PORT/STREAM; repeatable."
        ),
    ],
    checkpoint_dir: Annotated[
        Path | None, typer.Option(help="Checkpoint here; rerun with it to resume after a crash.")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option(help="Rules YAML (default: the packaged stream/rules.yaml).")
    ] = None,
    allowed_lateness: Annotated[
        int, typer.Option(help="Seconds an event may arrive behind the newest one.")
    ] = 0,
    model: Annotated[bool, typer.Option(help="Score with the fraud champion when one is trained.")] = True,
    rate: Annotated[
        float | None, typer.Option(help="File replay paced at this many events per second.")
    ] = None,
    speed: Annotated[float | None, typer.Option(help="File replay paced at event time x SPEED.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Events read per step.")] = 20_000,
    checkpoint_every: Annotated[
        float, typer.Option(min=0.0, help="Seconds between checkpoints (with --checkpoint-dir).")
    ] = 2.0,
    idle_timeout: Annotated[
        float | None,
        typer.Option(help="Redis: stop after this many seconds without events (default: run until Ctrl-C)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
) -> None:
    """Process transactions into alerts, KPI windows and dead letters; report the counts."""
    settings = state(ctx).settings
    config = load_rules(rules)
    scorer, model_name, keep_seconds = load_scorer(settings) if model else (None, "--no-model", None)
    if scorer is None:
        err_console.print(f"[yellow]running the rules alone, without the fraud model ({model_name})[/yellow]")
        model_name = f"rules only ({model_name})"
    processor = Processor(config, allowed_lateness=allowed_lateness, scorer=scorer, keep_seconds=keep_seconds)
    src = open_source(source, rate=rate, speed=speed)
    sinks = [open_sink(uri, warehouse=settings.duckdb_path, source_name=src.name) for uri in sink]
    try:
        summary = run_stream(
            src,
            sinks,
            processor,
            checkpoint_dir=checkpoint_dir,
            batch_size=batch_size,
            checkpoint_every=checkpoint_every,
            model=model_name,
            max_idle_seconds=idle_timeout,
        )
    finally:
        for s in sinks:
            s.close()
        src.close()
    record_run(settings, summary)
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
    else:
        print_summary(summary)


def print_summary(summary: RunSummary) -> None:
    c = summary.counts
    table = Table(title=f"stream run: {summary.source}")
    for column in ("processed", "alerted", "alerts", "late", "dead-lettered", "events/s"):
        table.add_column(column, justify="right")
    rate = c.processed / summary.seconds if summary.seconds else 0
    table.add_row(
        f"{c.processed:,}",
        f"{c.alerted:,}",
        f"{c.alerts:,}",
        f"{c.late:,}",
        f"{c.dead_lettered:,}",
        f"{rate:,.0f}",
    )
    console.print(table)
    console.print(f"model: {summary.model}; sinks: {', '.join(summary.sinks)}")
    if summary.resumed:
        console.print("resumed from the checkpoint")


@stream_app.command("produce")
def produce_command(
    path: Annotated[
        Path, typer.Argument(help="A transactions file (CSV in the Kaggle layout or JSON lines).")
    ],
    to: Annotated[str, typer.Option("--to", help="redis://HOST:PORT/STREAM")],
    rate: Annotated[
        float | None, typer.Option(help="Events per second (default: as fast as possible).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N events.")] = None,
) -> None:
    """Replay a file into a Redis stream, one entry per event (fields = the file's columns)."""
    from commercelens.stream.redis_io import produce
    from commercelens.stream.uri import redis_parts

    host, port, key = redis_parts(to)
    sent = produce(path, host, port, key, rate=rate, limit=limit)
    console.print(f"{sent:,} events added to {to}")
