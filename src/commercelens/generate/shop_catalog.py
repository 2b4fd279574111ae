"""Catalogue side of the synthetic shop: category tree, items and the item property change log.

RetailRocket ships item metadata as a weekly change log (`item_properties_part{1,2}.csv`): one row per
(Sunday 03:00 UTC snapshot, item, property) when a value is first seen or changes. Only `categoryid`
and `available` are readable; every other property name and value is hashed, and numbers look like
`n552.000`. We mimic that, and some items move to another category, so "latest category" matters.

The module ends with the small ragged-array helpers (position, cumulative sum and last value per
group, forward fill) that both shop modules use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

FIRST_SNAPSHOT_MS = 1_430_622_000_000  # Sunday 2015-05-03 03:00 UTC
WEEK_MS = 7 * 86_400_000
N_SNAPSHOTS = 20  # Sundays 2015-05-03 .. 2015-09-13
LEVEL_SHARES = (0.12, 0.33, 0.38, 0.17)  # categories below the roots, levels 1..4 (depth <= 5)
EVENTS_PER_ITEM = 12  # RetailRocket: 2.76M events over ~235k viewed items
EVENTS_PER_CATEGORY = 1_650  # RetailRocket: 1,669 categories at full scale
PROPERTY_COLUMNS = ["timestamp", "itemid", "property", "value"]


@dataclass(frozen=True)
class Catalog:
    """Items and categories; arrays are indexed by item index (0..n_items-1)."""

    item_ids: np.ndarray  # public itemid
    weights: np.ndarray  # probability that a fresh view picks the item (sums to 1)
    pop_z: np.ndarray  # standardised log popularity: what a model can estimate from view counts
    category_ids: np.ndarray
    parent_ids: np.ndarray  # -1 for roots
    properties: pl.DataFrame  # the change log, sorted by time


def build_catalog(rng: np.random.Generator, rows: int) -> Catalog:
    """Category tree, items with Zipf popularity and their property change log."""
    n_categories = int(np.clip(rows / EVENTS_PER_CATEGORY, 200, 1_700))
    category_ids, parent_idx = _category_tree(rng, n_categories)
    leaves = np.setdiff1d(np.arange(n_categories), parent_idx)
    n_items = max(100, rows // EVENTS_PER_ITEM)
    item_ids = rng.permutation(2 * n_items)[:n_items].astype(np.int64)
    # Zipf popularity over a random order of items: a few items get most of the views.
    log_w = -0.9 * np.log(rng.permutation(n_items) + 5.0)
    weights = np.exp(log_w)
    weights /= weights.sum()
    parents = np.where(parent_idx >= 0, category_ids[np.maximum(parent_idx, 0)], -1)
    return Catalog(
        item_ids=item_ids,
        weights=weights,
        pop_z=_view_weighted_z(log_w, weights),
        category_ids=category_ids,
        parent_ids=parents,
        properties=_property_log(rng, item_ids, category_ids[leaves]),
    )


def _view_weighted_z(log_w: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Standardise log popularity over views (not items), so a typical viewed item scores about 0."""
    mean = float(np.sum(weights * log_w))
    return (log_w - mean) / float(np.sqrt(np.sum(weights * (log_w - mean) ** 2)))


