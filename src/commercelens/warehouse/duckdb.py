"""DuckDB target: one embedded file; the validation engine is the same connection."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from commercelens.warehouse.base import Warehouse


class DuckDBWarehouse(Warehouse):
    target = "duckdb"

    def __init__(self, path: Path | str, read_only: bool = False):
        self.path = Path(path) if str(path) != ":memory:" else path
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = duckdb.connect(str(path), read_only=read_only)

    # DuckDB 2.0: every result is fetched to the end, so the next statement never finds
    # a half-read result on the connection.
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.engine.execute(sql, params).fetchall()

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.engine.execute(sql, params).fetchall()

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        return self.engine.sql(sql, params=params).to_arrow_table()

    def insert_from_engine(self, table: str, select_sql: str) -> int:
        return self.engine.execute(f"insert into {table} by name {select_sql}").fetchall()[0][0]

    def engine_relation(self, table: str, columns: Sequence[str]) -> str:
        return table

    def begin(self) -> None:
        self.execute("begin transaction")

    def commit(self) -> None:
        self.execute("commit")

    def rollback(self) -> None:
        self.execute("rollback")

    def close(self) -> None:
        self.engine.close()

    @property
    def location(self) -> str:
        return str(self.path)
