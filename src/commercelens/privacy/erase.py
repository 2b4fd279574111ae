"""Right to erasure: delete one data subject's rows from every table that holds them.

Where a subject lives is derived from the input contracts (each entity names its subject
column), plus `EXTRA_SUBJECT_TABLES` for tables reached through another one; later layers
(marts, features, scores) register their tables there too, and `erase_subject` covers them.
Quarantined rows are matched on their `subject_key` column (never on arbitrary fields, which
could be someone else's item or merchant id), and rail rows also on the e-mail pseudonym.
The erasure is logged in `ops.erasures` without the identifier, and a keyed hash of the
subject goes to `ops.erased_subjects`, so a later ingest withholds the subject's rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from commercelens.errors import UserError
from commercelens.ingest.contracts import ALL_ENTITIES
from commercelens.privacy.keys import check_pii_key
from commercelens.privacy.pseudonyms import pseudonymise, pseudonymise_email
from commercelens.warehouse.base import Warehouse
from commercelens.warehouse.ops import ERASED_SUBJECTS, ERASURES

SubjectDomain = Literal["rail", "shop", "payments"]


@dataclass(frozen=True)
class SubjectTable:
    table: str
    column: str  # holds the subject's id, or (with `via`) a key of a table that does
    via: tuple[str, str, str] | None = None  # (parent table, parent key, parent subject column)


# Tables beyond raw that hold a subject row by row: those reached through another table (erased
# before it), and the warehouse's row-level tables. Aggregates (rpt_*, daily and route tables,
# metric statistics) hold no row per subject; `privacy erase` rebuilds them with dbt afterwards.
# Model tables (features, scores, predictions) are keyed by a unit of a parent table: they come
# first, while the parent still links each unit to its subject.
_RAIL_SEARCHES = ("raw.rail__searches", "search_id", "user_id")
_SHOP_SESSIONS = ("intermediate.int_events_sessionised", "session_id", "visitor_id")
_PAYMENTS_TRANSACTIONS = ("raw.payments__transactions", "id", "client_id")
ML_SUBJECT_TABLES: dict[str, tuple[SubjectTable, ...]] = {
    "rail": tuple(
        SubjectTable(f"ml.{name}", "search_id", _RAIL_SEARCHES)
        for name in ("booking_features", "booking_predictions", "booking_scores")
    ),
    "shop": tuple(
        SubjectTable(f"ml.{name}", "session_id", _SHOP_SESSIONS)
        for name in ("conversion_features", "conversion_predictions")
    ),
    "payments": tuple(
        SubjectTable(f"ml.{name}", "transaction_id", _PAYMENTS_TRANSACTIONS)
        for name in ("fraud_features", "fraud_predictions")
    ),
}
EXTRA_SUBJECT_TABLES: dict[str, tuple[SubjectTable, ...]] = {
    "rail": ML_SUBJECT_TABLES["rail"]
    + tuple(
        SubjectTable(table, "user_id")
        for table in (
            "intermediate.int_searches_joined_to_bookings",
            "intermediate.int_experiment_assignments_deduplicated",
            "intermediate.int_experiment_users_measured",
            "marts.fct_bookings",
            "marts.fct_searches",
            "marts.fct_experiment_assignments",
            "marts.fct_experiment_searches",
            "marts.dim_users",
        )
    ),
    "shop": (
        *ML_SUBJECT_TABLES["shop"],
        SubjectTable("intermediate.int_events_sessionised", "visitor_id"),
        SubjectTable("marts.fct_sessions", "visitor_id"),
        SubjectTable("marts.dim_visitors", "visitor_id"),
    ),
    "payments": (
        *ML_SUBJECT_TABLES["payments"],
        SubjectTable(
            "raw.payments__fraud_labels", "transaction_id", ("raw.payments__transactions", "id", "client_id")
        ),
        # stream alerts written to the warehouse (JSONL and Redis sinks are outside it: docs/stream.md)
        SubjectTable("ops.fraud_alerts", "transaction_id", _PAYMENTS_TRANSACTIONS),
        *(
            SubjectTable(f"marts.{name}", "client_id")
            for name in ("fct_transactions", "dim_cards", "dim_clients")
        ),
    ),
}
# dbt selectors of a domain's marts and everything upstream (intermediate tables included),
# rebuilt after an erasure so that no aggregate still counts the subject, and the domain's
# segment views: they never hold the subject (views over the marts), but PostgreSQL drops them
# with the tables they read when dbt replaces those (DROP ... CASCADE).
_SEGMENTS_OF = "path:models/segments,config.meta.domain:"
AGGREGATES_TO_REBUILD: dict[str, str] = {
    "rail": f"+path:models/marts/rail +path:models/marts/experiments {_SEGMENTS_OF}rail",
    "shop": f"+path:models/marts/shop {_SEGMENTS_OF}shop",
    "payments": f"+path:models/marts/payments {_SEGMENTS_OF}payments",
}


def subject_tables(domain: str) -> list[SubjectTable]:
    """Every table holding a subject of `domain`, in the order they must be erased."""
    direct = [
        SubjectTable(e.table, e.column(e.subject).raw_name or e.subject)
        for e in ALL_ENTITIES
        if e.source == domain and e.subject
    ]
    return [*EXTRA_SUBJECT_TABLES.get(domain, ()), *direct]


def subject_hash(domain: str, subject_id: str, key: bytes) -> str:
    """Keyed hash stored in ops.erased_subjects; ingestion computes the same in SQL."""
    return pseudonymise(f"{domain}:{subject_id}", key)


@dataclass(frozen=True)
class ErasureResult:
    erasure_id: str
    domain: str
    subjects_found: int
    tables_touched: int
    rows_deleted: int


def erase_subject(
    warehouse: Warehouse,
    domain: SubjectDomain,
    key: bytes,
    user_id: str | None = None,
    email: str | None = None,
) -> ErasureResult:
    """Delete every row of one subject (by id, or by e-mail for rail) in one transaction."""
    if (user_id is None) == (email is None):
        raise UserError("give exactly one of --user-id or --email")
    if email is not None and domain != "rail":
        raise UserError("--email identifies rail users only (other domains hold no e-mail)")
    with warehouse.transaction():
        check_pii_key(warehouse, key)
        ids, pseudonym = _subject_ids(warehouse, key, user_id, email)
        counts = [_delete(warehouse, spec, subject) for spec in subject_tables(domain) for subject in ids]
        counts += _delete_quarantined(warehouse, domain, ids, pseudonym)
        touched = {table for table, n in counts if n}
        result = ErasureResult(str(uuid.uuid4()), domain, len(ids), len(touched), sum(n for _, n in counts))
        now = datetime.now(UTC).replace(tzinfo=None)
        for subject in ids:
            warehouse.execute(
                f"insert into {ERASED_SUBJECTS} values (?, ?, ?)",
                [domain, subject_hash(domain, subject, key), now],
            )
        warehouse.execute(
            f"insert into {ERASURES} values (?, ?, ?, ?, ?, ?)",
            [
                result.erasure_id,
                "email" if email else "user_id",
                domain,
                result.tables_touched,
                result.rows_deleted,
                now,
            ],
        )
    _compact(warehouse, sorted(touched))
    return result


def _compact(warehouse: Warehouse, tables: list[str]) -> None:
    """Let the deleted rows go physically: DuckDB's WAL and PostgreSQL's dead tuples still hold them."""
    if warehouse.target == "duckdb":
        warehouse.execute("checkpoint")
    else:
        for table in tables:
            warehouse.execute(f"vacuum {table}")


def _subject_ids(
    warehouse: Warehouse, key: bytes, user_id: str | None, email: str | None
) -> tuple[list[str], str | None]:
    """The subject's ids, and the e-mail pseudonym when erasing by e-mail."""
    if user_id is not None:
        return [user_id], None
    pseudonym = pseudonymise_email(email or "", key)
    ids: list[str] = []
    if warehouse.table_exists("raw.rail__users"):
        rows = warehouse.fetch_all(
            "select user_id from raw.rail__users where email_pseudonym = ?", [pseudonym]
        )
        ids = [r[0] for r in rows]
    return ids, pseudonym


