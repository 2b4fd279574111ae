"""Synthetic RetailRocket shop data with planted session-conversion truth.

Writes `events.csv`, `item_properties_part{1,2}.csv` and `category_tree.csv` in the public RetailRocket
layout, plus `_truth/session_truth.parquet` and `_truth/session_features_at_300s.parquet`.

Why the conversion truth is exact: every session is built in three steps.
1. The first 300 s: views, add-to-carts and rarely a quick purchase, all strictly before start + 300 s.
2. From what is observable then (in-session views, add-to-carts, distinct items, dwell, hour of day,
   the visitor's earlier sessions and purchases, popularity of the viewed items) we compute the true
   probability p and draw label ~ Bernoulli(p). Earlier purchases come from earlier draws, so the
   draw walks the visitors' session ranks in order (a loop over at most 20 ranks, vectorised inside).
3. The rest of the session given the label: at least one event after 300 s, the purchase if drawn.
Latent visitor engagement shapes what is observable, never the label directly, so p is P(label | data).

Sessions match the warehouse's 30-minute rule by construction: gaps inside a session are 1-1,700 s,
and session starts of a visitor are >= 8 h apart while no session lasts more than 5 h.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from commercelens.generate.common import GeneratedDataset, make_rng, truth_dir
from commercelens.generate.shop_catalog import (
    Catalog,
    build_catalog,
    forward_fill,
    group_cumsum,
    last_in_group,
    position_in_group,
    write_catalog,
)

PERIOD_START_MS = 1_430_611_200_000  # 2015-05-03 00:00 UTC
PERIOD_DAYS = 139  # up to 2015-09-19 00:00 UTC, exclusive
DAY_MS, HOUR_MS = 86_400_000, 3_600_000
PERIOD_END_MS = PERIOD_START_MS + PERIOD_DAYS * DAY_MS
DECISION_MS = 300_000  # the conversion model scores a session 300 s after its start
MIN_GAP_MS = 1_000  # distinct event types never share a timestamp
START_SPACING_MS = 8 * HOUR_MS
MAX_SESSION_MS = 6 * HOUR_MS  # bound: first event after 300 s by 1,700 s, then <= 18 gaps of 900 s (5 h)
MAX_SESSIONS_PER_VISITOR, MAX_PRE_VIEWS, MAX_POST_VIEWS = 20, 20, 16
SESSIONS_PER_VISITOR = 1.54  # calibrated so that sessions / visitors lands here
EVENTS_PER_SESSION = 2.32  # calibrated so that the event count lands near `rows`
INVALID_SHARE = 0.005
VIEW, ADDTOCART, TRANSACTION = 0, 1, 2
EVENT_NAMES = {VIEW: "view", ADDTOCART: "addtocart", TRANSACTION: "transaction"}
EVENT_COLUMNS = ["timestamp", "visitorid", "event", "itemid", "transactionid"]
# Planted invalid funnels, in the order the warehouse checks them (first that applies wins).
INVALID_PATTERNS: dict[str, tuple[int, ...]] = {
    "TXN_WITHOUT_VIEW": (ADDTOCART, TRANSACTION),
    "TXN_WITHOUT_ADDTOCART": (VIEW, TRANSACTION),
    "TXN_BEFORE_ADDTOCART": (VIEW, TRANSACTION, ADDTOCART),
    "ADDTOCART_WITHOUT_VIEW": (ADDTOCART,),
    "ADDTOCART_BEFORE_VIEW": (ADDTOCART, VIEW),
}
# Traffic by UTC hour: quiet at night, peak in the evening.
HOUR_WEIGHTS = 1.0 + 0.8 * np.cos(2 * np.pi * (np.arange(24) - 19) / 24)
HOUR_WEIGHTS /= HOUR_WEIGHTS.sum()
# Per-session arrays (index = session, ordered by visitor then rank): visitor, rank, start_ms, visitor_id,
# engagement, the first-300-s plan (pattern, views, carts, quick_buy, repeat_prob, pace_ms), then the
# draws (prob, label, prior_purchases) and `obs`, the observables at the decision time.
Sessions = dict[str, Any]


def generate_shop(out_dir: Path, rows: int, seed: int = 42) -> GeneratedDataset:
    """Write a RetailRocket-layout shop dataset with planted conversion truth.

    Parameters
    ----------
    out_dir : Path
        Directory for the data files; truth goes to `out_dir/_truth/`.
    rows : int
        Approximate number of events (the exact count is in the result's `files`).
    seed : int
        Same (rows, seed) -> byte-identical files.

    Returns
    -------
    GeneratedDataset
        Data file names with their data-row counts, and the truth file names.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = make_rng(seed, "shop")
    catalog = build_catalog(rng, rows)
    sessions = _build_sessions(rng, rows)
    events = _build_events(rng, sessions, catalog)
    frame, truth, features = _tables(events, sessions, catalog)
    frame.write_csv(out_dir / "events.csv", line_terminator="\n")
    files = {"events.csv": frame.height, **write_catalog(catalog, out_dir)}
    truth.write_parquet(truth_dir(out_dir) / "session_truth.parquet")
    features.write_parquet(truth_dir(out_dir) / "session_features_at_300s.parquet")
    truth_files = ["_truth/session_truth.parquet", "_truth/session_features_at_300s.parquet"]
    return GeneratedDataset(domain="shop", out_dir=out_dir, files=files, truth_files=truth_files)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _session_starts(rng: np.random.Generator, counts: np.ndarray) -> dict[str, np.ndarray]:
    """Start times per session: days apart, diurnal hours, starts of a visitor >= 8 h apart."""
    visitor = np.repeat(np.arange(len(counts)), counts)
    rank = position_in_group(counts)
    mean_gap_days = np.clip(70 / counts, 0.3, 8.0)[visitor]
    days = np.where(rank == 0, 0, rng.geometric(1 / (1 + mean_gap_days)) - 1)
    wanted = group_cumsum(days, counts) * DAY_MS + rng.choice(24, len(visitor), p=HOUR_WEIGHTS) * HOUR_MS
    wanted += rng.integers(0, HOUR_MS, len(visitor))
    # start_k = max(wanted_k, start_{k-1} + spacing) has the closed form
    # k * spacing + running max of (wanted_j - j * spacing); the offset per visitor restarts the max.
    big = np.int64(1) << 36
    shifted = wanted - rank * START_SPACING_MS + visitor * big
    start = np.maximum.accumulate(shifted) - visitor * big + rank * START_SPACING_MS
    span_days = (last_in_group(start, counts) + MAX_SESSION_MS) // DAY_MS + 1
    base_day = np.floor(rng.random(len(counts)) * np.maximum(1, PERIOD_DAYS + 1 - span_days)).astype(np.int64)
    start += PERIOD_START_MS + base_day[visitor] * DAY_MS
    keep = start + MAX_SESSION_MS <= PERIOD_END_MS  # only the latest sessions of very long spans
    return {"visitor": visitor[keep], "rank": rank[keep], "start_ms": start[keep]}


def _build_sessions(rng: np.random.Generator, rows: int) -> Sessions:
    """Visitors (latent engagement, returning or not) and their sessions' plans for the first 300 s."""
    n_visitors = max(1, round(rows / EVENTS_PER_SESSION / SESSIONS_PER_VISITOR))
    engagement = rng.standard_normal(n_visitors)
    returning = rng.random(n_visitors) < _sigmoid(-1.7 + 0.9 * engagement)
    extra = rng.geometric(1 / (1 + np.exp(0.3 + 0.4 * engagement)))
    counts = np.minimum(1 + returning * extra, MAX_SESSIONS_PER_VISITOR)
    sessions = _session_starts(rng, counts)
    eng = engagement[sessions["visitor"]]
    n = len(eng)
    pattern = np.where(rng.random(n) < INVALID_SHARE, rng.integers(0, len(INVALID_PATTERNS), n), -1)
    normal = pattern < 0
    views = 1 + np.minimum(
        rng.poisson(np.exp(-0.8 + 0.35 * eng + 0.4 * rng.standard_normal(n))), MAX_PRE_VIEWS - 1
    )
    has_cart = rng.random(n) < _sigmoid(-3.8 + 0.5 * eng + 0.5 * np.log(views))
    sessions.update(
        engagement=eng,
        pattern=pattern,
        views=views * normal,
        carts=(has_cart * (1 + (rng.random(n) < 0.2))) * normal,
        quick_buy=has_cart & normal & (rng.random(n) < 0.12),
        repeat_prob=rng.uniform(0.05, 0.45, n),
        pace_ms=np.exp(rng.normal(np.log(30_000), 0.8, n)),
        visitor_id=rng.permutation(n_visitors).astype(np.int64)[sessions["visitor"]],
    )
    return sessions


def _phase_slots(
    rng: np.random.Generator, views: np.ndarray, carts: np.ndarray, txns: np.ndarray, lead_view: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Event slots of one phase: (session, code, position), views and carts shuffled, purchase last.

    With `lead_view` the first slot of a session is a view, so every cart follows a view.
    """
    counts = views + carts + txns
    session = np.repeat(np.arange(len(counts)), counts)
    pos = position_in_group(counts)
    code = np.where(
        pos < views[session], VIEW, np.where(pos < (views + carts)[session], ADDTOCART, TRANSACTION)
    )
    group = np.where(code == TRANSACTION, 2, 1)
    if lead_view:
        group[pos == 0] = 0
    key = (session.astype(np.int64) << 24) | (group << 21) | rng.integers(0, 1 << 21, len(session))
    return session, code[np.argsort(key, kind="stable")], pos


def _pre_offsets(rng: np.random.Generator, session: np.ndarray, pos: np.ndarray, s: Sessions) -> np.ndarray:
    """Offsets (ms) in the first 300 s: gaps >= 1 s, squeezed so the last slot is before 298 s."""
    counts = np.bincount(session, minlength=len(s["pace_ms"]))
    cum = group_cumsum(np.where(pos == 0, 0.0, rng.exponential(s["pace_ms"][session])), counts)
    room = 298_000 - (counts - 1) * MIN_GAP_MS
    factor = np.minimum(1.0, room / np.maximum(last_in_group(cum, counts), 1.0))
    return pos * MIN_GAP_MS + np.floor(cum * factor[session]).astype(np.int64)


def _post_offsets(rng: np.random.Generator, session: np.ndarray, pos: np.ndarray, s: Sessions) -> np.ndarray:
    """Offsets (ms) after 300 s: the first within 1,700 s of the start, then gaps of 1-900 s."""
    counts = np.bincount(session, minlength=len(s["pace_ms"]))
    first = DECISION_MS + MIN_GAP_MS + np.minimum(rng.exponential(90_000, len(session)), 1_399_000)
    later = MIN_GAP_MS + np.minimum(rng.exponential(s["pace_ms"][session]), 899_000)
    return group_cumsum(np.floor(np.where(pos == 0, first, later)).astype(np.int64), counts)


def _view_items(
    rng: np.random.Generator, code: np.ndarray, fresh_prob: np.ndarray, cdf: np.ndarray
) -> np.ndarray:
    """A popularity-weighted new item for fresh views, -1 where the item is inherited by forward fill."""
    fresh = (code == VIEW) & (rng.random(len(code)) < fresh_prob)
    items = np.full(len(code), -1, dtype=np.int64)
    items[fresh] = np.minimum(np.searchsorted(cdf, rng.random(int(fresh.sum()))), len(cdf) - 1)
    return items


def _observe_at_decision(
    session: np.ndarray, code: np.ndarray, offset: np.ndarray, item: np.ndarray, s: Sessions, catalog: Catalog
) -> dict[str, np.ndarray]:
    """What a model can see at start + 300 s (first-300-s slots only), per session."""
    n, n_items = len(s["pace_ms"]), len(catalog.item_ids)
    is_view = code == VIEW
    views = np.bincount(session[is_view], minlength=n)
    pairs = np.sort(session[is_view] * n_items + item[is_view])  # sort + diff: faster than np.unique
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    pop = np.bincount(session[is_view], weights=catalog.pop_z[item[is_view]], minlength=n)
    return {
        "views": views,
        "carts": np.bincount(session[code == ADDTOCART], minlength=n),
        "distinct": np.bincount(pairs // n_items, minlength=n),
        "dwell_s": last_in_group(offset, np.bincount(session, minlength=n)) / 1000,
        "hour": (s["start_ms"] % DAY_MS) / HOUR_MS,
        "pop": pop / np.maximum(views, 1),
    }


def _base_logit(obs: dict[str, np.ndarray], rank: np.ndarray) -> np.ndarray:
    """The conversion logit from everything except the visitor's earlier purchases."""
    views = np.maximum(obs["views"], 1)
    return (
        -4.75
        + 2.4 * (obs["carts"] > 0)
        + 0.5 * (obs["carts"] > 1)
        + 0.6 * np.log(views)
        + 0.9 * (1 - obs["distinct"] / views)  # coming back to the same item signals intent
        + 1.2 * obs["dwell_s"] / 300
        + 0.45 * np.cos(2 * np.pi * (obs["hour"] - 20) / 24)
        + 0.3 * np.log1p(rank)
        + 0.25 * obs["pop"]
    )


def _draw_labels(rng: np.random.Generator, s: Sessions, base: np.ndarray, eligible: np.ndarray) -> None:
    """Draw label ~ Bernoulli(p) rank by rank, so earlier purchases are known when p is computed."""
    n, rank = len(base), s["rank"]
    uniform, prob = rng.random(n), np.full(n, np.nan)
    label, prior = np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    planted_buy = np.array([TRANSACTION in codes for codes in INVALID_PATTERNS.values()])
    bought_anyway = s["quick_buy"] | ((s["pattern"] >= 0) & planted_buy[s["pattern"]])  # outside the draw
    purchases = np.zeros(int(s["visitor"].max()) + 1, dtype=np.int64)
    order = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[order], np.arange(rank.max() + 2))
    for k in range(rank.max() + 1):  # at most 20 ranks; each step is vectorised over visitors
        idx = order[bounds[k] : bounds[k + 1]]
        earlier = purchases[s["visitor"][idx]]
        p = _sigmoid(base[idx] + 1.0 * (earlier > 0) + 0.3 * np.log1p(earlier))
        prior[idx], prob[idx] = earlier, np.where(eligible[idx], p, np.nan)
        label[idx] = eligible[idx] & (uniform[idx] < p)
        purchases[s["visitor"][idx]] += label[idx] | bought_anyway[idx]
    s.update(prob=prob, label=label, prior_purchases=prior)


def _draw_alive(rng: np.random.Generator, s: Sessions) -> np.ndarray:
    """Does the session go on past 300 s? Engaged visitors and busy first minutes make it likelier."""
    engaged = -1.3 + 0.4 * s["engagement"] + 0.6 * np.log(np.maximum(s["views"], 1)) + 0.9 * (s["carts"] > 0)
    return (s["pattern"] < 0) & (rng.random(len(engaged)) < _sigmoid(engaged))


def _plan_after_300s(rng: np.random.Generator, s: Sessions, eligible: np.ndarray, alive: np.ndarray) -> tuple:
    """Views, carts and purchase markers after 300 s: at least one event for every live session."""
    n = len(eligible)
    label, eng = s["label"], s["engagement"]
    browse = 1 + np.minimum(rng.poisson(np.exp(0.0 + 0.3 * eng)), MAX_POST_VIEWS - 1)
    views = np.select(
        [label, eligible, alive & s["quick_buy"]],
        [np.minimum(rng.poisson(1.5, n), MAX_POST_VIEWS), browse, 1 + np.minimum(rng.poisson(0.8, n), 5)],
        0,
    )
    extra_cart = rng.random(n)
    carts = np.select(  # a purchase always has a cart before it; abandoned carts are common
        [label & (s["carts"] == 0), label, eligible],
        [1 + (extra_cart < 0.2), extra_cart < 0.15, extra_cart < 0.05],
        0,
    )
    return views, carts, label.astype(np.int64)


def _invalid_slots(rng: np.random.Generator, pattern: np.ndarray, cdf: np.ndarray) -> tuple:
    """Slots of the planted invalid funnels: one item, gaps of 5-60 s, all within the first 300 s."""
    table = np.array([[*codes, *[-1] * (3 - len(codes))] for codes in INVALID_PATTERNS.values()])
    planted = np.flatnonzero(pattern >= 0)
    counts = (table >= 0).sum(axis=1)[pattern[planted]]
    session, pos = np.repeat(planted, counts), position_in_group(counts)
    step = np.repeat(rng.integers(5_000, 60_000, len(planted)), counts)
    item = np.repeat(np.minimum(np.searchsorted(cdf, rng.random(len(planted))), len(cdf) - 1), counts)
    return session, table[pattern[session], pos], pos * step, item


def _build_events(rng: np.random.Generator, s: Sessions, catalog: Catalog) -> dict[str, np.ndarray]:
    """All event slots in session order; purchase markers expanded to one row per cart item."""
    cdf = np.cumsum(catalog.weights)
    session, code, pos = _phase_slots(rng, s["views"], s["carts"], s["quick_buy"].astype(np.int64), True)
    offset = _pre_offsets(rng, session, pos, s)
    item = forward_fill(_view_items(rng, code, np.where(pos == 0, 1.0, 1 - s["repeat_prob"][session]), cdf))
    s["obs"] = _observe_at_decision(session, code, offset, item, s, catalog)
    alive = _draw_alive(rng, s)
    eligible = alive & ~s["quick_buy"]
    _draw_labels(rng, s, _base_logit(s["obs"], s["rank"]), eligible)
    post_s, post_code, post_pos = _phase_slots(rng, *_plan_after_300s(rng, s, eligible, alive), False)
    post_item = _view_items(rng, post_code, 1 - s["repeat_prob"][post_s], cdf)
    inv = _invalid_slots(rng, s["pattern"], cdf)
    parts = [
        (session, code, offset, item),
        (post_s, post_code, _post_offsets(rng, post_s, post_pos, s), post_item),
        inv,
    ]
    session, code, offset, item = (np.concatenate([p[i] for p in parts]) for i in range(4))
    order = np.argsort((session.astype(np.int64) << 25) | offset, kind="stable")
    session, code, offset = session[order], code[order], offset[order]
    return _expand_purchases(session, code, offset, forward_fill(item[order]), s["pattern"])


def _expand_purchases(
    session: np.ndarray, code: np.ndarray, offset: np.ndarray, item: np.ndarray, pattern: np.ndarray
) -> dict[str, np.ndarray]:
    """Replace each normal purchase marker by one transaction row per distinct cart item of its session.

    Distinct, so that no two rows are exact duplicates (ingestion deduplicates those).
    """
    marker = (code == TRANSACTION) & (pattern[session] < 0)
    bought_at = np.full(len(pattern), -1, dtype=np.int64)
    bought_at[session[marker]] = offset[marker]  # at most one purchase per session
    cart_bought = (code == ADDTOCART) & (bought_at[session] >= 0)
    n_items = int(item.max()) + 1
    pairs = np.unique(session[cart_bought].astype(np.int64) * n_items + item[cart_bought])
    bought_session, bought_item = pairs // n_items, pairs % n_items
    keep = ~marker
    session = np.concatenate([session[keep], bought_session])
    offset = np.concatenate([offset[keep], bought_at[bought_session]])
    code = np.concatenate([code[keep], np.full(len(pairs), TRANSACTION)])
    item = np.concatenate([item[keep], bought_item])
    order = np.argsort((session.astype(np.int64) << 25) | offset, kind="stable")
    return {"session": session[order], "code": code[order], "offset": offset[order], "item": item[order]}


def _transaction_ids(
    session: np.ndarray, ts: np.ndarray, txn: np.ndarray, visitor_id: np.ndarray
) -> np.ndarray:
    """One transaction id per purchasing session, numbered in order of purchase time."""
    first_ts = np.full(len(visitor_id), np.iinfo(np.int64).max)
    np.minimum.at(first_ts, session[txn], ts[txn])
    buyers = np.unique(session[txn])
    ids = np.full(len(visitor_id), -1, dtype=np.int64)
    ids[buyers[np.lexsort((visitor_id[buyers], first_ts[buyers]))]] = np.arange(len(buyers))
    return ids


def _tables(ev: dict, s: Sessions, catalog: Catalog) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The events file (sorted by time) and the two truth tables."""
    session, code, offset = ev["session"], ev["code"], ev["offset"]
    ts = s["start_ms"][session] + offset
    txn = code == TRANSACTION
    tx_ids = _transaction_ids(session, ts, txn, s["visitor_id"])
    events = pl.DataFrame(
        {
            "timestamp": ts,
            "visitorid": s["visitor_id"][session],
            "event": pl.Series(code).replace_strict(EVENT_NAMES, return_dtype=pl.String),
            "itemid": catalog.item_ids[ev["item"]],
            "transactionid": pl.Series(np.where(txn, tx_ids[session], -1)),
        }
    ).with_columns(pl.when(pl.col("transactionid") >= 0).then(pl.col("transactionid")).alias("transactionid"))
    events = events.sort(["timestamp", "visitorid", "event", "itemid"]).select(EVENT_COLUMNS)
    truth, features = _truth_tables(ev, s)
    return events, truth, features


def _truth_tables(ev: dict, s: Sessions) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-session truth (from the events as written) and the observables the true p used."""
    n = len(s["rank"])
    session, offset, txn = ev["session"], ev["offset"], ev["code"] == TRANSACTION
    counts = np.bincount(session, minlength=n)
    last = last_in_group(offset, counts)
    reasons = dict(enumerate(INVALID_PATTERNS))
    ids = pl.DataFrame({"visitorid": s["visitor_id"], "session_start_ms": s["start_ms"]}).select(
        pl.concat_str([pl.col("visitorid"), pl.col("session_start_ms")], separator="-").alias("session_id"),
        pl.all(),
    )
    truth = ids.with_columns(
        session_end_ms=s["start_ms"] + last,
        n_events=counts,
        is_alive_at_300s=last >= DECISION_MS,
        converted_before_300s=np.bincount(session[txn & (offset < DECISION_MS)], minlength=n) > 0,
        true_conversion_probability=pl.Series(s["prob"], nan_to_null=True),
        converted_after_300s=np.bincount(session[txn & (offset >= DECISION_MS)], minlength=n) > 0,
        planted_invalid_reason=pl.Series(s["pattern"]).replace_strict(
            reasons, default=None, return_dtype=pl.String
        ),
    )
    obs = s["obs"]
    features = ids.with_columns(
        decision_at_ms=s["start_ms"] + DECISION_MS,
        prior_sessions=s["rank"],
        prior_purchase_sessions=s["prior_purchases"],
        views_before_decision=obs["views"],
        addtocarts_before_decision=obs["carts"],
        distinct_items_before_decision=obs["distinct"],
        dwell_before_decision_s=obs["dwell_s"],
        start_hour_utc=obs["hour"],
        mean_item_popularity_z=obs["pop"],
        true_conversion_probability=s["prob"],
    ).filter(pl.col("true_conversion_probability").is_not_nan())
    order = ["visitorid", "session_start_ms"]
    return truth.sort(order), features.sort(order)
