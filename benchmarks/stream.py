"""Issue 6 figures: the real-time fraud stream (`stream/`), against a naive per-event pandas loop.

    cd benchmarks && ../.venv/bin/python stream.py [--workdir W] [--data-dir D] [--dir SCRATCH]
        [--batch-sizes 20000 5000 50000] [--latency-events 600000] [--latency-rate 10000]
        [--redis-url redis://127.0.0.1:6379] [--redis-events 200000] [--baseline-events 100000]
        [--profile-events N] [--only throughput latency redis baseline profile] [--rules-only]

Model: (b) needs a trained fraud champion. `--workdir W` names a workdir where `commercelens demo`
has run (its `models/fraud` champion, its warehouse for the MCC risk, opened read-only, and its
`data/payments`). Without `--workdir` the script first runs `commercelens --workdir SCRATCH/home
demo` (generate, ingest, dbt, train: about 2-4 minutes on an idle 2-core machine, 11 minutes
when tried at load 6-7; reported, not part of any figure). Data: `--data-dir` (a payments directory), else the workdir's `data/payments`; with
`--rules-only` and neither, `generate("payments", scale="small", seed=42)` (about 1M
transactions) into the scratch directory.

Every measured run is a fresh interpreter (`_measure.run_child`); the 1-minute load average is
read just before each one and printed beside it (the machines are shared).

1. File replay, one process: `run_stream(FileSource -> JsonLinesSink)`, (a) rules only,
   (b) rules + the fraud model, batch sizes 20,000 (the default), 5,000 and 50,000.
   events/s = events / run_stream's wall time (read batch + parse + process + sink write, the
   final fsync included). FileSource reads the whole file at construction: reported apart.
2. Event-to-alert latency at a paced rate: event i is due at start + i / rate; a loop hands the
   processor whatever is due each iteration (parse, process, write to the JSONL sink) and
   records when each step's sink write finished. Latency of an alert: that time minus its
   event's due time; of an event: the same for the step that released it (with allowed lateness
   0 an event waits for the next event of a later second, 0.1 ms later at 10,000/s). Events
   released only by the end-of-input `finish()` are left out (counted).
3. Redis Streams: `produce` the first --redis-events transactions into a fresh stream key
   (events/s, including reading the file), then `run_stream(RedisSource -> JsonLinesSink)` and
   `-> RedisSink`, each with its own consumer group on that stream, until idle for 1 s.
   events/s = events processed up to the last step before the idle wait / time to it.
   Every key is deleted afterwards.
4. Baseline: the seven rules as the replaced Streamify project computed them: pandas `read_csv`,
   then a per-event `itertuples` loop in event-time order with per-card Python state (deques of
   recent (t, amount), sets of merchants and devices, running mean and variance, the previous
   card-present position). Windows that include t include the card's other events of the same
   second (docs/stream.md), so the loop buffers one second at a time: every event of the second
   enters the card's window first, then the events of that second are evaluated in
   transaction-id order, each seeing the "earlier" state (sets, moments, previous position)
   of the events before it. Run on the first --baseline-events transactions, beside the
   processor (rules only) on the same prefix; their (transaction_id, rule) hits are compared.
   The same loop over `iterrows` (a Series per row, the slower idiom) is timed too.
5. Profile: cProfile of (b) at batch 20,000; cumulative time of the processor's stages.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _measure import Measured, machine, run_child, today

HERE = Path(__file__).resolve().parent
PARTS = ("throughput", "latency", "redis", "baseline", "profile")


# --- helpers the children import -------------------------------------------------------------


def make_processor(workdir: str | None, with_model: bool):
    """(Processor, model description). The model as `scoring.load_scorer` builds it, except that
    the workdir's warehouse is opened read-only (others may be using it)."""
    from commercelens.stream.processor import Processor
    from commercelens.stream.rules import load_rules

    if not with_model:
        return Processor(load_rules()), "rules only"
    from commercelens.config import load_settings
    from commercelens.features.build import fraud_mcc_risk
    from commercelens.ml.tasks import champion
    from commercelens.stream.scoring import KEEP_SECONDS, FraudScorer
    from commercelens.warehouse import open_warehouse

    settings = load_settings(home=Path(workdir))
    bundle = champion(settings, "fraud")
    with open_warehouse(settings, read_only=True) as warehouse:
        mcc_risk = fraud_mcc_risk(warehouse)
    scorer = FraudScorer(bundle, mcc_risk)
    trees = f", {bundle.best_iteration} trees" if bundle.best_iteration else ""
    return (
        Processor(load_rules(), scorer=scorer, keep_seconds=KEEP_SECONDS),
        f"fraud {bundle.family}{trees}, trained {bundle.trained_at}",
    )


