"""Synthetic card payments in the Kaggle "Financial Transactions Dataset" layout, with truth.

Writes `users_data.csv`, `cards_data.csv`, `transactions_data.csv`, `mcc_codes.json` and
`train_fraud_labels.json` exactly as ARCHITECTURE.md section 4 describes them, plus
`_truth/transaction_truth.parquet`. With `extensions=True` four documented columns follow
the Kaggle ones in `transactions_data.csv`: `event_time` (the instant to the second; `date`
is the same instant truncated to the minute), `device_id` (online rows only),
`merchant_latitude` and `merchant_longitude` (card-present rows only).

The world (clients, cards, merchants, trips) lives in `payments_world`, planted fraud and
true probabilities in `payments_fraud`. Columns are built with NumPy and formatted and
written by Polars, so the full Kaggle scale (13.3M transactions) takes well under a minute.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import polars as pl

from commercelens.generate import payments_fraud as fraud
from commercelens.generate import payments_reference as ref
from commercelens.generate import payments_world as pw
from commercelens.generate.common import GeneratedDataset, make_rng, truth_dir

FIRST_ID = 7_475_327  # the first id of the real file
ID_GAP_RATE = 0.22  # the real ids skip numbers: 13.3M rows span 16.3M ids
REFUND_RATE = 0.015
LABELLED_SHARE = 0.67
MIN_ROWS = 200
TRUTH_FILE = "transaction_truth.parquet"
KAGGLE_COLUMNS = ("id", "date", "client_id", "card_id", "amount", "use_chip", "merchant_id")
KAGGLE_COLUMNS += ("merchant_city", "merchant_state", "zip", "mcc", "errors")
EXTENSION_COLUMNS = ("event_time", "device_id", "merchant_latitude", "merchant_longitude")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"

Rows = dict[str, np.ndarray]


def draw_times(rng: np.random.Generator, start: np.ndarray) -> np.ndarray:
    """Epoch seconds: a uniform day in the card's active window, an hour by daily profile."""
    first_day = (start - pw.START) // pw.DAY
    days = (pw.END - pw.START) // pw.DAY
    day = first_day + (rng.random(len(start)) * (days - first_day)).astype(np.int64)
    hour_cdf = np.cumsum(ref.HOUR_WEIGHTS) / ref.HOUR_WEIGHTS.sum()
    hour = np.minimum(np.searchsorted(hour_cdf, rng.random(len(start)), side="right"), 23)
    return pw.START + day * pw.DAY + hour * 3_600 + rng.integers(0, 3_600, len(start))