def _category_tree(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Category ids and parent index per category (-1 = root), built level by level."""
    n_roots = max(3, round(0.015 * n))
    below = np.floor(np.array(LEVEL_SHARES) * (n - n_roots)).astype(int)
    below[-1] = n - n_roots - below[:-1].sum()
    sizes = [n_roots, *below.tolist()]
    parent_idx = np.full(n, -1, dtype=np.int64)
    first = np.cumsum([0, *sizes])
    for level in range(1, len(sizes)):  # five levels: a loop over levels, not rows
        lo, hi = first[level - 1], first[level]
        # Uneven fan-out: some parents get many children, some none (they become leaves).
        fan = rng.pareto(1.5, hi - lo) + 0.05
        parent_idx[first[level] : first[level + 1]] = lo + rng.choice(
            hi - lo, sizes[level], p=fan / fan.sum()
        )
    category_ids = rng.permutation(round(n * 1.02))[:n].astype(np.int64)
    return category_ids, parent_idx


def _change_weeks(
    rng: np.random.Generator, first_week: np.ndarray, rate: float, max_changes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Later snapshot weeks at which an item's property changes: (item index, week), sorted."""
    has_room = first_week < N_SNAPSHOTS - 1
    n_changes = np.minimum(rng.poisson(rate, len(first_week)), max_changes) * has_room
    item = np.repeat(np.arange(len(first_week)), n_changes)
    week = rng.integers(first_week[item] + 1, N_SNAPSHOTS)
    key = np.unique(item * N_SNAPSHOTS + week)  # one change per item and week
    return key // N_SNAPSHOTS, key % N_SNAPSHOTS


def _rows(item_ids: np.ndarray, week: np.ndarray, name: str, value: pl.Series) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "timestamp": FIRST_SNAPSHOT_MS + week.astype(np.int64) * WEEK_MS,
            "itemid": item_ids,
            "property": pl.Series([name]).extend_constant(name, len(item_ids) - 1),
            "value": value,
        }
    )


def _hashed_tokens(rng: np.random.Generator, n: int, n_tokens: int, with_number: bool) -> pl.Series:
    """Space-separated hashed tokens like `1154859 n24.000 150169` (a small Zipf vocabulary)."""
    vocab = rng.integers(1_000, 1_400_000, (n_tokens, 400))  # one vocabulary per token position
    ranks = np.minimum(rng.zipf(1.6, (n, n_tokens)) - 1, vocab.shape[1] - 1)
    present = rng.random((n, n_tokens)) < 0.8
    present[:, 0] = True
    frame = pl.DataFrame(
        {f"t{j}": np.where(present[:, j], vocab[j, ranks[:, j]], -1) for j in range(n_tokens)}
    )
    parts = [pl.when(pl.col(c) >= 0).then(pl.col(c).cast(pl.String)) for c in frame.columns]
    if with_number:
        frame = frame.with_columns(number=pl.Series(rng.integers(1, 60, n)))
        parts.insert(1, pl.format("n{}.000", pl.col("number")))
    return frame.select(pl.concat_str(parts, separator=" ", ignore_nulls=True)).to_series()


def _numbers(values: np.ndarray) -> pl.Series:
    """Hashed-file number format: 552 -> `n552.000`."""
    return pl.select(pl.format("n{}.000", pl.lit(pl.Series(values.astype(np.int64))))).to_series()


def _property_log(rng: np.random.Generator, item_ids: np.ndarray, leaf_ids: np.ndarray) -> pl.DataFrame:
    """The weekly change log: a first snapshot per item, then category, stock and price changes."""
    n = len(item_ids)
    # Items enter the log at different weeks (as in the real file), many at the first snapshot.
    first_week = np.where(rng.random(n) < 0.4, 0, rng.integers(0, N_SNAPSHOTS, n))
    leaf_fan = rng.pareto(1.2, len(leaf_ids)) + 0.1
    leaf = rng.choice(len(leaf_ids), n, p=leaf_fan / leaf_fan.sum())
    available = (rng.random(n) < 0.85).astype(np.int64)
    price = np.round(np.exp(rng.normal(6.0, 1.2, n))).astype(np.int64) + 1
    frames = [
        _rows(item_ids, first_week, "categoryid", _cast(leaf_ids[leaf])),
        _rows(item_ids, first_week, "available", _cast(available)),
        _rows(item_ids, first_week, "790", _numbers(price)),
        _rows(item_ids, first_week, "888", _hashed_tokens(rng, n, 3, with_number=True)),
        _rows(item_ids, first_week, "283", _hashed_tokens(rng, n, 4, with_number=False)),
        _rows(item_ids, first_week, "364", _hashed_tokens(rng, n, 1, with_number=False)),
    ]
    item, week = _change_weeks(rng, first_week, 0.07, 1)  # a few items move category once
    moved_to = (leaf[item] + rng.integers(1, len(leaf_ids), len(item))) % len(leaf_ids)  # never the same
    frames.append(_rows(item_ids[item], week, "categoryid", _cast(leaf_ids[moved_to])))
    item, week = _change_weeks(rng, first_week, 0.6, 3)  # stock toggles: flip parity per change
    toggles = position_in_group(np.bincount(item, minlength=len(item_ids))) + 1
    frames.append(_rows(item_ids[item], week, "available", _cast(available[item] ^ (toggles % 2))))
    item, week = _change_weeks(rng, first_week, 0.4, 2)  # price changes
    new_price = np.round(price[item] * np.exp(rng.normal(0.0, 0.15, len(item)))).astype(np.int64)
    new_price += new_price == price[item]  # a logged change always changes the value
    frames.append(_rows(item_ids[item], week, "790", _numbers(new_price)))
    return pl.concat(frames).sort(["timestamp", "itemid", "property"])


