"""Payments marts: reconciled with raw by independent queries, telling the planted fraud story,
equal on DuckDB and PostgreSQL, and carrying their keys and indexes on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import polars as pl
import pytest

from commercelens.warehouse import open_warehouse
from commercelens.warehouse.base import Warehouse
from tests.integration.cross_target import as_decimal as _as_decimal
from tests.integration.cross_target import assert_same_on_both_targets

PAYMENTS_MARTS = (
    "fct_transactions",
    "dim_cards",
    "dim_clients",
    "dim_merchants",
    "dim_mcc",
    "rpt_fraud_by_hour",
    "rpt_fraud_by_mcc",
    "rpt_fraud_loss_daily",
    "rpt_executive_monthly",
    "rpt_rule_hits",
)


@pytest.fixture(params=["built_duckdb", "built_postgres"])
def warehouse_built(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    settings, _, _ = request.getfixturevalue(request.param)
    with open_warehouse(settings) as w:
        yield w


# --- (1) the Vampire Index against raw ----------------------------------------------------------

# Written differently from the models on purpose: raw tables only, the label looked up with
# correlated subqueries, the hour taken from the raw `date`, rates divided in Python.
RAW_FRAUD_BY_HOUR = """
select
    cast(extract(hour from t.date) as integer) as hour_of_day,
    count(*) as transactions,
    sum(case when exists (
        select 1 from raw.payments__fraud_labels l where l.transaction_id = t.id
    ) then 1 else 0 end) as labelled,
    sum(case when exists (
        select 1 from raw.payments__fraud_labels l where l.transaction_id = t.id and l.label = 'Yes'
    ) then 1 else 0 end) as frauds,
    sum(case when t.amount >= 0 and exists (
        select 1 from raw.payments__fraud_labels l where l.transaction_id = t.id and l.label = 'Yes'
    ) then t.amount else 0 end) as fraud_loss
from raw.payments__transactions t
group by cast(extract(hour from t.date) as integer)
"""


def test_fraud_by_hour_equals_an_independent_count_over_labelled_raw_rows(
    warehouse_built: Warehouse,
) -> None:
    expected = {hour: (0, 0, 0, None, None, Decimal(0)) for hour in range(24)}
    for hour, n, labelled, frauds, loss in warehouse_built.fetch_all(RAW_FRAUD_BY_HOUR):
        n, labelled, frauds = int(n), int(labelled), int(frauds)
        coverage = labelled / n
        rate = frauds / labelled if labelled else None  # over labelled rows only
        expected[int(hour)] = (n, labelled, frauds, coverage, rate, _as_decimal(loss))
    marts = {
        int(hour): (int(n), int(labelled), int(frauds), coverage, rate, _as_decimal(loss))
        for hour, n, labelled, frauds, coverage, rate, loss in warehouse_built.fetch_all(
            "select hour_of_day, transactions, labelled_transactions, fraudulent_transactions, "
            "label_coverage, fraud_rate, fraud_loss_amount from marts.rpt_fraud_by_hour"
        )
    }
    assert sum(frauds for _, _, frauds, *_ in expected.values()) > 10
    assert marts == expected  # exact: counts, the double rates and the decimal loss


def test_fraud_rate_by_hour_would_be_lower_if_unlabelled_rows_counted_as_honest(
    warehouse_built: Warehouse,
) -> None:
    rows = warehouse_built.fetch_all(
        "select transactions, fraudulent_transactions, fraud_rate from marts.rpt_fraud_by_hour "
        "where fraudulent_transactions > 0"
    )
    assert rows
    for transactions, frauds, rate in rows:
        assert rate > int(frauds) / int(transactions)


# --- (2) fct_transactions keeps every transaction and its label -----------------------------


def test_fct_transactions_has_one_row_per_raw_transaction(warehouse_built: Warehouse) -> None:
    raw = warehouse_built.fetch_all("select count(*), count(distinct id) from raw.payments__transactions")
    fct = warehouse_built.fetch_all(
        "select count(*), count(distinct transaction_id) from marts.fct_transactions"
    )
    assert int(raw[0][0]) == 30_000
    assert [tuple(map(int, r)) for r in fct] == [tuple(map(int, r)) for r in raw]


def test_fct_transactions_labels_equal_the_generator_truth(built_duckdb) -> None:
    settings, data, _ = built_duckdb
    truth = pl.read_parquet(data / "payments" / "_truth" / "transaction_truth.parquet")
    expected = {
        row["transaction_id"]: (row["is_labelled"], row["is_fraud"] if row["is_labelled"] else None)
        for row in truth.iter_rows(named=True)
    }
    with open_warehouse(settings) as w:
        actual = {
            transaction_id: (is_labelled, is_fraud)
            for transaction_id, is_labelled, is_fraud in w.fetch_all(
                "select transaction_id, is_labelled, is_fraud from marts.fct_transactions"
            )
        }
    assert actual == expected  # unlabelled rows carry NULL, never False


def test_label_coverage_is_about_two_thirds(warehouse_built: Warehouse) -> None:
    [(labelled, transactions)] = warehouse_built.fetch_all(
        "select sum(labelled_transactions), sum(transactions) from marts.rpt_fraud_by_hour"
    )
    assert 0.62 < int(labelled) / int(transactions) < 0.72  # Kaggle: 67%


def test_fraud_rate_over_labelled_rows_is_highest_online_then_chip_then_swipe(
    warehouse_built: Warehouse,
) -> None:
    rows = warehouse_built.fetch_all(
        "select channel, count(case when is_fraud then 1 end), count(case when is_labelled then 1 end) "
        "from marts.fct_transactions group by channel"
    )
    rate = {channel: int(frauds) / int(labelled) for channel, frauds, labelled in rows}
    # Planted like Kaggle: Online 0.84%, Chip 0.10%, Swipe 0.03%.
    assert rate["online"] > rate["chip"] > rate["swipe"] > 0


# --- (3) the executive report against raw ------------------------------------------------------

RAW_MONTHLY = """
select
    extract(year from date) as year,
    extract(month from date) as month,
    count(*) as transactions,
    sum(case when amount >= 0 then amount else 0 end) as revenue,
    sum(case when amount < 0 then -amount else 0 end) as refunds,
    sum(case when errors like '%Technical Glitch%' then 1 else 0 end) as glitches
