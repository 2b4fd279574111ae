"""Online conversion features: the model's 12 features for one live shop session, from a state.

The request is the session so far, as rows of the RetailRocket `events.csv` layout (`timestamp`
in Unix ms, `visitorid`, `event`, `itemid`, `transactionid`). The model's unit is a session 300 s
after its first event (`features/conversion.py`), so the decision time is the first event + 300 s
and only events strictly before it count, as in training; later events in the request are
accepted and ignored, and the session is scored whenever it is sent.

The state, read once from `intermediate.int_events_sessionised` (the feature table's own input),
is sorted NumPy arrays, so each feature is a binary search:

- per visitor, the earlier sessions' starts and whether each had a purchase
  (`visitor_prior_sessions`, `visitor_prior_purchase_sessions`, `hours_since_previous_session`);
- the times of every view, overall and per item, and per visitor with their items
  (`mean_item_popularity`: views of each item by others before the decision, as a log share of
  all views before it, the session's own included).

Point in time by construction: only state rows before the session start (visitor history) or
before the decision (popularity) are counted, and the visitor's own rows in
[start, decision) are taken out, because they are this session: a session already in the
warehouse (the skew test scores every test session so) gets exactly its batch features, and a
new session sees the warehouse's history. Popularity after the state's end (`valid_from`) is
not known to the state: a live session's popularity is as old as the warehouse (see
docs/api.md). The state is not updated by requests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

import numpy as np
import polars as pl

from commercelens.errors import UserError
from commercelens.features import TASKS
from commercelens.features.build import typed_relation
from commercelens.features.conversion import DECISION_MS, MS_PER_HOUR
from commercelens.warehouse.base import Warehouse

SPEC = TASKS["conversion"]
SESSION_GAP_MS = 1_800_000  # int_events_sessionised's session_gap_ms: a longer gap starts a new session
EPOCH = datetime(1970, 1, 1)
_EVENT_RANK = {"view": 1, "addtocart": 2, "transaction": 3}
_INTEGERS = {
    "views_before_decision",
    "addtocarts_before_decision",
    "events_before_decision",
    "distinct_items_before_decision",
    "start_weekday",
    "visitor_prior_sessions",
    "visitor_prior_purchase_sessions",
}
FEATURE_SCHEMA: dict[str, pl.DataType] = {
    name: pl.Int64() if name in _INTEGERS else pl.Float64() for name in SPEC.features
}


class SessionEventLike(Protocol):
    """One row of the RetailRocket `events.csv` layout (the API's request model has these)."""

    timestamp: int
    visitorid: int
    event: Literal["view", "addtocart", "transaction"]
    itemid: int
    transactionid: int | None


class SessionRefused(ValueError):
    """A session the model cannot score; `index` is the event the reason is about, if any."""

    def __init__(self, message: str, index: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.index, self.field = index, field


@dataclass(frozen=True)
class OnlineConversionState:
    # sessions sorted by (visitor, start); purchases_through[i]: purchase sessions in 0..i
    session_visitor: np.ndarray
    session_start: np.ndarray
    purchases_through: np.ndarray
    # every event, sorted by (visitor, event_ms), for the session-continuity check
    event_visitor: np.ndarray
    event_ms: np.ndarray
    # views: all times sorted; per item sorted by (item, ms); per visitor sorted by (visitor, ms)
    view_ms: np.ndarray
    item_view_item: np.ndarray
    item_view_ms: np.ndarray
    visitor_view_visitor: np.ndarray
    visitor_view_ms: np.ndarray
    visitor_view_item: np.ndarray
    valid_from_ms: int  # one past the newest event: the state knows nothing from here on
    sessions: int
    events: int

    @property
    def valid_from(self) -> datetime:
        return EPOCH + timedelta(milliseconds=self.valid_from_ms)


_COLUMNS = ("session_id", "visitor_id", "session_start_ms", "event_ms", "event_type", "item_id")


def read_events(warehouse: Warehouse) -> pl.DataFrame:
    """The needed columns of the sessionised events, typed as the batch features read them."""
    (table,) = SPEC.inputs
    if not warehouse.table_exists(table.table):
        raise UserError(f"{table.table} does not exist: run `commercelens transform` first")
    names = [name for name, _ in table.columns]
    relation = typed_relation(warehouse.engine_relation(table.table, names), table.columns)
    columns = ", ".join(f'"{c}"' for c in _COLUMNS)
    frame = pl.from_arrow(warehouse.engine.sql(f"select {columns} from {relation}").to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def load_state(warehouse: Warehouse) -> OnlineConversionState:
    """The online state of every shop event in the warehouse."""
    return build_state(read_events(warehouse))


def _array(frame: pl.DataFrame, column: str) -> np.ndarray:
    return frame[column].cast(pl.Int64).to_numpy().copy()


def build_state(events: pl.DataFrame) -> OnlineConversionState:
    """Sort the sessionised events into the arrays the features search."""
    events = events.filter(pl.col("visitor_id").is_not_null() & pl.col("event_ms").is_not_null())
    sessions = (
        events.group_by("visitor_id", "session_start_ms")
        .agg((pl.col("event_type") == "transaction").any().alias("purchased"))
        .sort("visitor_id", "session_start_ms")
    )
    by_visitor = events.sort("visitor_id", "event_ms")
    views = events.filter(pl.col("event_type") == "view")
    by_item = views.sort("item_id", "event_ms")
    views_by_visitor = views.sort("visitor_id", "event_ms")
    newest = events["event_ms"].max()
    return OnlineConversionState(
        session_visitor=_array(sessions, "visitor_id"),
        session_start=_array(sessions, "session_start_ms"),
        purchases_through=np.cumsum(sessions["purchased"].cast(pl.Int64).to_numpy()),
        event_visitor=_array(by_visitor, "visitor_id"),
        event_ms=_array(by_visitor, "event_ms"),
        view_ms=np.sort(views["event_ms"].cast(pl.Int64).to_numpy()),
        item_view_item=_array(by_item, "item_id"),
        item_view_ms=_array(by_item, "event_ms"),
        visitor_view_visitor=_array(views_by_visitor, "visitor_id"),
        visitor_view_ms=_array(views_by_visitor, "event_ms"),
        visitor_view_item=_array(views_by_visitor, "item_id"),
        valid_from_ms=int(newest) + 1 if newest is not None else -(2**62),  # type: ignore[arg-type]
        sessions=sessions.height,
        events=events.height,
    )


def _block(keys: np.ndarray, key: int) -> tuple[int, int]:
    """The index range of `key` in an array sorted by it."""
    # the array's own method: np.searchsorted's dispatch costs more than the search
    return int(keys.searchsorted(key, "left")), int(keys.searchsorted(key, "right"))


def _before(times: np.ndarray, lo: int, hi: int, t: int) -> int:
    """How many of the sorted `times[lo:hi]` are before `t`."""
    return int(times[lo:hi].searchsorted(t, "left"))


@dataclass(frozen=True)
class SessionSoFar:
    """The request's events before the decision, deduplicated and in the warehouse's order."""

    visitor_id: int
    start_ms: int
    decision_ms: int
    events: list[tuple[int, int, int, int | None]]  # event_ms, rank, item, transaction id
    first_index: int = 0  # where the first event is in the request


def session_so_far(events: Sequence[SessionEventLike]) -> SessionSoFar:
    """Check one session's events and keep those before its decision time.

    Refused: events of several visitors and a purchase before the decision (the model scores
    sessions that have not converted). Events from the decision on are ignored, so a gap of 30
    minutes (a new session) cannot fall before it.
    """
    if not events:
        raise SessionRefused("a session needs at least one event")
    visitor = events[0].visitorid
    for i, event in enumerate(events):
        if event.visitorid != visitor:
            message = f"all events of a session have one visitorid: {event.visitorid} is not {visitor}"
            raise SessionRefused(message, i, "visitorid")
    order = sorted(
        range(len(events)),
        key=lambda i: (
            events[i].timestamp,
            _EVENT_RANK[events[i].event],
            events[i].itemid,
            -1 if events[i].transactionid is None else events[i].transactionid,
        ),
    )
    start = events[order[0]].timestamp
    decision = start + DECISION_MS
    kept: list[tuple[int, int, int, int | None]] = []
    seen: set[tuple[int, int, int, int | None]] = set()
    for i in order:
        e = events[i]
        if e.timestamp >= decision:
            break
        if e.event == "transaction":
            raise SessionRefused(
                "a purchase before the decision time (first event + 300 s): the model scores sessions "
                "that have not converted yet", i, "event"
            )  # fmt: skip
        key = (e.timestamp, _EVENT_RANK[e.event], e.itemid, e.transactionid)
        if key not in seen:  # an exact copy of an event is one event, as the warehouse keeps it
            seen.add(key)
            kept.append(key)
    return SessionSoFar(visitor, start, decision, kept, order[0])


def session_features(state: OnlineConversionState, session: SessionSoFar) -> dict[str, Any]:
    """The model's features of one session, in `TASKS["conversion"].features` order."""
    start, decision, visitor = session.start_ms, session.decision_ms, session.visitor_id
    _check_continuity(state, visitor, start, session.first_index)
    lo, hi = _block(state.session_visitor, visitor)
    prior = _before(state.session_start, lo, hi, start)
    base = int(state.purchases_through[lo - 1]) if lo > 0 else 0
    purchases = int(state.purchases_through[lo + prior - 1]) - base if prior else 0
    previous_start = int(state.session_start[lo + prior - 1]) if prior else None
    hours_since_previous = None if previous_start is None else (start - previous_start) / MS_PER_HOUR

    own_views: dict[int, int] = {}
    addtocarts = 0
    for _, rank, item, _ in session.events:
        if rank == 1:
            own_views[item] = own_views.get(item, 0) + 1
        elif rank == 2:
            addtocarts += 1
    views = sum(own_views.values())
    last_ms = session.events[-1][0]
    return {
        "views_before_decision": views,
        "addtocarts_before_decision": addtocarts,
        "events_before_decision": len(session.events),
        "distinct_items_before_decision": len(own_views),
        "repeat_view_share": 1.0 - len(own_views) / max(views, 1),
        "dwell_before_decision_s": (last_ms - start) / 1000.0,
        "start_hour_utc": (start % 86_400_000) / MS_PER_HOUR,
        "start_weekday": (EPOCH + timedelta(milliseconds=start)).isoweekday(),
        "visitor_prior_sessions": prior,
        "visitor_prior_purchase_sessions": purchases,
        "hours_since_previous_session": hours_since_previous,
        "mean_item_popularity": _popularity(state, visitor, start, decision, own_views),
    }


def _check_continuity(state: OnlineConversionState, visitor: int, start: int, index: int) -> None:
    """Refuse a session whose start the warehouse contradicts: the visitor was active < 30 min before."""
    lo, hi = _block(state.event_visitor, visitor)
    before = _before(state.event_ms, lo, hi, start)
    if before and start - int(state.event_ms[lo + before - 1]) <= SESSION_GAP_MS:
        last = EPOCH + timedelta(milliseconds=int(state.event_ms[lo + before - 1]))
        raise SessionRefused(
            f"the warehouse has an event of visitor {visitor} at {last.isoformat(sep=' ')} UTC, within 30 "
            "minutes before the first event sent: the session started earlier; send it from its first event",
            index,
            "timestamp",
        )


def _popularity(
    state: OnlineConversionState, visitor: int, start: int, decision: int, own_views: Mapping[int, int]
) -> float | None:
    if not own_views:
        return None
    # the visitor's rows in [start, decision) are this session: counted from the request instead
    lo, hi = _block(state.visitor_view_visitor, visitor)
    v_lo = lo + _before(state.visitor_view_ms, lo, hi, start)
    v_hi = lo + _before(state.visitor_view_ms, lo, hi, decision)
    in_state: dict[int, int] = {}
    for item in state.visitor_view_item[v_lo:v_hi].tolist():
        in_state[item] = in_state.get(item, 0) + 1
    all_views = int(state.view_ms.searchsorted(decision, "left")) - (v_hi - v_lo) + sum(own_views.values())
    log_all = math.log(1 + all_views)
    total = weighted = 0.0
    for item, own in own_views.items():
        i_lo, i_hi = _block(state.item_view_item, item)
        others = _before(state.item_view_ms, i_lo, i_hi, decision) - in_state.get(item, 0)
        weighted += own * (math.log(1 + others) - log_all)
        total += own
    return weighted / total


def feature_frame(rows: list[Mapping[str, Any]]) -> pl.DataFrame:
    """Feature rows as a frame with the model's column types."""
    return pl.DataFrame({name: [row[name] for row in rows] for name in FEATURE_SCHEMA}, schema=FEATURE_SCHEMA)


def is_known_visitor(state: OnlineConversionState, visitor: int) -> bool:
    lo, hi = _block(state.event_visitor, visitor)
    return hi > lo
