"""Point in time: changing or deleting events after a unit's decision time never changes its features.

Each property builds tiny input tables in an in-memory DuckDB, computes the features, then picks a
cut-off T (the decision time of one unit), rewrites the future (events strictly after T are kept,
deleted, changed to other values and times after T, and new ones are added after T) and checks
that every unit decided at or before T has exactly the same features. Labels and splits may
change; the split boundaries are held fixed, as a trained model's training window is.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from commercelens.features import TASKS, SplitBoundaries, feature_select
from commercelens.features.build import typed_relation

pytestmark = pytest.mark.unit

START = datetime(2025, 3, 1)
SHOP_START_MS = 1_430_611_200_000
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Offsets in seconds: bursts (a few seconds), hours and days apart, and exact ties.
OFFSETS = st.one_of(
    st.integers(0, 180), st.integers(0, 12 * 86_400), st.sampled_from([0, 60, 3_600, 86_400, 7 * 86_400])
)


def at(seconds: int) -> datetime:
    return START + timedelta(seconds=seconds)


def compute(task: str, tables: dict[str, list[dict]], split: SplitBoundaries) -> dict:
    """Features of `task` on literal rows: entity id -> (decision_at, feature values)."""
    spec = TASKS[task]
    con = duckdb.connect()
    relations = {}
    for table in spec.inputs:
        rows = tables[table.name]
        data = {name: [row[name] for row in rows] for name, _ in table.columns}
        con.register(f"input_{table.name}", pa.table(data) if rows else _empty(table.columns))
        relations[table.name] = typed_relation(f"input_{table.name}", table.columns)
    result = con.execute(feature_select(task, relations, split)).fetchall()
    con.close()
    features = {}
    for row in result:
        values = dict(zip(spec.columns, row, strict=True))
        features[values[spec.entity_id]] = (values["decision_at"], [values[f] for f in spec.features])
    return features


def _empty(columns) -> pa.Table:
    types = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us"), "BOOLEAN": pa.bool_()}
    return pa.table({name: pa.array([], types.get(kind, pa.float64())) for name, kind in columns})


def same(left: list, right: list) -> bool:
    return all(
        a == b
        or (isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9))
        for a, b in zip(left, right, strict=True)
    )


def assert_past_unchanged(before: dict, after: dict, cutoff: datetime, may_vanish: bool = False) -> None:
    decided = {key: value for key, value in before.items() if value[0] <= cutoff}
    for key, (decision_at, values) in decided.items():
        if key not in after:
            assert may_vanish, f"unit {key} decided at {decision_at} disappeared"
            continue
        assert after[key][0] == decision_at
        assert same(values, after[key][1]), f"unit {key}: {values} became {after[key][1]}"


@st.composite
def future_rewrite(
    draw, rows: list[dict], time_key: str, cutoff: datetime, change, id_key=None, new_id=None
) -> list[dict]:
    """Rows at or before `cutoff` untouched; later rows kept, deleted or changed; new later rows.

    `change` draws new values for a changed row (its id kept); new rows draw from it too and get
    the id `new_id(n)` in `id_key` when the table has one.
    """
    make = change
    kept = [row for row in rows if row[time_key] <= cutoff]
    base = int((cutoff - START).total_seconds())
    later = st.integers(base + 1, base + 8 * 86_400).map(at)
    for row in rows:
        if row[time_key] <= cutoff:
            continue
        action = draw(st.sampled_from(["keep", "delete", "change"]))
        if action == "keep":
            kept.append(row)
        elif action == "change":
            kept.append({**row, **draw(change), time_key: draw(later)})
    for n, extra in enumerate(draw(st.lists(make, max_size=3))):
        kept.append({**extra, time_key: draw(later), **({id_key: new_id(n)} if id_key else {})})
    return kept


# --- booking --------------------------------------------------------------------------------

USERS = ["U1", "U2"]
ROUTES = ["Paris -> Lyon", "Lyon -> Paris"]
SEARCH_VALUES = st.fixed_dictionaries(
    {
        "user_id": st.sampled_from(USERS),
        "route": st.sampled_from(ROUTES),
        "lead_time_days": st.integers(0, 60),
        "passenger_count": st.integers(1, 4),
        "quoted_price_eur": st.sampled_from([19.5, 40.0, 62.0, 120.25]),
        "is_converted": st.booleans(),
    }
)
BOOKING_VALUES = st.fixed_dictionaries({"user_id": st.sampled_from(USERS), "is_successful": st.booleans()})
ASSIGNMENT_VALUES = st.fixed_dictionaries(
    {"user_id": st.sampled_from(USERS), "variation": st.sampled_from(["control", "discount_5pct"])}
)
BOOKING_SPLIT = SplitBoundaries(at(3 * 86_400), at(6 * 86_400))


def _with_times(values, key: str, prefix: str | None = None):
    rows = st.lists(st.tuples(values, OFFSETS), min_size=1, max_size=10)
    return rows.map(
        lambda items: [
            {**v, key: at(t), **({f"{prefix}_id": f"{prefix[0].upper()}{i}"} if prefix else {})}
            for i, (v, t) in enumerate(items)
        ]
    )


@given(data=st.data())
@PROPERTY
def test_booking_features_ignore_the_future(data):
    searches = data.draw(_with_times(SEARCH_VALUES, "searched_at", "search"))
    bookings = data.draw(_with_times(BOOKING_VALUES, "booked_at"))
    assignments = data.draw(_with_times(ASSIGNMENT_VALUES, "first_assigned_at"))
    users = [
        {"user_id": u, "signup_at": START, "subscription_type": "none", "age": 30, "device_os": "ios"}
        for u in USERS
    ]
    tables = {"searches": searches, "bookings": bookings, "users": users, "assignments": assignments}
    before = compute("booking", tables, BOOKING_SPLIT)
    cutoff = data.draw(st.sampled_from(sorted(v[0] for v in before.values())))
    future = {
        "searches": data.draw(
            future_rewrite(searches, "searched_at", cutoff, SEARCH_VALUES, "search_id", "S-new-{}".format)
        ),
        "bookings": data.draw(future_rewrite(bookings, "booked_at", cutoff, BOOKING_VALUES)),
        "assignments": data.draw(future_rewrite(assignments, "first_assigned_at", cutoff, ASSIGNMENT_VALUES)),
        "users": users,
    }
    assert_past_unchanged(before, compute("booking", future, BOOKING_SPLIT), cutoff)


# --- conversion -----------------------------------------------------------------------------

EVENT_TYPES = ["view", "view", "addtocart", "transaction"]
RANK = {"view": 1, "addtocart": 2, "transaction": 3}
SHOP_EVENT = st.fixed_dictionaries(
    {
        "visitor_id": st.integers(1, 2),
        "event_type": st.sampled_from(EVENT_TYPES),
        "item_id": st.integers(1, 4),
    }
)
SHOP_OFFSETS = st.one_of(
    st.integers(0, 900), st.integers(0, 6 * 3_600), st.sampled_from([0, 300, 301, 2_100])
)
CONVERSION_SPLIT = SplitBoundaries(datetime(2015, 5, 3, 1), datetime(2015, 5, 3, 3))


def sessionise(raw: list[dict]) -> list[dict]:
    """The warehouse's rule: a new session after more than 1,800 s without an event."""
    rows = sorted(raw, key=lambda e: (e["visitor_id"], e["event_ms"], RANK[e["event_type"]], e["item_id"]))
    out, previous, start = [], None, None
    for event in rows:
        if (
            previous is None
            or previous["visitor_id"] != event["visitor_id"]
            or event["event_ms"] - previous["event_ms"] > 1_800_000
        ):
            start = event["event_ms"]
        out.append({**event, "session_start_ms": start, "session_id": f"{event['visitor_id']}-{start}"})
        previous = event
    return out


