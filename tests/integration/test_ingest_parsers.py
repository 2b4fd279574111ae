"""Each value parser is strict where DuckDB's casts are lenient, and names what it could not read."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commercelens.ingest.loader import ingest_source
from tests.conftest import PII_KEY
from tests.integration.test_ingest_payments import kaggle_dir

ROW = "7475330,{date},825,4524,{amount},Swipe Transaction,{merchant},X,ND,{zip},5499,"
GOOD = {"date": "2010-01-01 00:04:00", "amount": "$1.00", "merchant": "1", "zip": "1.0"}


def load_one(warehouse, tmp_path, **values: str):
    header = (
        "id,date,client_id,card_id,amount,use_chip,merchant_id,merchant_city,merchant_state,zip,mcc,errors"
    )
    row = ROW.format(**{**GOOD, **values})
    ingest_source(warehouse, "payments", kaggle_dir(tmp_path, transactions=f"{header}\n{row}"), PII_KEY)
    bad = warehouse.fetch_all("select reason, field, detail from quarantine.payments__transactions")
    good = warehouse.fetch_all("select date, amount, merchant_id, zip from raw.payments__transactions")
    return bad, good


@pytest.mark.parametrize("merchant", ["1.0", "1_000", "0x1F", "1e3", " 12", "12 "])
def test_integers_must_be_plain_digits(warehouse, tmp_path, merchant):
    bad, _ = load_one(warehouse, tmp_path, merchant=merchant)
    assert bad == [("bad_type", "merchant_id", f'cannot read "{merchant}" as int')]


@pytest.mark.parametrize("amount", ["-77.00", "€45.5", "$", "$12.345", "$ 5"])
def test_kaggle_money_needs_the_dollar_form(warehouse, tmp_path, amount):
    bad, _ = load_one(warehouse, tmp_path, amount=amount)
    assert bad == [("bad_type", "amount", f'cannot read "{amount}" as a dollar amount like $-77.00')]


@pytest.mark.parametrize(
    ("amount", "value"), [("$-77.00", "-77.00"), ("$24295", "24295.00"), ("$+3.5", "3.50")]
)
def test_kaggle_money_parses_sign_and_cents(warehouse, tmp_path, amount, value):
    bad, good = load_one(warehouse, tmp_path, amount=amount)
    assert bad == [] and good[0][1] == Decimal(value)


@pytest.mark.parametrize("date", ["2010-01-01T00:04:00", "2010-01-01 00:04:00"])
def test_iso_timestamps_with_space_or_t_are_read(warehouse, tmp_path, date):
    bad, good = load_one(warehouse, tmp_path, date=date)
    assert bad == [] and good[0][0].isoformat() == "2010-01-01T00:04:00"


@pytest.mark.parametrize("date", ["01/01/2010 00:04", "2010-01-01", "2010-13-01 00:04:00", "yesterday"])
def test_other_date_formats_are_bad_type(warehouse, tmp_path, date):
    bad, _ = load_one(warehouse, tmp_path, date=date)
    assert bad[0][:2] == ("bad_type", "date")


def test_float_zip_keeps_its_value(warehouse, tmp_path):
    _, good = load_one(warehouse, tmp_path, zip="58523.0")
    assert good[0][3] == 58523.0


def test_month_year_dates_become_the_first_of_the_month(warehouse, tmp_path):
    ingest_source(warehouse, "payments", kaggle_dir(tmp_path), PII_KEY)
    assert [
        str(d) for d in warehouse.fetch_all("select expires, acct_open_date from raw.payments__cards")[0]
    ] == [
        "2022-12-01",
        "2002-09-01",
    ]
