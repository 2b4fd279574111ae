"""Erasure is precise (only the subject's rows), complete (quarantine, TabFormer), lasting
(a later ingest withholds the subject) and tied to one PII key."""

from __future__ import annotations

import pytest

from commercelens.errors import ConfigError
from commercelens.ingest.loader import ingest_source
from commercelens.privacy.erase import erase_subject
from tests.conftest import PII_KEY, write_csv
from tests.integration.test_ingest_properties import shop_dir
from tests.integration.test_ingest_rows import USERS, rail_dir


def count(w, sql: str, params: list | None = None) -> int:
    return w.fetch_all(sql, params)[0][0]


def test_erasing_a_visitor_keeps_quarantined_events_of_others_with_the_same_number(warehouse, tmp_path):
    # visitor 5's broken event, and visitor 9's broken event about item 5 / transaction 5
    events = ["1433221332117,5,view,1,", "1433221332117,5,click,1,", "1433221332118,9,click,5,5"]
    ingest_source(warehouse, "shop", shop_dir(tmp_path, events), PII_KEY)
    erase_subject(warehouse, "shop", PII_KEY, user_id="5")
    remaining = warehouse.fetch_all("select subject_key from quarantine.shop__events")
    assert remaining == [("9",)]
    assert count(warehouse, "select count(*) from raw.shop__events") == 0


def test_truncated_row_of_a_user_is_erased_by_id(warehouse, tmp_path):
    ingest_source(warehouse, "rail", rail_dir(tmp_path, users=USERS + "U7,zed@example.com,Zed"), PII_KEY)
    assert count(warehouse, "select count(*) from quarantine.rail__users where subject_key = 'U7'") == 1
    erase_subject(warehouse, "rail", PII_KEY, user_id="U7")
    assert count(warehouse, "select count(*) from quarantine.rail__users") == 0


def test_truncated_row_is_erased_by_email_too(warehouse, tmp_path):
    ingest_source(warehouse, "rail", rail_dir(tmp_path, users=USERS + "U7,Zed@Example.com,Zed"), PII_KEY)
    erase_subject(warehouse, "rail", PII_KEY, email="zed@example.com")
    assert count(warehouse, "select count(*) from quarantine.rail__users") == 0


def test_tabformer_rows_are_erased_by_user(warehouse, tmp_path):
    write_csv(
        tmp_path,
        "card_transaction.v1.csv",
        """
        User,Card,Year,Month,Day,Time,Amount,Use Chip,Merchant Name,Merchant City,Merchant State,Zip,MCC,Errors?,Is Fraud?
        0,0,2002,9,1,06:21,$134.09,Swipe Transaction,1,La Verne,CA,91750.0,5300,,No
        1,0,2002,9,1,06:42,$38.48,Swipe Transaction,2,Monterey Park,CA,91754.0,5411,,No
        """,
    )
    ingest_source(warehouse, "payments", tmp_path, PII_KEY, fmt="tabformer")
    erase_subject(warehouse, "payments", PII_KEY, user_id="0")
    assert warehouse.fetch_all('select "user" from raw.payments__tabformer_transactions') == [(1,)]


def test_an_erased_subject_is_withheld_when_a_changed_file_is_loaded_again(warehouse, tmp_path):
    ingest_source(warehouse, "rail", rail_dir(tmp_path), PII_KEY)
    erase_subject(warehouse, "rail", PII_KEY, user_id="U1")
    rail_dir(tmp_path, users=USERS + "U3,carol@example.com,Carol,2025-01-03 10:00:00,none,25,ios")
    report = ingest_source(warehouse, "rail", tmp_path, PII_KEY)
    users = {f.entity: f for f in report.files}["users"]
    assert users.reasons == {"erased": 1} and users.rows_read == 3
    assert count(warehouse, "select count(*) from raw.rail__users where user_id = 'U1'") == 0
    assert warehouse.fetch_all("select raw_record, subject_key from quarantine.rail__users") == [(None, None)]
    # bookings and searches of U1 were re-validated (their parent changed) and are withheld too
    assert count(warehouse, "select count(*) from raw.rail__searches where user_id = 'U1'") == 0
    log = warehouse.fetch_all("select * from ops.erased_subjects")
    assert "U1" not in str(log)


def test_a_new_parent_turns_earlier_orphans_into_accepted_rows(warehouse, tmp_path):
    searches = "search_id,user_id,searched_at,origin_station,destination_station,departure_date,passenger_count,quoted_price_eur\nS1,U3,2025-01-05 10:00:00,Paris,Lyon,2025-01-10,1,45.50"
    ingest_source(
        warehouse,
        "rail",
        rail_dir(
            tmp_path,
            searches=searches,
            bookings="booking_id,search_id,user_id,booked_at,payment_status,ticket_class,amount_eur",
        ),
        PII_KEY,
    )
    assert count(warehouse, "select count(*) from quarantine.rail__searches where reason = 'orphan'") == 1
    rail_dir(
        tmp_path,
        users=USERS + "U3,carol@example.com,Carol,2025-01-03 10:00:00,none,25,ios",
        searches=searches,
        bookings="booking_id,search_id,user_id,booked_at,payment_status,ticket_class,amount_eur",
    )
    report = ingest_source(warehouse, "rail", tmp_path, PII_KEY)
    assert {f.entity: f.status for f in report.files}["searches"] == "loaded"
    assert count(warehouse, "select count(*) from raw.rail__searches") == 1
    assert count(warehouse, "select count(*) from quarantine.rail__searches") == 0


def test_a_different_pii_key_is_refused_by_ingest_and_erase(warehouse, tmp_path):
    ingest_source(warehouse, "rail", rail_dir(tmp_path), PII_KEY)
    other = b"another-key-0123456789abcdef"
    with pytest.raises(ConfigError, match="different PII key"):
        ingest_source(warehouse, "rail", tmp_path, other)
    with pytest.raises(ConfigError, match="different PII key"):
        erase_subject(warehouse, "rail", other, email="alice@example.com")


def test_same_file_name_from_another_directory_says_it_replaces_the_earlier_rows(warehouse, tmp_path):
    ingest_source(warehouse, "rail", rail_dir(tmp_path / "jan"), PII_KEY)
    report = ingest_source(
        warehouse,
        "rail",
        rail_dir(tmp_path / "feb", users=USERS + "U3,c@example.com,C,2025-01-03 10:00:00,none,25,ios"),
        PII_KEY,
    )
    users = {f.entity: f for f in report.files}["users"]
    assert users.notice and "jan" in users.notice
