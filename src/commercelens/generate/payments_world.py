"""The payments world: cities, clients (users), their cards and devices, merchants and trips.

Everything here is small (thousands of clients, tens of thousands of merchants) and drawn
once; transactions (`payments`) and planted fraud (`payments_fraud`) are drawn on top of it.
Clients live in a US city; merchants sit near a city centre; each client keeps a set of
regular merchants at home and takes trips (one per time slot, never overlapping, with a day
of buffer either side so ordinary travel never looks like impossible travel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from commercelens.generate import payments_reference as ref

DAY = 86_400
START = int(np.datetime64("2010-01-01T00:00:00", "s").astype(np.int64))
END = int(np.datetime64("2019-11-01T00:00:00", "s").astype(np.int64))  # exclusive
CHIP_ERA = int(np.datetime64("2015-06-01T00:00:00", "s").astype(np.int64))  # EMV roll-out
REFERENCE_YEAR = 2019  # "current" age is as of the data's last year
ROWS_PER_CLIENT = 6_650  # Kaggle: 2,000 clients for 13.3M transactions
MIN_CLIENTS = 20
REGULARS = 24  # regular merchants per client in the home city
EARTH_RADIUS_KM = 6_371.0


@dataclass(frozen=True)
class Cities:
    name: np.ndarray
    state: np.ndarray  # US state code, or the country for foreign cities
    zip: np.ndarray  # float, NaN abroad
    lat: np.ndarray
    lon: np.ndarray
    weight: np.ndarray  # residents (0 abroad)
    n_us: int


@dataclass(frozen=True)
class Clients:
    home: np.ndarray  # city index
    online_rate: np.ndarray
    spend: np.ndarray  # log-scale spending level
    device_offset: np.ndarray  # first device index of the client
    n_devices: np.ndarray
    regulars: np.ndarray  # (clients, REGULARS) merchant indices at home
    table: pl.DataFrame  # users_data.csv


@dataclass(frozen=True)
class Cards:
    client: np.ndarray
    has_chip: np.ndarray
    start: np.ndarray  # first second the card can transact
    weight: np.ndarray  # share of all transactions
    device: np.ndarray  # the device the cardholder shops online with
    table: pl.DataFrame  # cards_data.csv


@dataclass(frozen=True)
class Merchants:
    merchant_id: np.ndarray
    city: np.ndarray  # city index, -1 online
    mcc: np.ndarray
    lat: np.ndarray  # NaN online
    lon: np.ndarray
    zip: np.ndarray  # NaN online and abroad
    city_start: np.ndarray  # first physical merchant of each city
    city_count: np.ndarray
    online: np.ndarray  # indices of online merchants
    online_cdf: np.ndarray  # popularity of online merchants (cumulative)


@dataclass(frozen=True)
class Trips:
    slots: np.ndarray  # per client: number of equal time slots (one trip each at most)
    offset: np.ndarray  # per client: index of its first slot
    start: np.ndarray  # per slot
    end: np.ndarray
    dest: np.ndarray  # city index
    exists: np.ndarray


@dataclass(frozen=True)
class World:
    cities: Cities
    clients: Clients
    cards: Cards
    merchants: Merchants
    trips: Trips
    n_devices: int  # devices of cardholders; attackers' devices are numbered after them


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def make_cities() -> Cities:
    us, abroad = ref.US_CITIES, ref.FOREIGN_CITIES
    return Cities(
        name=np.array([c[0] for c in us] + [c[0] for c in abroad]),
        state=np.array([c[1] for c in us] + [c[1] for c in abroad]),
        zip=np.array([float(c[2]) for c in us] + [np.nan] * len(abroad)),
        lat=np.array([c[3] for c in us] + [c[2] for c in abroad]),
        lon=np.array([c[4] for c in us] + [c[3] for c in abroad]),
        weight=np.array([c[5] for c in us] + [0.0] * len(abroad)),
        n_us=len(us),
    )


def money(values: np.ndarray) -> pl.Series:
    """Whole dollars as Kaggle writes them: `$29278`."""
    digits = pl.Series(np.round(values).astype(np.int64)).cast(pl.String)
    return pl.select(pl.concat_str([pl.lit("$"), pl.lit(digits)])).to_series()


def pick(vocab: list[str] | tuple[str, ...], index: np.ndarray) -> pl.Series:
    """Strings by index into a small vocabulary (a gather, no per-row Python)."""
    return pl.Series(list(vocab), dtype=pl.String).gather(index)


def month_year(month_index: np.ndarray, first_year: int) -> pl.Series:
    """`MM/YYYY` from months counted since January of `first_year`."""
    month = pl.Series(month_index % 12 + 1).cast(pl.String).str.zfill(2)
    year = pl.Series(first_year + month_index // 12).cast(pl.String)
    return pl.select(pl.concat_str([pl.lit(month), pl.lit(year)], separator="/")).to_series()


def make_merchants(rng: np.random.Generator, rows: int, cities: Cities) -> Merchants:
    n_cities = len(cities.name)
    n_physical = max(8 * n_cities, rows // 200)
    # Merchants follow residents, plus a uniform share so every visited city has shops.
    share = 0.85 * cities.weight / cities.weight.sum() + 0.15 / n_cities
    counts = 4 + rng.multinomial(n_physical - 4 * n_cities, share)
    city = np.repeat(np.arange(n_cities), counts)
    n_physical = len(city)
    n_online = max(20, rows // 1_500)
    codes = np.array([m[0] for m in ref.MCC_TABLE])
    in_person = np.array([m[3] for m in ref.MCC_TABLE])
    online = np.array([m[4] for m in ref.MCC_TABLE])
    mcc = np.concatenate(
        [
            rng.choice(codes, n_physical, p=in_person / in_person.sum()),
            rng.choice(codes, n_online, p=online / online.sum()),
        ]
    )
    nan_online = np.full(n_online, np.nan)
    popularity = 1.0 / (np.arange(n_online) + 3.0) ** 1.05  # a few giants, a long tail
    total = n_physical + n_online
    return Merchants(
        merchant_id=rng.choice(max(100_000, 2 * total), total, replace=False),
        city=np.concatenate([city, np.full(n_online, -1)]),
        mcc=mcc,
        lat=np.concatenate([np.round(cities.lat[city] + rng.normal(0, 0.04, n_physical), 4), nan_online]),
        lon=np.concatenate([np.round(cities.lon[city] + rng.normal(0, 0.04, n_physical), 4), nan_online]),
        zip=np.concatenate([cities.zip[city] + rng.integers(0, 30, n_physical), nan_online]),
        city_start=np.concatenate([[0], np.cumsum(counts)[:-1]]),
        city_count=counts,
        online=np.arange(n_physical, total),
        online_cdf=np.cumsum(popularity) / popularity.sum(),
    )


def city_merchants(rng: np.random.Generator, merchants: Merchants, city: np.ndarray) -> np.ndarray:
    """A uniformly random physical merchant in each given city."""
    return merchants.city_start[city] + (rng.random(city.shape) * merchants.city_count[city]).astype(np.int64)


def online_merchants(rng: np.random.Generator, merchants: Merchants, n: int) -> np.ndarray:
    """Online merchants by popularity."""
    rank = np.searchsorted(merchants.online_cdf, rng.random(n), side="right")
    return merchants.online[np.minimum(rank, len(merchants.online) - 1)]


def card_present_channel(rng: np.random.Generator, has_chip: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Swipe before the chip era or without a chip; mostly Chip after it."""
    chip = has_chip & (t >= CHIP_ERA) & (rng.random(len(t)) < 0.93)
    return np.where(chip, ref.CHIP, ref.SWIPE).astype(np.int8)


