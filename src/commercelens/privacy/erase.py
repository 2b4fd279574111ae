"""Right to erasure: delete one data subject's rows from every table that holds them.

`SUBJECT_TABLES` is the single registry of where a subject lives, per domain; later layers
(marts, features, scores) add their tables here, and `erase_subject` covers them. Quarantine
tables hold raw records as text, so rows there are matched on any field equal to the
subject's id or e-mail pseudonym. The erasure is logged in `ops.erasures` without the
identifier.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from commercelens.errors import UserError
from commercelens.privacy.pseudonyms import pseudonymise_email
from commercelens.warehouse.base import Warehouse
from commercelens.warehouse.ops import ERASURES

SubjectDomain = Literal["rail", "shop", "payments"]


@dataclass(frozen=True)
class SubjectTable:
    table: str
    column: str  # holds the subject's id, or (with `via`) a key of a table that does
    via: tuple[str, str, str] | None = None  # (parent table, parent key, parent subject column)


SUBJECT_TABLES: dict[str, tuple[SubjectTable, ...]] = {
    "rail": (
        SubjectTable("raw.rail__bookings", "user_id"),
        SubjectTable("raw.rail__searches", "user_id"),
        SubjectTable("raw.rail__experiment_assignments", "user_id"),
        SubjectTable("raw.rail__users", "user_id"),
    ),
    "shop": (SubjectTable("raw.shop__events", "visitorid"),),
    "payments": (
        # Labels carry no client id: reach them through the client's transactions, first.
        SubjectTable(
            "raw.payments__fraud_labels", "transaction_id", ("raw.payments__transactions", "id", "client_id")
        ),
        SubjectTable("raw.payments__transactions", "client_id"),
        SubjectTable("raw.payments__cards", "client_id"),
        SubjectTable("raw.payments__users", "id"),
    ),
}


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
    """Delete every row of one subject (by user id, or by e-mail for rail) in one transaction."""
    if (user_id is None) == (email is None):
        raise UserError("give exactly one of --user-id or --email")
    if email is not None and domain != "rail":
        raise UserError("--email identifies rail users only (other domains hold no e-mail)")
    with warehouse.transaction():
        ids, tokens = _subject_ids(warehouse, key, user_id, email)
        counts = [_delete(warehouse, spec, subject) for spec in SUBJECT_TABLES[domain] for subject in ids]
        for table in warehouse.tables(["quarantine"]):
            if table.startswith(f"quarantine.{domain}__"):
                counts += [_delete_quarantined(warehouse, table, token) for token in tokens]
        touched = {table for table, n in counts if n}
        result = ErasureResult(str(uuid.uuid4()), domain, len(ids), len(touched), sum(n for _, n in counts))
        warehouse.execute(
            f"insert into {ERASURES} values (?, ?, ?, ?, ?, ?)",
            [
                result.erasure_id,
                "email" if email else "user_id",
                domain,
                result.tables_touched,
                result.rows_deleted,
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
    return result


def _subject_ids(
    warehouse: Warehouse, key: bytes, user_id: str | None, email: str | None
) -> tuple[list[str], list[str]]:
    """The subject's ids, and every token that identifies them inside a quarantined record."""
    if user_id is not None:
        return [user_id], [user_id]
    pseudonym = pseudonymise_email(email or "", key)
    ids: list[str] = []
    if warehouse.table_exists("raw.rail__users"):
        rows = warehouse.fetch_all(
            "select user_id from raw.rail__users where email_pseudonym = ?", [pseudonym]
        )
        ids = [r[0] for r in rows]
    return ids, [*ids, pseudonym]


def _count_and_delete(warehouse: Warehouse, table: str, where: str, params: list[str]) -> tuple[str, int]:
    n = warehouse.fetch_all(f"select count(*) from {table} where {where}", params)[0][0]
    if n:
        warehouse.execute(f"delete from {table} where {where}", params)
    return table, n


def _delete(warehouse: Warehouse, spec: SubjectTable, subject: str) -> tuple[str, int]:
    if not warehouse.table_exists(spec.table):
        return spec.table, 0
    if spec.via is None:
        return _count_and_delete(warehouse, spec.table, f"cast({spec.column} as varchar) = ?", [subject])
    parent, parent_key, parent_subject = spec.via
    where = (
        f"{spec.column} in (select {parent_key} from {parent} where cast({parent_subject} as varchar) = ?)"
    )
    return _count_and_delete(warehouse, spec.table, where, [subject])


def _delete_quarantined(warehouse: Warehouse, table: str, token: str) -> tuple[str, int]:
    # A field equal to the token, wherever it sits in the record (portable SQL, no arrays).
    escaped = token.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    where = "',' || raw_record || ',' like '%,' || ? || ',%' escape '!'"
    return _count_and_delete(warehouse, table, where, [escaped])
