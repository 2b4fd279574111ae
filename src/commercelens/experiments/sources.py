"""Where sufficient statistics come from: the warehouse mart, or any unit-level CSV/Parquet file.

A unit-level file (one row per unit: a variation column and metric columns, like Hillstrom's
e-mail campaign) is summed in DuckDB, never loaded into Python rows. Problems are one-line
`UserError`s naming the file and the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl

from commercelens.errors import UserError
from commercelens.experiments.metric_stats import MetricStats
from commercelens.warehouse.base import Warehouse

METRIC_STATS_TABLE = "marts.fct_experiment_metric_stats"
MAX_VARIATIONS = 20  # more distinct values than this is almost surely the wrong column
_STAT_COLUMNS = (
    "n",
    "main_sum",
    "main_sum_squares",
    "denominator_sum",
    "denominator_sum_squares",
    "main_denominator_sum_product",
    "covariate_sum",
    "covariate_sum_squares",
    "main_covariate_sum_product",
)
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "UBIGINT")


def _float(value) -> float | None:
    return None if value is None else float(value)


def warehouse_metric_stats(warehouse: Warehouse, experiment_id: str) -> list[MetricStats]:
    """The mart's rows for one experiment; a clear error when the mart or the experiment is missing."""
    if not warehouse.table_exists(METRIC_STATS_TABLE):
        raise UserError(
            f"{METRIC_STATS_TABLE} does not exist yet: run `commercelens demo` or `commercelens transform`"
        )
    columns = ", ".join(("metric_name", "metric_type", "variation", *_STAT_COLUMNS))
    rows = warehouse.fetch_all(
        f"select {columns} from {METRIC_STATS_TABLE} where experiment_id = ? order by metric_name, variation",
        [experiment_id],
    )
    if not rows:
        known = [
            r[0] for r in warehouse.fetch_all(f"select distinct experiment_id from {METRIC_STATS_TABLE}")
        ]
        raise UserError(
            f"no experiment {experiment_id!r} in {METRIC_STATS_TABLE} "
            f"(experiments: {', '.join(sorted(known)) or 'none'})"
        )
    return [
        MetricStats(metric, kind, variation, int(n), *(_float(v) for v in sums))
        for metric, kind, variation, n, *sums in rows
    ]


@dataclass(frozen=True)
class MetricSpec:
    """A metric column and its declared type; ``auto`` means 0/1 columns are proportions."""

    column: str
    kind: Literal["auto", "proportion", "mean"] = "auto"

    @classmethod
    def parse(cls, text: str) -> MetricSpec:
        """``COL`` or ``COL:proportion`` / ``COL:mean``.

        Examples
        --------
        >>> MetricSpec.parse("visit:proportion")
        MetricSpec(column='visit', kind='proportion')
        """
        column, _, kind = text.partition(":")
        if kind not in ("", "auto", "proportion", "mean"):
            raise UserError(f"metric {text!r}: the type after ':' must be proportion or mean")
        return cls(column, kind or "auto")  # type: ignore[arg-type]