from raw.payments__transactions
group by extract(year from date), extract(month from date)
"""


def test_executive_monthly_revenue_growth_and_glitches_equal_raw(warehouse_built: Warehouse) -> None:
    raw = {
        (int(y), int(m)): (int(n), _as_decimal(revenue), _as_decimal(refunds), int(glitches))
        for y, m, n, revenue, refunds, glitches in warehouse_built.fetch_all(RAW_MONTHLY)
    }
    rows = warehouse_built.fetch_all(
        "select month_start_date, transactions, revenue, refund_amount, technical_failures, "
        "yoy_revenue_growth from marts.rpt_executive_monthly"
    )
    marts = {
        (day.year, day.month): (int(n), _as_decimal(revenue), _as_decimal(refunds), int(glitches))
        for day, n, revenue, refunds, glitches, _ in rows
    }
    assert marts == raw
    growth = {(day.year, day.month): value for day, *_, value in rows}
    for (year, month), value in growth.items():
        previous = raw.get((year - 1, month))
        if previous is None:
            assert value is None
        else:
            expected = float(raw[(year, month)][1] - previous[1]) / float(previous[1])
            assert value == pytest.approx(expected, rel=1e-12)
    assert sum(value is not None for value in growth.values()) > 100  # ~10 years of months


# --- (4) DuckDB and PostgreSQL agree -----------------------------------------------------------


@pytest.mark.parametrize("mart", PAYMENTS_MARTS)
def test_payments_mart_has_identical_counts_and_sums_on_duckdb_and_postgres(
    mart: str, built_duckdb, built_postgres
) -> None:
    assert_same_on_both_targets(f"marts.{mart}", built_duckdb, built_postgres)


_CANONICAL_TYPES = {
    "VARCHAR": "text",
    "TEXT": "text",
    "CHARACTER VARYING": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "DOUBLE": "double",
    "DOUBLE PRECISION": "double",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITHOUT TIME ZONE": "timestamp",
}

COLUMN_TYPES = (
    "select column_name, data_type, numeric_precision, numeric_scale "
    "from information_schema.columns where table_schema = 'marts' and table_name = ? "
    "order by ordinal_position"
)


def _column_types(w: Warehouse, mart: str) -> list[tuple[str, str]]:
    """(name, adapter-neutral type); decimals keep their precision and scale."""
    columns = []
    for name, data_type, precision, scale in w.fetch_all(COLUMN_TYPES, [mart]):
        kind = data_type.upper()
        if kind.startswith(("DECIMAL", "NUMERIC")):
            columns.append((name, f"decimal({precision},{scale})"))
        else:
            columns.append((name, _CANONICAL_TYPES.get(kind, kind)))
    return columns


@pytest.mark.parametrize("mart", PAYMENTS_MARTS)
def test_payments_mart_has_the_same_columns_and_types_on_duckdb_and_postgres(
    mart: str, built_duckdb, built_postgres
) -> None:
    with open_warehouse(built_duckdb[0]) as duck:
        on_duckdb = _column_types(duck, mart)
    with open_warehouse(built_postgres[0]) as pg:
        on_postgres = _column_types(pg, mart)
    assert len(on_duckdb) > 2
    assert on_duckdb == on_postgres


# --- (5) keys and indexes ----------------------------------------------------------------------


def test_postgres_indexes_fct_transactions_on_date_client_and_card(built_postgres) -> None:
    with open_warehouse(built_postgres[0]) as pg:
        definitions = [
            definition
            for (definition,) in pg.fetch_all(
                "select indexdef from pg_indexes "
                "where schemaname = 'marts' and tablename = 'fct_transactions'"
            )
        ]
    for column in ("transaction_date", "client_id", "card_id"):
        assert any(d.endswith(f"USING btree ({column})") for d in definitions), definitions
    assert any(d.startswith("CREATE UNIQUE INDEX") for d in definitions)  # the primary key


def test_postgres_enforces_fct_transactions_primary_and_foreign_keys(built_postgres) -> None:
    with open_warehouse(built_postgres[0]) as pg:
        constraints = pg.fetch_all(
            "select contype, confrelid::regclass::text from pg_constraint "
            "where conrelid = 'marts.fct_transactions'::regclass and contype in ('p', 'f')"
        )
    assert sorted(constraints, key=str) == sorted(
        [
            ("p", "-"),
            ("f", "marts.dim_cards"),
            ("f", "marts.dim_clients"),
            ("f", "marts.dim_mcc"),
            ("f", "marts.dim_merchants"),
        ],
        key=str,
    )


def test_duckdb_enforces_the_dimension_and_report_primary_keys(built_duckdb) -> None:
    with open_warehouse(built_duckdb[0]) as duck:
        keyed = {
            table
            for (table,) in duck.fetch_all(
                "select table_name from duckdb_constraints() "
                "where schema_name = 'marts' and constraint_type = 'PRIMARY KEY'"
            )
        }
    # Keyed on PostgreSQL only: fct_transactions (the constraint costs most of DuckDB's build)
    # and dim_cards (DuckDB could not then erase a client: duckdb#13819).
    assert set(PAYMENTS_MARTS) - keyed == {"fct_transactions", "dim_cards"}


# --- (6) the fraud rules of docs/stream.md catch the planted attacks ----------------------------


def _planted_attacks(built_duckdb, pattern: str) -> list[list[dict]]:
    """The generator's planted instances of `pattern`, each a list of its transactions in card
    order (event_at, transaction_id) with the amount and the set of rules rpt_rule_hits fired."""
    settings, data, _ = built_duckdb
    truth = pl.read_parquet(data / "payments" / "_truth" / "transaction_truth.parquet")
    planted = truth.filter(pl.col("pattern") == pattern)
    ids = ", ".join(str(i) for i in planted["transaction_id"])
    with open_warehouse(settings) as w:
        transactions = w.fetch_all(
            "select transaction_id, amount from marts.fct_transactions "
            f"where transaction_id in ({ids}) order by event_at, transaction_id"
        )
        hits = w.fetch_all(
            f"select transaction_id, rule from marts.rpt_rule_hits where transaction_id in ({ids})"
        )
    rules: dict[int, set[str]] = {}
    for transaction_id, rule in hits:
        rules.setdefault(transaction_id, set()).add(rule)
    instance = dict(zip(planted["transaction_id"], planted["pattern_instance_id"], strict=True))
    attacks: dict[int, list[dict]] = {}
    for transaction_id, amount in transactions:
        attacks.setdefault(instance[transaction_id], []).append(
            {"amount": _as_decimal(amount), "rules": rules.get(transaction_id, set())}
        )
    assert sum(map(len, attacks.values())) == planted.height > 0
    return list(attacks.values())


def test_rule_hits_flag_every_planted_night_high_amount_and_impossible_travel(built_duckdb) -> None:
    for pattern, rule in (("night_high_amount", "high_amount"), ("impossible_travel", "impossible_travel")):
        for attack in _planted_attacks(built_duckdb, pattern):
            assert [rule in row["rules"] for row in attack] == [True] * len(attack), pattern


def test_rule_hits_flag_a_planted_velocity_burst_once_its_running_sum_passes_1000(built_duckdb) -> None:
    # A burst spans under 60 s, so the window of each payment holds the burst so far: the rule
    # fires once the running sum passes $1,000. At $400-$1,200 a payment, the first one or two
    # may not fire (the rule looks back, never ahead); here the cards had no other payment
    # in the minute before a burst.
    attacks = _planted_attacks(built_duckdb, "velocity")
    for attack in attacks:
        running, expected = Decimal(0), []
        for row in attack:
            running += row["amount"]
            expected.append(running > 1000)
        assert [("velocity" in row["rules"]) for row in attack] == expected
        assert expected[2:] == [True] * (len(attack) - 2)  # three payments always pass $1,000


def test_rule_hits_flag_card_testing_bursts_from_their_third_attempt_on(built_duckdb) -> None:
    # Attempts are 1-2 s apart: from the third on, [t - 5 s, t] holds three of them.
    for attack in _planted_attacks(built_duckdb, "card_testing"):
        assert len(attack) >= 3
        fired = ["rapid_fire" in row["rules"] for row in attack]
        assert fired == [False, False] + [True] * (len(attack) - 2)
