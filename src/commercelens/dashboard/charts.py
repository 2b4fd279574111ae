"""Altair charts of the dashboard: pure functions from small Polars frames to `alt.Chart`.

No Streamlit and no I/O here, so each chart can be built (and checked) in a plain test. Curves
with thousands of points (ROC, PR) are thinned to a few hundred per series first: the browser
draws what the eye can see, not the test set.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from commercelens.report.data import Funnel

LEVEL_ORDER = ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
LEVEL_COLOURS = ["#9ecae1", "#fdae6b", "#e6550d", "#a50f15"]
HIGHLIGHT, MUTED = "#d62728", "#9e9e9e"
MAX_CURVE_POINTS = 400


def thin(frame: pl.DataFrame, by: str = "source", max_points: int = MAX_CURVE_POINTS) -> pl.DataFrame:
    """At most about `max_points` rows per value of `by`, evenly spaced, first and last kept.

    Examples
    --------
    >>> f = pl.DataFrame({"source": ["m"] * 1000, "x": range(1000)})
    >>> t = thin(f, max_points=10)
    >>> t.height <= 11, t["x"][0], t["x"][-1]
    (True, 0, 999)
    """
    if by not in frame.columns:
        frame = frame.with_columns(pl.lit("all").alias(by))
    parts = []
    for part in frame.partition_by(by, maintain_order=True):
        if part.height > max_points:
            step = part.height / max_points
            keep = sorted({int(i * step) for i in range(max_points)} | {part.height - 1})
            part = part[keep]
        parts.append(part)
    return pl.concat(parts) if parts else frame


def funnel_chart(funnel: Funnel) -> alt.Chart:
    """Horizontal bars, one per step, labelled with the share of the first step."""
    first = funnel.steps[0].count or 1
    frame = pl.DataFrame(
        {
            "step": [s.label for s in funnel.steps],
            "count": [s.count for s in funnel.steps],
            "of_first": [s.count / first for s in funnel.steps],
            "order": list(range(len(funnel.steps))),
        }
    )
    base = alt.Chart(frame).encode(
        y=alt.Y("step:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("count:Q", title="count"),
        tooltip=["step", alt.Tooltip("count:Q", format=","), alt.Tooltip("of_first:Q", format=".2%")],
    )
    bars = base.mark_bar(color="#4c78a8")
    labels = base.mark_text(align="left", dx=4).encode(text=alt.Text("of_first:Q", format=".1%"))
    return (bars + labels).properties(height=40 * len(funnel.steps) + 20)


def route_bars(routes: pl.DataFrame, highlight: str | None = None) -> alt.Chart:
    """Conversion rate per route (the highlighted route in red), searches and revenue in the tooltip."""
    frame = routes.with_columns((pl.col("route") == (highlight or "")).alias("is_highlighted"))
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("route:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X("conversion_rate:Q", title="conversion (bookings / searches)", axis=alt.Axis(format="%")),
            color=alt.condition("datum.is_highlighted", alt.value(HIGHLIGHT), alt.value("#4c78a8")),
            tooltip=[
                "route",
                alt.Tooltip("searches:Q", format=","),
                alt.Tooltip("converted_searches:Q", format=",", title="bookings"),
                alt.Tooltip("conversion_rate:Q", format=".2%"),
                alt.Tooltip("revenue_eur:Q", format=",.0f", title="revenue (EUR)"),
            ],
        )
        .properties(height=max(160, 20 * routes.height))
    )


def _group_colour(route: str) -> alt.Color:
    return alt.Color(
        "route_group:N",
        title=None,
        scale=alt.Scale(domain=[route, "all other routes"], range=[HIGHLIGHT, MUTED]),
        legend=alt.Legend(orient="top"),
    )


def route_weekly_chart(weekly: pl.DataFrame, route: str) -> alt.Chart:
    """Weekly conversion of one route against all other routes together."""
    return (
        alt.Chart(weekly)
        .mark_line(point=True)
        .encode(
            x=alt.X("week_start_date:T", title="week"),
            y=alt.Y("conversion_rate:Q", title="conversion", axis=alt.Axis(format="%")),
            color=_group_colour(route),
            tooltip=[
                alt.Tooltip("week_start_date:T", title="week of"),
                "route_group",
                alt.Tooltip("searches:Q", format=","),
                alt.Tooltip("conversion_rate:Q", format=".2%"),
            ],
        )
        .properties(height=260)
    )


def breakdown_chart(
    frame: pl.DataFrame, route: str, title: str, order: Sequence[str] | None = None
) -> alt.Chart:
    """Conversion per bucket, the route beside all other routes."""
    sort = list(order) if order else alt.SortField("bucket_sort")
    data = frame.with_columns(pl.col("bucket").cast(pl.Int64, strict=False).alias("bucket_sort"))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("bucket:N", title=title, sort=sort, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("route_group:N", sort=[route, "all other routes"]),
            y=alt.Y("conversion_rate:Q", title="conversion", axis=alt.Axis(format="%")),
            color=_group_colour(route),
            tooltip=[
                alt.Tooltip("bucket:N", title=title),
                "route_group",
                alt.Tooltip("searches:Q", format=","),
                alt.Tooltip("conversion_rate:Q", format=".2%"),
                alt.Tooltip("average_quoted_price_eur:Q", format=",.2f", title="mean quoted price (EUR)"),
            ],
        )
        .properties(height=240)
    )


def time_to_convert_chart(daily: pl.DataFrame) -> alt.Chart:
    """Minutes from first view to first purchase per day: mean, median and p90."""
    long = daily.select(
        "session_start_date",
        (pl.col("mean_seconds_to_convert") / 60).alias("mean"),
        (pl.col("median_seconds_to_convert") / 60).alias("median"),
        (pl.col("p90_seconds_to_convert") / 60).alias("p90"),
    ).unpivot(index="session_start_date", variable_name="statistic", value_name="minutes")
    return (
        alt.Chart(long.drop_nulls("minutes"))
        .mark_line()
        .encode(
            x=alt.X("session_start_date:T", title="day"),
            y=alt.Y("minutes:Q", title="minutes from first view to purchase"),
            color=alt.Color("statistic:N", sort=["median", "mean", "p90"], legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("session_start_date:T", title="day"),
                "statistic",
                alt.Tooltip("minutes:Q", format=",.1f"),
            ],
        )
        .properties(height=260)
    )


def drop_off_chart(daily: pl.DataFrame) -> alt.Chart:
    """Per day, the valid sessions that viewed but left before the cart or after it."""
    long = daily.select(
        "session_start_date",
        pl.col("sessions_dropped_after_view").alias("left after viewing"),
        pl.col("sessions_dropped_after_addtocart").alias("left with a full cart"),
    ).unpivot(index="session_start_date", variable_name="drop_off", value_name="sessions")
    return (
        alt.Chart(long)
        .mark_area(opacity=0.8)
        .encode(
            x=alt.X("session_start_date:T", title="day"),
            y=alt.Y("sessions:Q", stack=True, title="sessions"),
            color=alt.Color("drop_off:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[alt.Tooltip("session_start_date:T", title="day"), "drop_off", "sessions"],
        )
        .properties(height=240)
    )


def vampire_chart(by_hour: pl.DataFrame) -> alt.LayerChart:
    """Fraud rate by hour of day (bars, labelled rows only) with label coverage (line, right axis)."""
    base = alt.Chart(by_hour).encode(x=alt.X("hour_of_day:O", title="hour of day"))
    tooltip = [
        "hour_of_day",
        alt.Tooltip("transactions:Q", format=","),
        alt.Tooltip("labelled_transactions:Q", format=",", title="labelled"),
        alt.Tooltip("fraudulent_transactions:Q", format=",", title="fraudulent"),
        alt.Tooltip("fraud_rate:Q", format=".3%"),
        alt.Tooltip("label_coverage:Q", format=".1%"),
    ]
    bars = base.mark_bar(color="#a50f15").encode(
        y=alt.Y("fraud_rate:Q", title="fraud rate (over labelled)", axis=alt.Axis(format=".2%")),
        tooltip=tooltip,
    )
    line = base.mark_line(color="#3182bd", point=True).encode(
        y=alt.Y("label_coverage:Q", title="label coverage", axis=alt.Axis(format="%", titleColor="#3182bd")),
        tooltip=tooltip,
    )
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=280)


def risky_mcc_chart(mccs: pl.DataFrame) -> alt.Chart:
    frame = mccs.with_columns(
        (pl.col("mcc").cast(pl.String) + " " + pl.col("mcc_description").fill_null("")).alias(
            "merchant_category"
        )
    )
    return (
        alt.Chart(frame)
        .mark_bar(color="#a50f15")
        .encode(
            y=alt.Y("merchant_category:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("fraud_rate:Q", title="fraud rate (over labelled)", axis=alt.Axis(format=".1%")),
            tooltip=[
                "merchant_category",
                alt.Tooltip("labelled_transactions:Q", format=",", title="labelled"),
                alt.Tooltip("fraudulent_transactions:Q", format=",", title="fraudulent"),
                alt.Tooltip("fraud_rate:Q", format=".2%"),
                alt.Tooltip("label_coverage:Q", format=".1%"),
                alt.Tooltip("fraud_loss_amount:Q", format=",.2f", title="fraud loss (USD)"),
            ],
        )
        .properties(height=max(160, 24 * mccs.height))
    )


def fraud_loss_chart(monthly: pl.DataFrame) -> alt.Chart:
    return (
        alt.Chart(monthly)
        .mark_bar(color="#a50f15")
        .encode(
            x=alt.X("month_start_date:T", title="month", timeUnit="yearmonth"),
            y=alt.Y("fraud_loss_amount:Q", title="fraud loss (USD)"),
            tooltip=[
                alt.Tooltip("month_start_date:T", title="month", format="%Y-%m"),
                alt.Tooltip("fraud_loss_amount:Q", format=",.2f", title="fraud loss (USD)"),
                alt.Tooltip("fraudulent_transactions:Q", format=",", title="fraudulent"),
                alt.Tooltip("labelled_transactions:Q", format=",", title="labelled"),
            ],
        )
        .properties(height=240)
    )


def alerts_chart(by_rule: pl.DataFrame) -> alt.Chart:
    """Stream alerts per rule, stacked by level."""
    return (
        alt.Chart(by_rule)
        .mark_bar()
        .encode(
            y=alt.Y("rule:N", title=None, sort="-x"),
            x=alt.X("sum(alerts):Q", title="alerts"),
            color=alt.Color(
                "level:N",
                scale=alt.Scale(domain=LEVEL_ORDER, range=LEVEL_COLOURS),
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("level_rank:Q"),
            tooltip=["rule", "level", alt.Tooltip("alerts:Q", format=",")],
        )
        .transform_calculate(level_rank=f"indexof({LEVEL_ORDER!r}, datum.level)")
        .properties(height=max(140, 28 * by_rule.get_column("rule").n_unique()))
    )


# --- models -------------------------------------------------------------------------------------

_SOURCE = alt.Color(
    "source:N",
    scale=alt.Scale(domain=["model", "oracle"], range=["#4c78a8", "#f58518"]),
    legend=alt.Legend(orient="top", title=None),
)


def _diagonal(top: float = 1.0) -> alt.Chart:
    return (
        alt.Chart(pl.DataFrame({"x": [0.0, top], "y": [0.0, top]}))
        .mark_line(strokeDash=[4, 4], color=MUTED)
        .encode(x="x:Q", y="y:Q")
    )


def roc_chart(roc: pl.DataFrame) -> alt.LayerChart:
    curve = (
        alt.Chart(thin(roc.drop("threshold")))
        .mark_line()
        .encode(
            x=alt.X("fpr:Q", title="false-positive rate"),
            y=alt.Y("tpr:Q", title="true-positive rate"),
            color=_SOURCE,
            order="fpr:Q",
        )
    )
    return alt.layer(curve, _diagonal()).properties(height=300, title="ROC")


def pr_chart(pr: pl.DataFrame) -> alt.Chart:
    return (
        alt.Chart(thin(pr.drop("threshold")))
        .mark_line()
        .encode(
            x=alt.X("recall:Q", title="recall"),
            y=alt.Y("precision:Q", title="precision"),
            color=_SOURCE,
            order=alt.Order("recall:Q"),
        )
        .properties(height=300, title="Precision-recall")
    )


def calibration_chart(calibration: pl.DataFrame) -> alt.LayerChart:
    top = float(max(calibration["predicted"].max() or 0.0, calibration["observed"].max() or 0.0)) or 1.0
    points = (
        alt.Chart(calibration)
        .mark_line(point=True)
        .encode(
            x=alt.X("predicted:Q", title="mean predicted probability"),
            y=alt.Y("observed:Q", title="observed rate"),
            color=_SOURCE,
            tooltip=[
                "source",
                alt.Tooltip("count:Q", format=","),
                alt.Tooltip("predicted:Q", format=".4f"),
                alt.Tooltip("observed:Q", format=".4f"),
            ],
        )
    )
    return alt.layer(points, _diagonal(top)).properties(
        height=300, title="Calibration (equal-frequency bins)"
    )


def lift_chart(gain: pl.DataFrame) -> alt.Chart:
    return (
        alt.Chart(gain)
        .mark_line(point=True)
        .encode(
            x=alt.X("share:Q", title="share of rows flagged (top scores)", scale=alt.Scale(type="log")),
            y=alt.Y("lift:Q", title="lift over the base rate"),
            color=_SOURCE,
            tooltip=["source", alt.Tooltip("share:Q", format=".0%"), alt.Tooltip("lift:Q", format=".2f")],
        )
        .properties(height=300, title="Lift: model vs oracle")
    )


def importance_chart(importance: pl.DataFrame, top: int = 20) -> alt.Chart:
    return (
        alt.Chart(importance.head(top))
        .mark_bar(color="#4c78a8")
        .encode(
            y=alt.Y("feature:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("mean_abs_contribution:Q", title="mean |SHAP contribution| (log-odds)"),
            tooltip=["feature", alt.Tooltip("mean_abs_contribution:Q", format=".4f")],
        )
        .properties(height=22 * min(top, importance.height) + 30, title="Global importance (TreeSHAP)")
    )


# --- experiments --------------------------------------------------------------------------------


def power_curve_chart(curve: pl.DataFrame, target: float, n_needed: int | None) -> alt.LayerChart:
    """Power against total units, with the target power and the units needed marked."""
    line = (
        alt.Chart(curve)
        .mark_line()
        .encode(
            x=alt.X(
                "n_total:Q", title="units in the experiment (all variations)", axis=alt.Axis(format="~s")
            ),
            y=alt.Y("power:Q", title="power", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            tooltip=[alt.Tooltip("n_total:Q", format=","), alt.Tooltip("power:Q", format=".1%")],
        )
    )
    rule = (
        alt.Chart(pl.DataFrame({"power": [target]}))
        .mark_rule(strokeDash=[4, 4], color=MUTED)
        .encode(y="power:Q")
    )
    layers = [line, rule]
    if n_needed:
        layers.append(
            alt.Chart(pl.DataFrame({"n_total": [n_needed]})).mark_rule(color=HIGHLIGHT).encode(x="n_total:Q")
        )
    return alt.layer(*layers).properties(height=260)


def interval_chart(results: pl.DataFrame, axis_title: str, percent: bool) -> alt.LayerChart:
    """Each metric x variation: the estimate and its interval, with zero marked."""
    fmt = ".2%" if percent else ",.4f"
    base = alt.Chart(results).encode(y=alt.Y("label:N", title=None, axis=alt.Axis(labelLimit=300)))
    colour = alt.Color(
        "significant:N",
        scale=alt.Scale(domain=[True, False], range=[HIGHLIGHT, "#4c78a8"]),
        legend=alt.Legend(orient="top", title="significant"),
    )
    interval = base.mark_rule(strokeWidth=3).encode(
        x=alt.X("ci_low:Q", title=axis_title, axis=alt.Axis(format=fmt.replace(",", ""))),
        x2="ci_high:Q",
        color=colour,
    )
    point = base.mark_point(filled=True, size=80).encode(
        x="estimate:Q",
        color=colour,
        tooltip=[
            "label",
            alt.Tooltip("estimate:Q", format=fmt),
            alt.Tooltip("ci_low:Q", format=fmt),
            alt.Tooltip("ci_high:Q", format=fmt),
            alt.Tooltip("p_value:Q", format=".4f"),
        ],
    )
    zero = alt.Chart(pl.DataFrame({"x": [0.0]})).mark_rule(color=MUTED, strokeDash=[4, 4]).encode(x="x:Q")
    return alt.layer(interval, point, zero).properties(height=60 * results.height + 40)


# --- pricing ------------------------------------------------------------------------------------


def probability_by_date_chart(curve: pl.DataFrame, low: float, high: float, chosen) -> alt.LayerChart:
    """P(book) for each travel date, the discount band shaded, the chosen date marked."""
    band = (
        alt.Chart(pl.DataFrame({"low": [low], "high": [high]}))
        .mark_rect(opacity=0.12, color="#2ca02c")
        .encode(y="low:Q", y2="high:Q")
    )
    line = (
        alt.Chart(curve)
        .mark_line(point=True)
        .encode(
            x=alt.X("departure_date:T", title="travel date"),
            y=alt.Y(
                "probability:Q", title="P(book)", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")
            ),
            color=alt.Color(
                "decision:N",
                scale=alt.Scale(
                    domain=["no_offer", "discount_5pct", "no_discount"], range=[MUTED, "#2ca02c", "#4c78a8"]
                ),
                legend=alt.Legend(orient="top", title="decision"),
            ),
            tooltip=[
                alt.Tooltip("departure_date:T", title="travel date"),
                alt.Tooltip("lead_time_days:Q", title="lead time (days)"),
                alt.Tooltip("quoted_price_eur:Q", format=",.2f", title="quoted price (EUR)"),
                alt.Tooltip("probability:Q", format=".1%"),
                "decision",
            ],
        )
    )
    mark = (
        alt.Chart(pl.DataFrame({"departure_date": [chosen]}))
        .mark_rule(color=HIGHLIGHT)
        .encode(x="departure_date:T")
    )
    return alt.layer(band, line, mark).properties(height=280)


def reasons_chart(reasons: pl.DataFrame) -> alt.Chart:
    """Signed TreeSHAP contributions of one search (toward booking: positive)."""
    return (
        alt.Chart(reasons)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=alt.SortField("rank"), title=None, axis=alt.Axis(labelLimit=300)),
            x=alt.X("contribution:Q", title="contribution to the log-odds of booking"),
            color=alt.condition("datum.contribution > 0", alt.value("#2ca02c"), alt.value(HIGHLIGHT)),
            tooltip=["label", alt.Tooltip("contribution:Q", format="+.3f")],
        )
        .properties(height=26 * reasons.height + 30)
    )
