"""Train/serve skew: the online booking features equal `ml.booking_features`, row by row, on
both serving paths (`search_features` for one search, `batch_features` for a batch).

For every search of the test period the online state is built from the history strictly before
that search (`build_state(inputs, before=searched_at)`, what the service would hold had its
warehouse been cut there) and the search is featurised from its raw `searches.csv` fields.
Every one of the 18 features must equal the batch feature table's value (to 1e-9).
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from commercelens.api.booking_features import (
    FEATURE_SCHEMA,
    SPEC,
    SearchTooEarly,
    batch_features,
    build_state,
    feature_frame,
    load_state,
    read_inputs,
    search_features,
)
from commercelens.warehouse import open_warehouse

pytestmark = pytest.mark.integration

RAW = """
select search_id, user_id, searched_at, origin_station, destination_station, departure_date, passenger_count,
    cast(quoted_price_eur as double) as quoted_price_eur
from marts.fct_searches
"""


@pytest.fixture(scope="module")
def batch_and_online(api_settings):
    with open_warehouse(api_settings, read_only=True) as w:
        batch = pl.from_arrow(w.fetch_arrow("select * from ml.booking_features where split = 'test'"))
        raw = pl.from_arrow(w.fetch_arrow(RAW))
        inputs = read_inputs(w)
    test = batch.join(raw, on="search_id").sort("decision_at", "search_id")
    rows, frames = [], []
    for (t,), group in test.group_by("searched_at", maintain_order=True):
        state = build_state(inputs, before=t)  # searches share a state only within an instant
        searches = [SimpleNamespace(**search) for search in group.iter_rows(named=True)]
        rows += [search_features(state, search) for search in searches]  # the one-search path
        frames.append(batch_features(state, searches))  # the batch path
    return test, feature_frame(rows), pl.concat(frames)


def _differs(a: pl.Series, b: pl.Series) -> np.ndarray:
    if a.dtype.is_numeric():
        x, y = a.cast(pl.Float64).to_numpy(), b.cast(pl.Float64).to_numpy()
        both_null = np.isnan(x) & np.isnan(y)
        close = np.abs(x - y) <= 1e-9 * np.maximum(1.0, np.abs(x))
        return ~(both_null | close)
    return ~((a == b).fill_null(False) | (a.is_null() & b.is_null())).to_numpy()


def test_the_comparison_covers_real_histories(batch_and_online):
    batch, _, _ = batch_and_online
    assert batch.height > 500
    for column in ("user_searches_7d", "user_successful_bookings_before", "is_discount_shown"):
        assert (batch[column] > 0).sum() > 20, column  # a feature that is always 0 would prove little
    for column in (
        "price_vs_route_lead_log_ratio",
        "days_since_previous_booking",
        "hours_since_previous_search",
    ):
        assert batch[column].is_not_null().sum() > 100, column


@pytest.mark.parametrize("column", SPEC.features)
@pytest.mark.parametrize("path", ["one search", "batch"])
def test_online_feature_equals_the_batch_feature(batch_and_online, column, path):
    batch, one, many = batch_and_online
    online = one if path == "one search" else many
    assert online.schema == FEATURE_SCHEMA
    differs = _differs(batch[column], online[column])
    assert differs.sum() == 0, (
        pl.DataFrame({"search_id": batch["search_id"], "batch": batch[column], "online": online[column]})
        .filter(pl.Series(differs))
        .head(5)
    )


def test_the_served_state_starts_after_the_newest_event(api_settings):
    with open_warehouse(api_settings, read_only=True) as w:
        state = load_state(w)
        newest = w.fetch_all(
            "select greatest((select max(searched_at) from marts.fct_searches), "
            "(select max(booked_at) from marts.fct_bookings where is_successful))"
        )[0][0]
    assert state.valid_from == newest + timedelta(microseconds=1)
    search = SimpleNamespace(
        user_id="U1", searched_at=newest, origin_station="Paris", destination_station="Lyon",
        departure_date=newest.date(), passenger_count=1, quoted_price_eur=40.0,
    )  # fmt: skip
    with pytest.raises(SearchTooEarly):
        search_features(state, search)
    search.searched_at = state.valid_from
    assert search_features(state, search)["route"] == "Paris -> Lyon"
