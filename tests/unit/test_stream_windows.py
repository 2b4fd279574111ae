"""Sliding KPI windows: 1 minute every 30 s, emitted once, complete, when the watermark passes."""

from __future__ import annotations

import polars as pl
import pytest

from commercelens.stream import windows


def events(*rows):
    return pl.DataFrame(
        rows,
        schema={
            "t": pl.Int64,
            "channel": pl.String,
            "mcc": pl.Int64,
            "amount": pl.Float64,
            "is_alerted": pl.Boolean,
        },
        orient="row",
    )


def test_each_event_counts_in_the_two_windows_that_cover_it_and_a_window_closes_at_its_end():
    state = windows.KpiWindows()
    windows.add(state, events((10, "chip", 5411, 20.0, False), (40, "chip", 5411, 30.0, True)))
    assert windows.close(state, 29).is_empty()  # no window is complete before t = 30
    assert windows.close(state, 59).select("window_start", "window_end", "transactions").rows() == [
        (-30, 30, 1)
    ]
    closed = windows.close(state, 60)
    assert closed.select("window_start", "window_end", "transactions", "revenue", "alerted").rows() == [
        (0, 60, 2, 50.0, 1),
    ]
    assert closed.filter(pl.col("window_start") == 0)["average_ticket"][0] == pytest.approx(25.0)
    assert closed.filter(pl.col("window_start") == 0)["alert_rate"][0] == pytest.approx(0.5)
    assert closed["mcc_group"].to_list() == ["retail"]
    rest = windows.close(state, None)
    assert rest.select("window_start", "transactions").rows() == [(30, 1)]  # only the event at 40
    assert windows.close(state, None).is_empty()  # emitted once


def test_windows_are_kept_apart_by_channel_and_mcc_group():
    state = windows.KpiWindows()
    windows.add(
        state,
        events((5, "chip", 5411, 1.0, False), (6, "online", 5411, 1.0, False), (7, "chip", 4111, 1.0, False)),
    )
    closed = windows.close(state, None)
    assert set(zip(closed["channel"], closed["mcc_group"], strict=True)) == {
        ("chip", "retail"),
        ("online", "retail"),
        ("chip", "transport"),
    }
