"""Planted fraud for the payments generator: injected attack patterns and background risk.

Four patterns are injected as extra transactions on victim cards, each fraudulent with
true probability 1.0 and each detectable from the data at authorisation time:

- `card_testing`: a burst of 3-8 small online amounts, 1-2 s apart, on a new device;
- `velocity`: 3-5 amounts of $400-$1,200 (sum > $1,000) on one card within 60 s;
- `impossible_travel`: a card-present purchase > 2,000 km from the card's previous
  card-present purchase, 1-15 minutes after it (far above 900 km/h);
- `night_high_amount`: one amount > $2,000 between 00:00 and 05:00.

Every other transaction is fraudulent with a background probability from a logistic of
observable features (channel, MCC, hour, amount, refund, errors, first use of a device on
the card, foreign merchant). Merchants in `RISKY_MCCS` carry a large weight: frauds drawn
there are attributed to `risky_mcc`, the rest to `background`. Intercepts are solved per
channel so rates match the Kaggle data (Online 0.84%, Chip 0.099%, Swipe 0.030%).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from commercelens.generate import payments_reference as ref
from commercelens.generate import payments_world as pw

PATTERNS = ("card_testing", "velocity", "impossible_travel", "night_high_amount", "risky_mcc", "background")
CARD_TESTING, VELOCITY, IMPOSSIBLE_TRAVEL, NIGHT_HIGH_AMOUNT, RISKY_MCC, BACKGROUND = range(1, 7)

# Planted rows as a share of all transactions (Kaggle-scale: about a fifth of all fraud).
CARD_TESTING_SHARE = 0.00012
VELOCITY_SHARE = 0.00008
TRAVEL_SHARE = 0.00005
NIGHT_SHARE = 0.00005
NIGHT_HOURS = 5
NIGHT_THRESHOLD_CENTS = 200_000

# Overall fraud rate by channel (Swipe, Chip, Online), REFERENCE.md: Kaggle labelled rows.
CHANNEL_RATE = np.array([0.00030, 0.00099, 0.0084])
# Background logit weights on observable features (intercepts are solved per channel).
WEIGHTS = {
    "risky_mcc": 1.9,
    "night": 1.1,
    "log_amount": 0.45,
    "refund": -1.5,
    "error": 0.8,
    "card_data_error": 1.3,
    "new_device": 2.2,
    "foreign": 1.4,
}
SOLVER_SAMPLE = 200_000


@dataclass(frozen=True)
class PatternPlan:
    """How many planted instances of each pattern, and their sizes (drawn before the rows)."""

    burst_sizes: np.ndarray
    velocity_sizes: np.ndarray
    n_travel: int
    n_night: int

    @property
    def rows(self) -> int:
        return int(self.burst_sizes.sum() + self.velocity_sizes.sum()) + self.n_travel + self.n_night


def plan_patterns(rng: np.random.Generator, rows: int) -> PatternPlan:
    n_bursts = max(2, round(rows * CARD_TESTING_SHARE / 5.5))
    n_velocity = max(1, round(rows * VELOCITY_SHARE / 4))
    return PatternPlan(
        burst_sizes=rng.integers(3, 9, n_bursts),
        velocity_sizes=rng.integers(3, 6, n_velocity),
        n_travel=max(2, round(rows * TRAVEL_SHARE)),
        n_night=max(1, round(rows * NIGHT_SHARE)),
    )


def _victims(rng: np.random.Generator, world: pw.World, n: int, margin: int) -> tuple[np.ndarray, np.ndarray]:
    """Random cards and a random second in each card's active window."""
    card = rng.integers(0, len(world.cards.client), n)
    start = world.cards.start[card]
    return card, start + (rng.random(n) * (pw.END - margin - start)).astype(np.int64)


def _burst_times(rng: np.random.Generator, t0: np.ndarray, sizes: np.ndarray, low: int, high: int):
    """Times of bursts: instance i starts at t0[i], then gaps drawn in [low, high] seconds."""
    owner = np.repeat(np.arange(len(sizes)), sizes)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    gaps = rng.integers(low, high + 1, len(owner))
    gaps[first] = 0
    elapsed = np.cumsum(gaps)
    return owner, t0[owner] + elapsed - elapsed[first][owner]


def _any_online(rng: np.random.Generator, world: pw.World, n: int) -> np.ndarray:
    """Attackers pick small merchants as often as big ones (uniform, not by popularity)."""
    online = world.merchants.online
    return online[rng.integers(0, len(online), n)]


