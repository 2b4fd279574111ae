"""Warehouse access: `open_warehouse(settings)` returns the configured target."""

from __future__ import annotations

from commercelens.config import Settings
from commercelens.warehouse.base import Warehouse


def open_warehouse(settings: Settings, read_only: bool = False) -> Warehouse:
    """Open the configured target and make sure the schemas and ops tables exist."""
    from commercelens.warehouse.ops import ensure_ops_tables

    if settings.target == "postgres":
        from commercelens.warehouse.postgres import PostgresWarehouse

        warehouse: Warehouse = PostgresWarehouse(settings.postgres_dsn.get_secret_value())
    else:
        from commercelens.warehouse.duckdb import DuckDBWarehouse

        warehouse = DuckDBWarehouse(settings.duckdb_path, read_only=read_only)
    if not read_only:
        warehouse.ensure_schemas()
        ensure_ops_tables(warehouse)
    return warehouse


__all__ = ["Warehouse", "open_warehouse"]