@dataclass(frozen=True)
class UnitFile:
    """The columns of a unit-level file to analyse."""

    path: Path
    variation_col: str
    metrics: tuple[MetricSpec, ...]
    covariate: str | None = None
    variations: tuple[str, ...] = ()  # keep only these (plus the control); empty keeps all


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_unit_file(path: Path) -> pl.DataFrame:
    """A unit-level CSV (also .csv.gz) or Parquet file, every column typed from all its rows.

    Polars reads the CSV: real files mix line endings (Hillstrom's last line lacks the \\r its
    other lines have), which DuckDB's strict sniffer rejects.
    """
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        if path.suffix.lower() == ".parquet":
            return pl.read_parquet(path)
        return pl.read_csv(path, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise UserError(f"{path}: cannot read as CSV with a header row ({str(exc).splitlines()[0]})") from exc


def _check_columns(path: Path, types: dict[str, str], spec: UnitFile) -> None:
    wanted = [spec.variation_col, *(m.column for m in spec.metrics)]
    wanted += [spec.covariate] if spec.covariate else []
    missing = [c for c in wanted if c not in types]
    if missing:
        raise UserError(f"{path}: no column {', '.join(map(repr, missing))} (columns: {', '.join(types)})")
    for column in [m.column for m in spec.metrics] + ([spec.covariate] if spec.covariate else []):
        kind = types[column]
        if kind != "BOOLEAN" and not kind.startswith(_NUMERIC):
            raise UserError(
                f"{path}: column {column!r} is not numeric (read as {kind}); metrics need numbers"
            )


def _check_variations(path: Path, con, rel, spec: UnitFile, control: str) -> list[str]:
    v = _quote(spec.variation_col)
    counts = dict(con.execute(f"select {v}::varchar, count(*) from rel group by 1").fetchall())
    if None in counts:
        raise UserError(f"{path}: column {spec.variation_col!r} is empty on {counts[None]} rows")
    names = sorted(counts)
    if len(names) > MAX_VARIATIONS:
        raise UserError(
            f"{path}: column {spec.variation_col!r} has {len(names)} distinct values; "
            "is it really the variation column?"
        )
    if control not in names:
        raise UserError(
            f"{path}: control {control!r} is not a value of {spec.variation_col!r} "
            f"(values: {', '.join(names)})"
        )
    unknown = [t for t in spec.variations if t not in names]
    if unknown:
        raise UserError(f"{path}: {', '.join(map(repr, unknown))} not in {spec.variation_col!r}")
    kept = [n for n in names if n == control or not spec.variations or n in spec.variations]
    if len(kept) < 2:
        raise UserError(
            f"{path}: column {spec.variation_col!r} has fewer than two variations ({', '.join(kept)})"
        )
    return kept


def _metric_type(con, column: str, declared: str, path: Path, notes: list[str]) -> str:
    c = _quote(column)
    nulls, non_binary = con.execute(
        f"select count(*) filter ({c} is null), count(*) filter ({c}::double not in (0, 1)) from kept"
    ).fetchone()
    if nulls:
        raise UserError(f"{path}: column {column!r} is empty on {nulls} rows; fill or drop them first")
    if non_binary == 0:
        return "proportion" if declared in ("auto", "proportion") else "mean"
    if declared == "proportion":
        notes.append(f"metric {column!r} has values other than 0/1: analysed as a mean metric")
    return "mean"


def unit_file_metric_stats(spec: UnitFile, control: str) -> tuple[list[MetricStats], list[str]]:
    """Sum each metric per variation in DuckDB; returns the rows and notes for the readout."""
    path = spec.path
    notes: list[str] = []
    with duckdb.connect() as con:
        rel = con.from_arrow(read_unit_file(path).to_arrow())
        _check_columns(path, dict(zip(rel.columns, map(str, rel.types), strict=True)), spec)
        kept = _check_variations(path, con, rel, spec, control)
        v = _quote(spec.variation_col)
        con.execute(
            f"create temp table kept as select * from rel where {v}::varchar in "
            f"({', '.join('?' for _ in kept)})",
            kept,
        )
        if spec.covariate:
            _metric_type(con, spec.covariate, "mean", path, [])  # empty covariates are errors too
        rows = []
        for metric in spec.metrics:
            kind = _metric_type(con, metric.column, metric.kind, path, notes)
            x = f"{_quote(metric.column)}::double"
            cov = f"{_quote(spec.covariate)}::double" if spec.covariate else None
            covariate_sums = (
                f"sum({cov}), sum({cov} * {cov}), sum({x} * {cov})" if cov else "null, null, null"
            )
            for variation, n, s, ss, cs, css, xcs in con.execute(
                f"select {v}::varchar, count(*), sum({x}), sum({x} * {x}), {covariate_sums} "
                f"from kept group by 1 order by 1"
            ).fetchall():
                rows.append(
                    MetricStats(
                        metric.column,
                        kind,  # type: ignore[arg-type]
                        variation,
                        int(n),
                        float(s),
                        float(ss),
                        covariate_sum=_float(cs),
                        covariate_sum_squares=_float(css),
                        main_covariate_sum_product=_float(xcs),
                    )
                )
    return rows, notes


def metric_specs(texts: Sequence[str]) -> tuple[MetricSpec, ...]:
    if not texts:
        raise UserError("name at least one --metric column")
    return tuple(MetricSpec.parse(t) for t in texts)