def _errors(rng: np.random.Generator, n: int, share: float, values: tuple[str, ...]) -> np.ndarray:
    codes = np.array([ref.ERROR_VALUES.index(v) for v in values])
    return np.where(rng.random(n) < share, codes[rng.integers(0, len(codes), n)], 0).astype(np.int16)


def _rows(t, card, channel, merchant, cents, error, device, instance) -> dict[str, np.ndarray]:
    return {
        "t": np.asarray(t, dtype=np.int64),
        "card": np.asarray(card, dtype=np.int64),
        "channel": np.asarray(channel, dtype=np.int8),
        "merchant": np.asarray(merchant, dtype=np.int64),
        "cents": np.asarray(cents, dtype=np.int64),
        "error": np.asarray(error, dtype=np.int16),
        "device": np.asarray(device, dtype=np.int64),
        "instance": np.asarray(instance, dtype=np.int64),
    }


def card_testing(rng: np.random.Generator, world: pw.World, sizes: np.ndarray, first_device: int):
    card, t0 = _victims(rng, world, len(sizes), 3_600)
    owner, t = _burst_times(rng, t0, sizes, 1, 2)
    n = len(owner)
    merchant = _any_online(rng, world, len(sizes))[owner]
    bad_data = ("Bad CVV", "Bad Card Number", "Bad Expiration", "Insufficient Balance")
    cents = rng.integers(50, 1_000, n)  # $0.50 - $9.99: probing, not spending
    error = _errors(rng, n, 0.4, bad_data)
    return _rows(t, card[owner], np.full(n, ref.ONLINE), merchant, cents, error, first_device + owner, owner)


def velocity(rng: np.random.Generator, world: pw.World, sizes: np.ndarray, first_device: int):
    card, t0 = _victims(rng, world, len(sizes), 3_600)
    owner, t = _burst_times(rng, t0, sizes, 3, 14)  # at most 4 gaps x 14 s < 60 s
    n = len(owner)
    online = (rng.random(len(sizes)) < 0.6)[owner]
    home = world.clients.home[world.cards.client[card]]
    in_person = pw.city_merchants(rng, world.merchants, home)  # a cloned card at home
    merchant = np.where(online, _any_online(rng, world, len(sizes))[owner], in_person[owner])
    channel = np.where(online, ref.ONLINE, pw.card_present_channel(rng, world.cards.has_chip[card[owner]], t))
    cents = rng.integers(40_000, 120_001, n)  # three or more always sum past $1,000
    error = _errors(rng, n, 0.1, ("Insufficient Balance",))
    device = np.where(online, first_device + owner, -1)
    return _rows(t, card[owner], channel, merchant, cents, error, device, owner)


def impossible_travel(rng: np.random.Generator, world: pw.World, base: dict[str, np.ndarray], n: int):
    """A card-present purchase far away, minutes after a real card-present one on the same card."""
    m, cities = world.merchants, world.cities
    candidates = np.flatnonzero((base["channel"] != ref.ONLINE) & (base["t"] < pw.END - 1_000))
    source = candidates[rng.integers(0, len(candidates), n)]
    card, origin = base["card"][source], base["merchant"][source]
    t = base["t"][source] + rng.integers(60, 901, n)
    options = rng.integers(0, len(cities.name), (n, 16))
    lat, lon = m.lat[origin][:, None], m.lon[origin][:, None]
    distance = pw.haversine_km(lat, lon, cities.lat[options], cities.lon[options])
    far = distance > 2_000
    choice = np.where(far.any(axis=1), far.argmax(axis=1), distance.argmax(axis=1))
    merchant = pw.city_merchants(rng, m, options[np.arange(n), choice])
    channel = pw.card_present_channel(rng, world.cards.has_chip[card], t)
    # Capped below the night threshold so only `night_high_amount` is large at night.
    cents = np.minimum(np.round(np.exp(rng.normal(np.log(250), 0.6, n)) * 100), NIGHT_THRESHOLD_CENTS - 1)
    return _rows(t, card, channel, merchant, cents, np.zeros(n), np.full(n, -1), np.arange(n))


def night_high_amount(rng: np.random.Generator, world: pw.World, n: int, first_device: int):
    card, t0 = _victims(rng, world, n, pw.DAY)
    t = t0 - t0 % pw.DAY + rng.integers(0, NIGHT_HOURS * 3_600, n)
    online = rng.random(n) < 0.5
    home = world.clients.home[world.cards.client[card]]
    merchant = np.where(online, _any_online(rng, world, n), pw.city_merchants(rng, world.merchants, home))
    channel = np.where(online, ref.ONLINE, pw.card_present_channel(rng, world.cards.has_chip[card], t))
    cents = rng.integers(205_000, 600_001, n)
    device = np.where(online, first_device + np.arange(n), -1)
    return _rows(t, card, channel, merchant, cents, np.zeros(n), device, np.arange(n))


