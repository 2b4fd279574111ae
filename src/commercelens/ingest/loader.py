"""Load one source directory into `raw.*`, all or nothing, idempotently.

Every data row read ends up either in `raw.<source>__<entity>` or in
`quarantine.<source>__<entity>` with a reason; `ops.load_manifest` records the counts, and
rows_read = rows_accepted + rows_quarantined by construction (one SELECT feeds both).
A file is identified by (source, entity, file name): loading it again with the same checksum
changes nothing; a changed version replaces that file's rows only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from commercelens.errors import DataQualityError, InputFileError
from commercelens.ingest.contracts import Column, Entity, entities_for
from commercelens.ingest.readers import (
    drop_records,
    expected_columns,
    file_checksum,
    read_header,
    register_csv_records,
    register_json_records,
)
from commercelens.ingest.validate import ParentCheck, validation_sql
from commercelens.privacy.pseudonyms import set_key
from commercelens.warehouse.base import Warehouse
from commercelens.warehouse.ops import LOAD_MANIFEST

QUARANTINE_COLUMNS = [
    ("source_file", "VARCHAR"),
    ("line_number", "BIGINT"),
    ("raw_record", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("field", "VARCHAR"),
    ("detail", "VARCHAR"),
]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class FileResult:
    """What happened to one file."""

    source: str
    entity: str
    source_file: str
    status: Literal["loaded", "unchanged"]
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)
    first_problem: str | None = None
    seconds: float = 0.0  # wall time of this file's load (0 when unchanged)


@dataclass(frozen=True)
class IngestReport:
    source: str
    format: str
    files: tuple[FileResult, ...]

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


@dataclass(frozen=True)
class _Plan:
    entity: Entity
    path: Path
    columns: tuple[Column, ...]


def ingest_source(
    warehouse: Warehouse,
    source: str,
    path: Path,
    pii_key: bytes,
    fmt: str | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Validate and load every file of `source` under `path` in one transaction."""
    entities = entities_for(source, fmt)
    plans = _preflight(entities, path)  # whole-file problems fail before anything is written
    set_key(warehouse.engine, pii_key)
    results = []
    with warehouse.transaction():
        for plan in plans:
            _ensure_tables(warehouse, plan.entity)
            if progress:
                progress(f"{plan.entity.table} <- {plan.path.name}")
            results.append(_load_file(warehouse, plan))
    return IngestReport(source, fmt or _default_format(source), tuple(results))


def check_reject_rate(report: IngestReport, limit: float | None) -> None:
    """Raise DataQualityError when a file's quarantined share exceeds `limit`."""
    if limit is None:
        return
    for f in report.files:
        rate = f.rows_quarantined / f.rows_read if f.rows_read else 0.0
        if rate > limit:
            raise DataQualityError(
                f"{f.source_file}: {rate:.2%} of rows quarantined, above the limit of {limit:.2%}"
                f" (see quarantine.{f.source}__{f.entity})"
            )


def _default_format(source: str) -> str:
    from commercelens.ingest.contracts import DEFAULT_FORMAT

    return DEFAULT_FORMAT[source]


def _preflight(entities: tuple[Entity, ...], path: Path) -> list[_Plan]:
    if not path.is_dir():
        raise InputFileError(str(path), "not a directory")
    plans = []
    for entity in entities:
        for name in entity.files:
            file = path / name
            if not file.is_file():
                raise InputFileError(str(file), f"missing: {entity.source} needs {', '.join(entity.files)}")
            if entity.reader == "csv":
                columns = expected_columns(entity, read_header(file), str(file))
            else:
                columns = entity.columns
            plans.append(_Plan(entity, file, columns))
    return plans


def _raw_columns(entity: Entity) -> list[tuple[str, str]]:
    cols = [(c.raw_name, c.raw_type) for c in entity.columns + entity.extensions if c.raw_name]
    return [*cols, ("_source_file", "VARCHAR"), ("_line_number", "BIGINT")]


def _ensure_tables(warehouse: Warehouse, entity: Entity) -> None:
    warehouse.create_table(entity.table, _raw_columns(entity))
    warehouse.create_table(entity.quarantine_table, QUARANTINE_COLUMNS)


