"""Segments on the shared built warehouse: views built and tested by `dbt build`, members equal to
an independent computation (Polars and Python on raw rail tables and on the marts), stable paging,
the same members on PostgreSQL, and an erased subject gone from every segment at once."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import polars as pl
import pytest

from commercelens.activation import (
    SegmentNotBuilt,
    UnknownSegment,
    list_segments,
    segment_definitions,
    segment_page,
)
from commercelens.cli.app import run
from commercelens.config import Settings, load_settings
from commercelens.privacy.erase import erase_subject
from commercelens.stream.rules import load_rules
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.base import Warehouse
from tests.conftest import PII_KEY

NAMES = list(segment_definitions())


@pytest.fixture
def built(built_duckdb) -> Iterator[Warehouse]:
    with open_warehouse(built_duckdb[0]) as w:
        yield w


@pytest.fixture
def built_copy(built_duckdb, tmp_path) -> Settings:
    """A workdir of this test's own holding a copy of the built warehouse (to erase from)."""
    source = built_duckdb[0].duckdb_path
    for suffix in ("", ".wal"):
        path = source.with_name(source.name + suffix)
        if path.exists():
            shutil.copy(path, tmp_path / path.name)
    return load_settings(home=tmp_path)


def frame(w: Warehouse, sql: str) -> pl.DataFrame:
    return pl.from_arrow(w.fetch_arrow(sql))  # type: ignore[return-value]


def members(w: Warehouse, name: str, columns: str) -> list[tuple]:
    return sorted(w.fetch_all(f"select {columns} from segments.seg_{name}"))


def all_keys(w: Warehouse, name: str, page_size: int) -> list:
    first = segment_page(w, name, 1, page_size)
    pages = [first] + [segment_page(w, name, p, page_size) for p in range(2, first.pages + 1)]
    return [m[first.definition.key] for page in pages for m in page.members]


# --- built by `dbt build` -----------------------------------------------------------------------


def test_segments_are_views_built_with_their_unit_and_data_tests_passing(built_duckdb, built):
    result = built_duckdb[2]
    nodes = [o for o in result.outcomes if "seg_" in o.name]
    assert {o.name for o in nodes if o.kind == "model"} == {f"seg_{n}" for n in NAMES}
    assert len([o for o in nodes if o.kind == "unit_test"]) >= 4
    assert len([o for o in nodes if o.kind == "test"]) >= 4 * 3  # unique, not_null, relationships
    assert [o.name for o in nodes if o.status not in ("success", "pass")] == []
    kinds = built.fetch_all(
        "select table_name, table_type from information_schema.tables where table_schema = 'segments'"
    )
    assert sorted(kinds) == sorted((f"seg_{n}", "VIEW") for n in NAMES)


def test_every_segment_has_members_in_the_test_warehouse(built):
    # A segment that is empty here would make the tests below vacuous.
    assert all(s.members > 0 for s in list_segments(built)), [
        (s.definition.name, s.members) for s in list_segments(built)
    ]


def test_segments_hold_no_pii_columns_and_no_email_like_text(built):
    pii = {"email", "email_pseudonym", "full_name", "address", "card_number", "card_number_last4", "cvv"}
    for name in NAMES:
        columns = built.columns(f"segments.seg_{name}")
        assert not {c for c, _ in columns} & pii, name
        for column, kind in columns:
            if kind.upper().startswith("VARCHAR"):
                sql = f"select count(*) from segments.seg_{name} where {column} like '%@%'"
                assert built.fetch_all(sql) == [(0,)], (name, column)


# --- paging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_paging_returns_every_member_exactly_once_in_key_order(built, name):
    key = segment_definitions()[name].key
    direct = sorted(r[0] for r in built.fetch_all(f"select {key} from segments.seg_{name}"))
    page_size = max(1, math.ceil(len(direct) / 3))  # about three pages, the last one partial
    keys = all_keys(built, name, page_size)
    assert keys == direct
    assert len(set(keys)) == len(keys)
    page = segment_page(built, name, 1, page_size)
    assert page.total == built.fetch_all(f"select count(*) from segments.seg_{name}")[0][0] == len(direct)
    assert page.pages == math.ceil(page.total / page_size)


def test_a_page_past_the_end_is_empty_and_keeps_the_totals(built):
    page = segment_page(built, "lapsed_bookers", 10_000, 10)
    assert page.members == [] and page.total > 0 and page.pages == math.ceil(page.total / 10)


def test_list_counts_equal_a_direct_count_of_each_view(built):
    counts = {s.definition.name: s.members for s in list_segments(built)}
    assert counts == {n: built.fetch_all(f"select count(*) from segments.seg_{n}")[0][0] for n in NAMES}


