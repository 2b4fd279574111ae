"""Operational tables in the `ops` schema: the load manifest and the erasure log."""

from __future__ import annotations

from commercelens.warehouse.base import Warehouse

LOAD_MANIFEST = "ops.load_manifest"
ERASURES = "ops.erasures"
ERASED_SUBJECTS = "ops.erased_subjects"
PII_KEY = "ops.pii_key"
STREAM_RUNS = "ops.stream_runs"

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
    # Keyed hashes of erased subjects (HMAC of "<domain>:<id>", never the id), so a later
    # ingest withholds their rows instead of loading them again.
    ERASED_SUBJECTS: [("domain", "VARCHAR"), ("subject_hash", "VARCHAR"), ("erased_at", "TIMESTAMP")],
    # Which key made the pseudonyms: an HMAC of a constant, so a different key is refused.
    PII_KEY: [("fingerprint", "VARCHAR"), ("created_at", "TIMESTAMP")],
    # One row per `stream run` (a resumed run reports the totals since its first start).
    STREAM_RUNS: [
        ("run_id", "VARCHAR"),
        ("source", "VARCHAR"),
        ("sinks", "VARCHAR"),
        ("model", "VARCHAR"),
        ("processed", "BIGINT"),
        ("alerted", "BIGINT"),
        ("alerts", "BIGINT"),
        ("late", "BIGINT"),
        ("dead_lettered", "BIGINT"),
        ("seconds", "DOUBLE"),
        ("resumed", "BOOLEAN"),
        ("finished_at", "TIMESTAMP"),
    ],
}


def ensure_ops_tables(warehouse: Warehouse) -> None:
    for table, columns in _TABLES.items():
        warehouse.create_table(table, columns)
