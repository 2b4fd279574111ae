"""`ops.stream_runs`: one row per `stream run`, in the workdir's warehouse."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from commercelens.config import Settings
from commercelens.stream.run import RunSummary
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.ops import STREAM_RUNS


def record_run(settings: Settings, summary: RunSummary) -> None:
    c = summary.counts
    with open_warehouse(settings) as warehouse, warehouse.transaction():
        warehouse.execute(
            f"insert into {STREAM_RUNS} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                uuid.uuid4().hex,
                summary.source,
                ", ".join(summary.sinks),
                summary.model,
                c.processed,
                c.alerted,
                c.alerts,
                c.late,
                c.dead_lettered,
                summary.seconds,
                summary.resumed,
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