def _jsonl_sink(out: str):
    from commercelens.stream.sinks import JsonLinesSink

    sink = JsonLinesSink(Path(out))
    sink.restore(None)  # truncate
    return sink


def replay(data: str, out: str, workdir: str | None, with_model: bool, batch: int) -> dict:
    """1. run_stream(FileSource -> JsonLinesSink) as fast as possible."""
    from commercelens.stream.run import run_stream
    from commercelens.stream.sources import FileSource

    processor, model = make_processor(workdir, with_model)
    started = time.perf_counter()
    source = FileSource(Path(data))
    load_seconds = time.perf_counter() - started
    sink = _jsonl_sink(out)
    summary = run_stream(source, [sink], processor, batch_size=batch, model=model)
    sink.close()
    c = summary.counts
    return {
        "model": model,
        "load_seconds": load_seconds,
        "seconds": summary.seconds,
        "processed": c.processed,
        "alerts": c.alerts,
        "alerted": c.alerted,
        "late": c.late,
        "dead": c.dead_lettered,
    }


def _quantiles(values) -> dict:
    import numpy as np

    values = np.asarray(values, dtype=float)
    if not len(values):
        return {"n": 0}
    p50, p99 = np.quantile(values, [0.5, 0.99])
    return {"n": len(values), "p50": float(p50), "p99": float(p99), "max": float(values.max())}