def _address(rng: np.random.Generator, n: int) -> pl.Series:
    number = pl.Series(rng.integers(1, 9_999, n)).cast(pl.String)
    street = pick(ref.STREETS, rng.integers(0, len(ref.STREETS), n))
    suffix = pick(ref.STREET_SUFFIXES, rng.integers(0, len(ref.STREET_SUFFIXES), n))
    address = pl.concat_str([pl.lit(number), pl.lit(street), pl.lit(suffix)], separator=" ")
    return pl.select(address).to_series()


def make_clients(rng: np.random.Generator, rows: int, cities: Cities, merchants: Merchants) -> Clients:
    n = max(MIN_CLIENTS, round(rows / ROWS_PER_CLIENT))
    home = rng.choice(len(cities.name), n, p=cities.weight / cities.weight.sum())
    age = np.clip(rng.normal(46, 17, n), 18, 101).astype(np.int64)
    per_capita = np.exp(rng.normal(np.log(23_000), 0.35, n))
    yearly = per_capita * rng.uniform(1.5, 2.3, n)
    debt = np.where(rng.random(n) < 0.2, 0.0, yearly * np.exp(rng.normal(0.2, 0.7, n)))
    n_cards = np.clip(1 + rng.poisson(2.1, n), 1, 9)
    n_devices = np.clip(1 + rng.poisson(1.2, n), 1, 4)
    table = pl.DataFrame(
        {
            "id": np.arange(n),
            "current_age": age,
            "retirement_age": np.clip(rng.normal(66, 3.6, n), 50, 79).astype(np.int64),
            "birth_year": REFERENCE_YEAR - age,
            "birth_month": rng.integers(1, 13, n),
            "gender": np.where(rng.random(n) < 0.508, "Female", "Male"),
            "address": _address(rng, n),
            "latitude": np.round(cities.lat[home] + rng.normal(0, 0.06, n), 2),
            "longitude": np.round(cities.lon[home] + rng.normal(0, 0.06, n), 2),
            "per_capita_income": money(per_capita),
            "yearly_income": money(yearly),
            "total_debt": money(debt),
            "credit_score": np.clip(rng.normal(710, 66, n), 480, 850).astype(np.int64),
            "num_credit_cards": n_cards,
        }
    )
    slot = (rng.random((n, REGULARS)) * merchants.city_count[home][:, None]).astype(np.int64)
    return Clients(
        home=home,
        online_rate=rng.beta(2.0, 14.0, n),
        spend=rng.normal(0.0, 0.25, n),
        device_offset=np.concatenate([[0], np.cumsum(n_devices)[:-1]]),
        n_devices=n_devices,
        regulars=merchants.city_start[home][:, None] + slot,
        table=table,
    )


