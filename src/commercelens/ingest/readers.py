"""Readers turn a source file into numbered records: (line_number, raw_record, fields).

CSV files are read as physical lines (Polars; CRLF handled, blank lines keep their numbering)
and split into fields in DuckDB, so every data line keeps its exact text and line number,
whatever is wrong with it. JSON maps keep every entry in file order; their "line number" is
the entry's position in the object (1-based).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import polars as pl

from commercelens.errors import InputFileError
from commercelens.ingest.contracts import Column, Entity
from commercelens.ingest.validate import split_fields_sql
from commercelens.warehouse.base import Warehouse

CHECKSUM_CHUNK = 1 << 20

_SPLIT_SQL = "select line_number, line as raw_record, {fields} as fields from {lines}"


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


def register_csv_records(warehouse: Warehouse, path: Path, name: str) -> int:
    """Create engine view `name` (line_number, raw_record, fields) over a CSV's data lines.

    Returns the number of data lines (not the header, not blank lines), counted here from the
    file so the loader can check that validation accounted for every one.
    """
    try:
        # One column per physical line: NUL never occurs in CSV text, and read_csv is several
        # times faster than read_lines (multi-threaded); a stray NUL ends that line's text.
        lines = pl.read_csv(
            path,
            has_header=False,
            separator="\x00",
            quote_char=None,
            schema={"line": pl.String},
            infer_schema=False,
            truncate_ragged_lines=True,
        )
    except pl.exceptions.PolarsError as exc:
        raise InputFileError(str(path), f"unreadable: {str(exc).splitlines()[0]}") from None
    lines = lines.with_row_index("line_number", offset=1).filter(
        (pl.col("line_number") > 1) & (pl.col("line").str.len_bytes() > 0)
    )
    warehouse.engine.register(f"{name}_lines", lines.to_arrow())
    sql = _SPLIT_SQL.format(lines=f"{name}_lines", fields=split_fields_sql("line"))
    warehouse.engine.execute(f"create or replace temp view {name} as {sql}").fetchall()
    return lines.height


def drop_records(warehouse: Warehouse, name: str) -> None:
    """Release what register_*_records created under `name`."""
    engine = warehouse.engine
    kind = engine.execute(
        "select table_type from information_schema.tables where table_name = ? and table_schema = 'main' "
        "and table_catalog = 'temp'",
        [name],
    ).fetchall()
    engine.execute(f"drop {'view' if kind and kind[0][0] == 'VIEW' else 'table'} if exists {name}").fetchall()
    engine.unregister(f"{name}_lines")


_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
_JSON_PAIR = rf"({_JSON_STRING})\s*:\s*({_JSON_STRING}|[^,{{}}\[\]\s\"]+)"
_SHELLS = {  # what must remain of the document once every pair is cut out
    True: re.compile(r'\s*\{\s*"target"\s*:\s*\{\s*(?:,\s*)*\}\s*\}\s*'),
    False: re.compile(r"\s*\{\s*(?:,\s*)*\}\s*"),
}


def register_json_records(warehouse: Warehouse, path: Path, name: str, labels: bool) -> int:
    """Create engine table `name` from a JSON object map (mcc codes, or {"target": {...}}).

    Every (key, value) pair is kept in file order, duplicates included, so a repeated key is
    quarantined as a duplicate rather than silently dropped. A flat map (the real files) is
    tokenised with one vectorised regex whose leftovers must be exactly the object's shell;
    anything else falls back to Python's json parser, which also names the error position.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InputFileError(str(path), "not valid UTF-8 text") from None
    pairs = _flat_pairs(text, labels)
    if pairs is None:
        entries = _json_entries(path, labels)
        pairs = pl.DataFrame(
            {
                "k": [k for k, _ in entries],
                "v": [v if isinstance(v, str) else json.dumps(v) for _, v in entries],
            },
            schema={"k": pl.String, "v": pl.String},
        )
    table = pairs.with_row_index("line_number", offset=1).to_arrow()
    warehouse.engine.register(f"{name}_pairs", table)
    warehouse.engine.execute(
        f"""create or replace temp table {name} as
        select cast(line_number as BIGINT) as line_number, to_json(k) || ': ' || to_json(v) as raw_record,
            [k, v] as fields
        from {name}_pairs"""
    ).fetchall()
    warehouse.engine.unregister(f"{name}_pairs")
    return pairs.height


def _flat_pairs(text: str, labels: bool) -> pl.DataFrame | None:
    """(k, v) of a flat JSON object of scalars (inside {"target": ...} for labels), else None."""
    document = pl.Series([text])
    found = document.str.extract_all(_JSON_PAIR).explode().drop_nulls()
    shell = document.str.replace_all(_JSON_PAIR, "")[0]
    if _SHELLS[labels].fullmatch(shell) is None or shell.count(",") != max(len(found) - 1, 0):
        return None
    parts = found.str.extract_groups(_JSON_PAIR).struct.unnest()
    return pl.DataFrame({"k": _unquote(parts[:, 0]), "v": _unquote(parts[:, 1])})


def _unquote(column: pl.Series) -> pl.Series:
    """JSON string literals to text; escapes (rare) go through json.loads, other scalars stay as text."""
    quoted = column.str.starts_with('"')
    plain = column.str.slice(1, column.str.len_chars() - 2)
    escaped = column.str.contains("\\", literal=True) & quoted
    if escaped.any():
        fixed = [
            json.loads(v) if e else None for v, e in zip(column.to_list(), escaped.to_list(), strict=True)
        ]
        plain = pl.Series(fixed, dtype=pl.String).fill_null(plain)
    return pl.select(pl.when(quoted).then(plain).otherwise(column)).to_series()


def _json_entries(path: Path, labels: bool) -> list[tuple[str, Any]]:
    try:
        document = json.loads(path.read_bytes(), object_pairs_hook=lambda pairs: pairs)
    except json.JSONDecodeError as exc:
        raise InputFileError(str(path), f"not valid JSON ({exc.msg})", line=exc.lineno) from None
    except UnicodeDecodeError:
        raise InputFileError(str(path), "not valid UTF-8 text") from None
    if labels:
        target = [v for k, v in document if k == "target"] if isinstance(document, list) else []
        document = target[0] if len(target) == 1 else None
    if not isinstance(document, list):
        expected = 'an object {"target": {id: label}}' if labels else "an object {code: text}"
        raise InputFileError(str(path), f"expected {expected}")
    return document
