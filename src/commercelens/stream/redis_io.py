"""Redis Streams: the live source (a consumer group), a deduplicating sink, and a file producer.

Source. One stream entry is one transaction whose fields are the Kaggle columns as strings
(events.RAW_COLUMNS). The processor reads through a consumer group, so the server remembers
what was delivered and not yet acknowledged (the pending entries list, PEL):
- an entry is acknowledged (XACK) only after a checkpoint covers it: `position()` is the ids
  delivered since the last commit, the runner saves them in the checkpoint and then calls
  `commit(position)`;
- on start and on restore, the consumer first re-reads its own pending entries (delivered after
  the last checkpoint, before a crash), then claims entries left pending by other (dead)
  consumers of the group for longer than `min_idle_seconds` (XAUTOCLAIM; checked again every
  `min_idle_seconds` while running, and only when XPENDING shows another consumer holding
  entries), then reads new entries;
- restore first acknowledges the ids the checkpoint covers: a crash between saving the
  checkpoint and the XACK leaves them pending, and re-reading them would count them twice
  (the restored processor state already holds them).
Each entry's `offset` is derived from its id, `ms * 2**20 + seq` (unique and increasing for
ids up to the year 2248 with fewer than 2**20 entries in one millisecond; auto-generated ids
always are), so a re-delivered entry gets the same offset and its dead letter the same key.

Sink. Alerts go to stream KEY, KPI windows to KEY:kpis, dead letters to KEY:dead. A Lua script
adds each row's id to the set KEY:ids and appends the entry only when the id is new, atomically,
so the rewrite after a crash adds nothing. Ids: `alert_id`; `window_start|channel|mcc_group`;
the dead letter's `offset`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import polars as pl

from commercelens.errors import UserError
from commercelens.stream.events import DEAD_LETTER_SCHEMA, RAW_COLUMNS, dead_letter
from commercelens.stream.sources import FileSource, RawBatch

SEQ_BITS = 20
BLOCK_MS = 200
ACK_CHUNK = 10_000
PRODUCE_CHUNK = 5_000
SINK_ROWS_PER_CALL = 2_000  # rows per script call; a pipeline sends several calls per round trip
SINK_CALLS_PER_ROUND_TRIP = 10

_RAW_SCHEMA = {"offset": pl.Int64, **dict.fromkeys(RAW_COLUMNS, pl.String)}

# Scripts exchange one JSON document per call instead of a bulk string per field: redis-py's
# reply parser costs microseconds per element, the server's cjson next to nothing.

# KEYS: the stream. ARGV: group, consumer, count, start id ("0", an id, or ">"), column names.
# Returns [ids, has-fields flags, one array per column (null where the entry lacks the field)].
_READ_GROUP = """
local reply = redis.call(
  'XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], ARGV[4])
local ids, filled, columns = {}, {}, {}
for c = 5, #ARGV do columns[c - 4] = {} end
if reply then
  for _, entry in ipairs(reply[1][2]) do
    local n = #ids + 1
    local fields = entry[2]
    local row = {}
    ids[n] = entry[1]
    filled[n] = (fields and #fields > 0) and true or false
    if fields then
      for j = 1, #fields, 2 do row[fields[j]] = fields[j + 1] end
    end
    for c = 5, #ARGV do
      local value = row[ARGV[c]]
      if value == nil then value = cjson.null end
      columns[c - 4][n] = value
    end
  end
end
if #ids == 0 then return '[[],[],[]]' end
return cjson.encode({ids, filled, columns})
"""

# KEYS: the stream. ARGV: column names as a JSON array, rows as a JSON array of objects.
_PRODUCE = """
local names = cjson.decode(ARGV[1])
local entry = {}
for _, row in ipairs(cjson.decode(ARGV[2])) do
  for i, name in ipairs(names) do
    entry[2 * i - 1] = name
    entry[2 * i] = row[name]
  end
  redis.call('XADD', KEYS[1], '*', unpack(entry))
end
return #names
"""

# KEYS: the id set, the stream. ARGV: column names as a JSON array, rows as a JSON array of
# objects, each with its id in `_id`. Appends the rows whose id is not in the set yet (nor
# earlier in the same call) and adds their ids: one SMISMEMBER and one SADD per call (a script
# runs atomically, so this is the same as a SADD per row, at a third of the cost). At most
# 7,000 rows per call (Lua's unpack limit).
_DEDUP_ADD = """
local names = cjson.decode(ARGV[1])
local rows = cjson.decode(ARGV[2])
local ids = {}
for i, row in ipairs(rows) do ids[i] = row['_id'] end
local known = redis.call('SMISMEMBER', KEYS[1], unpack(ids))
local seen, new, entry = {}, {}, {}
for j, name in ipairs(names) do entry[2 * j - 1] = name end
for i, row in ipairs(rows) do
  local id = ids[i]
  if known[i] == 0 and not seen[id] then
    seen[id] = true
    new[#new + 1] = id
    for j, name in ipairs(names) do entry[2 * j] = row[name] end
    redis.call('XADD', KEYS[2], '*', unpack(entry))
  end
end
if #new > 0 then redis.call('SADD', KEYS[1], unpack(new)) end
return #new
"""


def _connect(host: str, port: int, what: str) -> Any:
    try:
        import redis
    except ImportError as e:  # pragma: no cover - the `stream` extra
        raise UserError("Redis streams need the redis package: pip install 'commercelens[stream]'") from e
    client = redis.Redis(host=host, port=port, socket_connect_timeout=5, health_check_interval=30)
    try:
        client.ping()
    except redis.ConnectionError as e:
        client.close()
        raise UserError(f"{what}: cannot connect to Redis at {host}:{port} ({e})") from e
    return client


def entry_offset(entry_id: str) -> int:
    """The Int64 offset of a stream entry id, increasing with the id.

    >>> entry_offset("1700000000000-3") == 1700000000000 * 2**20 + 3
    True
    """
    ms, _, seq = entry_id.partition("-")
    return (int(ms) << SEQ_BITS) | int(seq or 0)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _is_utf8(value: str | None) -> bool:
    try:
        value is None or value.encode()
    except UnicodeEncodeError:
        return False
    return True


class RedisSource:
    """Read transactions from a Redis stream through a consumer group; see the module docstring."""

    def __init__(
        self,
        host: str,
        port: int,
        key: str,
        *,
        group: str = "commercelens",
        consumer: str = "processor-1",
        min_idle_seconds: float = 30.0,
        block_ms: int = BLOCK_MS,
    ) -> None:
        self.name = f"redis://{host}:{port}/{key}"
        self.bounded = False  # an idle stream is not finished: the next run goes on reading it
        self.key, self.group, self.consumer = key, group, consumer
        self.min_idle_ms = int(min_idle_seconds * 1000)
        self.block_ms = block_ms
        self.redis = _connect(host, port, self.name)
        try:
            self.redis.xgroup_create(key, group, id="0", mkstream=True)
        except Exception as e:
            if "BUSYGROUP" not in str(e):
                raise
        self._read_script = self.redis.register_script(_READ_GROUP)
        self._unacked: dict[str, None] = {}  # delivered since the last commit, in delivery order
        self._start()

    def _start(self) -> None:
        """Own pending entries first, then other consumers' stale ones, then new entries."""
        self._phase = "pending"
        self._pending_from = "0"
        self._claim_from = "0-0"
        self._next_claim = time.monotonic() + self.min_idle_ms / 1000

    def read(self, max_events: int) -> RawBatch:
        """Up to `max_events` entries; an empty batch when none arrived within the block time."""
        if self._phase == "pending":
            batch, last = self._read_group(self._pending_from, max_events)
            if last is not None:
                self._pending_from = last
                return batch
            self._phase = "claim"
        if self._phase == "new" and time.monotonic() >= self._next_claim:
            self._phase, self._claim_from = "claim", "0-0"
        if self._phase == "claim" and self._claim_from == "0-0" and not self._others_pending():
            self._phase = "new"
            self._next_claim = time.monotonic() + self.min_idle_ms / 1000
        if self._phase == "claim":
            entries = self._claim(max_events)
            if entries is not None:
                return self._batch(entries)
            self._phase = "new"
            self._next_claim = time.monotonic() + self.min_idle_ms / 1000
        batch, last = self._read_group(">", max_events)
        if last is not None:
            return batch
        # Nothing waiting: block until something arrives (a live stream: a few entries at a time).
        reply = self.redis.xreadgroup(
            self.group, self.consumer, {self.key: ">"}, count=max_events, block=self.block_ms
        )
        return self._batch(reply[0][1] if reply else [])

    def _read_group(self, start: str, count: int) -> tuple[RawBatch, str | None]:
        """XREADGROUP from `start` without blocking, in bulk; the batch and its last id."""
        blob = self._read_script(
            keys=[self.key], args=[self.group, self.consumer, count, start, *RAW_COLUMNS]
        )
        try:
            ids, filled, columns = json.loads(blob.decode())
            valid = [True] * len(ids)
        except UnicodeDecodeError:  # some value is not UTF-8: find the entries it is in
            ids, filled, columns = json.loads(blob.decode(errors="surrogateescape"))
            valid = [all(_is_utf8(column[i]) for column in columns) for i in range(len(ids))]
            for column in columns:  # those entries become dead letters: drop their values
                for i, ok in enumerate(valid):
                    column[i] = column[i] if ok else None
        if not ids:
            return RawBatch(pl.DataFrame(schema=_RAW_SCHEMA), pl.DataFrame(schema=DEAD_LETTER_SCHEMA)), None
        offsets = [entry_offset(i) for i in ids]
        self._unacked.update(dict.fromkeys(ids))
        dead = [
            _not_an_event(offset, entry_id, None if ok else "it is not UTF-8")
            for entry_id, offset, has_fields, ok in zip(ids, offsets, filled, valid, strict=True)
            if not (has_fields and ok)
        ]
        frame = pl.DataFrame(
            {"offset": offsets, **dict(zip(RAW_COLUMNS, columns, strict=True))}, schema=_RAW_SCHEMA
        ).with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in RAW_COLUMNS)
        if dead:
            frame = frame.filter(pl.Series([f and ok for f, ok in zip(filled, valid, strict=True)]))
        return RawBatch(frame, pl.concat(dead) if dead else pl.DataFrame(schema=DEAD_LETTER_SCHEMA)), ids[-1]

    def _others_pending(self) -> bool:
        """Whether another consumer of the group holds pending entries (a cheap summary)."""
        consumers = self.redis.xpending(self.key, self.group).get("consumers") or []
        return any(_text(c["name"]) != self.consumer and int(c["pending"]) for c in consumers)

    def _claim(self, count: int) -> list[tuple[Any, Any]] | None:
        """The next entries claimed from other consumers; None when the pass is over."""
        while True:
            cursor, entries, *_deleted = self.redis.xautoclaim(
                self.key, self.group, self.consumer, self.min_idle_ms, start_id=self._claim_from, count=count
            )
            self._claim_from = _text(cursor)
            # XAUTOCLAIM also takes our own idle entries (delivered more than the min idle time
            # ago and not yet covered by a checkpoint): those are in the processor already.
            fresh = [(i, f) for i, f in entries if _text(i) not in self._unacked]
            if fresh:
                return fresh
            if self._claim_from == "0-0":
                return None

    def _batch(self, entries: list[tuple[Any, Any]]) -> RawBatch:
        """A batch of entries as redis-py returns them (id, {field: value})."""
        columns: dict[str, list[Any]] = {c: [] for c in _RAW_SCHEMA}
        dead: list[pl.DataFrame] = []
        for raw_id, fields in entries:
            entry_id = _text(raw_id)
            offset = entry_offset(entry_id)
            self._unacked[entry_id] = None
            try:
                row = {_text(k): _text(v) for k, v in (fields or {}).items()}
            except UnicodeDecodeError:
                dead.append(_not_an_event(offset, entry_id, "it is not UTF-8"))
                continue
            if not row:
                dead.append(_not_an_event(offset, entry_id, None))
                continue
            columns["offset"].append(offset)
            for c in RAW_COLUMNS:
                columns[c].append(row.get(c) or None)
        frame = pl.DataFrame(columns, schema=_RAW_SCHEMA)
        return RawBatch(frame, pl.concat(dead) if dead else pl.DataFrame(schema=DEAD_LETTER_SCHEMA))

    def position(self) -> list[str]:
        """The ids delivered since the last commit (the checkpoint covers exactly these)."""
        return list(self._unacked)

    def restore(self, position: object) -> None:
        """Acknowledge what the checkpoint covers, then re-read the pending entries."""
        self._ack([str(i) for i in position or []])  # type: ignore[attr-defined]
        self._unacked = {}
        self._start()

    def commit(self, position: object) -> None:
        """A checkpoint covers these ids: acknowledge them."""
        ids = [str(i) for i in position or []]  # type: ignore[attr-defined]
        self._ack(ids)
        for i in ids:
            self._unacked.pop(i, None)

    def _ack(self, ids: list[str]) -> None:
        for start in range(0, len(ids), ACK_CHUNK):
            self.redis.xack(self.key, self.group, *ids[start : start + ACK_CHUNK])

    def close(self) -> None:
        self.redis.close()


def _not_an_event(offset: int, entry_id: str, problem: str | None) -> pl.DataFrame:
    reason = f"stream entry {entry_id} is not an event: " + (problem or "it has no fields")
    return dead_letter(offset, "entry", reason, entry_id)


def _row_id(kind: str) -> pl.Expr:
    if kind == "alerts":
        return pl.col("alert_id").cast(pl.String)
    if kind == "kpis":
        return pl.concat_str(
            [pl.col(c).cast(pl.String).fill_null("") for c in ("window_start", "channel", "mcc_group")],
            separator="|",
        )
    return pl.col("offset").cast(pl.String)


def _as_strings(frame: pl.DataFrame) -> list[pl.Expr]:
    """Every column as a string; datetimes to the second like the input, nulls empty."""
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if dtype.is_temporal() and dtype != pl.Duration:
            text = column.dt.strftime("%Y-%m-%d %H:%M:%S")
        else:
            text = column.cast(pl.String)
        columns.append(text.fill_null("").alias(name))
    return columns


class RedisSink:
    """Alerts to stream KEY, KPIs to KEY:kpis, dead letters to KEY:dead, each row once.

    Durability is the Redis server's: an entry is as durable as its persistence settings make
    it (AOF with `appendfsync always` keeps every write, `everysec` may lose the last second,
    no persistence loses everything on a restart). `commit` cannot make it more durable and
    returns None; a rewrite after a crash adds nothing because the script skips ids already in
    KEY:ids.
    """

    def __init__(self, host: str, port: int, key: str) -> None:
        self.name = f"redis://{host}:{port}/{key}"
        self.key = key
        self.streams = {"alerts": key, "kpis": f"{key}:kpis", "dead_letters": f"{key}:dead"}
        self.ids = f"{key}:ids"
        self.redis = _connect(host, port, self.name)
        self.script = self.redis.register_script(_DEDUP_ADD)

    def write(self, kind: str, frame: pl.DataFrame) -> None:
        if not len(frame):
            return
        names = json.dumps(frame.columns)
        rows = frame.select(*_as_strings(frame), _row_id(kind).alias("_id"))
        keys = [self.ids, self.streams[kind]]
        pipe = self.redis.pipeline(transaction=False)
        for call, start in enumerate(range(0, len(rows), SINK_ROWS_PER_CALL), start=1):
            self.script(
                keys=keys, args=[names, rows.slice(start, SINK_ROWS_PER_CALL).write_json()], client=pipe
            )
            if call % SINK_CALLS_PER_ROUND_TRIP == 0:
                pipe.execute()
        pipe.execute()

    def commit(self) -> None:
        """Nothing to flush: the server applied every write (and persists it as configured)."""

    def restore(self, position: object) -> None:
        pass  # the id set makes rewrites no-ops

    def close(self) -> None:
        self.redis.close()


def produce(
    path: Path, host: str, port: int, key: str, *, rate: float | None = None, limit: int | None = None
) -> int:
    """Add each event of a transactions file to stream `key`, in order; the number added.

    One XADD per event, with the file's Kaggle columns as fields (empty for a missing value),
    sent in chunks of 5,000 (one script call each: the XADDs run on the server, so redis-py
    does not pack 16 arguments per event), paced to `rate` events per second when given. Lines
    of a JSON lines file that are not JSON objects are not events and are not sent.
    """
    source = FileSource(path, rate=rate)
    chunk = PRODUCE_CHUNK if rate is None else max(1, min(PRODUCE_CHUNK, int(rate / 10)))
    client = _connect(host, port, f"redis://{host}:{port}/{key}")
    script = client.register_script(_PRODUCE)
    sent = 0
    try:
        while limit is None or sent < limit:
            batch = source.read(chunk if limit is None else min(chunk, limit - sent))
            if batch is None:
                break
            columns = [c for c in RAW_COLUMNS if c in batch.frame.columns]
            rows = batch.frame.select(pl.col(columns).fill_null(""))
            script(keys=[key], args=[json.dumps(columns), rows.write_json()])
            sent += len(rows)
    finally:
        client.close()
    return sent
