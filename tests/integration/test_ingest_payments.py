"""Kaggle and TabFormer layouts: money strings, quoted multi-errors, JSON labels, card masking."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from commercelens.errors import InputFileError
from commercelens.ingest.loader import ingest_source
from tests.conftest import PII_KEY, write_csv

USERS = """
id,current_age,retirement_age,birth_year,birth_month,gender,address,latitude,longitude,per_capita_income,yearly_income,total_debt,credit_score,num_credit_cards
825,53,66,1966,11,Female,462 Rose Lane,34.15,-117.76,$29278,$59696,$127613,787,5
"""
CARDS = """
id,client_id,card_brand,card_type,card_number,expires,cvv,has_chip,num_cards_issued,credit_limit,acct_open_date,year_pin_last_changed,card_on_dark_web
4524,825,Visa,Debit,4344676511950444,12/2022,623,YES,2,$24295,09/2002,2008,No
"""
TRANSACTIONS = """
id,date,client_id,card_id,amount,use_chip,merchant_id,merchant_city,merchant_state,zip,mcc,errors
7475327,2010-01-01 00:01:00,825,4524,$-77.00,Swipe Transaction,59935,Beulah,ND,58523.0,5499,
7475328,2010-01-01 00:02:00,825,4524,$14.57,Online Transaction,67570,ONLINE,,,5311,"Bad PIN,Insufficient Balance"
7475329,2010-01-01 00:03:00,825,4524,$80.00,Chip Transaction,27092,Rome,Italy,,4829,Technical Glitch
"""
MCC = '{"5499": "Miscellaneous Food Stores", "5311": "Department Stores", "4829": "Money Transfer"}'
LABELS = '{"target": {"7475327": "No", "7475328": "Yes", "9999999": "No", "7475329": "Maybe"}}'


def kaggle_dir(root: Path, transactions: str = TRANSACTIONS, labels: str = LABELS) -> Path:
    write_csv(root, "users_data.csv", USERS)
    write_csv(root, "cards_data.csv", CARDS)
    write_csv(root, "transactions_data.csv", transactions)
    (root / "mcc_codes.json").write_text(MCC)
    (root / "train_fraud_labels.json").write_text(labels)
    return root


def test_kaggle_money_errors_and_foreign_states_are_typed(warehouse, tmp_path):
    ingest_source(warehouse, "payments", kaggle_dir(tmp_path), PII_KEY)
    rows = warehouse.fetch_all(
        "select id, amount, merchant_state, zip, errors from raw.payments__transactions order by id"
    )
    assert rows == [
        (7475327, Decimal("-77.00"), "ND", 58523.0, None),
        (7475328, Decimal("14.57"), None, None, "Bad PIN,Insufficient Balance"),
        (7475329, Decimal("80.00"), "Italy", None, "Technical Glitch"),
    ]


def test_card_number_keeps_last_four_and_cvv_and_address_are_dropped(warehouse, tmp_path):
    ingest_source(warehouse, "payments", kaggle_dir(tmp_path), PII_KEY)
    assert warehouse.fetch_all("select card_number_last4 from raw.payments__cards") == [("0444",)]
    card_columns = [c for c, _ in warehouse.columns("raw.payments__cards")]
    user_columns = [c for c, _ in warehouse.columns("raw.payments__users")]
    assert "cvv" not in card_columns and "card_number" not in card_columns
    assert "address" not in user_columns


def test_labels_json_orphans_and_unknown_values_are_quarantined_by_entry(warehouse, tmp_path):
    ingest_source(warehouse, "payments", kaggle_dir(tmp_path), PII_KEY)
    accepted = warehouse.fetch_all("select transaction_id, label from raw.payments__fraud_labels order by 1")
    rejected = warehouse.fetch_all(
        "select line_number, reason, field from quarantine.payments__fraud_labels order by 1"
    )
    assert accepted == [(7475327, "No"), (7475328, "Yes")]
    assert rejected == [(3, "orphan", "transaction_id"), (4, "unknown_value", "label")]


def test_unknown_error_value_in_a_multi_error_field_is_unknown_value(warehouse, tmp_path):
    bad = (
        TRANSACTIONS
        + '7475330,2010-01-01 00:04:00,825,4524,$1.00,Swipe Transaction,1,X,ND,1.0,5499,"Bad PIN,Lost Card"'
    )
    ingest_source(warehouse, "payments", kaggle_dir(tmp_path, transactions=bad), PII_KEY)
    assert warehouse.fetch_all(
        "select line_number, reason, field from quarantine.payments__transactions"
    ) == [(5, "unknown_value", "errors")]


def test_extension_columns_are_loaded_when_the_header_has_them(warehouse, tmp_path):
    header = (
        TRANSACTIONS.strip().splitlines()[0] + ",event_time,device_id,merchant_latitude,merchant_longitude"
    )
    row = (
        "7475327,2010-01-01 00:01:00,825,4524,$-77.00,Swipe Transaction,59935,Beulah,ND,58523.0,5499,,"
        "2010-01-01 00:01:27,,46.96,-101.78"
    )
    ingest_source(warehouse, "payments", kaggle_dir(tmp_path, transactions=f"{header}\n{row}"), PII_KEY)
    assert warehouse.fetch_all(
        "select event_time, device_id, merchant_latitude from raw.payments__transactions"
    )[0][1:] == (None, 46.96)


def test_labels_file_without_target_object_is_a_whole_file_error(warehouse, tmp_path):
    kaggle_dir(tmp_path, labels='{"labels": {}}')
    with pytest.raises(InputFileError, match=r"train_fraud_labels.json: expected an object"):
        ingest_source(warehouse, "payments", tmp_path, PII_KEY)


def test_tabformer_layout_loads_with_snake_case_columns(warehouse, tmp_path):
    write_csv(
        tmp_path,
        "card_transaction.v1.csv",
        """
        User,Card,Year,Month,Day,Time,Amount,Use Chip,Merchant Name,Merchant City,Merchant State,Zip,MCC,Errors?,Is Fraud?
        0,0,2002,9,1,06:21,$134.09,Swipe Transaction,3527213246127876953,La Verne,CA,91750.0,5300,,No
        0,0,2002,9,1,06:42,$38.48,Swipe Transaction,-727612092139916043,Monterey Park,CA,91754.0,5411,"Bad PIN,",Yes
        """,
    )
    report = ingest_source(warehouse, "payments", tmp_path, PII_KEY, fmt="tabformer")
    assert report.files[0].rows_accepted == 2
    assert warehouse.fetch_all(
        "select amount, errors, is_fraud from raw.payments__tabformer_transactions order by amount"
    ) == [(Decimal("38.48"), "Bad PIN", "Yes"), (Decimal("134.09"), None, "No")]
