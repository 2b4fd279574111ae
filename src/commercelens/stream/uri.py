"""Source and sink URIs of `commercelens stream run`.

Sources: `file://PATH` (or a plain path; CSV in the Kaggle layout or JSON lines) and
`redis://HOST:PORT/STREAM`. Sinks: `file://PATH.jsonl` (or a plain path), `duckdb://PATH` (or
`duckdb` for the workdir's warehouse) and `redis://HOST:PORT/STREAM`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from commercelens.errors import UserError
from commercelens.stream.sinks import DuckDBSink, JsonLinesSink, Sink
from commercelens.stream.sources import FileSource, Source


def redis_parts(uri: str) -> tuple[str, int, str]:
    """(host, port, stream key) of redis://HOST:PORT/STREAM."""
    parsed = urlparse(uri)
    key = parsed.path.lstrip("/")
    if not key:
        raise UserError(f"{uri}: name the stream, e.g. redis://127.0.0.1:6379/transactions")
    return parsed.hostname or "127.0.0.1", parsed.port or 6379, key


def open_source(
    uri: str,
    *,
    rate: float | None = None,
    speed: float | None = None,
    group: str = "commercelens",
    consumer: str = "processor-1",
) -> Source:
    if uri.startswith("redis://"):
        from commercelens.stream.redis_io import RedisSource

        host, port, key = redis_parts(uri)
        return RedisSource(host, port, key, group=group, consumer=consumer)
    path = Path(uri.removeprefix("file://"))
    return FileSource(path, rate=rate, speed=speed)


def open_sink(uri: str, *, warehouse: Path, source_name: str) -> Sink:
    if uri.startswith("redis://"):
        from commercelens.stream.redis_io import RedisSink

        host, port, key = redis_parts(uri)
        return RedisSink(host, port, key)
    if uri == "duckdb":
        return DuckDBSink(warehouse, source_name)
    if uri.startswith("duckdb://"):
        return DuckDBSink(Path(uri.removeprefix("duckdb://")), source_name)
    return JsonLinesSink(Path(uri.removeprefix("file://")))