def plant_patterns(
    rng: np.random.Generator, world: pw.World, base: dict[str, np.ndarray], plan: PatternPlan
) -> dict[str, np.ndarray]:
    """All planted rows, with `pattern` codes and globally numbered `instance` ids.

    Attackers' devices are numbered after the cardholders' devices, one per instance."""
    makers = (
        (CARD_TESTING, len(plan.burst_sizes), lambda dev: card_testing(rng, world, plan.burst_sizes, dev)),
        (VELOCITY, len(plan.velocity_sizes), lambda dev: velocity(rng, world, plan.velocity_sizes, dev)),
        (IMPOSSIBLE_TRAVEL, plan.n_travel, lambda _: impossible_travel(rng, world, base, plan.n_travel)),
        (NIGHT_HIGH_AMOUNT, plan.n_night, lambda dev: night_high_amount(rng, world, plan.n_night, dev)),
    )
    parts, offset = [], 0
    for code, n_instances, make in makers:
        part = make(world.n_devices + offset)
        part["instance"] = part["instance"] + offset
        part["pattern"] = np.full(len(part["t"]), code, dtype=np.int8)
        parts.append(part)
        offset += n_instances
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def first_device_use(card: np.ndarray, device: np.ndarray) -> np.ndarray:
    """True where a device is used on a card for the first time (rows in time order)."""
    used = np.flatnonzero(device >= 0)
    key = card[used] * (int(device.max()) + 1) + device[used]
    _, first = np.unique(key, return_index=True)
    is_new = np.zeros(len(card), dtype=bool)
    is_new[used[first]] = True
    return is_new


def risk_score(world: pw.World, tx: dict[str, np.ndarray]) -> np.ndarray:
    """Background logit without intercept: a weighted sum of what the data shows."""
    m = world.merchants
    merchant, cents = tx["merchant"], tx["cents"]
    w = WEIGHTS
    x = w["risky_mcc"] * np.isin(m.mcc[merchant], ref.RISKY_MCCS)
    x += w["night"] * (tx["t"] % pw.DAY < NIGHT_HOURS * 3_600)
    x += w["log_amount"] * (np.log(np.maximum(np.abs(cents), 100) / 100) - np.log(40.0))
    x += w["refund"] * (cents < 0)
    x += w["error"] * (tx["error"] > 0) + w["card_data_error"] * np.isin(tx["error"], ref.CARD_DATA_ERRORS)
    x += w["new_device"] * first_device_use(tx["card"], tx["device"])
    x += w["foreign"] * (m.city[merchant] >= world.cities.n_us)
    return x


def _solve_intercept(x: np.ndarray, target: float) -> float:
    """Intercept b with mean(sigmoid(b + x)) = target (bisection; the mean rises with b)."""
    low, high = -40.0, 10.0
    for _ in range(60):
        mid = (low + high) / 2
        if np.mean(1.0 / (1.0 + np.exp(-(mid + x)))) < target:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def fraud_probability(world: pw.World, tx: dict[str, np.ndarray]) -> np.ndarray:
    """True fraud probability of every transaction (rows in time order; planted = 1.0)."""
    x = risk_score(world, tx)
    planted = tx["pattern"] > 0
    intercept = np.zeros(3)
    for channel, rate in enumerate(CHANNEL_RATE):
        in_channel = tx["channel"] == channel
        base = np.flatnonzero(in_channel & ~planted)
        if len(base) == 0:
            continue
        # Planted rows already make part of the channel's fraud; the background fills the rest.
        wanted = rate * in_channel.sum() - (in_channel & planted).sum()
        target = max(wanted / len(base), 0.25 * rate)
        sample = base[:: max(1, len(base) // SOLVER_SAMPLE)]
        intercept[channel] = _solve_intercept(x[sample], target)
    p = 1.0 / (1.0 + np.exp(-(intercept[tx["channel"]] + x)))
    p[planted] = 1.0
    return p


def draw_labels(
    rng: np.random.Generator, world: pw.World, tx: dict[str, np.ndarray], p: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """is_fraud ~ Bernoulli(p) and the pattern code (0 = not fraud) of every transaction."""
    is_fraud = rng.random(len(p)) < p
    risky = np.isin(world.merchants.mcc[tx["merchant"]], ref.RISKY_MCCS)
    drawn = np.where(risky, RISKY_MCC, BACKGROUND)
    pattern = np.where(tx["pattern"] > 0, tx["pattern"], np.where(is_fraud, drawn, 0)).astype(np.int8)
    return is_fraud, pattern
