"""Charts for the report: matplotlib figures rendered to base64 PNG, to embed as data: URIs.

Figures are built on `matplotlib.figure.Figure` directly (no pyplot: no global state, no GUI
backend). The PNG's "Software" text chunk is dropped, so no URL hides in the page even encoded.
Each function returns None when there is nothing to draw.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import polars as pl
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from commercelens.experiments.readout import Readout
from commercelens.report.data import Funnel

BLUE, ORANGE, GREY, RED = "#2b6cb0", "#dd6b20", "#a0aec0", "#c53030"
LEVEL_COLOURS = {"LOW": "#90cdf4", "MEDIUM": "#f6ad55", "HIGH": "#e53e3e", "CRITICAL": "#742a2a"}
DPI = 100


def encode_png(data: bytes) -> str:
    """Base64 text of PNG bytes (for a `data:image/png;base64,` URI).

    Examples
    --------
    >>> encode_png(b"\\x89PNG")
    'iVBORw=='
    """
    return base64.b64encode(data).decode("ascii")


def _figure(width: float = 7.5, height: float = 3.2) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _render(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return encode_png(buffer.getvalue())


def _money(value: float, _position: object = None) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return f"{value:.0f}"


def _dates(ax) -> None:
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def funnel_chart(funnel: Funnel) -> str | None:
    """Horizontal bars, first step on top, each labelled with its count and share of the first."""
    if not funnel.steps or not funnel.steps[0].count:
        return None
    fig = _figure(height=0.55 * len(funnel.steps) + 1.0)
    ax = fig.add_subplot()
    labels = [s.label for s in funnel.steps][::-1]
    counts = np.array([s.count for s in funnel.steps][::-1], dtype=float)
    ax.barh(labels, counts, color=BLUE)
    top = funnel.steps[0].count
    for y, count in enumerate(counts):
        ax.text(count, y, f" {count:,.0f} ({count / top:.1%})", va="center", fontsize=9)
    ax.set_xlim(0, top * 1.3)
    ax.xaxis.set_major_formatter(FuncFormatter(_money))
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig)


def daily_conversion_chart(daily: pl.DataFrame) -> str | None:
    """Shop session conversion and the two step rates per day (marts.fct_funnel_daily)."""
    if daily.is_empty():
        return None
    fig = _figure()
    ax = fig.add_subplot()
    days = daily.get_column("session_start_date").to_list()
    for column, label, colour in (
        ("view_to_addtocart_rate", "view -> cart", GREY),
        ("addtocart_to_transaction_rate", "cart -> purchase", ORANGE),
        ("session_conversion_rate", "session conversion", BLUE),
    ):
        ax.plot(days, daily.get_column(column).to_numpy(), label=label, color=colour, linewidth=1.4)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    _dates(ax)
    ax.set_ylabel("rate per day")
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=3)
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig)


def vampire_index_chart(by_hour: pl.DataFrame) -> str | None:
    """Fraud rate per hour of day (bars) with the label coverage it rests on (line)."""
    if by_hour.is_empty() or not by_hour.get_column("labelled_transactions").sum():
        return None
    fig = _figure(height=3.4)
    ax = fig.add_subplot()
    hours = by_hour.get_column("hour_of_day").to_numpy()
    ax.bar(hours, by_hour.get_column("fraud_rate").fill_null(0.0).to_numpy(), color=RED, label="fraud rate")
    ax.set_xlabel("hour of day")
    ax.set_ylabel("fraud rate (labelled transactions)")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=2))
    ax.set_xticks(range(0, 24, 2))
    coverage = ax.twinx()
    shares = by_hour.get_column("label_coverage").to_numpy()
    coverage.plot(hours, shares, color=GREY, marker="o", markersize=3, label="label coverage")
    handles = ax.get_legend_handles_labels()[0] + coverage.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper right", fontsize=8, frameon=False)
    coverage.set_ylim(0, 1.05)
    coverage.set_ylabel("label coverage", color="#4a5568")
    coverage.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.spines[["top"]].set_visible(False)
    coverage.spines[["top"]].set_visible(False)
    return _render(fig)


def risky_mcc_chart(mccs: pl.DataFrame) -> str | None:
    """The riskiest merchant categories by fraud rate, riskiest on top."""
    if mccs.is_empty():
        return None
    fig = _figure(height=0.32 * mccs.height + 1.0)
    ax = fig.add_subplot()
    labels = [
        f"{mcc} {(description or '')[:38]}"
        for mcc, description in zip(mccs.get_column("mcc"), mccs.get_column("mcc_description"), strict=True)
    ][::-1]
    ax.barh(labels, mccs.get_column("fraud_rate").to_numpy()[::-1], color=RED)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.set_xlabel("fraud rate (labelled transactions)")
    ax.tick_params(axis="y", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig)


def fraud_loss_chart(monthly: pl.DataFrame) -> str | None:
    """Fraud loss per month."""
    if monthly.is_empty():
        return None
    fig = _figure()
    ax = fig.add_subplot()
    months = monthly.get_column("month_start_date").to_list()
    loss = monthly.get_column("fraud_loss_amount").fill_null(0.0).to_numpy()
    ax.fill_between(months, loss, color=RED, alpha=0.25, linewidth=0)
    ax.plot(months, loss, color=RED, linewidth=1.2)
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_ylabel("fraud loss per month")
    _dates(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig)


def alerts_chart(alerts: pl.DataFrame) -> str | None:
    """Alerts per rule, stacked by level (ops.fraud_alerts)."""
    if alerts.is_empty():
        return None
    rules = sorted(set(alerts.get_column("rule").to_list()), reverse=True)  # first rule on top
    levels = [level for level in LEVEL_COLOURS if level in set(alerts.get_column("level").to_list())]
    counts = {(r, lv): n for r, lv, n in alerts.iter_rows()}
    fig = _figure(height=0.35 * len(rules) + 1.2)
    ax = fig.add_subplot()
    left = np.zeros(len(rules))
    for level in levels:
        values = np.array([counts.get((rule, level), 0) for rule in rules], dtype=float)
        ax.barh(rules, values, left=left, color=LEVEL_COLOURS[level], label=level)
        left += values
    ax.xaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_xlabel("alerts")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig)


def lift_chart(relative: Readout) -> str | None:
    """Relative lift of each metric x variation with its interval (the forest plot of the readout)."""
    rows = [r for r in relative.results if r.relative_lift is not None]
    if not rows:
        return None
    fig = _figure(height=0.5 * len(rows) + 1.2)
    ax = fig.add_subplot()
    labels = [f"{r.metric} ({r.variation})" for r in rows]
    y = np.arange(len(rows))[::-1]
    for position, r in zip(y, rows, strict=True):
        colour = BLUE if r.significant else GREY
        ax.plot([r.ci_low, r.ci_high], [position, position], color=colour, linewidth=2.5)
        ax.plot([r.relative_lift], [position], "o", color=colour)
    ax.axvline(0, color="#4a5568", linewidth=0.8)
    ax.set_yticks(y, labels)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    interval = f"{1 - relative.alpha:.0%}"
    ax.set_xlabel(f"relative lift vs {relative.control} ({interval} interval; blue = significant)")
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig)
