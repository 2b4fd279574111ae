"""Load one source directory into `raw.*`, all or nothing, idempotently.

Every data row read ends up either in `raw.<source>__<entity>` or in
`quarantine.<source>__<entity>` with a reason; `ops.load_manifest` records the counts. The
count of data lines is taken from the file independently of the validation, and the load
fails loudly if accepted + quarantined ever differs from it. A file is identified by
(source, entity, file name): loading it again with the same checksum changes nothing; a
changed version replaces that file's rows only, and re-validates the files that depend on it
(a new user can turn yesterday's orphan searches into accepted rows).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from commercelens.errors import CommerceLensError, DataQualityError, InputFileError
from commercelens.ingest.contracts import DEFAULT_FORMAT, Column, Entity, entities_for
from commercelens.ingest.readers import (
    drop_records,
    expected_columns,
    file_checksum,
    read_header,
    register_csv_records,
    register_json_records,
)
from commercelens.ingest.validate import (
    ParentCheck,
    checked_sql,
    duplicate_update_sql,
    erased_update_sql,
    orphan_update_sql,
    quarantine_record_sql,
)
from commercelens.privacy.keys import check_pii_key
from commercelens.privacy.pseudonyms import set_key
from commercelens.warehouse.base import Warehouse
from commercelens.warehouse.ops import ERASED_SUBJECTS, LOAD_MANIFEST

QUARANTINE_COLUMNS = [
    ("source_file", "VARCHAR"),
    ("line_number", "BIGINT"),
    ("raw_record", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("field", "VARCHAR"),
    ("detail", "VARCHAR"),
    ("subject_key", "VARCHAR"),  # the data subject's id, so erasure never matches by accident
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
    notice: str | None = None  # e.g. the same file name loaded before from another directory


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
    fmt: str


def ingest_source(
    warehouse: Warehouse,
    source: str,
    path: Path,
    pii_key: bytes,
    fmt: str | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Validate and load every file of `source` under `path` in one transaction."""
    fmt = fmt or DEFAULT_FORMAT[source]
    plans = _preflight(entities_for(source, fmt), path, fmt)  # whole-file problems fail first
    set_key(warehouse.engine, pii_key)
    results: list[FileResult] = []
    with warehouse.transaction():
        check_pii_key(warehouse, pii_key)
        changed: set[str] = set()
        for plan in plans:
            _ensure_tables(warehouse, plan.entity)
            if progress:
                progress(f"{plan.entity.table} <- {plan.path.name}")
            force = any(p.entity in changed for p in plan.entity.parents)
            result = _load_file(warehouse, plan, force)
            if result.status == "loaded":
                changed.add(plan.entity.name)
            results.append(result)
    return IngestReport(source, fmt, tuple(results))


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


def _preflight(entities: tuple[Entity, ...], path: Path, fmt: str) -> list[_Plan]:
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
            plans.append(_Plan(entity, file, columns, fmt))
    return plans


def _raw_columns(entity: Entity) -> list[tuple[str, str]]:
    cols = [(c.raw_name, c.raw_type) for c in entity.columns + entity.extensions if c.raw_name]
    return [*cols, ("_source_file", "VARCHAR"), ("_line_number", "BIGINT")]


def _ensure_tables(warehouse: Warehouse, entity: Entity) -> None:
    warehouse.create_table(entity.table, _raw_columns(entity))
    warehouse.create_table(entity.quarantine_table, QUARANTINE_COLUMNS)


def _previous_load(warehouse: Warehouse, entity: Entity, file: str) -> tuple | None:
    rows = warehouse.fetch_all(
        f"select checksum, rows_read, rows_accepted, rows_quarantined, source_path from {LOAD_MANIFEST} "
        "where source = ? and entity = ? and source_file = ? order by loaded_at desc limit 1",
        [entity.source, entity.name, file],
    )
    return rows[0] if rows else None


