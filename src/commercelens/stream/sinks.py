"""Sinks for alerts, KPI windows and dead letters, each safe to replay after a crash.

Exactly-once output from at-least-once processing: after a crash the processor resumes from its
last checkpoint and recomputes the same outputs with the same ids, and every sink makes the
rewrite harmless:
- JSON lines: the checkpoint records each file's length; restoring truncates back to it.
- DuckDB: primary keys (alert id; window and group; source line) with `insert or ignore`.
- Redis stream: see stream/redis_io.py (a set of written ids, checked atomically in Lua).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import duckdb
import polars as pl

KINDS = ("alerts", "kpis", "dead_letters")


class Sink(Protocol):
    name: str

    def write(self, kind: str, frame: pl.DataFrame) -> None: ...

    def commit(self) -> object:
        """Make everything written durable; return a JSON-able position for the checkpoint."""

    def restore(self, position: object) -> None:
        """Forget anything written after `position` (or make its rewrite harmless)."""

    def close(self) -> None: ...


class JsonLinesSink:
    """`PATH` gets the alerts; `PATH` with .kpis / .dead beside it the KPIs and dead letters."""

    def __init__(self, path: Path) -> None:
        self.name = f"file://{path}"
        path.parent.mkdir(parents=True, exist_ok=True)
        stem = path.name.removesuffix(".jsonl")
        self.paths = {
            "alerts": path,
            "kpis": path.with_name(f"{stem}.kpis.jsonl"),
            "dead_letters": path.with_name(f"{stem}.dead.jsonl"),
        }
        self.files = {kind: open(p, "ab") for kind, p in self.paths.items()}  # noqa: SIM115

    def write(self, kind: str, frame: pl.DataFrame) -> None:
        if len(frame):
            frame.write_ndjson(self.files[kind])

    def commit(self) -> dict[str, int]:
        for f in self.files.values():
            f.flush()
            os.fsync(f.fileno())
        return {kind: f.tell() for kind, f in self.files.items()}

    def restore(self, position: object) -> None:
        sizes = dict(position) if position else {}  # type: ignore[call-overload]
        for kind, f in self.files.items():
            f.truncate(sizes.get(kind, 0))
            f.seek(0, os.SEEK_END)

    def close(self) -> None:
        for f in self.files.values():
            f.close()


DUCKDB_TABLES = {
    "alerts": (
        "ops.fraud_alerts",
        """alert_id varchar primary key, transaction_id bigint, card_id bigint, rule varchar,
        score double, level varchar, event_time timestamp, model_probability double, rules_fired varchar""",
    ),
    "kpis": (
        "ops.stream_kpis",
        """window_start bigint, window_end bigint, channel varchar, mcc_group varchar, transactions bigint,
        revenue double, average_ticket double, alerted bigint, alert_rate double,
        primary key (window_start, channel, mcc_group)""",
    ),
    "dead_letters": (
        "ops.stream_dead_letters",
        'source varchar, "offset" bigint, field varchar, reason varchar, value varchar, '
        'primary key (source, "offset")',
    ),
}


class DuckDBSink:
    """Tables ops.fraud_alerts, ops.stream_kpis and ops.stream_dead_letters in a DuckDB file."""

    def __init__(self, path: Path, source_name: str = "") -> None:
        self.name = f"duckdb://{path}"
        self.source_name = source_name
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))
        self.con.execute("create schema if not exists ops")
        for table, columns in DUCKDB_TABLES.values():
            self.con.execute(f"create table if not exists {table} ({columns})")
        self.con.execute("begin transaction")

    def write(self, kind: str, frame: pl.DataFrame) -> None:
        if not len(frame):
            return
        if kind == "dead_letters":
            frame = frame.select(pl.lit(self.source_name).alias("source"), pl.all())
        table = DUCKDB_TABLES[kind][0]
        self.con.register("_incoming", frame.to_arrow())
        self.con.execute(f"insert or ignore into {table} select * from _incoming")
        self.con.unregister("_incoming")

    def commit(self) -> None:
        self.con.execute("commit")
        self.con.execute("begin transaction")

    def restore(self, position: object) -> None:
        pass  # keys make rewrites no-ops

    def close(self) -> None:
        self.con.execute("commit")
        self.con.close()