def luhn_numbers(rng: np.random.Generator, brand: np.ndarray) -> np.ndarray:
    """Luhn-valid card numbers: Visa 4..., Mastercard 51-55..., Discover 6011... (16 digits),
    Amex 34/37... (15 digits). Payload digits are right-aligned in 15 columns."""
    n = len(brand)
    d = rng.integers(0, 10, (n, 15))
    visa, mastercard, amex, discover = (brand == b for b in range(4))
    d[visa, 0] = 4
    d[mastercard, 0], d[mastercard, 1] = 5, rng.integers(1, 6, mastercard.sum())
    d[amex, 0], d[amex, 1], d[amex, 2] = 0, 3, rng.choice([4, 7], amex.sum())
    d[discover, :4] = [6, 0, 1, 1]
    doubled = d[:, 0::2] * 2  # the payload's rightmost digit (column 14) is doubled
    total = (doubled - 9 * (doubled > 9)).sum(axis=1) + d[:, 1::2].sum(axis=1)
    check = (10 - total % 10) % 10
    powers = 10 ** np.arange(15, 0, -1, dtype=np.int64)
    return d.astype(np.int64) @ powers + check


BRANDS = ("Visa", "Mastercard", "Amex", "Discover")
CARD_TYPES = ("Debit", "Credit", "Debit (Prepaid)")


