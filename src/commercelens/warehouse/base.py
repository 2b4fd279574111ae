"""The warehouse interface: the only code that talks to DuckDB or PostgreSQL.

SQL passed in uses `?` placeholders and DuckDB/PostgreSQL-common syntax; column types are
written in a small portable vocabulary (`SqlType`) and rendered per dialect here.
Validation always runs in an embedded DuckDB engine (`engine`): on the DuckDB target that is
the warehouse connection itself, on PostgreSQL an in-memory DuckDB whose results are COPYed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import duckdb
import pyarrow as pa

SqlType = Literal["BIGINT", "INTEGER", "DOUBLE", "VARCHAR", "TIMESTAMP", "DATE", "DECIMAL", "BOOLEAN"]

_POSTGRES_TYPES: dict[str, str] = {
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "DOUBLE": "double precision",
    "VARCHAR": "text",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
    "DECIMAL": "numeric(14,2)",
    "BOOLEAN": "boolean",
}
_DUCKDB_TYPES: dict[str, str] = {**{t: t for t in _POSTGRES_TYPES}, "DECIMAL": "DECIMAL(14,2)"}
# Engine (DuckDB) column types -> the portable vocabulary, for tables derived from engine queries.
_ENGINE_TYPES: dict[str, SqlType] = {
    "BOOLEAN": "BOOLEAN",
    "TINYINT": "INTEGER",
    "SMALLINT": "INTEGER",
    "INTEGER": "INTEGER",
    "BIGINT": "BIGINT",
    "HUGEINT": "BIGINT",
    "UBIGINT": "BIGINT",
    "FLOAT": "DOUBLE",
    "DOUBLE": "DOUBLE",
    "VARCHAR": "VARCHAR",
    "DATE": "DATE",
}


def portable_type(engine_type: str) -> SqlType:
    """The portable type of an engine column type; decimals become doubles, any timestamp one.

    Examples
    --------
    >>> portable_type("TIMESTAMP_NS"), portable_type("DECIMAL(18,2)"), portable_type("TINYINT")
    ('TIMESTAMP', 'DOUBLE', 'INTEGER')
    """
    kind = engine_type.upper()
    if kind.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    if kind.startswith("DECIMAL"):
        return "DOUBLE"
    try:
        return _ENGINE_TYPES[kind]
    except KeyError:
        raise TypeError(f"no portable type for the engine type {engine_type}") from None


SCHEMAS = ("raw", "quarantine", "staging", "intermediate", "marts", "ml", "ops")


class Warehouse(ABC):
    """A connection to one warehouse target plus the embedded DuckDB validation engine."""

    target: str
    engine: duckdb.DuckDBPyConnection

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None: ...

    @abstractmethod
    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table: ...

    @abstractmethod
    def insert_from_engine(self, table: str, select_sql: str) -> int:
        """Append the rows of an engine-side SELECT to a warehouse table; return the count."""

    @abstractmethod
    def engine_relation(self, table: str, columns: Sequence[str]) -> str:
        """Name under which the engine can read `columns` of a warehouse table."""

    @abstractmethod
    def begin(self) -> None: ...

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def rollback(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the data lives, for humans (a path or a DSN without password)."""

    def render_type(self, sql_type: str) -> str:
        types = _POSTGRES_TYPES if self.target == "postgres" else _DUCKDB_TYPES
        return types[sql_type]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a failure inside rolls every statement back."""
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def create_table(self, table: str, columns: Sequence[tuple[str, str]]) -> None:
        cols = ", ".join(f'"{name}" {self.render_type(t)}' for name, t in columns)
        self.execute(f"create table if not exists {table} ({cols})")

    def replace_from_engine(self, table: str, select_sql: str) -> int:
        """Replace `table` with the rows of an engine-side SELECT, in one transaction; return the count.

        On DuckDB the engine is the warehouse, so the table is created in place; on PostgreSQL
        it is created with the portable types of the SELECT's columns and filled by COPY.
        """
        if self.target == "duckdb":
            with self.transaction():
                self.execute(f"create or replace table {table} as {select_sql}")
            return self.fetch_all(f"select count(*) from {table}")[0][0]
        described = self.engine.execute(f"describe {select_sql}").fetchall()
        with self.transaction():
            self.execute(f"drop table if exists {table}")
            self.create_table(table, [(name, portable_type(kind)) for name, kind, *_ in described])
            return self.insert_from_engine(table, select_sql)

    def ensure_schemas(self) -> None:
        for schema in SCHEMAS:
            self.execute(f"create schema if not exists {schema}")

    def table_exists(self, table: str) -> bool:
        schema, name = table.split(".")
        rows = self.fetch_all(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        )
        return rows[0][0] > 0

    def tables(self, schemas: Sequence[str] = SCHEMAS) -> list[str]:
        """Qualified names of the base tables in `schemas`, sorted."""
        marks = ", ".join("?" for _ in schemas)
        rows = self.fetch_all(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({marks}) and table_type = 'BASE TABLE' order by 1, 2",
            list(schemas),
        )
        return [f"{s}.{n}" for s, n in rows]

    def columns(self, table: str) -> list[tuple[str, str]]:
        """(name, data type) of a table's columns in order."""
        schema, name = table.split(".")
        return [
            (c, t)
            for c, t in self.fetch_all(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            )
        ]

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
