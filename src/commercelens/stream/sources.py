"""Event sources: file replay (the embedded default) and Redis Streams (the live broker).

A source hands out batches of string columns with each event's position (`offset`), and a
position it can be restored to: the file's row number, or for Redis the consumer group's
pending entries, acknowledged only after a checkpoint covers them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import polars as pl

from commercelens.errors import UserError
from commercelens.stream.events import DEAD_LETTER_SCHEMA, RAW_COLUMNS, dead_letter


@dataclass(frozen=True)
class RawBatch:
    frame: pl.DataFrame  # string columns of events.RAW_COLUMNS plus `offset`
    dead: pl.DataFrame  # events.DEAD_LETTER_SCHEMA: lines that are not an event at all


class Source(Protocol):
    name: str
    bounded: bool  # a file ends; a live stream only goes idle

    def read(self, max_events: int) -> RawBatch | None:
        """The next events (possibly none yet); None when a finite source is exhausted."""

    def position(self) -> object:
        """A JSON-able position: restoring it re-reads everything after it."""

    def restore(self, position: object) -> None: ...

    def commit(self, position: object) -> None:
        """A checkpoint now covers everything up to `position` (Redis acknowledges it)."""

    def close(self) -> None: ...


class FileSource:
    """Replay a CSV (Kaggle layout) or JSON-lines file, as fast as possible or paced.

    `rate` paces at that many events per second; `speed` paces by event time (1 = real time,
    60 = a minute of events per second). Offsets are 1-based line numbers of the file (the CSV
    header is line 1), so a dead letter names the line to open.
    """

    def __init__(self, path: Path, *, rate: float | None = None, speed: float | None = None) -> None:
        if not path.is_file():
            raise UserError(f"{path}: no such file to replay")
        self.name = f"file://{path}"
        self.bounded = True
        self.path = path
        self.rate, self.speed = rate, speed
        self.frame, self.unparsed = _read_file(path)
        self.next_row = 0
        self._started: float | None = None
        self._first_t: float | None = None
        self._sent = 0

    def read(self, max_events: int) -> RawBatch | None:
        if self.next_row >= len(self.frame):
            return None
        batch = self.frame.slice(self.next_row, max_events)
        self.next_row += len(batch)
        first, last = int(batch["offset"][0]), int(batch["offset"][-1])
        dead = self.unparsed.filter(pl.col("offset").is_between(first, last))
        self._pace(batch)
        return RawBatch(batch, dead)

    def _pace(self, batch: pl.DataFrame) -> None:
        if self.rate is None and self.speed is None:
            return
        now = time.perf_counter()
        if self._started is None:
            self._started = now
        self._sent += len(batch)
        due = self._sent / self.rate if self.rate else 0.0
        if self.speed:
            stamps = pl.coalesce(batch["event_time"], batch["date"]).str.strptime(pl.Datetime, strict=False)
            newest = stamps.max()
            if newest is not None:
                t = newest.timestamp()  # type: ignore[union-attr]
                self._first_t = self._first_t or t
                due = max(due, (t - self._first_t) / self.speed)
        if (wait := self._started + due - now) > 0:
            time.sleep(wait)

    def position(self) -> int:
        return self.next_row

    def restore(self, position: object) -> None:
        self.next_row = int(position)  # type: ignore[call-overload]

    def commit(self, position: object) -> None:
        pass

    def close(self) -> None:
        pass


def _read_file(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All rows as strings with their line numbers, and the lines that are not events."""
    if path.suffix in {".jsonl", ".ndjson"} or path.name.endswith((".jsonl.gz", ".ndjson.gz")):
        return _read_json_lines(path)
    try:
        frame = pl.read_csv(path, infer_schema=False, truncate_ragged_lines=True, raise_if_empty=False)
    except pl.exceptions.ComputeError as e:
        raise UserError(f"{path}: not a readable CSV file ({e})") from e
    if "id" not in frame.columns:
        raise UserError(f"{path}: not a transactions file in the Kaggle layout (no `id` column)")
    frame = frame.select([c for c in frame.columns if c in RAW_COLUMNS]).with_row_index("offset", offset=2)
    return frame.with_columns(pl.col("offset").cast(pl.Int64)), pl.DataFrame(schema=DEAD_LETTER_SCHEMA)


def _read_json_lines(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    rows: list[dict[str, str | None]] = []
    dead: list[pl.DataFrame] = []
    with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
        for line_number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not a JSON object")
            except ValueError as e:
                dead.append(
                    dead_letter(line_number, "line", f"unparseable JSON line ({e})", line.strip()[:200])
                )
                continue
            row = {c: None if record.get(c) is None else str(record[c]) for c in RAW_COLUMNS}
            row["offset"] = line_number  # type: ignore[assignment]
            rows.append(row)
    schema = {"offset": pl.Int64, **dict.fromkeys(RAW_COLUMNS, pl.String)}
    frame = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    return frame, pl.concat(dead) if dead else pl.DataFrame(schema=DEAD_LETTER_SCHEMA)
