"""Row-level validation: each defect kind gets its reason, field and line; nothing is lost."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from commercelens.errors import InputFileError
from commercelens.ingest.loader import ingest_source
from tests.conftest import PII_KEY, write_csv

USERS = """
user_id,email,full_name,signup_at,subscription_type,age,device_os
U1,alice@example.com,Alice Martin,2025-01-01 10:00:00,none,30,ios
U2,bob@example.com,"Martin, Bob",2025-01-02 10:00:00,annual,41,web
"""
SEARCHES = """
search_id,user_id,searched_at,origin_station,destination_station,departure_date,passenger_count,quoted_price_eur
S1,U1,2025-01-05 10:00:00,Paris,Lyon,2025-01-10,1,45.50
S2,U2,2025-01-05 11:00:00,Paris,Lille,2025-01-12,2,60.00
"""
BOOKINGS = """
booking_id,search_id,user_id,booked_at,payment_status,ticket_class,amount_eur
B1,S1,U1,2025-01-05 10:10:00,Success,second,45.50
"""
ASSIGNMENTS = """
experiment_id,user_id,variation,assigned_at
discount_5pct,U1,control,2025-01-01 00:00:00
"""


def rail_dir(root: Path, **overrides: str) -> Path:
    files = {
        "users": USERS,
        "searches": SEARCHES,
        "bookings": BOOKINGS,
        "experiment_assignments": ASSIGNMENTS,
    }
    files.update(overrides)
    for name, text in files.items():
        write_csv(root, f"{name}.csv", text)
    return root


def quarantined(warehouse, entity: str) -> list[tuple]:
    return warehouse.fetch_all(
        f"select line_number, reason, field, detail from quarantine.rail__{entity} order by line_number"
    )


def test_clean_files_load_every_row(warehouse, tmp_path):
    report = ingest_source(warehouse, "rail", rail_dir(tmp_path), PII_KEY)
    assert [(f.entity, f.rows_read, f.rows_accepted) for f in report.files] == [
        ("users", 2, 2),
        ("searches", 2, 2),
        ("bookings", 1, 1),
        ("experiment_assignments", 1, 1),
    ]
    assert warehouse.fetch_all("select sum(quoted_price_eur) from raw.rail__searches") == [
        (Decimal("105.50"),)
    ]


def test_quoted_field_with_comma_is_one_field(warehouse, tmp_path):
    ingest_source(warehouse, "rail", rail_dir(tmp_path), PII_KEY)
    assert warehouse.fetch_all("select count(*) from raw.rail__users where user_id = 'U2'") == [(1,)]


@pytest.mark.parametrize(
    ("line", "reason", "field"),
    [
        ("U3,c@example.com,C,2025-01-01 10:00:00,none,thirty,ios", "bad_type", "age"),
        ("U3,c@example.com,C,05/03/2025 14:22,none,30,ios", "bad_type", "signup_at"),
        ("U3,c@example.com,C,2025-01-01 10:00:00,platinum,30,ios", "unknown_value", "subscription_type"),
        (",c@example.com,C,2025-01-01 10:00:00,none,30,ios", "missing_key", "user_id"),
        ("U3,,C,2025-01-01 10:00:00,none,30,ios", "bad_type", "email"),
        ("U3,c@example.com,C,2025-01-01", "unparseable", ""),
        ('U3,"c@example.com,C,2025-01-01 10:00:00,none,30,ios', "unparseable", ""),
        ("U1,other@example.com,Other,2025-01-01 10:00:00,none,30,ios", "duplicate", "user_id"),
    ],
)
def test_each_user_defect_gets_its_reason_field_and_line(warehouse, tmp_path, line, reason, field):
    ingest_source(warehouse, "rail", rail_dir(tmp_path, users=USERS + line), PII_KEY)
    assert [(n, r, f) for n, r, f, _ in quarantined(warehouse, "users")] == [(4, reason, field)]


def test_euro_amount_is_bad_type_naming_the_value(warehouse, tmp_path):
    searches = SEARCHES + "S3,U1,2025-01-05 10:00:00,Paris,Lyon,2025-01-10,1,€45.5"
    ingest_source(warehouse, "rail", rail_dir(tmp_path, searches=searches), PII_KEY)
    assert quarantined(warehouse, "searches") == [
        (4, "bad_type", "quoted_price_eur", 'cannot read "€45.5" as a decimal with at most 2 places')
    ]


def test_booking_of_unknown_search_is_orphan(warehouse, tmp_path):
    bookings = BOOKINGS + "B2,S9,U1,2025-01-05 10:10:00,Success,second,45.50"
    ingest_source(warehouse, "rail", rail_dir(tmp_path, bookings=bookings), PII_KEY)
    assert quarantined(warehouse, "bookings") == [
        (3, "orphan", "search_id", "search_id S9 not found in raw.rail__searches")
    ]


def test_first_copy_of_exact_duplicate_accepted_later_copies_quarantined(warehouse, tmp_path):
    row = "discount_5pct,U2,control,2025-01-01 00:00:00"
    assignments = ASSIGNMENTS + "\n".join([row, row, row])
    ingest_source(warehouse, "rail", rail_dir(tmp_path, experiment_assignments=assignments), PII_KEY)
    assert [(n, r) for n, r, _, _ in quarantined(warehouse, "experiment_assignments")] == [
        (4, "duplicate"),
        (5, "duplicate"),
    ]
    assert warehouse.fetch_all("select _line_number from raw.rail__experiment_assignments order by 1") == [
        (2,),
        (3,),
    ]


def test_crlf_file_keeps_physical_line_numbers(warehouse, tmp_path):
    rail_dir(tmp_path)
    text = USERS.strip().replace("\n", "\r\n") + "\r\n\r\nU3,c@example.com,C,bad,none,30,ios\r\n"
    (tmp_path / "users.csv").write_bytes(text.encode())
    ingest_source(warehouse, "rail", tmp_path, PII_KEY)
    assert [(n, r) for n, r, _, _ in quarantined(warehouse, "users")] == [(5, "bad_type")]


def test_wrong_header_names_file_line_and_column(warehouse, tmp_path):
    rail_dir(tmp_path, users=USERS.replace("full_name", "name"))
    with pytest.raises(InputFileError, match=r"users.csv line 1: header has 'name' where 'full_name'"):
        ingest_source(warehouse, "rail", tmp_path, PII_KEY)


def test_missing_file_fails_before_anything_is_loaded(warehouse, tmp_path):
    rail_dir(tmp_path)
    (tmp_path / "bookings.csv").unlink()
    with pytest.raises(InputFileError, match=r"bookings\.csv: missing"):
        ingest_source(warehouse, "rail", tmp_path, PII_KEY)
    assert not warehouse.table_exists("raw.rail__users")


def test_invalid_utf8_midway_rolls_back_the_whole_source(warehouse, tmp_path):
    rail_dir(tmp_path)
    with (tmp_path / "bookings.csv").open("ab") as f:
        f.write(b"B2,S2,U2,2025-01-05 10:10:00,Success,second,\xff\xfe\n")
    with pytest.raises(InputFileError, match=r"bookings\.csv"):
        ingest_source(warehouse, "rail", tmp_path, PII_KEY)
    assert not warehouse.table_exists("raw.rail__users")
    assert warehouse.fetch_all("select count(*) from ops.load_manifest") == [(0,)]


def test_messages_of_an_entity_with_pii_never_repeat_the_value(warehouse, tmp_path):
    shifted = "U3,c@example.com,Martin, Bob,2025-01-01 10:00:00,none,ios"  # unquoted comma, a field missing
    ingest_source(warehouse, "rail", rail_dir(tmp_path, users=USERS + shifted), PII_KEY)
    (record, detail) = warehouse.fetch_all("select raw_record, detail from quarantine.rail__users")[0]
    assert "Bob" not in detail and "Bob" not in record and "Martin" not in record
    assert record.startswith("U3,")  # the key stays, so the row can be found and erased
