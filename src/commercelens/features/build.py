"""Build `ml.<task>_features`: point-in-time SQL run in the warehouse's embedded DuckDB engine.

The engine reads the inputs through `Warehouse.engine_relation` (on DuckDB the tables themselves;
on PostgreSQL a COPY of the needed columns), so one SQL text serves both targets. Rebuilding
replaces the table: the build is idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

import duckdb

from commercelens.errors import UserError
from commercelens.features import booking, conversion, fraud
from commercelens.features.spec import TASKS, InputTable, TaskSpec
from commercelens.features.split import SplitBoundaries, split_boundaries
from commercelens.warehouse.base import SqlType, Warehouse, portable_type

_SQL: dict[str, ModuleType] = {"booking": booking, "conversion": conversion, "fraud": fraud}


def get_spec(task: str) -> TaskSpec:
    """The registered spec of `task`; a UserError naming the known tasks otherwise."""
    try:
        return TASKS[task]
    except KeyError:
        raise UserError(f"unknown task '{task}': use one of {', '.join(TASKS)}") from None


def typed_relation(relation: str, columns: tuple[tuple[str, SqlType], ...]) -> str:
    """A subquery over `relation` that casts each needed column to its declared type."""
    casts = ", ".join(f'cast("{name}" as {sql_type}) as "{name}"' for name, sql_type in columns)
    return f"(select {casts} from {relation})"


def decision_times_select(task: str, relations: Mapping[str, str]) -> str:
    """Engine-side SELECT of the units' `decision_at` (what the split boundaries are cut from)."""
    return _SQL[get_spec(task).task].decision_times_sql(relations)


def feature_select(task: str, relations: Mapping[str, str], split: SplitBoundaries) -> str:
    """The engine-side SELECT of the feature table, columns in `spec.columns` order.

    Parameters
    ----------
    task : str
        "booking", "conversion" or "fraud".
    relations : Mapping[str, str]
        Logical input name (`InputTable.name`) -> a relation the engine can read (a table name
        or a parenthesised subquery) with the input's columns and types.
    split : SplitBoundaries
        The split boundaries; fraud's MCC risk is learned before `split.validation_start`.

    Returns
    -------
    str
        A SELECT with one row per unit.
    """
    spec = get_spec(task)
    missing = {i.name for i in spec.inputs} - set(relations)
    if missing:
        raise UserError(f"{task} features need the input relations {sorted(missing)}")
    body = _SQL[spec.task].features_sql(relations, split)
    columns = ", ".join(f'"{c}"' for c in spec.columns)
    return f"select {columns} from ({body})"


def compute_features(
    engine: duckdb.DuckDBPyConnection, task: str, relations: Mapping[str, str]
) -> tuple[str, SplitBoundaries]:
    """The split boundaries of the units and the typed feature SELECT (nothing is written)."""
    boundaries = split_boundaries(engine, decision_times_select(task, relations))
    select = feature_select(task, relations, boundaries)
    described = engine.execute(f"describe {select}").fetchall()
    casts = ", ".join(
        f'cast("{name}" as {_portable(name, kind)}) as "{name}"' for name, kind, *_ in described
    )
    return f"select {casts} from ({select})", boundaries


def _portable(column: str, duckdb_type: str) -> SqlType:
    try:
        return portable_type(duckdb_type)
    except TypeError:
        raise TypeError(f"feature column {column} has unsupported type {duckdb_type}") from None


def _input_relations(warehouse: Warehouse, inputs: tuple[InputTable, ...]) -> dict[str, str]:
    missing = [i.table for i in inputs if not warehouse.table_exists(i.table)]
    if missing:
        raise UserError(f"missing warehouse tables {missing}: run `commercelens transform` first")
    relations = {}
    for table in inputs:
        names = [name for name, _ in table.columns]
        relations[table.name] = typed_relation(warehouse.engine_relation(table.table, names), table.columns)
    return relations


def build_features(warehouse: Warehouse, task: str) -> int:
    """Compute the features of `task` and replace `ml.<task>_features` with them.

    Parameters
    ----------
    warehouse : Warehouse
        An open warehouse whose marts are built (DuckDB or PostgreSQL).
    task : str
        "booking", "conversion" or "fraud".

    Returns
    -------
    int
        Rows written: one per unit.
    """
    spec = get_spec(task)
    select, _ = compute_features(warehouse.engine, task, _input_relations(warehouse, spec.inputs))
    return warehouse.replace_from_engine(spec.table, select)


def fraud_mcc_risk(warehouse: Warehouse) -> dict[int, float]:
    """MCC -> the training window's MCC risk, as the fraud features give it after that window."""
    spec = get_spec("fraud")
    relations = _input_relations(warehouse, spec.inputs)
    boundaries = split_boundaries(warehouse.engine, decision_times_select("fraud", relations))
    rows = warehouse.engine.execute(fraud.mcc_risk_sql(relations, boundaries)).fetchall()
    return {int(mcc): float(rate) for mcc, rate in rows}