def test_an_unknown_name_is_never_run_as_sql(built):
    with pytest.raises(UnknownSegment, match="lapsed_bookers"):
        segment_page(built, "lapsed_bookers from segments.seg_lapsed_bookers; drop view x --")
    assert built.table_exists("segments.seg_lapsed_bookers")


def test_a_warehouse_without_the_views_says_to_run_transform(warehouse):
    with pytest.raises(SegmentNotBuilt, match="commercelens transform"):
        segment_page(warehouse, "cart_abandoners")
    with pytest.raises(SegmentNotBuilt, match="high_intent_non_bookers, lapsed_bookers"):
        list_segments(warehouse)


# --- members satisfy the definitions (computed independently) -------------------------------------


def rail_raw(w: Warehouse) -> tuple[pl.DataFrame, pl.DataFrame, object]:
    """Raw rail searches and bookings, and "now": the latest search or booking."""
    searches = frame(
        w,
        "select user_id, searched_at, origin_station || '/' || destination_station as route from raw.rail__searches",
    )
    bookings = frame(w, "select user_id, booked_at, payment_status, amount_eur from raw.rail__bookings")
    return searches, bookings, max(searches["searched_at"].max(), bookings["booked_at"].max())


def test_high_intent_non_bookers_have_3_searches_in_7_days_and_no_success_in_them(built):
    searches, bookings, now = rail_raw(built)
    start = now - timedelta(days=7)
    booked = bookings.filter((pl.col("booked_at") > start) & (pl.col("payment_status") == "Success"))
    expected = (
        searches.filter(pl.col("searched_at") > start)
        .group_by("user_id")
        .agg(pl.len(), pl.col("route").n_unique(), pl.col("searched_at").max())
        .filter((pl.col("len") >= 3) & ~pl.col("user_id").is_in(booked["user_id"].implode()))
    )
    actual = members(
        built, "high_intent_non_bookers", "user_id, recent_searches, recent_routes, last_searched_at"
    )
    assert actual == sorted(expected.iter_rows())


def test_lapsed_bookers_booked_successfully_but_not_in_the_last_60_days(built):
    _, bookings, now = rail_raw(built)
    expected = (
        bookings.filter(pl.col("payment_status") == "Success")
        .group_by("user_id")
        .agg(pl.len(), pl.col("amount_eur").sum(), pl.col("booked_at").max())
        .filter(pl.col("booked_at") <= now - timedelta(days=60))
    )
    rows = [
        (u, n, Decimal(str(revenue)), last, (now.date() - last.date()).days)
        for u, n, revenue, last in expected.iter_rows()
    ]
    actual = members(
        built,
        "lapsed_bookers",
        "user_id, successful_bookings, lifetime_revenue_eur, last_booked_at, days_since_last_booking",
    )
    assert actual == sorted(rows)
    assert min(r[4] for r in actual) >= 60


def test_cart_abandoners_latest_session_added_to_cart_without_buying_in_the_last_30_days(built):
    sessions = frame(
        built,
        "select visitor_id, session_id, session_start_at, session_end_at, has_addtocart, has_transaction, "
        "is_valid from marts.fct_sessions",
    )
    now = sessions["session_end_at"].max()
    latest = sessions.sort("session_start_at").group_by("visitor_id").last()
    expected = latest.filter(
        pl.col("has_addtocart")
        & ~pl.col("has_transaction")
        & pl.col("is_valid")
        & (pl.col("session_end_at") > now - timedelta(days=30))
    ).select("visitor_id", "session_id")
    assert members(built, "cart_abandoners", "visitor_id, abandoned_session_id") == sorted(
        expected.iter_rows()
    )


def test_cards_under_review_had_a_high_rule_score_or_a_fraud_label_in_the_last_30_days(built):
    rules = load_rules()
    scores = {rule: Decimal(str(score)) for rule, score in rules.scores().items()}
    high, critical = (Decimal(str(v)) for v in (rules.levels.HIGH, rules.levels.CRITICAL))
    keep: dict[int, Decimal] = {}  # product of (1 - score) over the rules that fired
    for transaction_id, rule in built.fetch_all("select transaction_id, rule from marts.rpt_rule_hits"):
        keep[transaction_id] = keep.get(transaction_id, Decimal(1)) * (1 - scores[rule])
    transactions = built.fetch_all(
        "select transaction_id, card_id, event_at, is_fraud from marts.fct_transactions"
    )
    now = max(t[2] for t in transactions)
    cards: dict[int, list[int]] = {}  # card -> [high, critical, labelled fraud]
    for transaction_id, card_id, event_at, is_fraud in transactions:
        if event_at > now - timedelta(days=30):
            score = 1 - keep.get(transaction_id, Decimal(1))
            counts = cards.setdefault(card_id, [0, 0, 0])
            counts[0] += score >= high
            counts[1] += score >= critical
            counts[2] += bool(is_fraud)
    expected = sorted((card, *c) for card, c in cards.items() if c[0] or c[2])
    actual = members(
        built,
        "cards_under_review",
        "card_id, high_risk_transactions, critical_transactions, labelled_fraud_transactions",
    )
    assert actual == expected


