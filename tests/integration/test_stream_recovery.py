"""Kill `commercelens stream run` (SIGKILL) at random moments, restart it with the same arguments
until it finishes, and compare every sink with an uninterrupted run: the same alerts, KPI
windows and dead letters, none of them twice, and a processor state that counted each event once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from commercelens.stream import checkpoint as ckpt
from commercelens.stream.redis_io import produce
from commercelens.stream.run import RunSummary
from commercelens.stream.uri import redis_parts
from tests.integration.stream_support import (
    Outputs,
    assert_same_output,
    closed_by,
    duckdb_outputs,
    file_replay,
    jsonl_outputs,
    payments_file,
    redis_outputs,
    watermark_after,
)

pytestmark = pytest.mark.integration

ROWS = 100_000
MALFORMED = 10
BATCH = 2_000
KILL_DELAY = (0.3, 2.5)  # seconds after the run started processing
STARTUP_TIMEOUT = 60.0
RUN_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def payments(tmp_path_factory) -> tuple[Path, RunSummary, Outputs]:
    """A 100,000-transaction file with malformed rows, and its uninterrupted file replay."""
    root = tmp_path_factory.mktemp("stream_recovery")
    path = payments_file(root / "payments", ROWS, seed=5, malformed=MALFORMED)
    summary, outputs = file_replay(path, root / "reference" / "alerts.jsonl", batch_size=BATCH)
    assert summary.counts.dead_lettered == MALFORMED and summary.counts.late == 0
    return path, summary, outputs


@dataclass
class Kill:
    after_seconds: float
    landed: bool  # the process was still running when killed
    resumable: bool  # an unfinished checkpoint was on disk: the next run resumes mid-stream


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else -1


def _wait_until_processing(process: subprocess.Popen, progress: Path) -> None:
    """Until the run touches its JSON lines KPI file (sinks open, restore, first batch) or exits.

    Starting the interpreter and importing takes seconds; the kill delays count from here so
    that they land in the stream loop, not in the imports.
    """
    before = _size(progress)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while process.poll() is None and _size(progress) == before:
        if time.monotonic() > deadline:
            pytest.fail(f"stream run did not start processing within {STARTUP_TIMEOUT:.0f} s")
        time.sleep(0.02)


def run_with_kills(
    args: list[str],
    env: dict[str, str],
    progress: Path,
    checkpoint_dir: Path,
    logs: Path,
    *,
    kills: int,
    seed: int,
) -> list[Kill]:
    """Run `args`, SIGKILL it `kills` times at random moments, then let it finish (exit 0)."""
    rng = random.Random(seed)
    done: list[Kill] = []
    for attempt in range(kills + 1):
        log = logs / f"run-{attempt}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT, env=env)
        try:
            if attempt < kills:
                _wait_until_processing(process, progress)
                delay = rng.uniform(*KILL_DELAY)
                time.sleep(delay)
                landed = process.poll() is None
                if landed:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    saved = ckpt.load(checkpoint_dir)
                    done.append(Kill(delay, True, saved is not None and not saved.finished))
                    continue
                done.append(Kill(delay, False, False))
            code = process.wait(timeout=RUN_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert code == 0, f"stream run exited {code}:\n{log.read_text(errors='replace')}"
        return done
    raise AssertionError("unreachable")


def _cli(*options: str) -> list[str]:
    return [sys.executable, "-m", "commercelens.cli.app", "stream", "run", *options]


def _common(checkpoint_dir: Path) -> list[str]:
    return [
        "--checkpoint-dir",
        str(checkpoint_dir),
        "--no-model",
        "--batch-size",
        str(BATCH),
        "--checkpoint-every",
        "0.25",
        "--json",
    ]


def _assert_killed_mid_run(kills: list[Kill]) -> None:
    landed = [k for k in kills if k.landed]
    assert len(landed) >= 2, f"too few kills landed mid-run to test recovery: {kills}"
    assert any(k.resumable for k in landed), f"no kill left a checkpoint to resume from: {kills}"


def _assert_state_counted_each_event_once(
    checkpoint_dir: Path, expected: RunSummary, *, live: bool = False
) -> None:
    final = ckpt.load(checkpoint_dir)
    # a file run ends finished; a live stream that went idle is resumable, never finished
    assert final is not None and final.finished is not live
    counts = final.state.counts
    assert counts.processed == expected.counts.processed
    assert counts.alerts == expected.counts.alerts and counts.alerted == expected.counts.alerted
    assert counts.dead_lettered == expected.counts.dead_lettered and counts.late == 0


def test_file_replay_killed_repeatedly_equals_an_uninterrupted_run(payments, tmp_path):
    path, summary, expected = payments
    out, db, checkpoint = (
        tmp_path / "out" / "alerts.jsonl",
        tmp_path / "out" / "alerts.duckdb",
        tmp_path / "ck",
    )
    # paced (about 7 s of events) so that most of the kills land before the end
    source = ["--source", str(path), "--rate", "15000"]
    args = _cli(*source, "--sink", str(out), "--sink", f"duckdb://{db}", *_common(checkpoint))
    env = {**os.environ, "COMMERCELENS_HOME": str(tmp_path / "home")}

    started = time.perf_counter()
    progress = out.with_name("alerts.kpis.jsonl")
    kills = run_with_kills(args, env, progress, checkpoint, tmp_path, kills=4, seed=20261122)
    print(f"file replay with kills {kills}: {time.perf_counter() - started:.1f} s")

    _assert_killed_mid_run(kills)
    _assert_state_counted_each_event_once(checkpoint, summary)
    got = jsonl_outputs(out)
    assert_same_output(got, expected, "JSON lines sink")
    assert got.alerts.sort("alert_id").equals(expected.alerts.sort("alert_id"))
    assert got.kpis.sort("window_start", "channel", "mcc_group").equals(
        expected.kpis.sort("window_start", "channel", "mcc_group")
    )
    assert got.dead.sort("offset").equals(expected.dead.sort("offset"))
    table = duckdb_outputs(db)
    assert_same_output(table, expected, "DuckDB sink")
    assert sorted(table.dead["offset"].to_list()) == sorted(expected.dead["offset"].to_list())


def test_redis_stream_killed_repeatedly_equals_an_uninterrupted_run(payments, redis_url, redis_key, tmp_path):
    redis = pytest.importorskip("redis")
    path, summary, expected = payments
    host, port, _ = redis_parts(f"{redis_url}/x")
    assert produce(path, host, port, f"{redis_key}:in") == ROWS
    out, checkpoint = tmp_path / "out" / "alerts.jsonl", tmp_path / "ck"
    args = _cli(
        "--source",
        f"{redis_url}/{redis_key}:in",
        "--sink",
        f"{redis_url}/{redis_key}:out",
        "--sink",
        str(out),
        "--idle-timeout",
        "1",
        *_common(checkpoint),
    )
    env = {**os.environ, "COMMERCELENS_HOME": str(tmp_path / "home")}

    started = time.perf_counter()
    progress = out.with_name("alerts.kpis.jsonl")
    kills = run_with_kills(args, env, progress, checkpoint, tmp_path, kills=3, seed=20261123)
    print(f"Redis stream with kills {kills}: {time.perf_counter() - started:.1f} s")

    _assert_killed_mid_run(kills)
    _assert_state_counted_each_event_once(checkpoint, summary, live=True)
    expected = closed_by(expected, watermark_after(path))  # an idle live stream keeps its last windows open
    got = jsonl_outputs(out)
    assert_same_output(got, expected, "JSON lines sink")
    assert got.alerts.sort("alert_id").equals(expected.alerts.sort("alert_id"))
    client = redis.Redis(host=host, port=port)
    try:
        assert_same_output(redis_outputs(client, f"{redis_key}:out"), expected, "Redis sink")
        assert client.xpending(f"{redis_key}:in", "commercelens")["pending"] == 0
    finally:
        client.close()
