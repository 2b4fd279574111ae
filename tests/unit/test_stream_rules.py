"""The stream rules' exact semantics (docs/stream.md), on hand-made events through the processor."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commercelens.stream.events import EVENT_SCHEMA
from commercelens.stream.processor import Processor, alert_id
from commercelens.stream.rules import load_rules

T0 = 1_600_000_000
PARIS = (48.8566, 2.3522)
NEW_YORK = (40.7128, -74.0060)


def event(tid, t, card=1, amount=10.0, *, channel="chip", merchant=1, device=None, at=None, mcc=5411):
    lat, lon = at if at else (None, None)
    return {
        "offset": tid,
        "transaction_id": tid,
        "t": T0 + t,
        "card_id": card,
        "amount": amount,
        "channel": channel,
        "merchant_id": merchant,
        "merchant_state": None,
        "zip": None,
        "mcc": mcc,
        "errors": None,
        "device_id": device,
        "latitude": lat,
        "longitude": lon,
    }


def run(events, *, batches=1, lateness=0, config=None):
    processor = Processor(config or load_rules(), allowed_lateness=lateness)
    frame = (
        pl.DataFrame(events, schema=EVENT_SCHEMA, orient="row")
        if events
        else pl.DataFrame(schema=EVENT_SCHEMA)
    )
    size = max(1, -(-len(frame) // batches))
    alerts = [processor.process(frame.slice(i, size)).alerts for i in range(0, len(frame), size)]
    alerts.append(processor.finish().alerts)
    return pl.concat(alerts), processor


def hits(events, rule, **kwargs) -> set[int]:
    alerts, _ = run(events, **kwargs)
    return set(alerts.filter(pl.col("rule") == rule)["transaction_id"].to_list())


def test_high_amount_fires_above_2000_only():
    assert hits([event(1, 0, amount=2000.0), event(2, 10, amount=2000.01)], "high_amount") == {2}


def test_rapid_fire_counts_three_transactions_within_five_seconds_including_itself():
    events = [event(1, 0), event(2, 3), event(3, 5), event(4, 11)]
    assert hits(events, "rapid_fire") == {3}


def test_rapid_fire_counts_later_transactions_of_the_same_second():
    # three at one second: every one of them sees all three ([t - 5 s, t] includes peers)
    assert hits([event(1, 7), event(2, 7), event(3, 7)], "rapid_fire") == {1, 2, 3}


def test_velocity_sums_positive_amounts_over_60_seconds_and_needs_more_than_1000():
    exactly = [event(1, 0, amount=600.0), event(2, 60, amount=400.0)]
    assert hits(exactly, "velocity") == set()
    refund = [event(1, 0, amount=600.0), event(2, 30, amount=-500.0), event(3, 60, amount=400.01)]
    assert hits(refund, "velocity") == {3}
    outside = [event(1, 0, amount=600.0), event(2, 61, amount=400.01)]
    assert hits(outside, "velocity") == set()


def test_impossible_travel_compares_card_present_transactions_only():
    events = [
        event(1, 0, at=PARIS),
        event(2, 600, channel="online"),  # online: ignored, not a location
        event(3, 3_600, at=NEW_YORK),  # 5,837 km in an hour
        event(4, 3_600 + 8 * 3_600, at=PARIS),  # 5,837 km in 8 hours: 730 km/h
    ]
    assert hits(events, "impossible_travel") == {3}


def test_impossible_travel_fires_on_a_zero_gap_with_distance_not_without():
    same_place = [event(1, 0, at=PARIS), event(2, 0, at=PARIS)]
    assert hits(same_place, "impossible_travel") == set()
    two_places = [event(1, 0, at=PARIS), event(2, 0, at=NEW_YORK)]
    assert hits(two_places, "impossible_travel") == {2}  # the smaller id is the earlier one


def test_new_device_and_merchant_need_earlier_history_on_the_card():
    events = [
        event(1, 0, merchant=1, device="a"),  # first transaction: nothing is new yet
        event(2, 10, merchant=1, device="a"),
        event(3, 20, merchant=2, device="b"),
        event(4, 20, merchant=2, device="b"),  # same second, larger id: not the first use
        event(5, 30, merchant=3, device=None),
    ]
    assert hits(events, "new_merchant") == {3, 5}
    assert hits(events, "new_device") == {3}


def test_amount_zscore_needs_ten_earlier_transactions_and_a_spread():
    history = [event(i, i * 100, amount=10.0 + (i % 2)) for i in range(1, 10)]  # nine earlier
    assert hits([*history, event(10, 2_000, amount=500.0)], "amount_zscore") == set()
    ten = [*history, event(10, 1_000, amount=11.0)]
    assert hits([*ten, event(11, 2_000, amount=500.0)], "amount_zscore") == {11}
    constant = [event(i, i * 100, amount=10.0) for i in range(1, 12)]
    assert hits([*constant, event(12, 2_000, amount=500.0)], "amount_zscore") == set()


def test_rules_are_per_card():
    events = [event(1, 0, card=1), event(2, 1, card=2), event(3, 2, card=3)]
    assert hits(events, "rapid_fire") == set()


def test_alert_ids_are_deterministic_and_one_per_transaction_and_rule():
    events = [event(1, 0, amount=2500.0), event(2, 1, amount=2500.0), event(3, 2, amount=2500.0)]
    alerts, _ = run(events)
    assert alerts.select("transaction_id", "rule").is_duplicated().sum() == 0
    row = alerts.row(0, named=True)
    assert row["alert_id"] == alert_id(row["transaction_id"], row["rule"])


def test_combined_score_and_level_follow_the_rules_that_fired():
    both, _ = run([event(1, 0, amount=2500.0)])  # above 2000, and above 1000 within 60 s
    assert both["rule"].to_list() == ["high_amount", "velocity"]
    assert both["score"].to_list() == pytest.approx([1 - 0.5 * 0.3] * 2)  # 1 - (1 - 0.5)(1 - 0.7)
    config = load_rules()
    config.velocity.enabled = False
    one, _ = run([event(1, 0, amount=2500.0)], config=config)
    assert one["rule"].to_list() == ["high_amount"]
    assert one["score"][0] == pytest.approx(0.5)
    assert one["level"][0] == "MEDIUM"


def test_an_event_behind_the_watermark_is_late_and_counted_not_processed():
    _, processor = run([event(1, 100), event(2, 200), event(3, 50)], batches=3, lateness=10)
    assert processor.state.counts.late == 1
    assert processor.state.counts.processed == 2


def test_events_within_the_allowed_lateness_are_processed_in_event_time_order():
    in_order = [event(1, 0), event(2, 3), event(3, 5)]
    shuffled = [event(3, 5), event(1, 0), event(2, 3)]
    assert hits(shuffled, "rapid_fire", batches=3, lateness=10) == hits(in_order, "rapid_fire") == {3}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 120),  # second
            st.integers(1, 3),  # card
            st.sampled_from([5.0, 300.0, 700.0, 2100.0, -50.0]),
            st.integers(1, 4),  # merchant
            st.sampled_from([None, PARIS, NEW_YORK]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 5),
)
def test_alerts_do_not_depend_on_how_the_input_is_cut_into_batches(rows, batches):
    events = sorted(
        (event(i, t, card, amount, merchant=m, at=at) for i, (t, card, amount, m, at) in enumerate(rows, 1)),
        key=lambda e: e["t"],
    )
    one, _ = run(events)
    many, _ = run(events, batches=batches)
    assert set(one["alert_id"].to_list()) == set(many["alert_id"].to_list())