# --- DuckDB and PostgreSQL --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("name", NAMES)
def test_segment_pages_are_identical_on_duckdb_and_postgres(name, built_duckdb, built_postgres):
    with open_warehouse(built_duckdb[0]) as duck, open_warehouse(built_postgres[0]) as pg:
        on_duckdb = segment_page(duck, name, 1, 1_000)
        on_postgres = segment_page(pg, name, 1, 1_000)
    assert on_duckdb.total > 0
    assert on_duckdb.json_members() == on_postgres.json_members()
    assert on_duckdb.total == on_postgres.total


# --- erasure ----------------------------------------------------------------------------------------

SUBJECTS = {  # segment -> (erasure domain, the column of the view holding the data subject)
    "high_intent_non_bookers": ("rail", "user_id"),
    "lapsed_bookers": ("rail", "user_id"),
    "cart_abandoners": ("shop", "visitor_id"),
    "cards_under_review": ("payments", "client_id"),
}


def test_every_segment_names_its_erasure_subject():
    assert set(SUBJECTS) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_an_erased_subject_leaves_the_segment_as_the_erasure_commits(name, built_copy):
    domain, column = SUBJECTS[name]
    view = f"segments.seg_{name}"
    with open_warehouse(built_copy) as w:
        subject = w.fetch_all(f"select {column} from {view} order by 1 limit 1")[0][0]
        erase_subject(w, domain, PII_KEY, user_id=str(subject))  # no dbt run afterwards
        assert w.fetch_all(f"select count(*) from {view} where {column} = ?", [subject]) == [(0,)]
        assert list_segments(w)  # every view still answers


def test_privacy_erase_cli_rebuilds_the_marts_and_the_segments_still_answer(built_copy, monkeypatch):
    monkeypatch.setenv("COMMERCELENS_PII_KEY", PII_KEY.decode())
    with open_warehouse(built_copy) as w:
        visitor = w.fetch_all("select visitor_id from segments.seg_cart_abandoners order by 1 limit 1")[0][0]
    assert (
        run(
            [
                "--workdir",
                str(built_copy.home),
                "privacy",
                "erase",
                "--domain",
                "shop",
                "--user-id",
                str(visitor),
            ]
        )
        == 0
    )
    with open_warehouse(built_copy) as w:
        keys = all_keys(w, "cart_abandoners", 1_000)
        assert keys and visitor not in keys


@pytest.mark.postgres
def test_privacy_erase_on_postgres_recreates_the_views_its_rebuild_drops(tmp_path, postgres_dsn, monkeypatch):
    # PostgreSQL drops a view with the table it reads when dbt replaces that table (DROP ...
    # CASCADE): the erasure's rebuild must build the domain's segments again.
    from commercelens.generate import generate
    from commercelens.ingest.loader import ingest_source
    from commercelens.warehouse.dbt import run_dbt

    settings = load_settings(home=tmp_path / "home", target="postgres", postgres_dsn=postgres_dsn)
    generate("shop", tmp_path / "shop", rows=8_000, seed=7)
    with open_warehouse(settings) as pg:
        ingest_source(pg, "shop", tmp_path / "shop", PII_KEY)
    run_dbt(settings, "build", select="+path:models/marts/shop path:models/segments,config.meta.domain:shop")
    with open_warehouse(settings) as pg:
        visitor = pg.fetch_all("select min(visitor_id) from segments.seg_cart_abandoners")[0][0]
    assert visitor is not None
    monkeypatch.setenv("COMMERCELENS_PII_KEY", PII_KEY.decode())
    monkeypatch.setenv("COMMERCELENS_POSTGRES_DSN", postgres_dsn)
    erase = ["--workdir", str(settings.home), "--target", "postgres", "privacy", "erase", "--domain", "shop"]
    assert run([*erase, "--user-id", str(visitor)]) == 0
    with open_warehouse(settings) as pg:
        keys = all_keys(pg, "cart_abandoners", 1_000)
    assert keys and visitor not in keys