def _load_file(warehouse: Warehouse, plan: _Plan, force: bool) -> FileResult:
    started = time.perf_counter()
    entity, name = plan.entity, plan.path.name
    checksum = file_checksum(plan.path)
    previous = _previous_load(warehouse, entity, name)
    if previous and previous[0] == checksum and not force:
        return FileResult(entity.source, entity.name, name, "unchanged", *previous[1:4])
    notice = None
    path = str(plan.path.resolve())
    if previous and previous[4] != path:
        notice = f"{name} replaces the rows loaded earlier from {previous[4]}"
    checked, records, data_lines = _validate(warehouse, plan)
    for table, column in ((entity.table, "_source_file"), (entity.quarantine_table, "source_file")):
        warehouse.execute(f"delete from {table} where {column} = ?", [name])
    _insert_rows(warehouse, plan, checked, records, name)
    drop_records(warehouse, records)
    result = _summarise(warehouse, plan, checked, data_lines)
    warehouse.execute(
        f"insert into {LOAD_MANIFEST} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            f"{entity.source}.{entity.name}:{name}:{checksum[:16]}",
            entity.source,
            entity.name,
            name,
            path,
            checksum,
            result.rows_read,
            result.rows_accepted,
            result.rows_quarantined,
            datetime.now(UTC).replace(tzinfo=None),
        ],
    )
    return FileResult(**{**result.__dict__, "seconds": time.perf_counter() - started, "notice": notice})


def _validate(warehouse: Warehouse, plan: _Plan) -> tuple[str, str, int]:
    """Build the engine table of checked records; return it, the records, and the data lines."""
    entity, engine = plan.entity, warehouse.engine
    base = f"ingest_{entity.source}__{entity.name}"
    if entity.reader == "csv":
        data_lines = register_csv_records(warehouse, plan.path, f"{base}_records")
    else:
        data_lines = register_json_records(
            warehouse, plan.path, f"{base}_records", entity.reader == "json_labels"
        )
    checked = f"{base}_checked"
    engine.execute(
        f"create or replace temp table {checked} as {checked_sql(entity, plan.columns, f'{base}_records')}"
    ).fetchall()
    if entity.subject:
        erased = warehouse.engine_relation(ERASED_SUBJECTS, ["domain", "subject_hash"])
        engine.execute(erased_update_sql(checked, entity, erased)).fetchall()
    siblings = entities_for(entity.source, plan.fmt)
    for parent in entity.parents:
        table = next(e for e in siblings if e.name == parent.entity).table
        relation = warehouse.engine_relation(table, [parent.key])
        column = entity.column(parent.column).raw_name or parent.column
        engine.execute(
            orphan_update_sql(checked, ParentCheck(column, relation, parent.key, table))
        ).fetchall()
    engine.execute(duplicate_update_sql(checked, entity)).fetchall()
    return checked, f"{base}_records", data_lines


def _insert_rows(warehouse: Warehouse, plan: _Plan, checked: str, records: str, name: str) -> None:
    names = ", ".join(f'"{c.raw_name}"' for c in plan.columns if c.raw_name)
    literal = "'" + name.replace("'", "''") + "'"
    accepted = (
        f"select {names}, {literal} as _source_file, line_number as _line_number "
        f"from {checked} where reason is null"
    )
    warehouse.insert_from_engine(plan.entity.table, accepted)
    record = quarantine_record_sql(plan.entity, plan.columns)
    quarantined = f"""
        select {literal} as source_file, line_number,
            case when reason = 'erased' then null else {record} end as raw_record,
            reason, field, detail, case when reason = 'erased' then null else subject_key end as subject_key
        from {checked} c join {records} r using (line_number)
        where reason is not null order by line_number"""
    warehouse.insert_from_engine(plan.entity.quarantine_table, quarantined)


def _summarise(warehouse: Warehouse, plan: _Plan, checked: str, data_lines: int) -> FileResult:
    engine, entity, name = warehouse.engine, plan.entity, plan.path.name
    counts = dict(
        engine.execute(f"select coalesce(reason, ''), count(*) from {checked} group by 1").fetchall()
    )
    first = engine.execute(
        f"select line_number, field, reason, detail from {checked} where reason is not null "
        "order by line_number limit 1"
    ).fetchall()
    engine.execute(f"drop table {checked}").fetchall()
    accepted = counts.pop("", 0)
    quarantined = sum(counts.values())
    if accepted + quarantined != data_lines:  # the invariant, checked against the file itself
        raise CommerceLensError(
            f"{name}: {data_lines} data lines read but {accepted} accepted + {quarantined} quarantined"
        )
    problem = None
    if first:
        line, fld, reason, detail = first[0]
        where = f"{name} line {line}" + (f", field '{fld}'" if fld else "")
        problem = f"{where}: {reason}: {detail}"
    return FileResult(
        entity.source, entity.name, name, "loaded", data_lines, accepted, quarantined, counts, problem
    )
