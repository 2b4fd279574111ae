"""Tests for the RetailRocket-layout shop generator and its planted conversion truth.

The checks recompute everything from the written files with independent Polars code (sessions,
eligibility, labels, invalid funnels) and compare with `_truth/`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from commercelens.generate.shop import generate_shop

ROWS = 120_000  # enough eligible sessions (~15k) to check calibration within 4 sigma
GAP_MS = 1_800_000
DECISION_MS = 300_000
PERIOD_START_MS = 1_430_611_200_000  # 2015-05-03 00:00 UTC
PERIOD_END_MS = 1_442_620_800_000  # 2015-09-19 00:00 UTC
HEADERS = {
    "events.csv": "timestamp,visitorid,event,itemid,transactionid",
    "item_properties_part1.csv": "timestamp,itemid,property,value",
    "item_properties_part2.csv": "timestamp,itemid,property,value",
    "category_tree.csv": "categoryid,parentid",
}


@pytest.fixture(scope="module")
def shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shop")
    generate_shop(out, ROWS, seed=7)
    return out


@pytest.fixture(scope="module")
def events(shop_dir: Path) -> pl.DataFrame:
    return pl.read_csv(shop_dir / "events.csv")


@pytest.fixture(scope="module")
def truth(shop_dir: Path) -> pl.DataFrame:
    return pl.read_parquet(shop_dir / "_truth" / "session_truth.parquet")


@pytest.fixture(scope="module")
def sessionised(events: pl.DataFrame) -> pl.DataFrame:
    """Events with an independently computed session id (30-minute inactivity, 1800 s stays in)."""
    return (
        events.sort(["visitorid", "timestamp"], maintain_order=True)
        .with_columns(gap=pl.col("timestamp").diff().over("visitorid"))
        .with_columns(new=pl.col("gap").is_null() | (pl.col("gap") > GAP_MS))
        .with_columns(start=pl.when(pl.col("new")).then(pl.col("timestamp")).forward_fill())
        .with_columns(session_id=pl.format("{}-{}", pl.col("visitorid"), pl.col("start")))
    )


@pytest.fixture(scope="module")
def per_session(sessionised: pl.DataFrame) -> pl.DataFrame:
    """Per-session facts recomputed from the events only."""
    decision = pl.col("start") + DECISION_MS
    is_txn = pl.col("event") == "transaction"
    return sessionised.group_by("session_id").agg(
        n_events=pl.len(),
        is_alive=pl.col("timestamp").max() >= decision.first(),
        bought_before=(is_txn & (pl.col("timestamp") < decision)).any(),
        bought_after=(is_txn & (pl.col("timestamp") >= decision)).any(),
        cart_before=((pl.col("event") == "addtocart") & (pl.col("timestamp") < decision)).any(),
        views_before=((pl.col("event") == "view") & (pl.col("timestamp") < decision)).sum(),
        **{
            f"first_{e}": pl.col("timestamp").filter(pl.col("event") == e).min()
            for e in ("view", "addtocart")
        },
        first_transaction=pl.col("timestamp").filter(is_txn).min(),
    )


def test_files_have_the_exact_retailrocket_headers(shop_dir: Path) -> None:
    for name, header in HEADERS.items():
        with open(shop_dir / name, newline="") as handle:
            assert handle.readline() == header + "\n", name


def test_reported_counts_match_the_data_lines(tmp_path: Path) -> None:
    result = generate_shop(tmp_path, 5_000, seed=3)
    for name, count in result.files.items():
        assert len((tmp_path / name).read_text().splitlines()) - 1 == count, name
    assert abs(result.files["events.csv"] - 5_000) < 0.15 * 5_000


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    first, second, other = (tmp_path / "a", tmp_path / "b", tmp_path / "c")
    generate_shop(first, 3_000, seed=1)
    generate_shop(second, 3_000, seed=1)
    generate_shop(other, 3_000, seed=2)
    for name in HEADERS:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    truth = "_truth/session_truth.parquet"
    assert pl.read_parquet(first / truth).equals(pl.read_parquet(second / truth))
    assert (first / "events.csv").read_bytes() != (other / "events.csv").read_bytes()


def test_event_mix_is_mostly_views(events: pl.DataFrame) -> None:
    share = dict(events["event"].value_counts(normalize=True).iter_rows())
    assert set(share) == {"view", "addtocart", "transaction"}
    assert 0.94 <= share["view"] <= 0.98
    assert 0.02 <= share["addtocart"] <= 0.045
    assert 0.005 <= share["transaction"] <= 0.02


def test_transactionid_is_set_exactly_on_transactions(events: pl.DataFrame) -> None:
    has_id = events["transactionid"].is_not_null()
    assert (has_id == (events["event"] == "transaction")).all()
    # one transaction id belongs to one visitor and one timestamp (its items share both)
    per_id = events.filter(has_id).group_by("transactionid").agg(pl.col("visitorid", "timestamp").n_unique())
    assert (per_id["visitorid"] == 1).all() and (per_id["timestamp"] == 1).all()


def test_no_two_event_rows_are_exact_duplicates(events: pl.DataFrame) -> None:
    # ingestion drops exact duplicates, which would silently change the session sizes in the truth
    assert events.unique().height == events.height


def test_timestamps_are_unix_ms_inside_the_period(events: pl.DataFrame) -> None:
    assert events["timestamp"].dtype == pl.Int64
    assert events["timestamp"].min() >= PERIOD_START_MS
    assert events["timestamp"].max() < PERIOD_END_MS


def test_gaps_are_below_30_minutes_inside_sessions_and_above_between(sessionised: pl.DataFrame) -> None:
    gaps = sessionised.filter(pl.col("gap").is_not_null())
    inside, between = gaps.filter(~pl.col("new"))["gap"], gaps.filter(pl.col("new"))["gap"]
    assert inside.max() < GAP_MS
    assert between.min() > GAP_MS
    assert len(between) > 0


def test_resessionised_ids_and_sizes_match_the_truth(per_session: pl.DataFrame, truth: pl.DataFrame) -> None:
    joined = truth.join(per_session, on="session_id", how="full", coalesce=True)
    assert joined.height == truth.height == per_session.height
    assert (joined["n_events"] == joined["n_events_right"]).all()
    returning = truth.group_by("visitorid").len().filter(pl.col("len") > 1).height
    assert returning > 0.05 * truth["visitorid"].n_unique()


def test_truth_eligibility_follows_the_300s_rules(per_session: pl.DataFrame, truth: pl.DataFrame) -> None:
    joined = truth.join(per_session, on="session_id")
    assert (joined["is_alive_at_300s"] == joined["is_alive"]).all()
    assert (joined["converted_before_300s"] == joined["bought_before"]).all()
    eligible = joined["is_alive"] & ~joined["bought_before"]
    assert (joined["true_conversion_probability"].is_not_null() == eligible).all()
    assert joined["true_conversion_probability"].drop_nulls().is_between(0, 1, closed="none").all()


def test_conversion_labels_match_purchases_after_300s(per_session: pl.DataFrame, truth: pl.DataFrame) -> None:
    joined = truth.join(per_session, on="session_id")
    assert (joined["converted_after_300s"] == joined["bought_after"]).all()
    eligible = joined.filter(pl.col("true_conversion_probability").is_not_null())
    # label ~ Bernoulli(p): overall and among likely buyers, the rate matches the mean p (4 sigma)
    for group in (eligible, eligible.filter(pl.col("true_conversion_probability") > 0.1)):
        p = group["true_conversion_probability"]
        tolerance = 4 * ((p * (1 - p)).sum() ** 0.5) / group.height
        assert abs(group["converted_after_300s"].mean() - p.mean()) < tolerance
    assert 0.01 <= (truth["converted_before_300s"] | truth["converted_after_300s"]).mean() <= 0.03


def test_addtocart_in_first_300s_raises_the_true_probability(
    per_session: pl.DataFrame, truth: pl.DataFrame
) -> None:
    eligible = truth.join(per_session, on="session_id").filter(
        pl.col("true_conversion_probability").is_not_null()
    )
    mean_p = dict(
        eligible.group_by("cart_before").agg(pl.col("true_conversion_probability").mean()).iter_rows()
    )
    assert mean_p[True] > 3 * mean_p[False]


def test_earlier_purchases_of_the_visitor_raise_the_true_probability(
    per_session: pl.DataFrame, truth: pl.DataFrame
) -> None:
    history = truth.join(per_session, on="session_id").sort("visitorid", "session_start_ms")
    history = history.with_columns(
        bought_earlier=(pl.col("bought_before") | pl.col("bought_after")).cum_max().shift(1).over("visitorid")
    ).filter(pl.col("true_conversion_probability").is_not_null())
    mean_p = dict(
        history.group_by("bought_earlier").agg(pl.col("true_conversion_probability").mean()).iter_rows()
    )
    assert mean_p[True] > 1.5 * mean_p[False]


def test_feature_truth_counts_only_events_before_the_decision(
    shop_dir: Path, per_session: pl.DataFrame
) -> None:
    features = pl.read_parquet(shop_dir / "_truth" / "session_features_at_300s.parquet")
    joined = features.join(per_session, on="session_id")
    assert joined.height == features.height > 0
    assert (joined["views_before_decision"] == joined["views_before"]).all()


def test_planted_invalid_funnels_are_the_only_ones_and_rare(
    per_session: pl.DataFrame, truth: pl.DataFrame
) -> None:
    view, cart, txn = pl.col("first_view"), pl.col("first_addtocart"), pl.col("first_transaction")
    reason = (
        pl.when(txn.is_not_null() & view.is_null())
        .then(pl.lit("TXN_WITHOUT_VIEW"))
        .when(txn.is_not_null() & cart.is_null())
        .then(pl.lit("TXN_WITHOUT_ADDTOCART"))
        .when(txn < cart)
        .then(pl.lit("TXN_BEFORE_ADDTOCART"))
        .when(cart.is_not_null() & view.is_null())
        .then(pl.lit("ADDTOCART_WITHOUT_VIEW"))
        .when(cart < view)
        .then(pl.lit("ADDTOCART_BEFORE_VIEW"))
    )
    joined = truth.join(per_session.with_columns(recomputed=reason), on="session_id")
    assert joined["planted_invalid_reason"].eq_missing(joined["recomputed"]).all()
    assert joined["planted_invalid_reason"].n_unique() == 6  # five reasons and null
    assert 0.002 <= joined["planted_invalid_reason"].is_not_null().mean() <= 0.01


def test_category_tree_is_a_tree_with_a_few_roots(shop_dir: Path) -> None:
    tree = pl.read_csv(shop_dir / "category_tree.csv")
    assert tree["categoryid"].is_unique().all()
    parents = tree["parentid"].drop_nulls()
    assert parents.is_in(tree["categoryid"].implode()).all()
    assert 3 <= tree["parentid"].null_count() <= 30
    parent_of = dict(tree.iter_rows())
    depths = []
    for node in parent_of:  # walk up: a cycle would never reach a root
        depth = 1
        while parent_of[node] is not None:
            node, depth = parent_of[node], depth + 1
            assert depth <= 5
        depths.append(depth)
    assert max(depths) >= 4


def test_item_properties_are_a_weekly_change_log_split_by_time(shop_dir: Path) -> None:
    part1 = pl.read_csv(shop_dir / "item_properties_part1.csv", schema_overrides={"value": pl.String})
    part2 = pl.read_csv(shop_dir / "item_properties_part2.csv", schema_overrides={"value": pl.String})
    assert part1["timestamp"].max() < part2["timestamp"].min()
    assert 0.3 < part1.height / (part1.height + part2.height) < 0.7
    props = pl.concat([part1, part2])
    first_sunday_3am = 1_430_622_000_000
    assert ((props["timestamp"] - first_sunday_3am) % (7 * 86_400_000) == 0).all()
    value = {
        p: props.filter(pl.col("property") == p)["value"] for p in ("available", "790", "888", "categoryid")
    }
    assert value["available"].is_in(["0", "1"]).all()
    assert value["790"].str.contains(r"^n\d+\.000$").all()
    assert value["888"].str.contains(r"^\d+( (\d+|n\d+\.000))*$").all()
    tree = pl.read_csv(shop_dir / "category_tree.csv")
    assert value["categoryid"].cast(pl.Int64).is_in(tree["categoryid"].implode()).all()
    moves = (
        props.filter(pl.col("property") == "categoryid").group_by("itemid").agg(pl.col("value").n_unique())
    )
    assert (moves["value"] > 1).sum() > 0