def _count_and_delete(warehouse: Warehouse, table: str, where: str, params: list[str]) -> tuple[str, int]:
    n = warehouse.fetch_all(f"select count(*) from {table} where {where}", params)[0][0]
    if n:
        warehouse.execute(f"delete from {table} where {where}", params)
    return table, n


def _delete(warehouse: Warehouse, spec: SubjectTable, subject: str) -> tuple[str, int]:
    if not warehouse.table_exists(spec.table):
        return spec.table, 0
    if spec.via is None:
        return _count_and_delete(warehouse, spec.table, f'cast("{spec.column}" as varchar) = ?', [subject])
    parent, parent_key, parent_subject = spec.via
    where = (
        f"{spec.column} in (select {parent_key} from {parent} where cast({parent_subject} as varchar) = ?)"
    )
    return _count_and_delete(warehouse, spec.table, where, [subject])


def _delete_quarantined(
    warehouse: Warehouse, domain: str, ids: list[str], pseudonym: str | None
) -> list[tuple[str, int]]:
    counts = []
    for table in warehouse.tables(["quarantine"]):
        if not table.startswith(f"quarantine.{domain}__"):
            continue
        counts += [_count_and_delete(warehouse, table, "subject_key = ?", [s]) for s in ids]
        if pseudonym:  # a 64-hex pseudonym cannot collide with another field
            where = "',' || raw_record || ',' like '%,' || ? || ',%'"
            counts.append(_count_and_delete(warehouse, table, where, [pseudonym]))
    return counts
