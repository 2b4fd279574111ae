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

from commercelens.errors import ConfigError
from commercelens.warehouse.base import Warehouse

_PLACEHOLDER = re.compile(r"\?")
COPY_CHUNK_ROWS = 200_000


def _to_psycopg(sql: str) -> str:
    # Our SQL uses DuckDB's `?`; psycopg wants `%s` (and a literal % doubled).
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
        self.conn.execute(_to_psycopg(sql), params)

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.conn.execute(_to_psycopg(sql), params).fetchall()

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        cur = self.conn.execute(_to_psycopg(sql), params)
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
        # Parent keys live in PostgreSQL; the engine needs them locally for anti-joins.
        name = "pg_" + table.replace(".", "__")
        cols = ", ".join(f'"{c}"' for c in columns)
        self.engine.register(name, self.fetch_arrow(f"select {cols} from {table}"))
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
        return re.sub(r"://([^:@/]+):[^@/]*@", r"://\1:***@", self.dsn)
