"""The stream loop: source -> parse -> processor -> sinks, with checkpoints between steps.

Order per checkpoint: sinks commit (durable) -> checkpoint file replaced -> source commit (Redis
acknowledges). A crash before the checkpoint replays from the previous one and the sinks make
the rewrite harmless, so the final output equals an uninterrupted run's, with no duplicates.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from commercelens.stream import checkpoint as ckpt
from commercelens.stream.events import DEAD_LETTER_SCHEMA, parse
from commercelens.stream.processor import Counts, Processor, StepOutput
from commercelens.stream.sinks import Sink
from commercelens.stream.sources import Source

LATE_REASON = "late: event time before the watermark (allowed lateness {seconds} s)"


@dataclass(frozen=True)
class RunSummary:
    source: str
    sinks: list[str]
    counts: Counts
    seconds: float
    resumed: bool
    model: str

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "counts": asdict(self.counts)}


def run_stream(
    source: Source,
    sinks: list[Sink],
    processor: Processor,
    *,
    checkpoint_dir: Path | None = None,
    batch_size: int = 20_000,
    checkpoint_every: float = 2.0,
    model: str = "rules only",
    max_idle_seconds: float | None = None,
) -> RunSummary:
    """Process `source` until it ends (or stays empty `max_idle_seconds`); checkpoint as it goes."""
    started = time.perf_counter()
    resumed = _restore(source, sinks, processor, checkpoint_dir)
    if resumed is not None and resumed.finished and source.bounded:
        return RunSummary(source.name, [s.name for s in sinks], processor.state.counts, 0.0, True, model)
    last_checkpoint = time.perf_counter()
    idle_since: float | None = None
    while True:
        batch = source.read(batch_size)
        if batch is None:
            break
        if not len(batch.frame) and not len(batch.dead):
            idle_since = idle_since or time.perf_counter()
            if max_idle_seconds is not None and time.perf_counter() - idle_since > max_idle_seconds:
                break
            continue
        idle_since = None
        parsed = parse(batch.frame)
        out = processor.process(parsed.events)
        _write(sinks, out, pl.concat([batch.dead, parsed.dead]), processor)
        if time.perf_counter() - last_checkpoint >= checkpoint_every:
            _checkpoint(source, sinks, processor, checkpoint_dir, finished=False)
            last_checkpoint = time.perf_counter()
    out = processor.finish(end_of_input=source.bounded)
    _write(sinks, out, pl.DataFrame(schema=DEAD_LETTER_SCHEMA), processor)
    _checkpoint(source, sinks, processor, checkpoint_dir, finished=source.bounded)
    seconds = time.perf_counter() - started
    return RunSummary(
        source.name, [s.name for s in sinks], processor.state.counts, seconds, resumed is not None, model
    )


def _write(sinks: list[Sink], out: StepOutput, dead: pl.DataFrame, processor: Processor) -> None:
    late = out.late.select(
        "offset",
        pl.lit("event_time").alias("field"),
        pl.lit(LATE_REASON.format(seconds=processor.allowed_lateness)).alias("reason"),
        pl.from_epoch("t", time_unit="s").cast(pl.String).alias("value"),
    )
    dead = pl.concat([dead, late])
    processor.state.counts.dead_lettered += len(dead) - len(late)
    for sink in sinks:
        sink.write("alerts", out.alerts)
        sink.write("kpis", out.kpis)
        sink.write("dead_letters", dead)


def _checkpoint(
    source: Source, sinks: list[Sink], processor: Processor, directory: Path | None, *, finished: bool
) -> None:
    """Sinks durable, then the checkpoint, then the source acknowledges. Without a checkpoint
    directory the source still acknowledges what the sinks hold (a crash then restarts with empty
    state: use --checkpoint-dir for the exactly-once guarantee)."""
    positions = {sink.name: sink.commit() for sink in sinks}
    position = source.position()
    if directory is not None:
        ckpt.save(directory, ckpt.Checkpoint(processor.state, position, positions, finished=finished))
    source.commit(position)


def _restore(
    source: Source, sinks: list[Sink], processor: Processor, directory: Path | None
) -> ckpt.Checkpoint | None:
    checkpoint = ckpt.load(directory) if directory else None
    if checkpoint is None:
        for sink in sinks:
            sink.restore(None)
        return None
    processor.state = checkpoint.state
    source.restore(checkpoint.source_position)
    for sink in sinks:
        sink.restore(checkpoint.sink_positions.get(sink.name))
    return checkpoint
