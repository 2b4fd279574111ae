"""PostgreSQL target: validation in an in-memory DuckDB engine, bulk loads with COPY."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg.conninfo import conninfo_to_dict

from commercelens.errors import ConfigError
from commercelens.warehouse.base import Warehouse

_PLACEHOLDER = re.compile(r"\?")
COPY_CHUNK_ROWS = 200_000
_ARROW_TYPES = {
    "bigint": pa.int64(),
    "integer": pa.int32(),
    "text": pa.string(),
    "character varying": pa.string(),
}


def _to_psycopg(sql: str, params: Sequence[Any] | None) -> str:
    # Our SQL uses DuckDB's `?`; psycopg wants `%s` (and, only when it formats, a literal % doubled).
    if not params:
        return sql
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


class PostgresWarehouse(Warehouse):
    target = "postgres"

    def __init__(self, dsn: str):
        self.dsn = dsn
        try:
            self.conn = psycopg.connect(dsn, autocommit=True)
        except psycopg.OperationalError as exc:
            raise ConfigError(f"cannot connect to PostgreSQL at {self.location}: {exc}") from None
        self.engine = duckdb.connect(":memory:")
        self._registered: set[str] = set()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.conn.execute(_to_psycopg(sql, params), params)

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.conn.execute(_to_psycopg(sql, params), params).fetchall()

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        cur = self.conn.execute(_to_psycopg(sql, params), params)
        names = [d.name for d in cur.description or []]
        rows = cur.fetchall()
        return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})

    def insert_from_engine(self, table: str, select_sql: str) -> int:
        data = self.engine.sql(select_sql).to_arrow_table()
        if data.num_rows == 0:
            return 0
        columns = ", ".join(f'"{c}"' for c in data.column_names)
        statement = f"copy {table} ({columns}) from stdin with (format csv)"
        with self.conn.cursor() as cur, cur.copy(statement) as copy:
            for start in range(0, data.num_rows, COPY_CHUNK_ROWS):
                buffer = io.BytesIO()
                chunk = data.slice(start, COPY_CHUNK_ROWS)
                pacsv.write_csv(chunk, buffer, pacsv.WriteOptions(include_header=False))
                copy.write(buffer.getvalue())
        return data.num_rows

    def engine_relation(self, table: str, columns: Sequence[str]) -> str:
        """Copy `columns` of a PostgreSQL table into the engine (COPY, not row tuples).

        Orphan and erasure checks are anti-joins in the engine, so it needs the parent keys
        locally; COPY streams 13M transaction ids in seconds where fetching tuples takes minutes.
        """
        name = "pg_" + table.replace(".", "__")
        types = dict(self.columns(table))
        cols = ", ".join(f'"{c}"' for c in columns)
        buffer = io.BytesIO()
        with (
            self.conn.cursor() as cur,
            cur.copy(f"copy (select {cols} from {table}) to stdout with (format csv)") as copy,
        ):
            for chunk in copy:
                buffer.write(chunk)
        schema = {c: _ARROW_TYPES.get(types[c], pa.string()) for c in columns}
        if buffer.tell() == 0:  # an empty table: pyarrow refuses an empty CSV
            data = pa.table({c: pa.array([], t) for c, t in schema.items()})
        else:
            buffer.seek(0)
            data = pacsv.read_csv(
                buffer,
                read_options=pacsv.ReadOptions(column_names=list(columns)),
                convert_options=pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True),
            )
        self.engine.register(name, data)
        return name

    def begin(self) -> None:
        self.conn.execute("begin")

    def commit(self) -> None:
        self.conn.execute("commit")

    def rollback(self) -> None:
        self.conn.execute("rollback")

    def close(self) -> None:
        self.conn.close()
        self.engine.close()

    @property
    def location(self) -> str:
        """host:port/dbname, never a password (the DSN may be a URL or key=value pairs)."""
        try:
            parts = conninfo_to_dict(self.dsn)
        except psycopg.ProgrammingError:
            return "postgresql (unparseable DSN)"
        host, port = parts.get("host", "localhost"), parts.get("port", "5432")
        return f"postgresql://{parts.get('user', '')}@{host}:{port}/{parts.get('dbname', '')}"
