"""Operational tables in the `ops` schema: the load manifest and the erasure log."""

from __future__ import annotations

from commercelens.warehouse.base import Warehouse

LOAD_MANIFEST = "ops.load_manifest"
ERASURES = "ops.erasures"

_TABLES: dict[str, list[tuple[str, str]]] = {
    LOAD_MANIFEST: [
        ("load_id", "VARCHAR"),
        ("source", "VARCHAR"),
        ("entity", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("source_path", "VARCHAR"),
        ("checksum", "VARCHAR"),
        ("rows_read", "BIGINT"),
        ("rows_accepted", "BIGINT"),
        ("rows_quarantined", "BIGINT"),
        ("loaded_at", "TIMESTAMP"),
    ],
    ERASURES: [
        ("erasure_id", "VARCHAR"),
        ("subject_kind", "VARCHAR"),
        ("domain", "VARCHAR"),
        ("tables_touched", "INTEGER"),
        ("rows_deleted", "BIGINT"),
        ("erased_at", "TIMESTAMP"),
    ],
}


def ensure_ops_tables(warehouse: Warehouse) -> None:
    for table, columns in _TABLES.items():
        warehouse.create_table(table, columns)
