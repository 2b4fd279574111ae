"""Erasure in payments and shop, and through the CLI on PostgreSQL."""

from __future__ import annotations

from commercelens.generate import generate
from commercelens.ingest.loader import ingest_source
from commercelens.privacy.erase import erase_subject
from tests.conftest import PII_KEY


def count(w, sql: str, params: list) -> int:
    return w.fetch_all(sql, params)[0][0]


def test_erasing_a_payments_client_removes_cards_transactions_and_their_labels(warehouse, tmp_path):
    generate("payments", tmp_path, rows=3_000, seed=1)
    ingest_source(warehouse, "payments", tmp_path, PII_KEY)
    client = warehouse.fetch_all("select client_id from raw.payments__transactions limit 1")[0][0]
    labels_of_client = (
        "select count(*) from raw.payments__fraud_labels where transaction_id in "
        "(select id from raw.payments__transactions where client_id = ?)"
    )
    before_labels = count(warehouse, "select count(*) from raw.payments__fraud_labels", [])
    n_client_labels = count(warehouse, labels_of_client, [client])
    assert n_client_labels > 0
    result = erase_subject(warehouse, "payments", PII_KEY, user_id=str(client))
    for table, column in (("transactions", "client_id"), ("cards", "client_id"), ("users", "id")):
        assert (
            count(warehouse, f"select count(*) from raw.payments__{table} where {column} = ?", [client]) == 0
        )
    assert (
        count(warehouse, "select count(*) from raw.payments__fraud_labels", [])
        == before_labels - n_client_labels
    )
    assert result.tables_touched == 4


def test_erasing_a_shop_visitor_removes_their_events_only(warehouse, tmp_path):
    generate("shop", tmp_path, rows=3_000, seed=1)
    ingest_source(warehouse, "shop", tmp_path, PII_KEY)
    visitor, n = warehouse.fetch_all(
        "select visitorid, count(*) from raw.shop__events group by 1 order by 2 desc limit 1"
    )[0]
    total = count(warehouse, "select count(*) from raw.shop__events", [])
    result = erase_subject(warehouse, "shop", PII_KEY, user_id=str(visitor))
    assert result.rows_deleted == n
    assert count(warehouse, "select count(*) from raw.shop__events", []) == total - n


def test_erasure_of_an_unknown_subject_deletes_nothing_but_is_recorded(warehouse, tmp_path):
    generate("rail", tmp_path, rows=300, seed=1)
    ingest_source(warehouse, "rail", tmp_path, PII_KEY)
    result = erase_subject(warehouse, "rail", PII_KEY, email="nobody@nowhere.example")
    assert (result.subjects_found, result.rows_deleted) == (0, 0)
    assert count(warehouse, "select count(*) from ops.erasures", []) == 1


def test_erasing_a_rail_user_removes_their_rows_from_every_model_table(warehouse, tmp_path):
    # The model tables are keyed by search id, not user id: erasure reaches them through raw.
    generate("rail", tmp_path, rows=2_000, seed=1)
    ingest_source(warehouse, "rail", tmp_path, PII_KEY)
    searches = "select search_id, user_id from raw.rail__searches"
    for table in ("booking_features", "booking_predictions", "booking_scores"):
        warehouse.execute(
            f"create table ml.{table} as select search_id, 0.5 as probability from ({searches})"
        )
    user = warehouse.fetch_all(
        "select user_id from raw.rail__searches group by 1 order by count(*) desc limit 1"
    )[0][0]
    theirs = count(warehouse, "select count(*) from raw.rail__searches where user_id = ?", [user])
    total = count(warehouse, "select count(*) from ml.booking_scores", [])
    erase_subject(warehouse, "rail", PII_KEY, user_id=user)
    for table in ("booking_features", "booking_predictions", "booking_scores"):
        assert count(warehouse, f"select count(*) from ml.{table}", []) == total - theirs
