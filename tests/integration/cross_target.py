"""Compare one table on DuckDB and PostgreSQL: row count, then per column sums, counts, extremes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commercelens.warehouse import open_warehouse


def as_decimal(value: object) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


def profile_sql(columns: list[tuple[str, str]], table: str) -> tuple[str, list[str]]:
    """One portable query: the row count, then per column sums, trues, extremes or distincts."""
    parts, kinds = ["count(*)"], ["exact"]
    for name, data_type in columns:
        kind = data_type.upper()
        if kind.startswith(("DECIMAL", "NUMERIC", "BIGINT", "INTEGER", "HUGEINT")):
            parts += [f"sum({name})", f"count({name})"]
            kinds += ["exact", "exact"]
        elif kind in ("DOUBLE", "FLOAT", "REAL"):
            parts += [f"sum({name})", f"count({name})"]
            kinds += ["float", "exact"]
        elif kind == "BOOLEAN":
            parts += [f"count(case when {name} then 1 end)", f"count({name})"]
            kinds += ["exact", "exact"]
        elif kind in ("DATE", "TIMESTAMP"):
            parts += [f"min({name})", f"max({name})", f"count(distinct {name})"]
            kinds += ["same", "same", "exact"]
        else:  # strings: min/max would depend on PostgreSQL's collation, lengths do not
            parts += [f"count(distinct {name})", f"sum(length({name}))"]
            kinds += ["exact", "exact"]
    return f"select {', '.join(parts)} from {table}", kinds


def assert_same_on_both_targets(table: str, built_duckdb, built_postgres) -> None:
    """The table is non-empty and has the same profile on DuckDB and PostgreSQL."""
    with open_warehouse(built_duckdb[0]) as duck:
        sql, kinds = profile_sql(duck.columns(table), table)
        on_duckdb = duck.fetch_all(sql)[0]
    with open_warehouse(built_postgres[0]) as pg:
        on_postgres = pg.fetch_all(sql)[0]
    assert on_duckdb[0] > 0, f"{table} is empty"
    for kind, left, right in zip(kinds, on_duckdb, on_postgres, strict=True):
        if kind == "float":  # a double on DuckDB may be a numeric on PostgreSQL
            assert float(left) == pytest.approx(float(right), rel=1e-9), table
        elif kind == "exact":
            assert as_decimal(left) == as_decimal(right), table
        else:
            assert left == right, table
