"""Readers turn a source file into numbered records: (line_number, raw_record, fields).

CSV files are read as physical lines (Polars, which handles CRLF and keeps blank lines'
numbering) and split into fields in DuckDB, so every data line keeps its exact text and
line number, whatever is wrong with it. JSON maps are read with DuckDB's json_each; their
"line number" is the entry's position in the object (1-based).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from commercelens.errors import InputFileError
from commercelens.ingest.contracts import Column, Entity
from commercelens.warehouse.base import Warehouse

CHECKSUM_CHUNK = 1 << 20

# Split one CSV line into fields. Lines without a quote take the fast string_split path;
# quoted lines use a regex whose matches must cover every character, else fields is NULL
# (an unbalanced or stray quote) and the row is quarantined as unparseable.
_SPLIT_SQL = """
with quoted as (
    select line_number, line,
        case when contains(line, '"')
            then regexp_extract_all(line || ',', '("(?:[^"]|"")*"|[^,"]*),', 1) end as parts
    from {lines}
)
select line_number, line as raw_record,
    case
        when parts is null then string_split(line, ',')
        when len(array_to_string(parts, ',')) = len(line) then list_transform(
            parts,
            lambda f: case when starts_with(f, '"') then replace(f[2:-2], '""', '"') else f end)
    end as fields
from quoted
"""


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHECKSUM_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def expected_columns(entity: Entity, header: list[str], file: str) -> tuple[Column, ...]:
    """The columns a file holds, judged by its header: the layout, or layout + extensions."""
    names = [c.name for c in entity.columns]
    with_ext = names + [c.name for c in entity.extensions]
    if header == names:
        return entity.columns
    if entity.extensions and header == with_ext:
        return entity.columns + entity.extensions
    want = with_ext if len(header) > len(names) and entity.extensions else names
    for position, expected in enumerate(want):
        found = header[position] if position < len(header) else None
        if found != expected:
            problem = f"header has {found!r} where {expected!r} was expected (column {position + 1})"
            raise InputFileError(file, problem, line=1)
    raise InputFileError(file, f"header has {len(header)} columns, expected {len(want)}", line=1)


def read_header(path: Path) -> list[str]:
    """First line of a CSV file as column names (a BOM and CR are tolerated)."""
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            first = handle.readline().rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputFileError(str(path), "not valid UTF-8 text", line=1) from None
    if not first:
        raise InputFileError(str(path), "file is empty (no header line)", line=1)
    return [name.strip('"') for name in first.split(",")]


def register_csv_records(warehouse: Warehouse, path: Path, name: str) -> None:
    """Create engine view `name` (line_number, raw_record, fields) over a CSV's data lines."""
    try:
        lines = pl.read_csv(
            path,
            has_header=False,
            separator="\x01",
            quote_char=None,
            schema={"line": pl.String},
            infer_schema=False,
        )
    except pl.exceptions.ComputeError as exc:
        raise InputFileError(str(path), f"unreadable: {str(exc).splitlines()[0]}") from None
    lines = lines.with_row_index("line_number", offset=1).filter(
        (pl.col("line_number") > 1) & pl.col("line").is_not_null()
    )
    warehouse.engine.register(f"{name}_lines", lines.to_arrow())
    sql = _SPLIT_SQL.format(lines=f"{name}_lines")
    warehouse.engine.execute(f"create or replace temp table {name} as {sql}").fetchall()
    warehouse.engine.unregister(f"{name}_lines")


def register_json_records(warehouse: Warehouse, path: Path, name: str, labels: bool) -> None:
    """Create engine table `name` from a JSON object map (mcc codes, or {"target": {...}})."""
    where = "'$.target'" if labels else "'$'"
    engine = warehouse.engine
    try:
        kind = engine.execute(
            f"select json_type(content, {where}) from read_text(?)", [str(path)]
        ).fetchall()[0][0]
    except Exception as exc:  # DuckDB raises several error types for bad JSON
        raise InputFileError(str(path), f"not valid JSON ({str(exc).splitlines()[0]})") from None
    if kind != "OBJECT":
        expected = 'an object {"target": {id: label}}' if labels else "an object {code: text}"
        raise InputFileError(str(path), f"expected {expected}")
    engine.execute(
        f"""create or replace temp table {name} as
        select row_number() over (order by j.id) as line_number,
            to_json(j.key) || ': ' || j.value as raw_record,
            [j.key, coalesce(json_extract_string(j.value, '$'), '')] as fields
        from read_text(?) t, json_each(t.content, {where}) j""",
        [str(path)],
    ).fetchall()
