"""Redis Streams end to end on the local server: source, sink, producer, dead letters, redelivery."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from commercelens.stream.events import RAW_COLUMNS
from commercelens.stream.redis_io import RedisSink, RedisSource, entry_offset, produce
from commercelens.stream.run import run_stream
from commercelens.stream.sinks import DuckDBSink, JsonLinesSink
from commercelens.stream.uri import redis_parts
from tests.integration.stream_support import (
    Outputs,
    alert_ids,
    assert_same_output,
    closed_by,
    duckdb_outputs,
    file_replay,
    jsonl_outputs,
    payments_file,
    processor,
    redis_outputs,
    watermark_after,
)

redis = pytest.importorskip("redis")

pytestmark = pytest.mark.integration

ROWS = 20_000
BATCH = 2_000


@pytest.fixture(scope="module")
def payments(tmp_path_factory) -> tuple[Path, Outputs]:
    """A payments file with a few malformed rows, and its uninterrupted file replay as a live stream
    has it when it goes idle (the last KPI windows still open)."""
    root = tmp_path_factory.mktemp("stream_redis")
    path = payments_file(root / "payments", ROWS, seed=11, malformed=6)
    summary, outputs = file_replay(path, root / "reference" / "alerts.jsonl", batch_size=BATCH)
    assert summary.counts.processed == ROWS - 6 and summary.counts.dead_lettered == 6
    assert summary.counts.alerts > 100
    return path, closed_by(outputs, watermark_after(path))


@pytest.fixture
def server(redis_url, redis_key):
    """(host, port, key prefix, client) for one test; its keys are deleted afterwards."""
    host, port, _ = redis_parts(f"{redis_url}/x")
    client = redis.Redis(host=host, port=port)
    yield host, port, redis_key, client
    client.close()


def _run(source, sinks, checkpoint_dir: Path | None, **options):
    try:
        return run_stream(source, sinks, processor(), checkpoint_dir=checkpoint_dir, **options)
    finally:
        for sink in sinks:
            sink.close()
        source.close()


def _pending(client, key: str) -> int:
    return client.xpending(key, "commercelens")["pending"]


def test_a_redis_replay_equals_the_file_replay(payments, server, tmp_path):
    path, expected = payments
    host, port, prefix, client = server
    started = time.perf_counter()
    assert produce(path, host, port, f"{prefix}:in") == ROWS
    produced = time.perf_counter() - started
    assert client.xlen(f"{prefix}:in") == ROWS

    sinks = [
        JsonLinesSink(tmp_path / "out" / "alerts.jsonl"),
        DuckDBSink(tmp_path / "out" / "alerts.duckdb", source_name="redis"),
        RedisSink(host, port, f"{prefix}:out"),
    ]
    source = RedisSource(host, port, f"{prefix}:in")
    summary = _run(source, sinks, tmp_path / "checkpoint", batch_size=BATCH, max_idle_seconds=0.3)

    assert summary.counts.processed == ROWS - 6 and summary.counts.dead_lettered == 6
    assert summary.counts.late == 0
    got = jsonl_outputs(tmp_path / "out" / "alerts.jsonl")
    assert_same_output(got, expected, "JSON lines sink")
    # the same alerts and windows, value for value, whatever the source
    assert got.alerts.sort("alert_id").equals(expected.alerts.sort("alert_id"))
    assert got.kpis.sort("window_start", "channel", "mcc_group").equals(
        expected.kpis.sort("window_start", "channel", "mcc_group")
    )
    assert_same_output(duckdb_outputs(tmp_path / "out" / "alerts.duckdb"), expected, "DuckDB sink")
    assert_same_output(redis_outputs(client, f"{prefix}:out"), expected, "Redis sink")
    assert _pending(client, f"{prefix}:in") == 0, "every entry is acknowledged at the end"
    print(f"produce {ROWS:,}: {produced:.2f} s; stream run: {summary.seconds:.2f} s")


def test_events_produced_while_the_processor_waits_are_processed(payments, server, tmp_path):
    path, expected = payments
    host, port, prefix, client = server
    key = f"{prefix}:in"
    source = RedisSource(host, port, key)  # the group exists before the first event
    produced: list[int] = []
    producer = threading.Thread(target=lambda: produced.append(produce(path, host, port, key, rate=15_000)))
    out = tmp_path / "alerts.jsonl"
    producer.start()
    try:
        summary = _run(
            source, [JsonLinesSink(out)], tmp_path / "checkpoint", batch_size=BATCH, max_idle_seconds=1.0
        )
    finally:
        producer.join()
    assert produced == [ROWS]
    assert summary.counts.processed == ROWS - 6 and summary.counts.late == 0
    assert_same_output(jsonl_outputs(out), expected, "JSON lines sink")
    assert _pending(client, key) == 0


def test_offsets_increase_with_entry_ids_and_the_batch_has_the_raw_columns(payments, server):
    path, _ = payments
    host, port, prefix, client = server
    produce(path, host, port, f"{prefix}:in", limit=5)
    source = RedisSource(host, port, f"{prefix}:in")
    try:
        batch = source.read(100)
        ids = [i.decode() for i, _ in client.xrange(f"{prefix}:in")]
        assert batch.frame.schema == {"offset": pl.Int64, **dict.fromkeys(RAW_COLUMNS, pl.String)}
        assert batch.frame["offset"].to_list() == [entry_offset(i) for i in ids]
        assert batch.frame["offset"].is_sorted() and batch.frame["offset"].n_unique() == 5
        assert source.position() == ids
        assert batch.dead.is_empty()
        empty = source.read(100)  # nothing new: an empty batch after the block time, not None
        assert empty is not None and empty.frame.is_empty()
    finally:
        source.close()
    assert entry_offset("1700000000000-3") < entry_offset("1700000000000-4") < entry_offset("1700000000001-0")


def test_rewriting_into_the_redis_sink_adds_nothing(server):
    host, port, prefix, client = server
    alerts = pl.DataFrame(
        {
            "alert_id": ["a1", "a2", "a1"],  # a1 twice in one write: stored once
            "transaction_id": [1, 2, 1],
            "event_time": [datetime(2024, 5, 1, 12, 0, 7)] * 3,
            "model_probability": [None, 0.25, None],
        }
    )
    kpis = pl.DataFrame(
        {
            "window_start": [60, 60],
            "channel": ["chip", "online"],
            "mcc_group": ["retail", "retail"],
            "n": [3, 4],
        }
    )
    dead = pl.DataFrame({"offset": [17], "field": ["amount"], "reason": ["bad"], "value": [None]})
    sink = RedisSink(host, port, f"{prefix}:out")
    try:
        for _ in range(2):  # the replay after a crash writes the same rows again
            sink.write("alerts", alerts)
            sink.write("kpis", kpis)
            sink.write("dead_letters", dead)
            assert sink.commit() is None
    finally:
        sink.close()
    out = redis_outputs(client, f"{prefix}:out")
    assert out.alerts.to_dicts() == [
        {
            "alert_id": "a1",
            "transaction_id": "1",
            "event_time": "2024-05-01 12:00:07",
            "model_probability": "",
        },
        {
            "alert_id": "a2",
            "transaction_id": "2",
            "event_time": "2024-05-01 12:00:07",
            "model_probability": "0.25",
        },
    ]
    assert out.kpis["channel"].to_list() == ["chip", "online"]
    assert out.dead.to_dicts() == [{"offset": "17", "field": "amount", "reason": "bad", "value": ""}]
    assert client.scard(f"{prefix}:out:ids") == 5


def test_entries_that_are_not_events_are_dead_lettered_and_acknowledged(payments, server, tmp_path):
    path, _ = payments
    host, port, prefix, client = server
    key = f"{prefix}:in"
    produce(path, host, port, key, limit=3)
    note = client.xadd(key, {"note": "hello"}).decode()  # no transaction field at all
    binary = client.xadd(key, {"id": b"\xff\xfe", "amount": "$1.00"}).decode()  # not UTF-8
    gone = client.xadd(key, {"id": "99", "amount": "$2.00"}).decode()
    first = RedisSource(host, port, key)
    try:
        first.read(100)  # delivered, then the consumer dies before a checkpoint ...
    finally:
        first.close()
    client.xdel(key, gone)  # ... and the entry is deleted: pending, but with no fields

    out = tmp_path / "alerts.jsonl"
    summary = _run(
        RedisSource(host, port, key),
        [JsonLinesSink(out), RedisSink(host, port, f"{prefix}:out")],
        tmp_path / "checkpoint",
        batch_size=BATCH,
        max_idle_seconds=0.3,
    )
    assert summary.counts.processed == 3
    assert summary.counts.dead_lettered == 3
    dead = {row["offset"]: row for row in jsonl_outputs(out).dead.to_dicts()}
    assert set(dead) == {entry_offset(note), entry_offset(binary), entry_offset(gone)}
    assert dead[entry_offset(note)]["field"] == "id"  # parsed: the transaction id is missing
    assert dead[entry_offset(binary)]["field"] == "entry"
    assert "not UTF-8" in dead[entry_offset(binary)]["reason"]
    assert dead[entry_offset(gone)]["field"] == "entry"
    assert "no fields" in dead[entry_offset(gone)]["reason"]
    assert client.xlen(f"{prefix}:out:dead") == 3
    assert _pending(client, key) == 0, "dead letters are acknowledged, never re-read"


class Crash(Exception):
    """A simulated kill of the processor."""


class CrashingSource:
    """A RedisSource that dies on its `crash_on_read`-th read (after the entries were delivered)
    or on its `crash_on_commit`-th commit (after the checkpoint was saved, before the XACK)."""

    def __init__(self, inner: RedisSource, *, crash_on_read: int = 0, crash_on_commit: int = 0) -> None:
        self.inner, self.name = inner, inner.name
        self.crash_on_read, self.crash_on_commit = crash_on_read, crash_on_commit
        self.reads = self.commits = 0

    def read(self, max_events):
        batch = self.inner.read(max_events)
        self.reads += 1
        if self.reads == self.crash_on_read:
            raise Crash
        return batch

    def commit(self, position):
        self.commits += 1
        if self.commits == self.crash_on_commit:
            raise Crash
        self.inner.commit(position)

    def position(self):
        return self.inner.position()

    def restore(self, position):
        self.inner.restore(position)

    def close(self):
        self.inner.close()


@pytest.mark.parametrize(
    ("crash", "checkpoint_every"),
    [
        ({"crash_on_read": 5}, 0.0),  # 4 batches checkpointed, the 5th delivered, never processed
        ({"crash_on_read": 5}, 1e9),  # no checkpoint yet: everything delivered is re-read
        ({"crash_on_commit": 3}, 0.0),  # checkpoint 3 saved, its XACK lost
    ],
    ids=["after-checkpoints", "before-any-checkpoint", "between-checkpoint-and-ack"],
)
def test_pending_entries_are_redelivered_after_a_crash_and_processed_once(
    payments, server, tmp_path, crash, checkpoint_every
):
    path, expected = payments
    host, port, prefix, client = server
    key = f"{prefix}:in"
    produce(path, host, port, key)
    out, checkpoint = tmp_path / "alerts.jsonl", tmp_path / "checkpoint"

    def sinks():
        return [JsonLinesSink(out), RedisSink(host, port, f"{prefix}:out")]

    crashing = CrashingSource(RedisSource(host, port, key), **crash)
    with pytest.raises(Crash):
        _run(crashing, sinks(), checkpoint, batch_size=BATCH, checkpoint_every=checkpoint_every)
    assert _pending(client, key) > 0
    resumed = _run(
        RedisSource(host, port, key),
        sinks(),
        checkpoint,
        batch_size=BATCH,
        checkpoint_every=checkpoint_every,
        max_idle_seconds=0.3,
    )
    # exactly once in the state: a twice-processed event would be counted and be late
    assert resumed.counts.processed == ROWS - 6
    assert resumed.counts.late == 0 and resumed.counts.dead_lettered == 6
    assert_same_output(jsonl_outputs(out), expected, "JSON lines sink")
    assert_same_output(redis_outputs(client, f"{prefix}:out"), expected, "Redis sink")
    assert _pending(client, key) == 0


def test_entries_left_pending_by_a_dead_consumer_are_claimed(payments, server, tmp_path):
    path, expected = payments
    host, port, prefix, client = server
    key = f"{prefix}:in"
    produce(path, host, port, key)
    dead = RedisSource(host, port, key, consumer="processor-0")
    try:
        assert len(dead.read(3 * BATCH).frame) == 3 * BATCH  # delivered, never acknowledged
    finally:
        dead.close()
    time.sleep(0.3)

    out = tmp_path / "alerts.jsonl"
    summary = _run(
        RedisSource(host, port, key, consumer="processor-1", min_idle_seconds=0.2),
        [JsonLinesSink(out)],
        tmp_path / "checkpoint",
        batch_size=BATCH,
        max_idle_seconds=0.3,
    )
    assert summary.counts.processed == ROWS - 6 and summary.counts.late == 0
    assert_same_output(jsonl_outputs(out), expected, "JSON lines sink")
    assert _pending(client, key) == 0
    consumers = {c["name"].decode(): c["pending"] for c in client.xinfo_consumers(key, "commercelens")}
    assert consumers == {"processor-0": 0, "processor-1": 0}
    assert alert_ids(jsonl_outputs(out).alerts)


def test_without_a_checkpoint_the_entries_are_still_acknowledged_once_written(payments, server, tmp_path):
    path, _ = payments
    host, port, prefix, client = server
    key = f"{prefix}:in"
    produce(path, host, port, key, limit=500)
    first = _run(
        RedisSource(host, port, key), [JsonLinesSink(tmp_path / "a.jsonl")], None, max_idle_seconds=0.3
    )
    assert first.counts.processed + first.counts.dead_lettered == 500
    assert _pending(client, key) == 0
    again = _run(
        RedisSource(host, port, key), [JsonLinesSink(tmp_path / "b.jsonl")], None, max_idle_seconds=0.3
    )
    assert again.counts.processed == 0


def test_a_live_stream_resumes_after_an_idle_stop_and_equals_one_replay(payments, server, tmp_path):
    path, expected = payments
    host, port, prefix, _ = server
    key = f"{prefix}:in"
    rows = pl.read_csv(path, infer_schema=False)
    # cut where the event second changes: an idle stop moves the watermark past the newest event
    stamps = rows.select(pl.coalesce("event_time", "date")).to_series()
    cut = next(i for i in range(len(rows) // 2, len(rows)) if stamps[i] != stamps[i - 1])
    halves = [tmp_path / "first.csv", tmp_path / "second.csv"]
    rows.head(cut).write_csv(halves[0])
    rows.slice(cut).write_csv(halves[1])
    out, checkpoint = tmp_path / "alerts.jsonl", tmp_path / "checkpoint"
    processed = 0
    for half in halves:
        produce(half, host, port, key)
        summary = _run(RedisSource(host, port, key), [JsonLinesSink(out)], checkpoint, max_idle_seconds=0.3)
        processed = summary.counts.processed
    assert processed == ROWS - 6  # counts carry across the two runs
    assert set(jsonl_outputs(out).alerts["alert_id"].to_list()) == set(expected.alerts["alert_id"].to_list())