def make_cards(rng: np.random.Generator, clients: Clients) -> Cards:
    client = np.repeat(np.arange(len(clients.home)), clients.table["num_credit_cards"].to_numpy())
    n = len(client)
    brand = rng.choice(4, n, p=[0.38, 0.52, 0.066, 0.034])
    card_type = np.where(brand >= 2, 1, rng.choice(3, n, p=[0.58, 0.33, 0.09]))
    # Months since 1991-01: most accounts opened before the data starts (2010-01 = 228).
    opened = np.where(rng.random(n) < 0.85, rng.integers(0, 228, n), rng.integers(228, 342, n))
    open_year = 1991 + opened // 12
    opened_at = (np.datetime64("1991-01", "M") + opened).astype("datetime64[s]").astype(np.int64)
    start = np.maximum(START, opened_at)
    limit_median = np.array([16_000.0, 11_000.0, 60.0])[card_type]
    has_chip = rng.random(n) < 0.89
    table = pl.DataFrame(
        {
            "id": np.arange(n),
            "client_id": client,
            "card_brand": pick(BRANDS, brand),
            "card_type": pick(CARD_TYPES, card_type),
            "card_number": luhn_numbers(rng, brand),
            "expires": month_year(rng.integers(0, 132, n), 2020),
            "cvv": rng.integers(100, 1_000, n),
            "has_chip": np.where(has_chip, "YES", "NO"),
            "num_cards_issued": rng.choice([1, 2, 3], n, p=[0.5, 0.45, 0.05]),
            "credit_limit": money(limit_median * np.exp(rng.normal(0, 0.5, n))),
            "acct_open_date": month_year(opened, 1991),
            "year_pin_last_changed": np.minimum(rng.integers(open_year, 2021), 2020),
            "card_on_dark_web": np.full(n, "No"),
        }
    )
    device_slot = (rng.random(n) * clients.n_devices[client]).astype(np.int64)
    return Cards(
        client=client,
        has_chip=has_chip,
        start=start,
        weight=rng.gamma(1.5, 1.0, n) * (END - start) / (END - START),
        device=clients.device_offset[client] + device_slot,
        table=table,
    )


def make_trips(rng: np.random.Generator, clients: Clients, cities: Cities) -> Trips:
    n = len(clients.home)
    slots = np.clip(rng.poisson(18, n), 4, 40)
    owner = np.repeat(np.arange(n), slots)
    offset = np.concatenate([[0], np.cumsum(slots)[:-1]])
    k = np.arange(len(owner)) - offset[owner]
    length = (END - START) / slots[owner]
    duration = rng.uniform(2, 9, len(owner)) * DAY
    # A day of margin each side of the trip stays inside its slot (used to shift buffer rows).
    start = START + k * length + DAY + rng.random(len(owner)) * (length - duration - 2 * DAY)
    us_weight = cities.weight[: cities.n_us] / cities.weight[: cities.n_us].sum()
    dest = rng.choice(cities.n_us, len(owner), p=us_weight)
    dest = np.where(dest == clients.home[owner], (dest + 1) % cities.n_us, dest)
    abroad = cities.n_us + rng.integers(0, len(cities.name) - cities.n_us, len(owner))
    return Trips(
        slots=slots,
        offset=offset,
        start=start.astype(np.int64),
        end=(start + duration).astype(np.int64),
        dest=np.where(rng.random(len(owner)) < 0.12, abroad, dest),
        exists=rng.random(len(owner)) < 0.85,
    )


def make_world(rng: np.random.Generator, rows: int) -> World:
    """Draw the whole world for `rows` transactions."""
    cities = make_cities()
    merchants = make_merchants(rng, rows, cities)
    clients = make_clients(rng, rows, cities, merchants)
    cards = make_cards(rng, clients)
    trips = make_trips(rng, clients, cities)
    n_devices = int(clients.n_devices.sum())
    return World(cities, clients, cards, merchants, trips, n_devices)