def _shop_time(row: dict) -> datetime:
    return datetime(1970, 1, 1) + timedelta(milliseconds=row["event_ms"])


@given(data=st.data())
@PROPERTY
def test_conversion_features_ignore_the_future(data):
    raw = [
        {**v, "event_ms": SHOP_START_MS + 1_000 * t}
        for v, t in data.draw(st.lists(st.tuples(SHOP_EVENT, SHOP_OFFSETS), min_size=2, max_size=14))
    ]
    before = compute("conversion", {"events": sessionise(raw)}, CONVERSION_SPLIT)
    assume(before)
    cutoff = data.draw(st.sampled_from(sorted(v[0] for v in before.values())))
    cutoff_ms = int((cutoff - datetime(1970, 1, 1)).total_seconds() * 1000)
    kept = [e for e in raw if e["event_ms"] <= cutoff_ms]
    later = st.integers(cutoff_ms + 1, cutoff_ms + 3 * 3_600_000)
    for event in raw:
        if event["event_ms"] > cutoff_ms:
            action = data.draw(st.sampled_from(["keep", "delete", "change"]))
            if action != "delete":
                change = data.draw(SHOP_EVENT.map(lambda v, e=event: {**v, "visitor_id": e["visitor_id"]}))
                kept.append(event if action == "keep" else {**change, "event_ms": data.draw(later)})
    for extra in data.draw(st.lists(SHOP_EVENT, max_size=3)):
        kept.append({**extra, "event_ms": data.draw(later)})
    after = compute("conversion", {"events": sessionise(kept)}, CONVERSION_SPLIT)
    # A unit is a session with an event at or after 300 s: deleting those removes the unit.
    assert_past_unchanged(before, after, cutoff, may_vanish=True)


