"""Inject known defects into generated CSV files and write how many rows must be rejected.

Each defect makes exactly one line fail one check of the ingest contract, so
`_truth/expected_rejects.json` states, per file, the rows ingestion must quarantine and why.
Defects that reject a row are only applied to rows nothing else references (a user with no
searches, a search with no booking), so no orphan cascade blurs the count; exact duplicates
(of which the first copy is accepted) may hit any row. JSON files are left clean.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl

from commercelens.generate.common import truth_dir
from commercelens.ingest.contracts import Column, Entity, entities_for

DEFECTS = (
    "bad_type",
    "mixed_date",
    "euro_amount",
    "unknown_value",
    "missing_key",
    "orphan",
    "duplicate",
    "truncated",
)
EXPECTED_REASON = {
    "bad_type": "bad_type",
    "mixed_date": "bad_type",
    "euro_amount": "bad_type",
    "unknown_value": "unknown_value",
    "missing_key": "missing_key",
    "orphan": "orphan",
    "duplicate": "duplicate",
    "truncated": "unparseable",
}
EXPECTED_REJECTS_FILE = "expected_rejects.json"


def inject_dirt(out_dir: Path, source: str, rate: float, seed: int) -> dict[str, dict]:
    """Dirty every CSV file of `source` in `out_dir` at `rate`; return and write expectations."""
    rng = np.random.default_rng([seed, 7])
    expected: dict[str, dict] = {}
    entities = entities_for(source)
    for entity in entities:
        if entity.reader != "csv":
            continue
        referenced = _referenced_keys(out_dir, entity, entities)
        for name in entity.files:
            expected[name] = _dirty_file(out_dir / name, entity, referenced, rate, rng)
    path = truth_dir(out_dir) / EXPECTED_REJECTS_FILE
    path.write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return expected


def _referenced_keys(out_dir: Path, entity: Entity, entities: tuple[Entity, ...]) -> set[str]:
    """Key values of `entity` that some child row points at (read with Polars, as text)."""
    keys: set[str] = set()
    for child in entities:
        for parent in child.parents:
            if parent.entity != entity.name:
                continue
            for name in child.files:
                if child.reader == "csv":
                    col = pl.read_csv(out_dir / name, columns=[parent.column], infer_schema=False)
                    keys.update(col.to_series().drop_nulls().to_list())
                else:
                    keys.update(json.loads((out_dir / name).read_text())["target"].keys())
    return keys


def _applicable(entity: Entity, columns: tuple[Column, ...]) -> list[str]:
    kinds = {c.kind for c in columns if not c.pii and c.name not in entity.key}
    found = ["duplicate", "truncated"]
    if kinds & {"int", "float", "decimal"}:
        found.append("bad_type")
    if "timestamp" in kinds or "date" in kinds:
        found.append("mixed_date")
    if kinds & {"decimal", "dollars"}:
        found.append("euro_amount")
    if "enum" in kinds:
        found.append("unknown_value")
    if entity.key:
        found.append("missing_key")
    if entity.parents:
        found.append("orphan")
    return found


def _dirty_file(path: Path, entity: Entity, referenced: set[str], rate: float, rng) -> dict:
    header, *body = path.read_text(encoding="utf-8").splitlines()
    columns = tuple(entity.column(n) for n in header.split(","))
    key_pos = columns.index(entity.column(entity.key[0])) if entity.key else None
    kinds = _applicable(entity, columns)
    plan = [kinds[j % len(kinds)] for j in range(round(rate * len(body)))]
    keys = body if key_pos is None else [_field(line, key_pos) for line in body]
    repeated = {k for k, n in Counter(keys).items() if n > 1}  # an edit there would change two counts
    free = [i for i, k in enumerate(keys) if k not in referenced and k not in repeated]
    rejecting = [k for k in plan if k != "duplicate"]
    edit_rows = [int(i) for i in rng.permutation(free)[: len(rejecting)]]
    # A rejecting defect that finds no unreferenced row becomes a duplicate instead.
    applied = Counter(rejecting[: len(edit_rows)])
    applied["duplicate"] += len(plan) - len(edit_rows)
    others = np.setdiff1d(np.arange(len(body)), edit_rows)
    copy_rows = {int(i) for i in rng.permutation(others)[: applied["duplicate"]]}
    edits = {
        row: _apply(body[row], kind, columns, entity, rng)
        for row, kind in zip(edit_rows, rejecting, strict=False)
    }
    out = [header]
    for i, line in enumerate(body):
        out.append(edits.get(i, line))
        if i in copy_rows:
            out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return _expectation(len(out) - 1, +applied, len(keys) - len(set(keys)), kinds)


def _expectation(rows: int, applied: Counter[str], natural: int, kinds: list[str]) -> dict:
    by_reason: Counter[str] = Counter()
    for kind, n in applied.items():
        by_reason[EXPECTED_REASON[kind]] += n
    # Duplicates the clean data already had (two identical events in one millisecond) count too.
    by_reason["duplicate"] += natural
    return {
        "rows": rows,
        "rejected": sum(by_reason.values()),
        "by_reason": dict(+by_reason),
        "by_defect": dict(applied),
        "natural_duplicates": natural,
        "defects_available": kinds,
    }


def _field(line: str, pos: int) -> str:
    return next(csv.reader([line]))[pos]


def _write(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


def _pick(columns: tuple[Column, ...], entity: Entity, kinds: set[str], rng) -> int:
    options = [i for i, c in enumerate(columns) if c.kind in kinds and not c.pii and c.name not in entity.key]
    return int(options[int(rng.integers(len(options)))])


def _apply(line: str, kind: str, columns: tuple[Column, ...], entity: Entity, rng) -> str:
    fields = next(csv.reader([line]))
    if kind == "truncated":
        return _write(fields[: max(1, len(fields) // 2)])
    if kind == "bad_type":
        fields[_pick(columns, entity, {"int", "float", "decimal"}, rng)] = "n/a"
    elif kind == "mixed_date":
        i = _pick(columns, entity, {"timestamp", "date"}, rng)
        fields[i] = "05/03/2025 14:22" if columns[i].kind == "timestamp" else "05/03/2025"
    elif kind == "euro_amount":
        fields[_pick(columns, entity, {"decimal", "dollars"}, rng)] = "€45.5"
    elif kind == "unknown_value":
        fields[_pick(columns, entity, {"enum"}, rng)] = "UNKNOWN_VALUE"
    elif kind == "missing_key":
        fields[[c.name for c in columns].index(entity.key[0])] = ""
    elif kind == "orphan":
        parent = entity.parents[0]
        i = [c.name for c in columns].index(parent.column)
        fields[i] = "999999999" if columns[i].kind == "int" else "ORPHAN-0000001"
    return _write(fields)
