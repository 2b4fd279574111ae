"""Synthetic rail data: users, searches, bookings and a 5% discount experiment, with truth.

Layouts follow ARCHITECTURE.md section 4 (rail, native). The booking model itself (true
probabilities, the discount's heterogeneous effect, point-in-time history) lives in
`rail_behaviour`; this module draws the observable tables and writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from commercelens.generate import rail_behaviour as behaviour
from commercelens.generate.common import GeneratedDataset, make_rng, truth_dir

DAY = 86_400
WINDOW_START = int(np.datetime64("2025-01-01T00:00:00", "s").astype(np.int64))
WINDOW_DAYS = 181  # 2025-01-01 .. 2025-06-30
EXPERIMENT_ID = "discount_5pct"
DISCOUNT = 0.95
FIRST_CLASS_MULTIPLIER = 1.55

FIRST_NAMES = (  # noqa: SIM905 (one string keeps the list short)
    "Marie Jean Camille Louis Lea Hugo Chloe Lucas Emma Arthur Manon Jules Ines Paul Sarah "
    "Thomas Julie Nicolas Laura Antoine Clara Pierre Alice Maxime Lucie Julien Anna Theo "
    "Sofia Mateo Elena Luca Greta Jonas Eva Noah Mila Adam Lina Victor"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard Andre Mercier "
    "Dupont Lambert Bonnet Francois Martinez Muller Schmidt Rossi Janssens Peeters Smith "
    "Fischer Weber Romano Lopez Fontaine"
).split()
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com"]
SUBSCRIPTIONS = ["none", "monthly", "annual"]
DEVICES = ["ios", "android", "web"]

# Searches happen by day, peak in the evening; Sunday planning, quiet Saturday.
HOUR_VOLUME = np.concatenate(
    [
        [0.2, 0.1, 0.08, 0.06, 0.06, 0.1, 0.3, 0.6, 0.9, 1.0, 1.1, 1.2],  # 00h-11h
        [1.3, 1.2, 1.1, 1.0, 1.0, 1.1, 1.3, 1.5, 1.6, 1.4, 1.0, 0.5],  # 12h-23h
    ]
)
WEEKDAY_VOLUME = np.array([1.1, 1.0, 1.0, 1.0, 0.9, 0.8, 1.2])  # Monday = 0


@dataclass(frozen=True)
class Users:
    """User attributes as codes (index into SUBSCRIPTIONS / DEVICES)."""

    subscription: np.ndarray
    age: np.ndarray
    device: np.ndarray
    signup_at: np.ndarray  # epoch seconds
    activity: np.ndarray  # relative search volume


@dataclass(frozen=True)
class Searches:
    """Searches in time order (position = search_id - 1)."""

    user: np.ndarray
    searched_at: np.ndarray
    route: np.ndarray
    lead_days: np.ndarray
    passengers: np.ndarray
    is_first_class: np.ndarray
    quoted_price: np.ndarray


def draw_users(rng: np.random.Generator, n: int) -> Users:
    subscription = rng.choice(3, n, p=[0.68, 0.2, 0.12])
    age = np.clip(18 + rng.gamma(2.2, 9.0, n), 18, 85).astype(np.int64)
    device = rng.choice(3, n, p=[0.42, 0.36, 0.22])
    # Most users signed up recently; everyone before the search window opens.
    days_before = 1 + np.floor(5 * 365 * rng.random(n) ** 1.5)
    signup_at = WINDOW_START - (days_before * DAY).astype(np.int64) + rng.integers(0, DAY, n)
    # Heavy-tailed activity, capped so no user dominates (and the simulation loop stays short).
    activity = np.minimum(rng.gamma(0.9, 1.0, n), 8.0)
    return Users(subscription, age, device, signup_at, activity)


def draw_search_times(rng: np.random.Generator, rows: int) -> np.ndarray:
    day = np.arange(WINDOW_DAYS)
    weekday = (day + 2) % 7  # 2025-01-01 was a Wednesday
    day_volume = WEEKDAY_VOLUME[weekday] * (1.0 + 0.2 * day / WINDOW_DAYS)
    days = rng.choice(WINDOW_DAYS, rows, p=day_volume / day_volume.sum())
    hours = rng.choice(24, rows, p=HOUR_VOLUME / HOUR_VOLUME.sum())
    seconds = rng.integers(0, 3600, rows)
    return WINDOW_START + days * DAY + hours * 3600 + seconds


def draw_lead_days(rng: np.random.Generator, rows: int) -> np.ndarray:
    # A mix of last-minute, ordinary and far-ahead planners.
    component = rng.choice(3, rows, p=[0.25, 0.5, 0.25])
    short = rng.geometric(0.5, rows) - 1
    ordinary = np.floor(rng.exponential(12.0, rows))
    far = rng.integers(0, 91, rows)
    lead = np.choose(component, [short, ordinary, far])
    return np.clip(lead, 0, 90).astype(np.int64)


def draw_searches(rng: np.random.Generator, users: Users, rows: int) -> Searches:
    n_users = len(users.age)
    per_user = rng.multinomial(rows, users.activity / users.activity.sum())
    user = np.repeat(np.arange(n_users), per_user)
    searched_at = draw_search_times(rng, rows)
    order = np.lexsort((user, searched_at))
    user, searched_at = user[order], searched_at[order]
    share = behaviour.ROUTE_SHARE
    # Users keep coming back to their own route.
    favourite = rng.choice(len(behaviour.ROUTES), n_users, p=share)
    other = rng.choice(len(behaviour.ROUTES), rows, p=share)
    route = np.where(rng.random(rows) < 0.6, favourite[user], other)
    lead = draw_lead_days(rng, rows)
    passengers = rng.choice(np.arange(1, 7), rows, p=[0.58, 0.24, 0.08, 0.06, 0.025, 0.015])
    p_first = np.array([0.1, 0.25, 0.5])[users.subscription[user]]
    p_first = np.clip(p_first + 0.004 * (users.age[user] - 40), 0.02, 0.9)
    is_first = rng.random(rows) < p_first
    norm = behaviour.norm_price(route, lead)
    class_multiplier = np.where(is_first, FIRST_CLASS_MULTIPLIER, 1.0)
    # Dynamic pricing moves quotes around the norm (promotions, busy trains).
    noise = np.exp(rng.normal(0.0, 0.15, rows))
    price = np.round(norm * class_multiplier * noise, 2)
    return Searches(user, searched_at, route, lead, passengers, is_first, price)


def search_features(users: Users, searches: Searches) -> behaviour.SearchFeatures:
    norm = behaviour.norm_price(searches.route, searches.lead_days)
    seconds_in_window = searches.searched_at - WINDOW_START
    return behaviour.SearchFeatures(
        route_effect=behaviour.ROUTE_EFFECT[searches.route],
        lead_days=searches.lead_days.astype(np.float64),
        hour=(seconds_in_window % DAY) // 3600,
        weekday=(seconds_in_window // DAY + 2) % 7,
        log_relative_price=np.log(searches.quoted_price / norm),
        passengers=searches.passengers,
        subscription=users.subscription[searches.user],
        age=users.age[searches.user].astype(np.float64),
        device=users.device[searches.user],
    )


def padded_id(column: str, prefix: str, width: int) -> pl.Expr:
    number = (pl.col(column) + 1).cast(pl.String).str.zfill(width)
    return pl.concat_str([pl.lit(prefix), number]).alias(column)


def epoch_seconds(values: np.ndarray) -> pl.Series:
    return pl.from_epoch(pl.Series(values), time_unit="s")


def users_frame(rng: np.random.Generator, users: Users) -> pl.DataFrame:
    n = len(users.age)
    first = pl.Series(FIRST_NAMES).gather(rng.integers(0, len(FIRST_NAMES), n))
    last = pl.Series(LAST_NAMES).gather(rng.integers(0, len(LAST_NAMES), n))
    # A distinct number per user makes every e-mail unique whatever the names.
    number = pl.Series(rng.permutation(n) + 1).cast(pl.String)
    domain = pl.Series(EMAIL_DOMAINS).gather(rng.integers(0, len(EMAIL_DOMAINS), n))
    frame = pl.DataFrame({"user_id": np.arange(n), "first": first, "last": last, "n": number})
    return frame.with_columns(domain=domain).select(
        padded_id("user_id", "U", 7),
        pl.concat_str(
            pl.col("first").str.to_lowercase(),
            pl.lit("."),
            pl.col("last").str.to_lowercase(),
            pl.col("n"),
            pl.lit("@"),
            pl.col("domain"),
        ).alias("email"),
        pl.concat_str([pl.col("first"), pl.col("last")], separator=" ").alias("full_name"),
        epoch_seconds(users.signup_at).alias("signup_at"),
        pl.Series("subscription_type", SUBSCRIPTIONS).gather(users.subscription),
        pl.Series("age", users.age),
        pl.Series("device_os", DEVICES).gather(users.device),
    )


def searches_frame(searches: Searches) -> pl.DataFrame:
    origin = pl.Series(behaviour.ROUTE_ORIGIN).gather(searches.route)
    destination = pl.Series(behaviour.ROUTE_DESTINATION).gather(searches.route)
    departure_day = (searches.searched_at // DAY + searches.lead_days).astype(np.int32)
    return pl.DataFrame(
        {
            "search_id": np.arange(len(searches.user)),
            "user_id": searches.user,
            "searched_at": epoch_seconds(searches.searched_at),
            "origin_station": origin,
            "destination_station": destination,
            "departure_date": pl.from_epoch(pl.Series(departure_day), time_unit="d"),
            "passenger_count": searches.passengers,
            "quoted_price_eur": searches.quoted_price,
        }
    ).with_columns(padded_id("search_id", "S", 9), padded_id("user_id", "U", 7))


def bookings_frame(
    searches: Searches,
    attempts: tuple[np.ndarray, np.ndarray, np.ndarray],
    is_treated: np.ndarray,
) -> pl.DataFrame:
    search, booked_at, status = attempts
    price_factor = np.where(is_treated[search], DISCOUNT, 1.0)
    amount = searches.quoted_price[search] * searches.passengers[search] * price_factor
    return pl.DataFrame(
        {
            "booking_id": np.arange(len(search)),
            "search_id": search,
            "user_id": searches.user[search],
            "booked_at": epoch_seconds(booked_at),
            "payment_status": pl.Series(behaviour.PAYMENT_STATUSES).gather(status),
            "ticket_class": np.where(searches.is_first_class[search], "first", "second"),
            "amount_eur": np.round(amount, 2),
        }
    ).with_columns(
        padded_id("booking_id", "B", 9),
        padded_id("search_id", "S", 9),
        padded_id("user_id", "U", 7),
    )


def assignments_frame(assignments: behaviour.Assignments) -> pl.DataFrame:
    user = np.flatnonzero(assignments.is_assigned)
    variation = np.where(assignments.is_treatment[user], EXPERIMENT_ID, "control")
    return pl.DataFrame(
        {
            "experiment_id": [EXPERIMENT_ID] * len(user),
            "user_id": user,
            "variation": variation,
            "assigned_at": epoch_seconds(assignments.assigned_at[user]),
        }
    ).with_columns(padded_id("user_id", "U", 7))


def search_truth_frame(
    searches: Searches, is_treated: np.ndarray, outcome: behaviour.Outcome
) -> pl.DataFrame:
    """One row per search: both potential probabilities, the one used, and the label."""
    return pl.DataFrame(
        {
            "search_id": np.arange(len(is_treated)),
            "user_id": searches.user,
            "true_booking_probability": np.where(is_treated, outcome.p_treated, outcome.p_control),
            "p_control": outcome.p_control,
            "p_treated": outcome.p_treated,
            "is_treated": is_treated,
            "converted": outcome.converted,
            "prior_successful_bookings": outcome.history,
        }
    ).with_columns(padded_id("search_id", "S", 9), padded_id("user_id", "U", 7))


def user_truth_frame(
    searches: Searches, assignments: behaviour.Assignments, outcome: behaviour.Outcome
) -> pl.DataFrame:
    """One row per user: arm (null if not in the experiment) and mean true uplift."""
    user = searches.user
    # Experiment-period searches: from assignment for assigned users, from the launch otherwise.
    period_start = np.where(assignments.is_assigned, assignments.assigned_at, behaviour.EXPERIMENT_START)
    in_period = searches.searched_at >= period_start[user]
    n_users = len(period_start)
    n_searches = np.bincount(user[in_period], minlength=n_users)
    uplift = (outcome.p_treated - outcome.p_control)[in_period]
    uplift_sum = np.bincount(user[in_period], weights=uplift, minlength=n_users)
    arm = np.where(assignments.is_treatment, EXPERIMENT_ID, "control")
    return pl.DataFrame(
        {
            "user_id": np.arange(n_users),
            "variation": pl.Series(arm).set(pl.Series(~assignments.is_assigned), None),
            "true_uplift": pl.Series(uplift_sum / np.maximum(n_searches, 1)),
            "n_searches": n_searches,
        }
    ).with_columns(
        padded_id("user_id", "U", 7),
        pl.when(pl.col("n_searches") > 0).then(pl.col("true_uplift")).alias("true_uplift"),
    )


def write_csv(frame: pl.DataFrame, path: Path) -> int:
    frame.write_csv(
        path,
        datetime_format="%Y-%m-%d %H:%M:%S",
        date_format="%Y-%m-%d",
        float_precision=2,
        line_terminator="\n",
    )
    return frame.height


def generate_rail(out_dir: Path, rows: int, seed: int = 42) -> GeneratedDataset:
    """Write the rail tables and their truth to `out_dir`.

    Parameters
    ----------
    out_dir : Path
        Target folder; created if missing. Truth goes to `out_dir/_truth/`.
    rows : int
        Number of searches; users are `max(50, rows // 12)`.
    seed : int
        Same (rows, seed) writes byte-identical files.

    Returns
    -------
    GeneratedDataset
        Data files with their row counts, and the truth files (relative to `out_dir`).
    """
    if rows <= 0:
        raise ValueError(f"rows must be positive, got {rows}")
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = make_rng(seed, "rail")
    users = draw_users(rng, max(50, rows // 12))
    searches = draw_searches(rng, users, rows)
    grouped = behaviour.group_by_user(searches.user, searches.searched_at, len(users.age))
    u = searches.user
    assignments = behaviour.draw_assignments(rng, u, searches.searched_at, grouped)
    is_treated = behaviour.treated_searches(assignments, u, searches.searched_at)
    features = search_features(users, searches)
    success_delay = behaviour.draw_delays(rng, rows)
    booked_at = searches.searched_at + success_delay
    release = behaviour.release_positions(grouped, u, searches.searched_at, booked_at)
    logits = (behaviour.base_logit(features), behaviour.discount_logit_shift(features))
    outcome = behaviour.simulate_conversions(grouped, release, logits, is_treated, rng.random(rows))
    attempts = behaviour.booking_attempts(rng, searches.searched_at, success_delay, outcome.converted)
    files = {
        "users.csv": write_csv(users_frame(rng, users), out_dir / "users.csv"),
        "searches.csv": write_csv(searches_frame(searches), out_dir / "searches.csv"),
        "bookings.csv": write_csv(bookings_frame(searches, attempts, is_treated), out_dir / "bookings.csv"),
        "experiment_assignments.csv": write_csv(
            assignments_frame(assignments), out_dir / "experiment_assignments.csv"
        ),
    }
    truth = truth_dir(out_dir)
    search_truth_frame(searches, is_treated, outcome).write_parquet(truth / "search_truth.parquet")
    user_truth_frame(searches, assignments, outcome).write_parquet(truth / "user_truth.parquet")
    truth_files = ["_truth/search_truth.parquet", "_truth/user_truth.parquet"]
    return GeneratedDataset("rail", out_dir, files, truth_files)
