"""The rail generator writes the native layout, keeps its invariants and plants its stories."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from commercelens.generate.rail import generate_rail

ROWS = 20_000
HEADERS = {
    "users.csv": "user_id,email,full_name,signup_at,subscription_type,age,device_os",
    "searches.csv": "search_id,user_id,searched_at,origin_station,destination_station,"
    "departure_date,passenger_count,quoted_price_eur",
    "bookings.csv": "booking_id,search_id,user_id,booked_at,payment_status,ticket_class,amount_eur",
    "experiment_assignments.csv": "experiment_id,user_id,variation,assigned_at",
}
DATA_FILES = sorted(HEADERS)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rail")
    generate_rail(path, ROWS, seed=7)
    return path


def read(out: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(out / name, try_parse_dates=True)


@pytest.fixture(scope="module")
def users(out: Path) -> pl.DataFrame:
    return read(out, "users.csv")


@pytest.fixture(scope="module")
def searches(out: Path) -> pl.DataFrame:
    return read(out, "searches.csv")


@pytest.fixture(scope="module")
def bookings(out: Path) -> pl.DataFrame:
    return read(out, "bookings.csv")


@pytest.fixture(scope="module")
def assignments(out: Path) -> pl.DataFrame:
    return read(out, "experiment_assignments.csv")


@pytest.fixture(scope="module")
def search_truth(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "_truth" / "search_truth.parquet")


@pytest.fixture(scope="module")
def user_truth(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "_truth" / "user_truth.parquet")


def data_bytes(path: Path) -> dict[str, bytes]:
    return {name: (path / name).read_bytes() for name in DATA_FILES}


@pytest.mark.parametrize("name", DATA_FILES)
def test_each_file_starts_with_the_exact_layout_header(out: Path, name: str) -> None:
    with (out / name).open("rb") as handle:
        assert handle.readline() == (HEADERS[name] + "\n").encode()


def test_files_use_unix_line_endings_and_plain_timestamps(out: Path) -> None:
    text = (out / "bookings.csv").read_bytes()[:2000]
    assert b"\r" not in text
    second_line = text.split(b"\n")[1].decode()
    assert second_line.split(",")[3][10] == " " and len(second_line.split(",")[3]) == 19


def test_same_seed_writes_identical_bytes_and_truth(tmp_path: Path) -> None:
    generate_rail(tmp_path / "a", 3_000, seed=3)
    generate_rail(tmp_path / "b", 3_000, seed=3)
    assert data_bytes(tmp_path / "a") == data_bytes(tmp_path / "b")
    for name in ["search_truth.parquet", "user_truth.parquet"]:
        first = pl.read_parquet(tmp_path / "a" / "_truth" / name)
        assert first.equals(pl.read_parquet(tmp_path / "b" / "_truth" / name))


def test_different_seed_changes_every_file(tmp_path: Path) -> None:
    generate_rail(tmp_path / "a", 3_000, seed=3)
    generate_rail(tmp_path / "b", 3_000, seed=4)
    first, second = data_bytes(tmp_path / "a"), data_bytes(tmp_path / "b")
    assert all(first[name] != second[name] for name in DATA_FILES)


def test_returned_counts_match_the_files_and_users_scale_with_searches(tmp_path: Path) -> None:
    result = generate_rail(tmp_path, 3_000, seed=1)
    assert result.files["searches.csv"] == 3_000
    assert result.files["users.csv"] == 250
    for name, count in result.files.items():
        assert read(tmp_path, name).height == count
    assert sorted(result.truth_files) == [
        "_truth/search_truth.parquet",
        "_truth/user_truth.parquet",
    ]
    assert sorted(p.name for p in (tmp_path / "_truth").iterdir()) == [
        "search_truth.parquet",
        "user_truth.parquet",
    ]


def test_small_runs_still_have_fifty_users(tmp_path: Path) -> None:
    assert generate_rail(tmp_path, 120, seed=1).files["users.csv"] == 50


def test_ids_are_zero_padded_and_unique(
    users: pl.DataFrame, searches: pl.DataFrame, bookings: pl.DataFrame
) -> None:
    assert users["user_id"].str.contains(r"^U\d{7}$").all()
    assert searches["search_id"].str.contains(r"^S\d{9}$").all()
    assert users["user_id"].n_unique() == users.height
    assert searches["search_id"].n_unique() == searches.height
    assert bookings["booking_id"].n_unique() == bookings.height


def test_users_have_unique_emails_and_valid_attributes(users: pl.DataFrame) -> None:
    assert users["email"].n_unique() == users.height
    assert users["email"].str.contains(r"^[a-z]+\.[a-z]+\d+@[a-z.]+$").all()
    assert set(users["subscription_type"]) == {"none", "monthly", "annual"}
    assert set(users["device_os"]) == {"ios", "android", "web"}
    assert users["age"].min() >= 18 and users["age"].max() <= 85
    assert users["signup_at"].max() < datetime(2025, 1, 1)


def test_searches_fall_in_the_window_with_departure_within_ninety_days(
    searches: pl.DataFrame,
) -> None:
    searched = searches["searched_at"]
    assert searched.min().year == 2025 and searched.max() < searched.min().replace(month=7)
    lead = (searches["departure_date"] - searched.dt.date()).dt.total_days()
    assert lead.min() >= 0 and lead.max() <= 90
    assert searches.select(pl.struct("origin_station", "destination_station").n_unique()).item() == 20


def test_searches_happen_more_by_day_than_by_night_and_on_sunday_than_saturday(
    searches: pl.DataFrame,
) -> None:
    hours = searches["searched_at"].dt.hour().to_numpy()
    assert np.mean((hours >= 9) & (hours < 22)) / 13 > 5 * np.mean(hours < 6) / 6
    weekday = searches["searched_at"].dt.weekday().to_numpy()  # Monday = 1
    assert np.sum(weekday == 7) > 1.2 * np.sum(weekday == 6)


def test_at_most_one_successful_booking_per_search(bookings: pl.DataFrame) -> None:
    successes = bookings.filter(pl.col("payment_status") == "Success")
    assert successes["search_id"].n_unique() == successes.height
    assert set(bookings["payment_status"]) == {"Success", "Failed", "Pending"}
    assert set(bookings["ticket_class"]) == {"first", "second"}


def test_a_search_is_converted_exactly_when_it_has_a_successful_booking(
    bookings: pl.DataFrame, search_truth: pl.DataFrame
) -> None:
    succeeded = set(bookings.filter(pl.col("payment_status") == "Success")["search_id"])
    converted = set(search_truth.filter("converted")["search_id"])
    assert succeeded == converted
    unconverted_attempts = bookings.filter(~pl.col("search_id").is_in(list(converted)))
    assert unconverted_attempts.height > 0


def test_every_booking_has_its_search_with_the_same_user_and_comes_after_it(
    bookings: pl.DataFrame, searches: pl.DataFrame
) -> None:
    joined = bookings.join(searches, on="search_id", how="left", suffix="_search")
    assert joined["searched_at"].null_count() == 0
    assert (joined["user_id"] == joined["user_id_search"]).all()
    delay = (joined["booked_at"] - joined["searched_at"]).dt.total_seconds()
    assert delay.min() >= 60 and delay.max() <= 6 * 3600


def test_failed_attempts_on_converted_searches_come_before_the_success(
    bookings: pl.DataFrame,
) -> None:
    success_at = bookings.filter(pl.col("payment_status") == "Success").select(
        "search_id", success_at="booked_at"
    )
    failed = bookings.filter(pl.col("payment_status") == "Failed").join(success_at, on="search_id")
    assert failed.height > 0
    assert (failed["booked_at"] < failed["success_at"]).all()


def test_amount_is_quoted_price_times_passengers_with_the_discount_for_treated(
    bookings: pl.DataFrame, searches: pl.DataFrame, search_truth: pl.DataFrame
) -> None:
    joined = bookings.join(searches.drop("user_id"), on="search_id").join(
        search_truth.drop("user_id"), on="search_id"
    )
    factor = pl.when(pl.col("is_treated")).then(0.95).otherwise(1.0)
    expected = (pl.col("quoted_price_eur") * pl.col("passenger_count") * factor).round(2)
    gap = joined.select((pl.col("amount_eur") - expected).abs().max()).item()
    assert gap < 0.006
    assert joined["is_treated"].any() and not joined["is_treated"].all()


def test_randomisation_is_balanced_among_a_share_of_users(
    assignments: pl.DataFrame, users: pl.DataFrame
) -> None:
    assert set(assignments["experiment_id"]) == {"discount_5pct"}
    assert set(assignments["variation"]) == {"control", "discount_5pct"}
    n = assignments.height
    treated_share = (assignments["variation"] == "discount_5pct").mean()
    assert abs(treated_share - 0.5) < 4 * np.sqrt(0.25 / n)
    assert 0.4 < n / users.height < 0.65
    assert assignments["user_id"].n_unique() == n


def test_assignment_comes_just_before_the_first_search_and_treats_later_searches(
    assignments: pl.DataFrame, searches: pl.DataFrame, search_truth: pl.DataFrame
) -> None:
    joined = searches.join(assignments, on="user_id").join(search_truth, on="search_id")
    after = joined.filter(pl.col("searched_at") >= pl.col("assigned_at"))
    first_after = after.group_by("user_id").agg(pl.col("searched_at").min(), pl.first("assigned_at"))
    wait = (first_after["searched_at"] - first_after["assigned_at"]).dt.total_seconds()
    assert wait.min() >= 1 and wait.max() < 180
    expected = (pl.col("variation") == "discount_5pct") & (pl.col("searched_at") >= pl.col("assigned_at"))
    assert (joined.select(expected)["variation"] == joined["is_treated"]).all()
    assert search_truth["is_treated"].sum() == joined["is_treated"].sum()


def test_truth_probability_is_the_arm_actually_used_and_labels_follow_it(
    search_truth: pl.DataFrame,
) -> None:
    used = pl.when(pl.col("is_treated")).then(pl.col("p_treated")).otherwise(pl.col("p_control"))
    assert (search_truth.select(used).to_series() == search_truth["true_booking_probability"]).all()
    rate = search_truth["converted"].mean()
    assert 0.09 < rate < 0.17
    assert abs(rate - search_truth["true_booking_probability"].mean()) < 0.01


def test_prior_successful_bookings_are_counted_point_in_time(
    bookings: pl.DataFrame, searches: pl.DataFrame, search_truth: pl.DataFrame
) -> None:
    successes = bookings.filter(pl.col("payment_status") == "Success").select("user_id", "booked_at")
    counted = (
        searches.join(successes, on="user_id", how="left")
        .group_by("search_id")
        .agg((pl.col("booked_at") < pl.col("searched_at")).sum().alias("expected"))
    )
    joined = search_truth.join(counted, on="search_id")
    assert (joined["prior_successful_bookings"] == joined["expected"]).all()
    assert joined["expected"].max() >= 3


def test_paris_to_lyon_converts_less_than_comparable_routes(
    searches: pl.DataFrame, search_truth: pl.DataFrame
) -> None:
    joined = searches.join(search_truth, on="search_id").with_columns(
        route=pl.concat_str("origin_station", "destination_station", separator="->")
    )
    comparable = ["Lyon->Paris", "Paris->Marseille", "Paris->Bordeaux", "Paris->Lille"]

    def mean_of(routes: list[str], column: str) -> float:
        return joined.filter(pl.col("route").is_in(routes))[column].mean()

    truth = "true_booking_probability"
    assert mean_of(["Paris->Lyon"], truth) < 0.7 * mean_of(comparable, truth)
    assert mean_of(["Paris->Lyon"], "converted") < 0.8 * mean_of(comparable, "converted")


def test_discount_helps_on_average_and_most_for_price_sensitive_users(
    user_truth: pl.DataFrame, users: pl.DataFrame
) -> None:
    in_experiment = user_truth.filter(pl.col("variation").is_not_null()).join(users, on="user_id")
    assert in_experiment["true_uplift"].null_count() == 0
    assert in_experiment["n_searches"].min() >= 1
    assert in_experiment["true_uplift"].mean() > 0.005
    by_plan = dict(in_experiment.group_by("subscription_type").agg(pl.col("true_uplift").mean()).iter_rows())
    assert by_plan["none"] > by_plan["monthly"] > 0 >= by_plan["annual"]
    none = in_experiment.filter(pl.col("subscription_type") == "none")
    young, older = none.filter(pl.col("age") < 28), none.filter(pl.col("age") > 45)
    assert young["true_uplift"].mean() > 1.2 * older["true_uplift"].mean()


def test_user_truth_names_every_user_with_their_arm(
    user_truth: pl.DataFrame, users: pl.DataFrame, assignments: pl.DataFrame
) -> None:
    assert user_truth["user_id"].to_list() == users["user_id"].to_list()
    arms = user_truth.join(assignments, on="user_id", how="left")
    assert arms["variation"].equals(arms["variation_right"], null_equal=True)
    assert user_truth.schema["n_searches"].is_integer()


def test_labels_are_calibrated_to_the_truth_in_each_arm_and_decile(tmp_path: Path) -> None:
    truth = pl.read_parquet(tmp_path / generate_rail(tmp_path, 100_000, seed=11).truth_files[0]).with_columns(
        decile=pl.col("true_booking_probability").rank("ordinal") * 10 // (pl.len() + 1)
    )
    groups = truth.group_by("is_treated", "decile").agg(
        n=pl.len(),
        observed=pl.col("converted").sum(),
        expected=pl.col("true_booking_probability").sum(),
        variance=(pl.col("true_booking_probability") * (1 - pl.col("true_booking_probability"))).sum(),
    )
    z = (groups["observed"] - groups["expected"]) / groups["variance"].sqrt()
    assert z.abs().max() < 4.5
    treated = truth.filter("is_treated")
    gap_to_control = treated["converted"].mean() - treated["p_control"].mean()
    assert gap_to_control > 0.01
