"""Train/serve skew: the online conversion features equal `ml.conversion_features`, row by row.

Every session of the feature table (all splits) is sent as its raw RetailRocket rows (every event
of the session, including those after the decision time, which must be ignored) against the
state of the whole warehouse, which holds the session itself: the online features must take the
session's own rows out and count only the history before it. Every one of the 12 features must
equal the batch value (to 1e-9).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from commercelens.api.conversion_features import (
    SPEC,
    SessionRefused,
    build_state,
    feature_frame,
    load_state,
    read_events,
    session_features,
    session_so_far,
)
from commercelens.warehouse import open_warehouse

pytestmark = pytest.mark.integration

RAW = """
select session_id, event_ms as timestamp, visitor_id as visitorid, event_type as event,
    item_id as itemid, transaction_id as transactionid
from intermediate.int_events_sessionised
"""


@pytest.fixture(scope="module")
def batch_and_online(api_settings):
    with open_warehouse(api_settings, read_only=True) as w:
        batch = pl.from_arrow(w.fetch_arrow("select * from ml.conversion_features")).sort("session_id")
        raw = pl.from_arrow(w.fetch_arrow(RAW))
        state = load_state(w)
    raw = raw.filter(pl.col("session_id").is_in(batch["session_id"].implode()))
    events = {
        session_id: [SimpleNamespace(**row) for row in group.drop("session_id").iter_rows(named=True)]
        for (session_id,), group in raw.group_by("session_id")
    }
    rows = [session_features(state, session_so_far(events[s])) for s in batch["session_id"]]
    return batch, feature_frame(rows)


def _differs(a: pl.Series, b: pl.Series) -> np.ndarray:
    x, y = a.cast(pl.Float64).to_numpy(), b.cast(pl.Float64).to_numpy()
    both_null = np.isnan(x) & np.isnan(y)
    close = np.abs(x - y) <= 1e-9 * np.maximum(1.0, np.abs(x))
    return ~(both_null | close)


def test_the_comparison_covers_real_histories(batch_and_online):
    batch, _ = batch_and_online
    assert batch.height > 1_000
    for column in ("visitor_prior_sessions", "visitor_prior_purchase_sessions", "addtocarts_before_decision"):
        assert (batch[column] > 0).sum() > 20, column
    assert batch["hours_since_previous_session"].is_not_null().sum() > 100


@pytest.mark.parametrize("column", SPEC.features)
def test_online_feature_equals_the_batch_feature(batch_and_online, column):
    batch, online = batch_and_online
    differs = _differs(batch[column], online[column])
    assert differs.sum() == 0, (
        pl.DataFrame({"session_id": batch["session_id"], "batch": batch[column], "online": online[column]})
        .filter(pl.Series(differs))
        .head(5)
    )


def _event(t: int, visitor: int = 1, event: str = "view", item: int = 10, txn: int | None = None):
    return SimpleNamespace(timestamp=t, visitorid=visitor, event=event, itemid=item, transactionid=txn)


def test_a_new_session_counts_only_the_warehouse_history_before_it(api_settings):
    with open_warehouse(api_settings, read_only=True) as w:
        events = read_events(w)
    state = build_state(events)
    visitor = int(events["visitor_id"][0])
    start = state.valid_from_ms + 86_400_000  # a day after the warehouse ends
    features = session_features(
        state, session_so_far([_event(start, visitor), _event(start + 1_000, visitor)])
    )
    sessions = events.filter(pl.col("visitor_id") == visitor)["session_id"].n_unique()
    assert features["visitor_prior_sessions"] == sessions
    assert features["views_before_decision"] == 2 and features["repeat_view_share"] == 0.5


def test_events_from_the_decision_time_on_are_ignored_and_copies_count_once(api_settings):
    with open_warehouse(api_settings, read_only=True) as w:
        state = load_state(w)
    start = state.valid_from_ms
    early = [_event(start), _event(start), _event(start + 299_999, event="addtocart")]
    session = session_so_far([*early, _event(start + 300_000, event="transaction", txn=7)])
    assert [e[0] for e in session.events] == [start, start + 299_999]
    assert session.decision_ms == start + 300_000


def test_a_purchase_before_the_decision_or_two_visitors_is_refused():
    with pytest.raises(SessionRefused, match="purchase before the decision") as caught:
        session_so_far([_event(0), _event(1_000, event="transaction", txn=1)])
    assert (caught.value.index, caught.value.field) == (1, "event")
    with pytest.raises(SessionRefused, match="one visitorid") as caught:
        session_so_far([_event(0), _event(1_000, visitor=2)])
    assert (caught.value.index, caught.value.field) == (1, "visitorid")


def test_a_session_the_warehouse_shows_started_earlier_is_refused(api_settings):
    with open_warehouse(api_settings, read_only=True) as w:
        events = read_events(w)
    state = build_state(events)
    row = events.sort("event_ms").row(-1, named=True)  # the newest event: continue its session
    follow_up = session_so_far([_event(row["event_ms"] + 60_000, int(row["visitor_id"]))])
    with pytest.raises(SessionRefused, match="the session started earlier"):
        session_features(state, follow_up)
