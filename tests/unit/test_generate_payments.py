"""The payments generator writes the Kaggle layout exactly and plants recoverable fraud."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from commercelens.generate.payments import generate_payments, place_travel
from commercelens.generate.payments_world import DAY, make_world

ROWS = 40_000
KAGGLE_HEADER = (
    "id,date,client_id,card_id,amount,use_chip,merchant_id,merchant_city,merchant_state,zip,mcc,errors"
)
EXTENDED_HEADER = KAGGLE_HEADER + ",event_time,device_id,merchant_latitude,merchant_longitude"
USERS_HEADER = (
    "id,current_age,retirement_age,birth_year,birth_month,gender,address,latitude,longitude,"
    "per_capita_income,yearly_income,total_debt,credit_score,num_credit_cards"
)
CARDS_HEADER = (
    "id,client_id,card_brand,card_type,card_number,expires,cvv,has_chip,num_cards_issued,"
    "credit_limit,acct_open_date,year_pin_last_changed,card_on_dark_web"
)
ERRORS = {
    "Insufficient Balance",
    "Bad PIN",
    "Technical Glitch",
    "Bad Card Number",
    "Bad Expiration",
    "Bad CVV",
    "Bad Zipcode",
}
PLANTED = ["card_testing", "velocity", "impossible_travel", "night_high_amount"]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("payments")
    generate_payments(path, ROWS, seed=7)
    return path


@pytest.fixture(scope="module")
def raw(out: Path) -> pl.DataFrame:
    """Transactions exactly as written (every field a string, empty = null)."""
    return pl.read_csv(out / "transactions_data.csv", infer_schema=False)


@pytest.fixture(scope="module")
def truth(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "_truth" / "transaction_truth.parquet")


@pytest.fixture(scope="module")
def tx(raw: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Typed transactions joined to their truth, in id order."""
    typed = raw.with_columns(
        pl.col("id", "client_id", "card_id", "mcc").cast(pl.Int64),
        pl.col("amount").str.replace(r"^\$", "").cast(pl.Float64),
        pl.col("event_time").str.to_datetime("%Y-%m-%d %H:%M:%S"),
        pl.col("merchant_latitude", "merchant_longitude").cast(pl.Float64),
    )
    return typed.join(truth, left_on="id", right_on="transaction_id").sort("id")


def first_line(path: Path) -> str:
    with path.open() as handle:
        return handle.readline().rstrip("\n")


def haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def is_luhn_valid(number: str) -> bool:
    digits = [int(c) for c in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def test_headers_are_exactly_the_kaggle_layout_with_extensions(out: Path) -> None:
    assert first_line(out / "users_data.csv") == USERS_HEADER
    assert first_line(out / "cards_data.csv") == CARDS_HEADER
    assert first_line(out / "transactions_data.csv") == EXTENDED_HEADER


def test_without_extensions_the_kaggle_columns_are_unchanged(tmp_path: Path) -> None:
    generate_payments(tmp_path / "plain", 2_000, seed=5, extensions=False)
    generate_payments(tmp_path / "extended", 2_000, seed=5)
    plain = pl.read_csv(tmp_path / "plain" / "transactions_data.csv", infer_schema=False)
    extended = pl.read_csv(tmp_path / "extended" / "transactions_data.csv", infer_schema=False)
    assert first_line(tmp_path / "plain" / "transactions_data.csv") == KAGGLE_HEADER
    assert plain.equals(extended.select(plain.columns))


def test_same_seed_writes_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        generate_payments(tmp_path / name, 2_000, seed=seed)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 6
    for file in files:
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
    transactions = Path("transactions_data.csv")
    assert (tmp_path / "a" / transactions).read_bytes() != (tmp_path / "c" / transactions).read_bytes()


def test_reported_counts_match_the_files(tmp_path: Path) -> None:
    result = generate_payments(tmp_path, 3_000, seed=2)
    for name in ("users_data.csv", "cards_data.csv", "transactions_data.csv"):
        assert pl.read_csv(tmp_path / name).height == result.files[name]
    labels = json.loads((tmp_path / "train_fraud_labels.json").read_text())["target"]
    assert len(labels) == result.files["train_fraud_labels.json"]
    assert result.files["users_data.csv"] == 20  # the floor for small data
    assert (tmp_path / result.truth_files[0]).is_file()


def test_clients_scale_with_rows_and_own_about_three_cards(out: Path) -> None:
    users = pl.read_csv(out / "users_data.csv")
    cards = pl.read_csv(out / "cards_data.csv")
    assert users.height == max(20, round(ROWS / 6_650))
    assert 2.4 <= cards.height / users.height <= 3.8
    assert cards["client_id"].is_in(users["id"].implode()).all()
    per_client = cards.group_by("client_id").len().sort("client_id")["len"]
    assert per_client.to_list() == users.sort("id")["num_credit_cards"].to_list()


def test_amount_date_zip_and_error_formats(raw: pl.DataFrame, out: Path) -> None:
    assert raw["amount"].str.contains(r"^\$-?\d+\.\d{2}$").all()
    assert raw["date"].str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:00$").all()
    assert raw["date"].min() >= "2010-01-01 00:00:00"
    assert raw["use_chip"].is_in(["Swipe Transaction", "Chip Transaction", "Online Transaction"]).all()
    assert raw["zip"].drop_nulls().str.contains(r"^\d{1,5}\.0$").all()
    assert raw["mcc"].str.contains(r"^\d{4}$").all()
    errors = raw["errors"].drop_nulls()
    assert set(errors.str.split(",").explode().unique()) <= ERRORS
    pairs = errors.filter(errors.str.contains(","))
    assert pairs.len() > 0
    text = (out / "transactions_data.csv").read_text()
    assert f',"{pairs[0]}",' in text  # comma-joined errors are quoted in the CSV
    refunds = raw["amount"].str.starts_with("$-").mean()
    assert 0.005 < refunds < 0.03


def test_date_is_event_time_truncated_to_the_minute(raw: pl.DataFrame) -> None:
    assert raw["event_time"].str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$").all()
    assert (raw["event_time"].str.slice(0, 16) + ":00").equals(raw["date"], check_names=False)
    assert raw["event_time"].str.slice(17, 2).n_unique() > 50  # seconds resolution


def test_online_rows_have_no_place_and_card_present_rows_have_one(raw: pl.DataFrame) -> None:
    online = raw.filter(pl.col("use_chip") == "Online Transaction")
    present = raw.filter(pl.col("use_chip") != "Online Transaction")
    assert (online["merchant_city"] == "ONLINE").all()
    for column in ("merchant_state", "zip", "merchant_latitude", "merchant_longitude"):
        assert online[column].is_null().all(), column
        assert present[column if column != "zip" else "merchant_state"].is_not_null().all(), column
    assert online["device_id"].is_not_null().all()
    assert present["device_id"].is_null().all()
    assert (present["merchant_city"] != "ONLINE").all()


def test_foreign_rows_name_a_country_and_have_no_zip(raw: pl.DataFrame) -> None:
    present = raw.filter(pl.col("use_chip") != "Online Transaction")
    foreign = present.filter(pl.col("zip").is_null())
    assert foreign.height > 0
    assert (foreign["merchant_state"].str.len_chars() > 2).all()  # "Italy", not "IT"
    us = present.filter(pl.col("zip").is_not_null())
    assert us["merchant_state"].str.contains(r"^[A-Z]{2}$").all()


def test_ids_are_unique_and_increase_with_time(tx: pl.DataFrame) -> None:
    assert tx["id"].n_unique() == tx.height == ROWS
    assert tx["id"][0] == 7_475_327
    assert tx["event_time"].is_sorted()


def test_labels_cover_two_thirds_and_agree_with_truth(out: Path, truth: pl.DataFrame) -> None:
    text = (out / "train_fraud_labels.json").read_text()
    assert text.startswith('{"target": {"')
    labels = json.loads(text)["target"]
    assert 0.64 < len(labels) / ROWS < 0.70
    labelled = truth.filter(pl.col("is_labelled"))
    assert set(labels) == {str(i) for i in labelled["transaction_id"]}
    expected = dict(zip(labelled["transaction_id"].cast(pl.String), labelled["is_fraud"], strict=True))
    assert all((value == "Yes") == expected[key] for key, value in labels.items())


def test_fraud_probability_ranks_online_over_chip_over_swipe(tx: pl.DataFrame) -> None:
    by_channel = dict(tx.group_by("use_chip").agg(pl.col("true_fraud_probability").mean()).iter_rows())
    assert by_channel["Online Transaction"] > by_channel["Chip Transaction"] > by_channel["Swipe Transaction"]
    assert 0.0008 < tx["true_fraud_probability"].mean() < 0.004


def test_pattern_is_named_exactly_for_fraud_and_planted_fraud_is_certain(tx: pl.DataFrame) -> None:
    assert tx["pattern"].is_not_null().equals(tx["is_fraud"], check_names=False)
    planted = tx.filter(pl.col("pattern").is_in(PLANTED))
    assert set(planted["pattern"]) == set(PLANTED)
    assert (planted["true_fraud_probability"] == 1.0).all()
    assert (planted["pattern_instance_id"].is_not_null()).all()
    drawn = tx.filter(pl.col("pattern").is_null() | pl.col("pattern").is_in(["background", "risky_mcc"]))
    assert drawn["true_fraud_probability"].max() < 1.0


def test_every_card_testing_burst_has_three_transactions_within_five_seconds(tx: pl.DataFrame) -> None:
    bursts = tx.filter(pl.col("pattern") == "card_testing").partition_by("pattern_instance_id")
    assert len(bursts) >= 1
    for burst in bursts:
        seconds = np.sort(burst["event_time"].dt.epoch("s").to_numpy())
        assert burst["card_id"].n_unique() == 1
        assert (burst["use_chip"] == "Online Transaction").all()
        assert len(seconds) >= 3 and (seconds[2:] - seconds[:-2] <= 5).any()
        assert (burst["amount"] < 10).all()


def test_velocity_instances_spend_over_1000_dollars_within_60_seconds(tx: pl.DataFrame) -> None:
    instances = tx.filter(pl.col("pattern") == "velocity").partition_by("pattern_instance_id")
    assert len(instances) >= 1
    for rows in instances:
        seconds = rows["event_time"].dt.epoch("s")
        assert rows["card_id"].n_unique() == 1 and rows.height >= 3
        assert seconds.max() - seconds.min() <= 60
        assert rows["amount"].sum() > 1_000


def card_present_steps(tx: pl.DataFrame) -> pl.DataFrame:
    """Each card-present row with the speed from the card's previous card-present row."""
    present = tx.filter(pl.col("use_chip") != "Online Transaction").sort("card_id", "id")
    previous = present.select(pl.all().shift(1).over("card_id").name.prefix("previous_"))
    steps = pl.concat([present, previous], how="horizontal").drop_nulls("previous_id")
    km = haversine_km(
        steps["previous_merchant_latitude"],
        steps["previous_merchant_longitude"],
        steps["merchant_latitude"],
        steps["merchant_longitude"],
    )
    hours = (steps["event_time"] - steps["previous_event_time"]).dt.total_seconds().to_numpy() / 3_600
    speed = np.divide(km, hours, out=np.full(len(km), np.inf), where=hours > 0)
    return steps.with_columns(km=pl.Series(km), speed=pl.Series(speed))


def test_impossible_travel_is_faster_than_900_kmh(tx: pl.DataFrame) -> None:
    steps = card_present_steps(tx).filter(pl.col("pattern") == "impossible_travel")
    assert steps.height == tx.filter(pl.col("pattern") == "impossible_travel").height >= 1
    assert (steps["speed"] > 900).all()


def test_ordinary_travel_is_never_faster_than_900_kmh(tx: pl.DataFrame) -> None:
    ordinary = ~pl.col("pattern").is_in(PLANTED).fill_null(False)
    previous_ordinary = ~pl.col("previous_pattern").is_in(PLANTED).fill_null(False)
    steps = card_present_steps(tx).filter(ordinary & previous_ordinary & (pl.col("km") > 300))
    assert steps.height > 0  # clients do travel
    assert (steps["speed"] <= 900).all()


def test_card_present_purchases_in_the_day_around_a_trip_move_into_it() -> None:
    world = make_world(np.random.default_rng(0), 40_000)
    trips = world.trips
    slot = np.flatnonzero(trips.exists)[:40]
    client = np.searchsorted(trips.offset, slot, side="right") - 1
    start, end = trips.start[slot], trips.end[slot]
    times = np.concatenate([start - 3_600, end + 3_600, start - 2 * DAY, start + 60])
    clients = np.tile(client, 4)
    moved, dest = place_travel(world, clients, times, np.ones(len(times), dtype=bool))
    near = slice(0, 2 * len(slot))
    assert (dest[near] == np.tile(trips.dest[slot], 2)).all()
    assert ((moved[near] >= np.tile(start, 2)) & (moved[near] < np.tile(end, 2))).all()
    far = slice(2 * len(slot), 3 * len(slot))
    assert (dest[far] == -1).all() and (moved[far] == times[far]).all()
    online_moved, online_dest = place_travel(world, clients, times, np.zeros(len(times), dtype=bool))
    assert (online_moved == times).all() and (online_dest == -1).all()


def test_large_night_amounts_come_only_from_the_night_pattern(tx: pl.DataFrame) -> None:
    night_large = (pl.col("event_time").dt.hour() < 5) & (pl.col("amount") > 2_000)
    flagged = tx.filter(night_large)
    assert flagged.height >= 1
    assert (flagged["pattern"] == "night_high_amount").all()
    assert flagged.height == tx.filter(pl.col("pattern") == "night_high_amount").height


def test_risky_mccs_raise_the_true_probability_within_each_channel(tx: pl.DataFrame) -> None:
    drawn = tx.filter(~pl.col("pattern").is_in(PLANTED).fill_null(False))
    risky = pl.col("mcc").is_in([4829, 5094, 5732, 5816, 7801])
    compared = 0
    for channel in drawn.partition_by("use_chip"):
        with_risk, without = channel.filter(risky), channel.filter(~risky)
        if with_risk.height and without.height:
            p_risky, p_other = (f["true_fraud_probability"].mean() for f in (with_risk, without))
            assert p_risky > 2 * p_other, channel["use_chip"][0]
            compared += 1
    assert compared >= 1


def test_first_use_of_a_device_on_a_card_raises_the_true_probability(tx: pl.DataFrame) -> None:
    online = tx.filter(
        (pl.col("use_chip") == "Online Transaction") & ~pl.col("pattern").is_in(PLANTED).fill_null(False)
    )
    # Computable from the data alone, at decision time: has this card used this device before?
    first_use = pl.col("id") == pl.col("id").min().over("card_id", "device_id")
    p = online.group_by(first_use.alias("new")).agg(pl.col("true_fraud_probability").mean())
    by_newness = dict(p.iter_rows())
    assert by_newness[True] > 3 * by_newness[False]


def test_card_numbers_are_luhn_valid_with_brand_lengths(out: Path) -> None:
    cards = pl.read_csv(out / "cards_data.csv", infer_schema=False)
    for brand, number in cards.select("card_brand", "card_number").iter_rows():
        assert is_luhn_valid(number), number
        assert len(number) == (15 if brand == "Amex" else 16)
        assert number[:2] in {"34", "37"} if brand == "Amex" else number[0] in "456"
    assert cards["cvv"].str.contains(r"^\d{3}$").all()
    assert cards["expires"].str.contains(r"^(0[1-9]|1[0-2])/20\d{2}$").all()
    assert cards["acct_open_date"].str.contains(r"^(0[1-9]|1[0-2])/(19|20)\d{2}$").all()
    assert cards["credit_limit"].str.contains(r"^\$\d+$").all()
    assert set(cards["has_chip"]) <= {"YES", "NO"} and set(cards["card_on_dark_web"]) == {"No"}
    assert set(cards["card_type"]) <= {"Debit", "Credit", "Debit (Prepaid)"}


def test_users_have_kaggle_style_money_addresses_and_us_homes(out: Path) -> None:
    users = pl.read_csv(out / "users_data.csv", infer_schema=False)
    for column in ("per_capita_income", "yearly_income", "total_debt"):
        assert users[column].str.contains(r"^\$\d+$").all(), column
    assert users["address"].str.contains(r"^\d+ [A-Z][a-z]+ [A-Z][a-z]+$").all()
    assert set(users["gender"]) <= {"Male", "Female"}
    assert users["latitude"].cast(pl.Float64).is_between(18, 72).all()
    assert users["longitude"].cast(pl.Float64).is_between(-170, -60).all()


def test_mcc_codes_are_real_four_digit_codes_and_cover_the_transactions(out: Path, raw: pl.DataFrame) -> None:
    codes = json.loads((out / "mcc_codes.json").read_text())
    assert len(codes) == 109
    assert codes["5812"] == "Eating Places and Restaurants"
    assert all(re.fullmatch(r"\d{4}", code) and text for code, text in codes.items())
    assert set(raw["mcc"]) <= set(codes)


def test_fewer_than_200_transactions_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 200"):
        generate_payments(tmp_path, 199)


def test_smallest_size_still_plants_every_pattern(tmp_path: Path) -> None:
    generate_payments(tmp_path, 200, seed=3)
    truth = pl.read_parquet(tmp_path / "_truth" / "transaction_truth.parquet")
    assert truth.height == 200
    assert set(PLANTED) <= set(truth["pattern"].drop_nulls())