# --- fraud ----------------------------------------------------------------------------------

TRANSACTION_VALUES = st.fixed_dictionaries(
    {
        "card_id": st.integers(1, 2),
        "amount": st.sampled_from([-20.0, 1.5, 9.99, 45.0, 800.0, 2_500.0]),
        "channel": st.sampled_from(["swipe", "chip", "online"]),
        "merchant_id": st.integers(1, 3),
        "merchant_state": st.sampled_from([None, "CA", "Italy"]),
        "zip": st.sampled_from([None, "94105"]),
        "mcc": st.sampled_from([5411, 4829]),
        "has_error": st.booleans(),
        "error_count": st.integers(0, 2),
        "has_error_bad_card_number": st.booleans(),
        "has_error_bad_expiration": st.just(False),
        "has_error_bad_cvv": st.booleans(),
        "device_id": st.sampled_from([None, "dev-a", "dev-b"]),
        "merchant_latitude": st.sampled_from([None, 40.7, 48.85]),
        "merchant_longitude": st.sampled_from([None, -74.0, 2.35]),
        "is_labelled": st.booleans(),
        "is_fraud": st.booleans(),
    }
)
FRAUD_SPLIT = SplitBoundaries(at(4 * 86_400), at(8 * 86_400))


@given(data=st.data())
@PROPERTY
def test_fraud_features_ignore_the_future(data):
    rows = data.draw(_with_times(TRANSACTION_VALUES, "event_at"))
    rows = [{**row, "transaction_id": i + 1} for i, row in enumerate(rows)]
    before = compute("fraud", {"transactions": rows}, FRAUD_SPLIT)
    cutoff = data.draw(st.sampled_from(sorted(v[0] for v in before.values())))
    future = data.draw(
        future_rewrite(rows, "event_at", cutoff, TRANSACTION_VALUES, "transaction_id", (1_000).__add__)
    )
    assert_past_unchanged(before, compute("fraud", {"transactions": future}, FRAUD_SPLIT), cutoff)