def _previous_load(warehouse: Warehouse, entity: Entity, file: str) -> tuple | None:
    rows = warehouse.fetch_all(
        f"select checksum, rows_read, rows_accepted, rows_quarantined from {LOAD_MANIFEST} "
        "where source = ? and entity = ? and source_file = ? order by loaded_at desc limit 1",
        [entity.source, entity.name, file],
    )
    return rows[0] if rows else None


def _load_file(warehouse: Warehouse, plan: _Plan) -> FileResult:
    started = time.perf_counter()
    entity, name = plan.entity, plan.path.name
    checksum = file_checksum(plan.path)
    previous = _previous_load(warehouse, entity, name)
    if previous and previous[0] == checksum:
        return FileResult(entity.source, entity.name, name, "unchanged", *previous[1:])
    final = _validate(warehouse, plan)
    for table, column in ((entity.table, "_source_file"), (entity.quarantine_table, "source_file")):
        warehouse.execute(f"delete from {table} where {column} = ?", [name])
    _insert_rows(warehouse, plan, final, name)
    result = replace(_summarise(warehouse, plan, final), seconds=time.perf_counter() - started)
    warehouse.execute(
        f"insert into {LOAD_MANIFEST} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            f"{entity.source}.{entity.name}:{name}:{checksum[:16]}",
            entity.source,
            entity.name,
            name,
            str(plan.path.resolve()),
            checksum,
            result.rows_read,
            result.rows_accepted,
            result.rows_quarantined,
            datetime.now(UTC).replace(tzinfo=None),
        ],
    )
    return result


def _validate(warehouse: Warehouse, plan: _Plan) -> str:
    """Build one engine temp table with every record's outcome; return its name."""
    entity, engine = plan.entity, warehouse.engine
    base = f"ingest_{entity.source}__{entity.name}"
    if entity.reader == "csv":
        register_csv_records(warehouse, plan.path, f"{base}_records")
    else:
        register_json_records(warehouse, plan.path, f"{base}_records", entity.reader == "json_labels")
    parents = []
    for parent in entity.parents:
        table = next(e for e in entities_for(entity.source) if e.name == parent.entity).table
        relation = warehouse.engine_relation(table, [parent.key])
        parents.append(ParentCheck(parent.column, relation, parent.key, table))
    sql = validation_sql(entity, plan.columns, f"{base}_records", parents)
    engine.execute(f"create or replace temp table {base}_final as {sql}").fetchall()
    drop_records(warehouse, f"{base}_records")
    return f"{base}_final"


def _insert_rows(warehouse: Warehouse, plan: _Plan, final: str, name: str) -> None:
    names = ", ".join(f'"{c.raw_name}"' for c in plan.columns if c.raw_name)
    literal = "'" + name.replace("'", "''") + "'"
    accepted = (
        f"select {names}, {literal} as _source_file, line_number as _line_number "
        f"from {final} where reason is null"
    )
    warehouse.insert_from_engine(plan.entity.table, accepted)
    quarantined = (
        f"select {literal} as source_file, line_number, quarantine_record as raw_record, "
        f"reason, field, detail from {final} where reason is not null order by line_number"
    )
    warehouse.insert_from_engine(plan.entity.quarantine_table, quarantined)


def _summarise(warehouse: Warehouse, plan: _Plan, final: str) -> FileResult:
    engine, entity, name = warehouse.engine, plan.entity, plan.path.name
    counts = dict(engine.execute(f"select coalesce(reason, ''), count(*) from {final} group by 1").fetchall())
    first = engine.execute(
        f"select line_number, field, reason, detail from {final} where reason is not null "
        "order by line_number limit 1"
    ).fetchall()
    engine.execute(f"drop table {final}").fetchall()
    accepted = counts.pop("", 0)
    problem = None
    if first:
        line, fld, reason, detail = first[0]
        where = f"{name} line {line}" + (f", field '{fld}'" if fld else "")
        problem = f"{where}: {reason}: {detail}"
    read = accepted + sum(counts.values())
    return FileResult(
        entity.source, entity.name, name, "loaded", read, accepted, read - accepted, counts, problem
    )