def _cast(values: np.ndarray) -> pl.Series:
    return pl.Series(values.astype(np.int64)).cast(pl.String)


def latest_categories(properties: pl.DataFrame) -> pl.DataFrame:
    """itemid -> the category of its latest `categoryid` row (the truth for `dim_items`)."""
    return (
        properties.filter(pl.col("property") == "categoryid")
        .group_by("itemid")
        .agg(pl.col("value").sort_by("timestamp").last().cast(pl.Int64).alias("categoryid"))
        .sort("itemid")
    )


def write_catalog(catalog: Catalog, out_dir: Path) -> dict[str, int]:
    """Write the two property parts (split by time, about half each) and the category tree."""
    props = catalog.properties
    cut_ts = props["timestamp"][props.height // 2]
    # Cut at a snapshot boundary (earlier weeks in part 1), on whichever side is closer to half.
    below = int((props["timestamp"] < cut_ts).sum())
    upto = int((props["timestamp"] <= cut_ts).sum())
    cut = below if abs(below - props.height / 2) <= abs(upto - props.height / 2) else upto
    parts = {"item_properties_part1.csv": props[:cut], "item_properties_part2.csv": props[cut:]}
    for name, part in parts.items():
        part.select(PROPERTY_COLUMNS).write_csv(out_dir / name, line_terminator="\n")
    tree = pl.DataFrame({"categoryid": catalog.category_ids, "parentid": catalog.parent_ids}).with_columns(
        pl.when(pl.col("parentid") >= 0).then(pl.col("parentid")).alias("parentid")
    )
    tree.sort("categoryid").write_csv(out_dir / "category_tree.csv", line_terminator="\n")
    return {**{name: part.height for name, part in parts.items()}, "category_tree.csv": tree.height}


# Ragged-array helpers, shared with shop.py: rows laid out as np.repeat(np.arange(n), counts).


def position_in_group(counts: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... inside each group of a repeat-by-`counts` layout."""
    starts = np.cumsum(counts) - counts
    return np.arange(counts.sum()) - np.repeat(starts, counts)


def group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each group of a repeat-by-`counts` layout."""
    total = np.cumsum(values)
    before = np.r_[0, total][np.cumsum(counts) - counts]
    return total - np.repeat(before, counts)


def last_in_group(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Last value of each group (0 for empty groups)."""
    last = np.zeros(len(counts), dtype=values.dtype)
    has = counts > 0
    last[has] = values[(np.cumsum(counts) - 1)[has]]
    return last


def forward_fill(items: np.ndarray) -> np.ndarray:
    """Replace -1 by the last valid item before it (every session starts with a valid one)."""
    idx = np.where(items >= 0, np.arange(len(items)), 0)
    return items[np.maximum.accumulate(idx)]