def place_travel(world: pw.World, client: np.ndarray, t: np.ndarray, in_person: np.ndarray):
    """Card-present rows during a client's trip happen at the destination (else -1 = home).

    Rows in the day before or after a trip move into it, so home and away purchases are
    always at least a day apart: ordinary travel never exceeds 900 km/h."""
    trips = world.trips
    slots = trips.slots[client]
    slot = trips.offset[client] + np.minimum((t - pw.START) * slots // (pw.END - pw.START), slots - 1)
    start, end = trips.start[slot], trips.end[slot]
    on = trips.exists[slot] & in_person
    before = on & (t >= start - pw.DAY) & (t < start)
    after = on & (t >= end) & (t < end + pw.DAY)
    t = t + pw.DAY * before - pw.DAY * after
    away = on & (t >= start) & (t < end)
    return t, np.where(away, trips.dest[slot], -1)


def draw_merchants(rng: np.random.Generator, world: pw.World, client, dest, online) -> np.ndarray:
    """Home: mostly the client's regulars (a few favourites most); away: any shop there."""
    clients, m = world.clients, world.merchants
    n = len(client)
    favourite = (pw.REGULARS * rng.random(n) ** 2).astype(np.int64)
    regular = clients.regulars[client, favourite]
    local = pw.city_merchants(rng, m, np.where(dest >= 0, dest, clients.home[client]))
    merchant = np.where((dest < 0) & (rng.random(n) < 0.75), regular, local)
    merchant[online] = pw.online_merchants(rng, m, int(online.sum()))
    return merchant


def draw_amounts(rng: np.random.Generator, world: pw.World, merchant, client, t) -> np.ndarray:
    """Cents: log-normal around the MCC's typical ticket; refunds are negative whole dollars."""
    median = np.zeros(10_000)
    median[[m[0] for m in ref.MCC_TABLE]] = [m[2] for m in ref.MCC_TABLE]
    log_amount = np.log(median[world.merchants.mcc[merchant]]) + world.clients.spend[client]
    cents = np.clip(np.round(np.exp(log_amount + rng.normal(0, 0.8, len(t))) * 100), 30, 1_500_000)
    # Large night amounts belong to the planted `night_high_amount` pattern only.
    night_large = (t % pw.DAY < fraud.NIGHT_HOURS * 3_600) & (cents >= fraud.NIGHT_THRESHOLD_CENTS)
    cents = np.where(night_large, cents // 10, cents).astype(np.int64)
    refund = rng.random(len(t)) < REFUND_RATE
    return np.where(refund, -np.maximum(100, np.round(cents / 100) * 100), cents).astype(np.int64)


def draw_errors(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    """Error codes (index into ERROR_VALUES, 0 = none) at per-channel rates."""
    u = rng.random(len(channel))
    codes = []
    for column in (1, 2):  # in person, online
        cdf = np.cumsum([e[column] for e in ref.ERRORS[1:]]) / 1_000
        k = np.searchsorted(cdf, u, side="right")
        codes.append(np.where(k < len(cdf), k + 1, 0))
    return np.where(channel == ref.ONLINE, codes[1], codes[0]).astype(np.int16)


def draw_devices(rng: np.random.Generator, world: pw.World, card, online) -> np.ndarray:
    """Online rows use the card's usual device, now and then another of the client's."""
    clients = world.clients
    device = np.full(len(card), -1, dtype=np.int64)
    on_card, owner = card[online], world.cards.client[card[online]]
    slot = (rng.random(len(owner)) * clients.n_devices[owner]).astype(np.int64)
    other = clients.device_offset[owner] + slot
    device[online] = np.where(rng.random(len(owner)) < 0.985, world.cards.device[on_card], other)
    return device


def draw_base(rng: np.random.Generator, world: pw.World, n: int) -> Rows:
    """The ordinary (non-planted) transactions, unordered."""
    cards = world.cards
    card = np.repeat(np.arange(len(cards.client)), rng.multinomial(n, cards.weight / cards.weight.sum()))
    client = cards.client[card]
    online = rng.random(n) < world.clients.online_rate[client]
    t, dest = place_travel(world, client, draw_times(rng, cards.start[card]), ~online)
    channel = np.where(online, ref.ONLINE, pw.card_present_channel(rng, cards.has_chip[card], t))
    merchant = draw_merchants(rng, world, client, dest, online)
    return {
        "t": t,
        "card": card,
        "channel": channel.astype(np.int8),
        "merchant": merchant,
        "cents": draw_amounts(rng, world, merchant, client, t),
        "error": draw_errors(rng, channel),
        "device": draw_devices(rng, world, card, online),
        "instance": np.full(n, -1, dtype=np.int64),
        "pattern": np.zeros(n, dtype=np.int8),
    }


def in_time_order(base: Rows, planted: Rows) -> Rows:
    """Base and planted rows together, by event time (ties by position: deterministic)."""
    rows = {key: np.concatenate([base[key], planted[key]]) for key in base}
    n = len(rows["t"])
    order = np.argsort((rows["t"] - pw.START) * n + np.arange(n))
    return {key: values[order] for key, values in rows.items()}


def transaction_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    steps = 1 + (rng.random(n) < ID_GAP_RATE)
    steps[0] = 0
    return FIRST_ID + np.cumsum(steps)


def device_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Opaque 12-character device ids (a bijective hash, so attackers' ids look alike)."""
    salt = rng.integers(0, 2**32, dtype=np.uint64)
    h = (np.arange(n, dtype=np.uint64) * np.uint64(2_654_435_761) + salt) % np.uint64(2**32)
    digits = (h[:, None] >> np.arange(28, -1, -4, dtype=np.uint64)) & np.uint64(15)
    chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[digits.astype(np.int64)]
    return np.char.add("dev-", chars.view("S8").ravel().astype(str))


def dollars(cents: np.ndarray) -> pl.Series:
    """Kaggle amounts: `$` then the signed value with two decimals (`$-77.00`, `$14.57`)."""
    value = pl.Series(cents).cast(pl.Decimal(18, 2)) / 100
    return pl.select(pl.concat_str([pl.lit("$"), pl.lit(value).cast(pl.String)])).to_series()


def nullable(values: np.ndarray) -> pl.Series:
    return pl.Series(values, nan_to_null=True)


def transactions_frame(world: pw.World, tx: Rows, ids: np.ndarray, names: np.ndarray, extensions: bool):
    """`transactions_data.csv` as a frame: small per-merchant vocabularies gathered per row."""
    m, merchant = world.merchants, tx["merchant"]
    city_names = [*world.cities.name.tolist(), "ONLINE"]
    states = [*world.cities.state.tolist(), None]
    city = np.where(m.city >= 0, m.city, len(city_names) - 1)
    columns = {
        "id": ids,
        "date": pl.from_epoch(pl.Series(tx["t"] // 60 * 60), time_unit="s"),
        "client_id": world.cards.client[tx["card"]],
        "card_id": tx["card"],
        "amount": dollars(tx["cents"]),
        "use_chip": pw.pick(ref.USE_CHIP, tx["channel"]),
        "merchant_id": m.merchant_id[merchant],
        "merchant_city": pw.pick(city_names, city).gather(merchant),
        "merchant_state": pl.Series(states, dtype=pl.String).gather(city).gather(merchant),
        "zip": nullable(m.zip[merchant]),
        "mcc": m.mcc[merchant],
        "errors": pl.Series([None, *ref.ERROR_VALUES[1:]], dtype=pl.String).gather(tx["error"]),
    }
    if extensions:
        device = np.where(tx["device"] >= 0, tx["device"], len(names))
        columns["event_time"] = pl.from_epoch(pl.Series(tx["t"]), time_unit="s")
        columns["device_id"] = pl.Series([*names.tolist(), None], dtype=pl.String).gather(device)
        columns["merchant_latitude"] = nullable(m.lat[merchant])
        columns["merchant_longitude"] = nullable(m.lon[merchant])
    return pl.DataFrame(columns).select(KAGGLE_COLUMNS + (EXTENSION_COLUMNS if extensions else ()))


def write_labels(path: Path, ids: np.ndarray, is_fraud: np.ndarray) -> None:
    """`{"target": {"<id>": "Yes"|"No", ...}}` in one pass of Polars string building."""
    frame = pl.DataFrame({"id": ids, "fraud": is_fraud})
    entry = pl.concat_str(
        [
            pl.lit('"'),
            pl.col("id").cast(pl.String),
            pl.lit('": "'),
            pl.when(pl.col("fraud")).then(pl.lit("Yes")).otherwise(pl.lit("No")),
            pl.lit('"'),
        ]
    )
    with path.open("wb") as handle:
        handle.write(b'{"target": {')
        if len(ids):
            entries = frame.select(entry)
            entries.write_csv(handle, include_header=False, line_terminator=", ", quote_style="never")
            handle.seek(-2, os.SEEK_END)  # drop the last separator
            handle.truncate()
        handle.write(b"}}")


def truth_frame(tx: Rows, ids: np.ndarray, p: np.ndarray, is_fraud, pattern, labelled) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "transaction_id": ids,
            "card_id": tx["card"],
            "true_fraud_probability": p,
            "is_fraud": is_fraud,
            "pattern": pl.Series([None, *fraud.PATTERNS], dtype=pl.String).gather(pattern),
            "pattern_instance_id": pl.Series(tx["instance"]).replace(-1, None),
            "is_labelled": labelled,
        }
    )


def generate_payments(out_dir: Path, rows: int, seed: int = 42, extensions: bool = True) -> GeneratedDataset:
    """Write the Kaggle payments files and their truth into `out_dir`.

    Parameters
    ----------
    out_dir : Path
        Directory to write into (created if missing); truth goes to `out_dir/_truth/`.
    rows : int
        Number of transactions (at least 200); clients, cards and merchants scale from it
        (about rows / 6,650 clients, at least 20; about 3 cards per client).
    seed : int
        Same (rows, seed, extensions) gives byte-identical files.
    extensions : bool
        Append `event_time, device_id, merchant_latitude, merchant_longitude` to the
        transactions (the data itself does not change).

    Returns
    -------
    GeneratedDataset
        Data files with their row counts (labels: labelled transactions; MCC: codes).
    """
    if rows < MIN_ROWS:
        raise ValueError(f"payments needs at least {MIN_ROWS} transactions, got {rows}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world_rng, tx_rng, fraud_rng, label_rng = make_rng(seed, "payments").spawn(4)
    world = pw.make_world(world_rng, rows)
    plan = fraud.plan_patterns(fraud_rng, rows)
    base = draw_base(tx_rng, world, rows - plan.rows)
    tx = in_time_order(base, fraud.plant_patterns(fraud_rng, world, base, plan))
    del base
    ids = transaction_ids(label_rng, rows)
    p = fraud.fraud_probability(world, tx)
    is_fraud, pattern = fraud.draw_labels(label_rng, world, tx, p)
    labelled = label_rng.random(rows) < LABELLED_SHARE
    names = device_names(label_rng, world.n_devices + int(tx["instance"].max()) + 1)

    world.clients.table.write_csv(out_dir / "users_data.csv")
    world.cards.table.write_csv(out_dir / "cards_data.csv")
    frame = transactions_frame(world, tx, ids, names, extensions)
    frame.write_csv(out_dir / "transactions_data.csv", datetime_format=TIMESTAMP_FORMAT)
    del frame
    mcc = {str(code): description for code, description, *_ in ref.MCC_TABLE}
    (out_dir / "mcc_codes.json").write_text(json.dumps(mcc, indent=4) + "\n")
    write_labels(out_dir / "train_fraud_labels.json", ids[labelled], is_fraud[labelled])
    truth = truth_frame(tx, ids, p, is_fraud, pattern, labelled)
    truth.write_parquet(truth_dir(out_dir) / TRUTH_FILE)
    files = {
        "users_data.csv": world.clients.table.height,
        "cards_data.csv": world.cards.table.height,
        "transactions_data.csv": rows,
        "mcc_codes.json": len(mcc),
        "train_fraud_labels.json": int(labelled.sum()),
    }
    return GeneratedDataset("payments", out_dir, files, [f"_truth/{TRUTH_FILE}"])
