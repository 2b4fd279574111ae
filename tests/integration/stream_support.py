"""Shared by the stream tests: a payments file with malformed rows, a file replay, sink readers."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from commercelens.generate import generate
from commercelens.stream.processor import Processor
from commercelens.stream.rules import load_rules
from commercelens.stream.run import RunSummary, run_stream
from commercelens.stream.sinks import JsonLinesSink
from commercelens.stream.sources import FileSource

KPI_KEY = ("window_start", "channel", "mcc_group")


def payments_file(directory: Path, rows: int, seed: int, malformed: int = 0) -> Path:
    """Generated transactions; `malformed` of them get an amount or a date that does not parse."""
    generate("payments", directory, rows=rows, seed=seed)
    path = directory / "transactions_data.csv"
    if malformed:
        frame = pl.read_csv(path, infer_schema=False).with_row_index("_row")
        bad = random.Random(seed).sample(range(len(frame)), malformed)
        bad_amount, bad_date = bad[::2], bad[1::2]
        frame = frame.with_columns(
            pl.when(pl.col("_row").is_in(bad_amount))
            .then(pl.lit("12 dollars"))
            .otherwise("amount")
            .alias("amount"),
            pl.when(pl.col("_row").is_in(bad_date)).then(pl.lit("yesterday")).otherwise("date").alias("date"),
            pl.when(pl.col("_row").is_in(bad_date)).then(None).otherwise("event_time").alias("event_time"),
        )
        frame.drop("_row").write_csv(path)
    return path


def processor() -> Processor:
    """The processor `stream run --no-model` builds with the default rules."""
    return Processor(load_rules(None))


@dataclass(frozen=True)
class Outputs:
    alerts: pl.DataFrame
    kpis: pl.DataFrame
    dead: pl.DataFrame


def file_replay(path: Path, out: Path, *, batch_size: int = 2_000) -> tuple[RunSummary, Outputs]:
    """An uninterrupted replay of `path` into a JSON lines sink: the reference output."""
    source, sink = FileSource(path), JsonLinesSink(out)
    try:
        summary = run_stream(source, [sink], processor(), batch_size=batch_size)
    finally:
        sink.close()
        source.close()
    return summary, jsonl_outputs(out)


def _ndjson(path: Path) -> pl.DataFrame:
    return pl.read_ndjson(path) if path.stat().st_size else pl.DataFrame()


def jsonl_outputs(path: Path) -> Outputs:
    stem = path.name.removesuffix(".jsonl")
    return Outputs(
        _ndjson(path),
        _ndjson(path.with_name(f"{stem}.kpis.jsonl")),
        _ndjson(path.with_name(f"{stem}.dead.jsonl")),
    )


def duckdb_outputs(path: Path) -> Outputs:
    with duckdb.connect(str(path), read_only=True) as con:
        return Outputs(
            con.sql("select * from ops.fraud_alerts").pl(),
            con.sql("select * from ops.stream_kpis").pl(),
            con.sql("select * from ops.stream_dead_letters").pl(),
        )


# Pages of a stream as one JSON document per call (and the page's last id): redis-py parses
# 200,000 entries of 9 fields slowly, the server's cjson and Polars' JSON reader at once.
_DUMP = """
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
if #entries == 0 then return {'', '[]'} end
local rows = {}
for i, entry in ipairs(entries) do
  local row = {}
  for j = 1, #entry[2], 2 do row[entry[2][j]] = entry[2][j + 1] end
  rows[i] = row
end
return {entries[#entries][1], cjson.encode(rows)}
"""


def stream_frame(client, key: str, page: int = 50_000) -> pl.DataFrame:
    """Every entry of a Redis stream: its fields as string columns, in stream order."""
    dump = client.register_script(_DUMP)
    pages: list[pl.DataFrame] = []
    start = "-"
    while True:
        last, rows = dump(keys=[key], args=[start, page])
        if not last:
            break
        pages.append(pl.read_json(io.BytesIO(rows)))
        start = "(" + last.decode()
    return pl.concat(pages, how="diagonal") if pages else pl.DataFrame()


def redis_outputs(client, key: str) -> Outputs:
    return Outputs(
        stream_frame(client, key), stream_frame(client, f"{key}:kpis"), stream_frame(client, f"{key}:dead")
    )


def kpi_keys(kpis: pl.DataFrame) -> list[tuple[str, str, str]]:
    if kpis.is_empty():
        return []
    return [tuple(map(str, row)) for row in kpis.select(KPI_KEY).iter_rows()]


def alert_ids(alerts: pl.DataFrame) -> list[str]:
    return [] if alerts.is_empty() else alerts["alert_id"].to_list()


def dead_reasons(dead: pl.DataFrame) -> list[tuple[str, str, str]]:
    """(field, reason, value) of each dead letter, sorted: what a reader of them learns."""
    if dead.is_empty():
        return []
    return sorted(
        (str(f), str(r), str(v or "")) for f, r, v in dead.select("field", "reason", "value").iter_rows()
    )


def watermark_after(path: Path) -> int:
    """The watermark after a file's newest event (Unix seconds): where an idle live stream stops."""
    rows = pl.read_csv(path, infer_schema=False, truncate_ragged_lines=True)
    stamp = pl.coalesce("event_time", "date").str.strptime(pl.Datetime("us"), strict=False)
    return int(rows.select(stamp.dt.epoch("s").max()).item()) + 1


def closed_by(expected: Outputs, watermark: int) -> Outputs:
    """A file replay's outputs as a live stream has them at `watermark`: the KPI windows still open
    there (a live stream is never at its end) are not emitted yet."""
    return Outputs(expected.alerts, expected.kpis.filter(pl.col("window_end") <= watermark), expected.dead)


def assert_same_output(got: Outputs, expected: Outputs, what: str) -> None:
    """Equal alert ids and KPI windows, as sets, and no id twice; same dead letters."""
    ids, keys = alert_ids(got.alerts), kpi_keys(got.kpis)
    assert len(ids) == len(set(ids)), f"{what}: {len(ids) - len(set(ids))} duplicate alert ids"
    assert len(keys) == len(set(keys)), f"{what}: {len(keys) - len(set(keys))} duplicate KPI windows"
    assert set(ids) == set(alert_ids(expected.alerts)), f"{what}: alert ids differ"
    assert set(keys) == set(kpi_keys(expected.kpis)), f"{what}: KPI windows differ"
    assert dead_reasons(got.dead) == dead_reasons(expected.dead), f"{what}: dead letters differ"
