"""The hidden side of rail: booking probability, who converts, the experiment, attempts.

Everything here is the generator's hidden truth. The probability is a logistic function of
things a model can compute at search time (route, lead time, search hour and weekday, price
relative to the usual fare of the route at that lead time, passengers, subscription, age,
device, the user's earlier successful bookings, and the discount experiment), so a good
model can approach it.

History is point-in-time and exact: a search sees only the Success bookings of the same user
whose `booked_at` is strictly before its `searched_at`. Because converting depends on that
history, conversions are simulated rank by rank (the k-th search of every user at once), which
is vectorised over users and bounded by the largest number of searches of one user.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INTERCEPT = -3.0
# Paris -> Lyon is the planted story: far less likely to convert than comparable routes
# (a cheap competitor on that line), which a route analysis should surface.
PARIS_LYON_EFFECT = -0.75
# Routes: origin, destination, second-class base fare (EUR), search share, log-odds effect.
ROUTES: list[tuple[str, str, float, float, float]] = [
    ("Paris", "Lyon", 62.0, 0.14, PARIS_LYON_EFFECT),
    ("Lyon", "Paris", 62.0, 0.09, 0.0),
    ("Paris", "Marseille", 88.0, 0.08, 0.05),
    ("Marseille", "Paris", 88.0, 0.05, 0.0),
    ("Paris", "Lille", 45.0, 0.07, 0.1),
    ("Lille", "Paris", 45.0, 0.04, 0.1),
    ("Paris", "Bordeaux", 76.0, 0.07, 0.0),
    ("Bordeaux", "Paris", 76.0, 0.04, -0.05),
    ("Paris", "Strasbourg", 70.0, 0.05, 0.15),
    ("Paris", "Nantes", 55.0, 0.05, 0.05),
    ("Paris", "Rennes", 50.0, 0.04, 0.1),
    ("Lyon", "Marseille", 38.0, 0.03, -0.1),
    ("Marseille", "Nice", 29.0, 0.03, -0.2),
    ("Paris", "Brussels", 79.0, 0.04, 0.2),
    ("Paris", "London", 112.0, 0.05, 0.3),
    ("London", "Paris", 112.0, 0.03, 0.25),
    ("Paris", "Geneva", 96.0, 0.02, 0.1),
    ("Paris", "Amsterdam", 101.0, 0.03, 0.15),
    ("Lyon", "Milan", 68.0, 0.02, -0.15),
    ("Paris", "Barcelona", 118.0, 0.03, -0.3),
]
ROUTE_ORIGIN = [r[0] for r in ROUTES]
ROUTE_DESTINATION = [r[1] for r in ROUTES]
ROUTE_FARE = np.array([r[2] for r in ROUTES])
ROUTE_SHARE = np.array([r[3] for r in ROUTES]) / sum(r[3] for r in ROUTES)
ROUTE_EFFECT = np.array([r[4] for r in ROUTES])
HOUR_EFFECT = np.array([-0.9] * 6 + [-0.2] * 3 + [0.1] * 9 + [0.35] * 5 + [-0.3], dtype=np.float64)
WEEKDAY_EFFECT = np.array([0.1, 0.0, 0.0, -0.05, -0.15, -0.3, 0.25])  # Monday = 0
# Index = passenger count (0 unused): couples convert best, large groups stall.
PASSENGER_EFFECT = np.array([0.0, 0.0, 0.25, 0.1, -0.1, -0.3, -0.45])
SUBSCRIPTION_EFFECT = np.array([0.0, 0.8, 1.4])  # none, monthly, annual
DEVICE_EFFECT = np.array([0.05, 0.0, 0.2])  # ios, android, web
EXPERIMENT_START = int(np.datetime64("2025-03-01T00:00:00", "s").astype(np.int64))
EXPERIMENT_SHARE = 0.6  # users eligible for the experiment; the rest never see it
PRICE_SLOPE = -2.0  # per unit of log(quoted price / norm_price)
HISTORY_SLOPE = 0.35  # per unit of log(1 + earlier successful bookings)


@dataclass(frozen=True)
class SearchFeatures:
    """Observable drivers of one search each (arrays of equal length)."""

    route_effect: np.ndarray
    lead_days: np.ndarray
    hour: np.ndarray
    weekday: np.ndarray
    log_relative_price: np.ndarray
    passengers: np.ndarray
    subscription: np.ndarray
    age: np.ndarray
    device: np.ndarray


def norm_price(route: np.ndarray, lead_days: np.ndarray) -> np.ndarray:
    """Usual second-class fare of a route at a lead time: it rises as departure nears."""
    return ROUTE_FARE[route] * (0.72 + 0.75 * np.exp(-lead_days / 8.0))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def base_logit(f: SearchFeatures) -> np.ndarray:
    """Log-odds of booking without history and without the discount."""
    # Same-day searches are urgent travellers; far-ahead searches are mostly browsing.
    lead = 1.4 * np.exp(-f.lead_days / 3.0) - 0.025 * f.lead_days
    return (
        INTERCEPT
        + f.route_effect
        + lead
        + HOUR_EFFECT[f.hour]
        + WEEKDAY_EFFECT[f.weekday]
        + PRICE_SLOPE * f.log_relative_price
        + PASSENGER_EFFECT[f.passengers]
        + SUBSCRIPTION_EFFECT[f.subscription]
        + 0.008 * (f.age - 40.0)
        + DEVICE_EFFECT[f.device]
    )


def discount_logit_shift(f: SearchFeatures) -> np.ndarray:
    """Log-odds shift of the 5% discount: large for price-sensitive users, not for annual ones.

    Young users, users without a subscription and far-ahead (leisure) searches respond most;
    annual subscribers barely care about price and respond slightly negatively.
    """
    young = np.clip((35.0 - f.age) / 17.0, 0.0, 1.0)
    far_ahead = np.clip(f.lead_days / 45.0, 0.0, 1.0)
    no_subscription = (f.subscription == 0).astype(np.float64)
    shift = 0.03 + 0.2 * no_subscription + 0.2 * young + 0.25 * far_ahead
    return np.where(f.subscription == 2, -0.05, shift)


@dataclass(frozen=True)
class UserOrder:
    """Searches grouped by user, in time order within each user."""

    order: np.ndarray  # positions of searches, grouped by user, time-ascending
    starts: np.ndarray  # first grouped position of each user
    counts: np.ndarray  # searches per user


def group_by_user(user: np.ndarray, searched_at: np.ndarray, n_users: int) -> UserOrder:
    order = np.lexsort((searched_at, user))
    counts = np.bincount(user, minlength=n_users)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return UserOrder(order=order, starts=starts, counts=counts)


def release_positions(
    grouped: UserOrder, user: np.ndarray, searched_at: np.ndarray, booked_at: np.ndarray
) -> np.ndarray:
    """For each grouped search, the first later grouped position its booking is visible to.

    A booking at `booked_at` counts for a later search only if `booked_at < searched_at`.
    Positions past the user's last search map to a sentinel (the number of searches).
    """
    g_user = user[grouped.order].astype(np.int64)
    key = (g_user << 40) + searched_at[grouped.order]
    release = np.searchsorted(key, (g_user << 40) + booked_at[grouped.order], side="right")
    end = grouped.starts[g_user] + grouped.counts[g_user]
    return np.where(release < end, release, len(key))


@dataclass(frozen=True)
class Outcome:
    """Per search (original order): history, probabilities used and the label."""

    history: np.ndarray
    p_control: np.ndarray
    p_treated: np.ndarray
    converted: np.ndarray


def simulate_conversions(
    grouped: UserOrder,
    release: np.ndarray,
    logits: tuple[np.ndarray, np.ndarray],
    is_treated: np.ndarray,
    uniform: np.ndarray,
) -> Outcome:
    """Draw conversions rank by rank so each search sees its exact point-in-time history.

    `logits` is (base logit, discount shift) in original order; `uniform` are the pre-drawn
    U(0, 1) numbers, so the label is Bernoulli(true probability) and the run is deterministic.
    """
    base, shift = logits
    n = len(base)
    released = np.zeros(n + 1, dtype=np.int32)  # successes becoming visible at a grouped position
    seen = np.zeros(len(grouped.counts), dtype=np.int32)
    history = np.zeros(n, dtype=np.int32)
    converted = np.zeros(n, dtype=bool)
    users_by_count = np.argsort(-grouped.counts, kind="stable")
    # Users with more than `rank` searches are a prefix of users_by_count.
    descending = -grouped.counts[users_by_count]
    active = np.searchsorted(descending, -np.arange(grouped.counts.max()), side="left")
    for rank, n_active in enumerate(active):
        users = users_by_count[:n_active]
        pos = grouped.starts[users] + rank
        seen[users] += released[pos]
        rows = grouped.order[pos]
        history[rows] = seen[users]
        logit = base[rows] + HISTORY_SLOPE * np.log1p(seen[users]) + shift[rows] * is_treated[rows]
        hit = uniform[rows] < sigmoid(logit)
        converted[rows] = hit
        released[release[pos[hit]]] += 1  # distinct per user; duplicates only at the sentinel
    with_history = base + HISTORY_SLOPE * np.log1p(history)
    return Outcome(history, sigmoid(with_history), sigmoid(with_history + shift), converted)


@dataclass(frozen=True)
class Assignments:
    """Per user: in the experiment, in the treatment arm, and when assigned (epoch s)."""

    is_assigned: np.ndarray
    is_treatment: np.ndarray
    assigned_at: np.ndarray


def draw_assignments(
    rng: np.random.Generator,
    user: np.ndarray,
    searched_at: np.ndarray,
    grouped: UserOrder,
) -> Assignments:
    """Assign a share of users 50/50, just before their first search in the experiment period."""
    n_users = len(grouped.counts)
    ordered_at = searched_at[grouped.order]
    key = (user[grouped.order].astype(np.int64) << 40) + ordered_at
    user_key = np.arange(n_users, dtype=np.int64) << 40
    first = np.searchsorted(key, user_key + EXPERIMENT_START, side="left")
    has_period_search = first < grouped.starts + grouped.counts
    first_at = ordered_at[np.minimum(first, len(key) - 1)]
    is_eligible = rng.random(n_users) < EXPERIMENT_SHARE
    is_treatment = rng.random(n_users) < 0.5
    assigned_at = first_at - rng.integers(1, 180, n_users)
    return Assignments(is_eligible & has_period_search, is_treatment, assigned_at)


def treated_searches(assignments: Assignments, user: np.ndarray, searched_at: np.ndarray) -> np.ndarray:
    """A search gets the discount if its user is in the treatment arm and already assigned."""
    return (
        assignments.is_assigned[user]
        & assignments.is_treatment[user]
        & (searched_at >= assignments.assigned_at[user])
    )


PAYMENT_STATUSES = ["Success", "Failed", "Pending"]


def draw_delays(rng: np.random.Generator, rows: int) -> np.ndarray:
    """Seconds from search to a booking attempt: minutes to hours."""
    delay = rng.lognormal(np.log(600.0), 1.0, rows)
    return np.clip(delay, 120, 6 * 3600).astype(np.int64)


def booking_attempts(
    rng: np.random.Generator,
    searched_at: np.ndarray,
    success_delay: np.ndarray,
    converted: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(search position, booked_at, status code) of every attempt, in booked_at order.

    Exactly one Success per converted search; some converted searches fail once first, and
    some unconverted searches leave a Failed or Pending attempt. Codes index PAYMENT_STATUSES.
    """
    rows = len(converted)
    draw = rng.random(rows)
    other_delay = draw_delays(rng, rows)
    # A failed try strictly between the search and the eventual success.
    before = np.maximum(60, np.floor(success_delay * rng.uniform(0.1, 0.9, rows))).astype(np.int64)
    success = np.flatnonzero(converted)
    failed_first = np.flatnonzero(converted & (draw < 0.08))
    failed_only = np.flatnonzero(~converted & (draw < 0.035))
    pending_only = np.flatnonzero(~converted & (draw >= 0.035) & (draw < 0.05))
    search = np.concatenate([success, failed_first, failed_only, pending_only])
    delay = np.concatenate(
        [
            success_delay[success],
            before[failed_first],
            other_delay[failed_only],
            other_delay[pending_only],
        ]
    )
    sizes = [len(success), len(failed_first), len(failed_only), len(pending_only)]
    status = np.repeat(np.array([0, 1, 1, 2]), sizes)
    booked_at = searched_at[search] + delay
    order = np.lexsort((status, search, booked_at))
    return search[order], booked_at[order], status[order]