def paced(data: str, out: str, workdir: str | None, with_model: bool, events: int, rate: float) -> dict:
    """2. The processor driven on a schedule: event i is due at start + i / rate."""
    import numpy as np
    import polars as pl

    from commercelens.stream.events import parse
    from commercelens.stream.run import _write
    from commercelens.stream.sources import FileSource

    processor, model = make_processor(workdir, with_model)
    raw = FileSource(Path(data)).frame.head(events)
    n = len(raw)
    offsets = raw["offset"].to_numpy()
    sink = _jsonl_sink(out)
    done = np.full(n, np.nan)  # when the step that released event i finished writing
    alert_ids: list[pl.Series] = []
    alert_done: list[np.ndarray] = []
    step_sizes: list[int] = []
    step_seconds: list[float] = []
    lo = nxt = 0
    start = time.perf_counter() + 0.05
    while nxt < n:
        now = time.perf_counter()
        due = min(n, int((now - start) * rate) + 1) if now >= start else 0
        if due <= nxt:
            time.sleep(max(0.0, start + nxt / rate - now))
            continue
        parsed = parse(raw.slice(nxt, due - nxt))
        step = processor.process(parsed.events)
        _write([sink], step, parsed.dead, processor)
        finished = time.perf_counter()
        step_sizes.append(due - nxt)
        step_seconds.append(finished - now)
        nxt = due
        pending = offsets[lo:nxt]
        released = ~np.isin(pending, processor.state.buffer["offset"].to_numpy()) & np.isnan(done[lo:nxt])
        done[lo:nxt][released] = finished
        still = np.flatnonzero(np.isnan(done[lo:nxt]))
        lo = lo + int(still[0]) if len(still) else nxt
        if len(step.alerts):
            alert_ids.append(step.alerts["transaction_id"])
            alert_done.append(np.full(len(step.alerts), finished))
    last = processor.finish()
    _write([sink], last, parse(raw.clear()).dead, processor)
    sink.commit()
    sink.close()
    by_finish = int(np.isnan(done).sum())
    due_at = start + np.arange(n) / rate
    event_ms = (done - due_at)[~np.isnan(done)] * 1000
    index = pl.DataFrame({"transaction_id": raw["id"].cast(pl.Int64), "i": np.arange(n)})
    alerts = pl.DataFrame(
        {
            "transaction_id": pl.concat(alert_ids) if alert_ids else pl.Series([], dtype=pl.Int64),
            "done": np.concatenate(alert_done) if alert_done else np.array([]),
        }
    ).join(index, on="transaction_id", how="left")
    alert_ms = (alerts["done"].to_numpy() - due_at[alerts["i"].to_numpy()]) * 1000
    ok = ~np.isnan(done)
    return {
        "model": model,
        "events": n,
        "rate": rate,
        "steps": len(step_sizes),
        "events_per_step_mean": float(np.mean(step_sizes)),
        "events_per_step_max": int(np.max(step_sizes)),
        "step_ms_p50": float(np.median(step_seconds) * 1000),
        "step_ms_max": float(np.max(step_seconds) * 1000),
        "released_by_finish": by_finish,
        "alerts_by_finish": len(last.alerts),
        "alert_ms": _quantiles(alert_ms),
        "event_ms": _quantiles(event_ms),
        # the last tenth of the run: did latency stay flat (kept up) or grow (fell behind)?
        "event_ms_last_tenth": _quantiles((done - due_at)[ok][-max(1, n // 10) :] * 1000),
        "achieved_rate": float(ok.sum() / (np.nanmax(done) - start)),
    }


def redis_produce(data: str, url: str, key: str) -> dict:
    """3a. `produce` a file into a fresh stream key."""
    from commercelens.stream.redis_io import produce
    from commercelens.stream.uri import redis_parts

    host, port, _ = redis_parts(f"{url}/{key}")
    started = time.perf_counter()
    sent = produce(Path(data), host, port, key)
    return {"sent": sent, "seconds": time.perf_counter() - started}


class _TimedSink:
    """A sink that notes when each step's writes finished and how many events were processed."""

    def __init__(self, sink, processor) -> None:
        self.sink, self.processor, self.name = sink, processor, sink.name
        self.steps: list[tuple[float, int]] = []

    def write(self, kind: str, frame) -> None:
        self.sink.write(kind, frame)
        if kind == "dead_letters":  # the last of a step's three writes
            self.steps.append((time.perf_counter(), self.processor.state.counts.processed))

    def commit(self):
        return self.sink.commit()

    def restore(self, position) -> None:
        self.sink.restore(position)

    def close(self) -> None:
        self.sink.close()


def redis_replay(
    url: str, key: str, group: str, sink: str, workdir: str | None, with_model: bool, batch: int
) -> dict:
    """3b. run_stream(RedisSource -> JsonLinesSink or RedisSink) until idle for 1 s."""
    from commercelens.stream.redis_io import RedisSink, RedisSource
    from commercelens.stream.run import run_stream
    from commercelens.stream.uri import redis_parts

    host, port, _ = redis_parts(f"{url}/{key}")
    processor, model = make_processor(workdir, with_model)
    target = _jsonl_sink(sink) if sink.endswith(".jsonl") else RedisSink(host, port, sink)
    timed = _TimedSink(target, processor)
    started = time.perf_counter()
    source = RedisSource(host, port, key, group=group, consumer="bench")
    summary = run_stream(source, [timed], processor, batch_size=batch, model=model, max_idle_seconds=1.0)
    source.close()
    timed.close()
    # the last element is finish() after the idle wait: the one before is the last real step
    t, processed = timed.steps[-2] if len(timed.steps) > 1 else timed.steps[-1]
    return {
        "model": model,
        "processed": summary.counts.processed,
        "alerts": summary.counts.alerts,
        "processed_before_idle": processed,
        "seconds": t - started,
        "run_stream_seconds": summary.seconds,
    }


# --- 4. the naive per-event baseline ---------------------------------------------------------


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    import math

    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


class _Card:
    __slots__ = ("devices", "m2", "mean", "merchants", "n", "present", "window")

    def __init__(self) -> None:
        from collections import deque

        self.window: deque = deque()  # (t, amount) of the last window seconds, this second's peers included
        self.n = 0  # earlier transactions
        self.mean = 0.0  # Welford running mean and sum of squared deviations of earlier amounts
        self.m2 = 0.0
        self.merchants: set = set()
        self.devices: set = set()
        self.present: tuple[int, float, float] | None = None  # previous card-present (t, lat, lon)


def naive_rules(df, cfg, out, rows: str = "itertuples") -> dict:
    """The seven rules per event over a pandas frame of the raw CSV columns; hits to JSON lines.

    `rows`: "itertuples" (named tuples) or "iterrows" (a Series per row, the slower idiom).
    """
    import math

    import pandas as pd

    channels = {"Swipe Transaction": "swipe", "Chip Transaction": "chip", "Online Transaction": "online"}

    def column(name: str) -> pd.Series:  # an optional extension column: all missing when absent
        return df[name] if name in df else pd.Series(None, index=df.index, dtype=object)

    event_time = column("event_time")
    stamp = pd.to_datetime(event_time.fillna(df["date"]), format="%Y-%m-%d %H:%M:%S", errors="coerce")
    typed = pd.DataFrame(
        {
            "transaction_id": pd.to_numeric(df["id"], errors="coerce"),
            "t": (stamp - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1),
            "card": pd.to_numeric(df["card_id"], errors="coerce"),
            "amount": pd.to_numeric(df["amount"].str.replace("$", "", regex=False), errors="coerce"),
            "channel": df["use_chip"].map(channels),
            "merchant": pd.to_numeric(df["merchant_id"], errors="coerce"),
            "device": column("device_id"),
            "lat": pd.to_numeric(column("merchant_latitude"), errors="coerce"),
            "lon": pd.to_numeric(column("merchant_longitude"), errors="coerce"),
        }
    )
    valid = typed[["transaction_id", "t", "card", "amount", "channel"]].notna().all(axis=1)
    typed = typed[valid].sort_values(["t", "transaction_id"], kind="stable")

    rapid, velocity, travel, zscore = cfg.rapid_fire, cfg.velocity, cfg.impossible_travel, cfg.amount_zscore
    horizon = max(rapid.seconds, velocity.seconds)
    cards: dict[int, _Card] = {}
    hits = 0

    def evaluate(second: list) -> None:
        nonlocal hits
        for r in second:  # peers first: windows [t - w, t] hold the whole second
            card = cards.get(r.card)
            if card is None:
                card = cards[r.card] = _Card()
            card.window.append((r.t, r.amount))
        for r in second:  # then each event in (t, id) order against the earlier ones
            card = cards[r.card]
            w = card.window
            while w and w[0][0] < r.t - horizon:
                w.popleft()
            fired = []
            if cfg.high_amount.enabled and r.amount > cfg.high_amount.amount:
                fired.append("high_amount")
            if rapid.enabled and sum(1 for t, _ in w if t >= r.t - rapid.seconds) >= rapid.count:
                fired.append("rapid_fire")
            if velocity.enabled:
                total = sum(max(a, 0.0) for t, a in w if t >= r.t - velocity.seconds)
                if round(total, 2) > velocity.amount:
                    fired.append("velocity")
            present = r.channel != "online" and not math.isnan(r.lat) and not math.isnan(r.lon)
            if present:
                if travel.enabled and card.present is not None:
                    pt, plat, plon = card.present
                    km = _haversine(plat, plon, r.lat, r.lon)
                    hours = (r.t - pt) / 3600
                    if (km / hours > travel.kmh) if hours > 0 else km > 0:
                        fired.append("impossible_travel")
                card.present = (r.t, r.lat, r.lon)
            device = r.device if isinstance(r.device, str) and r.device.strip() else None
            if cfg.new_device.enabled and device is not None and card.n > 0 and device not in card.devices:
                fired.append("new_device")
            merchant = None if math.isnan(r.merchant) else int(r.merchant)
            if cfg.new_merchant.enabled and card.n > 0 and merchant not in card.merchants:
                fired.append("new_merchant")
            if zscore.enabled and card.n >= zscore.min_history:
                sd = math.sqrt(card.m2 / (card.n - 1))
                if sd > 1e-9 and (r.amount - card.mean) / sd > zscore.zscore:
                    fired.append("amount_zscore")
            card.n += 1
            delta = r.amount - card.mean
            card.mean += delta / card.n
            card.m2 += delta * (r.amount - card.mean)
            card.merchants.add(merchant)
            if device is not None:
                card.devices.add(device)
            for rule in fired:
                out.write(json.dumps({"transaction_id": int(r.transaction_id), "rule": rule, "t": int(r.t)}))
                out.write("\n")
            hits += len(fired)

    second: list = []
    for row in typed.itertuples(index=False) if rows == "itertuples" else (r for _, r in typed.iterrows()):
        if second and row.t != second[0].t:
            evaluate(second)
            second = []
        second.append(row)
    if second:
        evaluate(second)
    return {"events": len(typed), "dead": int((~valid).sum()), "hits": hits}


def naive(data: str, out: str, rows: str = "itertuples") -> dict:
    import pandas as pd

    from commercelens.stream.rules import load_rules

    cfg = load_rules()
    started = time.perf_counter()
    df = pd.read_csv(data, dtype=str)
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with open(out, "w") as f:
        counts = naive_rules(df, cfg, f, rows)
    return {**counts, "read_seconds": read_seconds, "seconds": time.perf_counter() - started}


# --- 5. profile ----------------------------------------------------------------------------

STAGES = (  # (label, file suffix, function name): cumulative seconds
    ("run_stream, whole loop", "stream/run.py", "run_stream"),
    ("FileSource.read (slice a batch)", "stream/sources.py", "read"),
    ("events.parse", "stream/events.py", "parse"),
    ("rules.rule_hits", "stream/rules.py", "rule_hits"),
    ("FraudScorer (features + model)", "stream/scoring.py", "__call__"),
    ("  features.fraud_features (Polars)", "stream/features.py", "fraud_features"),
    ("  bundle.predict_proba", "ml/bundle.py", "predict_proba"),
    ("    FrameEncoder.transform", "ml/encoding.py", "transform"),
    ("    raw_scores (LightGBM booster.predict)", "ml/models.py", "raw_scores"),
    ("Processor._alerts", "stream/processor.py", "_alerts"),
    ("windows.add + close (KPI windows)", "stream/windows.py", "add|close"),
    ("state.advance", "stream/state.py", "advance"),
    ("sinks (run._write)", "stream/run.py", "_write"),
)


def profile(data: str, out: str, workdir: str | None, batch: int) -> dict:
    import cProfile
    import pstats

    from commercelens.stream.run import run_stream
    from commercelens.stream.sources import FileSource

    processor, model = make_processor(workdir, True)
    source = FileSource(Path(data))
    sink = _jsonl_sink(out)
    profiler = cProfile.Profile()
    profiler.enable()
    summary = run_stream(source, [sink], processor, batch_size=batch, model=model)
    profiler.disable()
    sink.close()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    stages = {}
    for label, suffix, names in STAGES:
        wanted = names.split("|")
        stages[label] = sum(
            ct
            for (file, _, name), (_, _, _, ct, _) in stats.items()
            if file.endswith(suffix) and name in wanted
        )
    packages: dict[str, float] = {}
    for (file, _, name), (_, _, tt, _, _) in stats.items():
        text = f"{file} {name}"
        if "lightgbm" in text or "LGBM" in text:
            package = "LightGBM (incl. ctypes calls)"
        elif "/polars/" in file or any(
            k in name for k in ("PyDataFrame", "PySeries", "PyLazyFrame", "PyExpr")
        ):
            package = "Polars"
        elif "/numpy/" in file or "numpy" in name:
            package = "NumPy"
        elif "commercelens" in file:
            package = "commercelens (Python lines)"
        else:
            package = "other (builtins, stdlib, sklearn, json, hashlib)"
        packages[package] = packages.get(package, 0.0) + tt
    top = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    # map_elements runs alert_id from a Polars thread, which cProfile does not see: time it apart,
    # the same expression as Processor._alerts on this run's alerts
    import polars as pl

    from commercelens.stream.processor import alert_id

    hits = pl.read_ndjson(out).select("transaction_id", "rule")
    started = time.perf_counter()
    hits.select(
        pl.struct("transaction_id", "rule").map_elements(
            lambda r: alert_id(r["transaction_id"], r["rule"]), return_dtype=pl.String
        )
    )
    alert_id_seconds = time.perf_counter() - started
    return {
        "alerts": len(hits),
        "alert_id_seconds": alert_id_seconds,
        "processed": summary.counts.processed,
        "seconds": summary.seconds,
        "stages": stages,
        "packages": packages,
        "top": [(f"{Path(file).name}:{line} {name}", tt) for (file, line, name), (_, _, tt, _, _) in top],
    }


# --- the parent --------------------------------------------------------------------------------


def child(label: str, function: str, **kwargs) -> tuple[Measured, float]:
    """`function(**kwargs)` of this module in a fresh interpreter; with the 1-min load before it."""
    load = os.getloadavg()[0]
    code = f"""
        import sys
        sys.path.insert(0, {str(HERE)!r})
        import stream as bench
        result = bench.{function}(**{kwargs!r})
        """
    print(f"  {label} (load {load:.2f}) ...", file=sys.stderr, flush=True)
    return run_child(label, code), load


def head(src: Path, dst: Path, events: int) -> Path:
    """The first `events` transactions of a CSV (header kept) or JSON lines file."""
    keep = events + (0 if src.suffix == ".jsonl" else 1)
    with open(src, "rb") as f, open(dst, "wb") as g:
        for i, line in enumerate(f):
            if i >= keep:
                break
            g.write(line)
    return dst


def demo_workdir(home: Path) -> Path:
    env = {k: v for k, v in os.environ.items() if k not in ("COMMERCELENS_PII_KEY", "COMMERCELENS_HOME")}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "commercelens.cli.app", "--workdir", str(home), "demo"],
        env=env,
        check=True,
        capture_output=True,
    )
    print(f"  `commercelens --workdir {home} demo`: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return home


def rate(events: int, seconds: float) -> str:
    return f"{events / seconds:,.0f}" if seconds else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="a workdir where `commercelens demo` has run")
    parser.add_argument("--data-dir", type=Path, help="a payments directory (transactions_data.csv)")
    parser.add_argument("--dir", type=Path, help="scratch directory (default: a new temp dir, removed)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[20_000, 5_000, 50_000])
    parser.add_argument("--latency-events", type=int, default=600_000)
    parser.add_argument("--latency-rate", type=float, default=10_000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-events", type=int, default=200_000)
    parser.add_argument("--baseline-events", type=int, default=100_000)
    parser.add_argument("--profile-events", type=int, default=None, help="default: all")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--rules-only", action="store_true", help="no model: skip (b) and its runs")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="bench-stream-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        report(args, root)
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


def report(args: argparse.Namespace, root: Path) -> None:
    workdir = args.workdir
    if workdir is None and not args.rules_only:
        workdir = demo_workdir(root / "home")
    if args.data_dir:
        data = args.data_dir / "transactions_data.csv"
    elif workdir is not None:
        data = workdir / "data" / "payments" / "transactions_data.csv"
    else:
        made, _ = child(
            "generate payments (small, seed 42)",
            "generate_payments",
            out=str(root / "payments"),
        )
        data = Path(made.result["path"])
    wd = str(workdir) if workdir else None
    models = [False] if args.rules_only else [False, True]
    name = {False: "(a) rules only", True: "(b) rules + fraud model"}
    command = "cd benchmarks && ../.venv/bin/python stream.py " + " ".join(sys.argv[1:])
    one, five, fifteen = os.getloadavg()
    print(f"Command: `{command.strip()}`\n")
    print(
        f"Machine: {machine()}; date: {today()}; load average at start {one:.2f} / {five:.2f} / {fifteen:.2f}\n"
    )
    print(f"Data: `{data}`\n")
    out = root / "out"
    out.mkdir(exist_ok=True)
    throughput: dict[tuple[bool, int], dict] = {}

    if "throughput" in args.only:
        print("### 1. Sustained throughput, file replay, one process (FileSource -> JsonLinesSink)\n")
        print(
            "| run | batch | events | read file into memory (s) | loop (s) | events/s | alerts | load (1 min) |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for with_model in models:
            for batch in args.batch_sizes:
                m, load = child(
                    f"replay {name[with_model]} batch {batch}",
                    "replay",
                    data=str(data),
                    out=str(out / "replay.jsonl"),
                    workdir=wd,
                    with_model=with_model,
                    batch=batch,
                )
                r = throughput[(with_model, batch)] = m.result
                print(
                    f"| {name[with_model]} | {batch:,} | {r['processed']:,} | {r['load_seconds']:.2f} "
                    f"| {r['seconds']:.2f} | **{rate(r['processed'], r['seconds'])}** | {r['alerts']:,} | {load:.2f} |",
                    flush=True,
                )
        if (True, args.batch_sizes[0]) in throughput:
            print(f"\nModel in (b): {throughput[(True, args.batch_sizes[0])]['model']}")
        print()

    if "latency" in args.only:
        print(f"### 2. Event-to-alert latency, paced at {args.latency_rate:,.0f} events/s\n")
        print(
            "| run | events | steps (mean / max events) | step p50 / max (ms) | alerts | alert p50 / p99 / max (ms) "
            "| event p50 / p99 / max (ms) | event p99, last tenth (ms) | achieved events/s | load (1 min) |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for with_model in reversed(models):
            m, load = child(
                f"paced {name[with_model]}",
                "paced",
                data=str(data),
                out=str(out / "paced.jsonl"),
                workdir=wd,
                with_model=with_model,
                events=args.latency_events,
                rate=args.latency_rate,
            )
            r = m.result
            a, e, tail = r["alert_ms"], r["event_ms"], r["event_ms_last_tenth"]
            print(
                f"| {name[with_model]} | {r['events']:,} | {r['steps']:,} ({r['events_per_step_mean']:.0f} / "
                f"{r['events_per_step_max']:,}) | {r['step_ms_p50']:.1f} / {r['step_ms_max']:.0f} | {a['n']:,} "
                f"| **{a['p50']:.1f} / {a['p99']:.1f}** / {a['max']:.0f} | {e['p50']:.1f} / {e['p99']:.1f} / "
                f"{e['max']:.0f} | {tail['p99']:.1f} | {r['achieved_rate']:,.0f} | {load:.2f} |",
                flush=True,
            )
            print(
                f"<!-- {r['released_by_finish']} events ({r['alerts_by_finish']} alerts) released only by finish(), "
                "left out -->"
            )
        print()

    if "redis" in args.only:
        import redis

        prefix = head(data, root / "redis_prefix.csv", args.redis_events)
        key = f"bench:stream:{uuid.uuid4().hex[:8]}"
        client = redis.Redis.from_url(args.redis_url)
        sink_keys: list[str] = []
        print("### 3. Redis Streams end to end\n")
        print("| step | events | seconds | events/s | load (1 min) |")
        print("|---|---:|---:|---:|---:|")
        try:
            m, load = child("redis produce", "redis_produce", data=str(prefix), url=args.redis_url, key=key)
            print(
                f"| `produce` {args.redis_events:,} transactions into a fresh stream (file read included) "
                f"| {m.result['sent']:,} | {m.result['seconds']:.2f} | {rate(m.result['sent'], m.result['seconds'])} "
                f"| {load:.2f} |",
                flush=True,
            )
            for with_model in reversed(models):
                for target in ("jsonl", "redis"):
                    sink = str(out / "redis.jsonl") if target == "jsonl" else f"{key}:alerts:{len(sink_keys)}"
                    if target == "redis":
                        sink_keys.append(sink)
                    m, load = child(
                        f"redis run {name[with_model]} -> {target}",
                        "redis_replay",
                        url=args.redis_url,
                        key=key,
                        group=f"bench-{uuid.uuid4().hex[:6]}",
                        sink=sink,
                        workdir=wd,
                        with_model=with_model,
                        batch=20_000,
                    )
                    r = m.result
                    what = "JsonLinesSink" if target == "jsonl" else "RedisSink (dedup Lua script)"
                    print(
                        f"| run_stream RedisSource -> {what}, {name[with_model]}, batch 20,000 "
                        f"| {r['processed_before_idle']:,} | {r['seconds']:.2f} "
                        f"| **{rate(r['processed_before_idle'], r['seconds'])}** | {load:.2f} |",
                        flush=True,
                    )
        finally:
            doomed = [key, *(f"{s}{suffix}" for s in sink_keys for suffix in ("", ":kpis", ":dead", ":ids"))]
            client.delete(*doomed)
            client.close()
        print()

    if "baseline" in args.only:
        prefix = head(data, root / "baseline_prefix.csv", args.baseline_events)
        m, load_n = child("naive pandas loop", "naive", data=str(prefix), out=str(out / "naive.jsonl"))
        slow, load_s = child(
            "naive pandas loop, iterrows",
            "naive",
            data=str(prefix),
            out=str(out / "naive_iterrows.jsonl"),
            rows="iterrows",
        )
        p, load_p = child(
            "processor on the prefix",
            "replay",
            data=str(prefix),
            out=str(out / "prefix.jsonl"),
            workdir=None,
            with_model=False,
            batch=20_000,
        )
        n, q = m.result, p.result
        naive_rate = n["events"] / n["seconds"]
        print(f"### 4. Baseline: naive per-event pandas loop, first {args.baseline_events:,} transactions\n")
        print("| run | events | read (s) | loop (s) | events/s | ratio | load (1 min) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        print(
            f"| naive pandas `itertuples` loop, seven rules | {n['events']:,} | {n['read_seconds']:.2f} "
            f"| {n['seconds']:.2f} | **{naive_rate:,.0f}** | 1x | {load_n:.2f} |"
        )
        s = slow.result
        print(
            f"| the same loop over `iterrows` | {s['events']:,} | {s['read_seconds']:.2f} | {s['seconds']:.2f} "
            f"| {s['events'] / s['seconds']:,.0f} | {s['events'] / s['seconds'] / naive_rate:.2f}x | {load_s:.2f} |"
        )
        prefix_rate = q["processed"] / q["seconds"]
        print(
            f"| processor, rules only, batch 20,000, same prefix | {q['processed']:,} | {q['load_seconds']:.2f} "
            f"| {q['seconds']:.2f} | {prefix_rate:,.0f} | {prefix_rate / naive_rate:.1f}x | {load_p:.2f} |"
        )
        full = throughput.get((False, 20_000))
        if full:
            full_rate = full["processed"] / full["seconds"]
            print(
                f"| (a) rules only, batch 20,000, whole file (section 1) | {full['processed']:,} "
                f"| {full['load_seconds']:.2f} | {full['seconds']:.2f} | {full_rate:,.0f} "
                f"| **{full_rate / naive_rate:.1f}x** | |"
            )
        print()
        print(compare_hits(out / "prefix.jsonl", out / "naive.jsonl"))
        print(f"iterrows variant: {compare_hits(out / 'prefix.jsonl', out / 'naive_iterrows.jsonl')}")
        print()

    if "profile" in args.only and not args.rules_only:
        source = (
            data
            if args.profile_events is None
            else head(data, root / "profile_prefix.csv", args.profile_events)
        )
        m, load = child(
            "profile (b)",
            "profile",
            data=str(source),
            out=str(out / "profile.jsonl"),
            workdir=wd,
            batch=20_000,
        )
        r = m.result
        total = r["stages"]["run_stream, whole loop"]
        print(
            f"### 5. Profile of (b), batch 20,000, {r['processed']:,} events (cProfile; {r['seconds']:.1f} s "
            f"under the profiler; load {load:.2f})\n"
        )
        print("| stage | cumulative s | share of the loop |")
        print("|---|---:|---:|")
        for label, seconds in r["stages"].items():
            print(f"| {label} | {seconds:.2f} | {seconds / total:.0%} |")
        print(
            f"| (alert ids: `map_elements` of sha256 over the run's {r['alerts']:,} alerts, timed apart: it runs "
            f"on a Polars thread cProfile does not see; inside Processor._alerts) | {r['alert_id_seconds']:.2f} "
            f"| {r['alert_id_seconds'] / total:.0%} |"
        )
        print("\n| own time by package | s | share |")
        print("|---|---:|---:|")
        own = sum(r["packages"].values())
        for package, seconds in sorted(r["packages"].items(), key=lambda kv: -kv[1]):
            print(f"| {package} | {seconds:.2f} | {seconds / own:.0%} |")
        print("\nTop functions by own time:\n")
        for label, seconds in r["top"]:
            print(f"- {seconds:.2f} s `{label}`")
        print()
    one, five, fifteen = os.getloadavg()
    print(f"Load average at the end: {one:.2f} / {five:.2f} / {fifteen:.2f}")


def generate_payments(out: str) -> dict:
    from commercelens.generate import generate

    generate("payments", Path(out), scale="small", seed=42)
    return {"path": str(Path(out) / "transactions_data.csv")}


def compare_hits(processor_alerts: Path, naive_hits: Path) -> str:
    """Whether the naive loop's (transaction_id, rule) hits equal the processor's; else how they differ."""
    import polars as pl

    ours = pl.read_ndjson(processor_alerts).select("transaction_id", "rule").filter(pl.col("rule") != "model")
    theirs = pl.read_ndjson(naive_hits).select("transaction_id", "rule")
    only_ours = ours.join(theirs, on=["transaction_id", "rule"], how="anti")
    only_theirs = theirs.join(ours, on=["transaction_id", "rule"], how="anti")
    per_rule = ours.group_by("rule").len().sort("rule")
    counts = ", ".join(f"{rule} {n:,}" for rule, n in per_rule.iter_rows())
    if only_ours.is_empty() and only_theirs.is_empty():
        return f"Hits: identical, {len(ours):,} (transaction_id, rule) pairs on both sides ({counts})."
    detail = []
    for label, frame in (("only the processor", only_ours), ("only the naive loop", only_theirs)):
        if len(frame):
            rules = ", ".join(f"{r} {n}" for r, n in frame.group_by("rule").len().sort("rule").iter_rows())
            detail.append(f"{label}: {len(frame):,} ({rules}; e.g. {frame.head(3).rows()})")
    return f"Hits DIFFER: processor {len(ours):,}, naive {len(theirs):,}; " + "; ".join(detail)


if __name__ == "__main__":
    main()
