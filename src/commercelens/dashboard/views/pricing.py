"""Pricing simulator: route, travel date, search time -> calibrated P(book) -> the discount decision.

The search goes through the same path as `POST /predict/booking`: the API's online feature
builder (the user's history from the warehouse, as training computed it), the booking champion's
`predict_proba` and RailFlow's rule in `ml.policy`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import polars as pl
import streamlit as st

from commercelens.dashboard import charts, common, loaders
from commercelens.dashboard.data import (
    STORY_ROUTE,
    SimulatedSearch,
    earliest_search_time,
    simulate,
    split_route,
    typical_price,
)
from commercelens.ml.policy import DecisionPolicy

NEW_USER = "(a new user: no history)"
ANONYMOUS_ID = "dashboard-new-user"  # not in the warehouse: no history, no attributes
DATE_CURVE_DAYS = 60
REASONS = 6
# decision -> (what the card says, why)
DECISION_TEXT = {
    "discount_5pct": ("5% discount", "Undecided: the discount may tip the search into a booking"),
    "no_discount": ("No discount", "Likely to book anyway: a discount would only cost margin"),
    "no_offer": ("No offer", "Unlikely to book: a discount would not change that"),
}
DEFAULT_HOUR = 10


def _shown(value: object) -> str:
    if value is None:
        return "null"
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _search(
    user_id: str, searched_at: datetime, route: str, departure, passengers: int, price
) -> SimulatedSearch:
    origin, destination = split_route(route)
    return SimulatedSearch(user_id, searched_at, origin, destination, departure, passengers, price)


def render() -> None:
    where = common.header(
        "Pricing simulator",
        "A new search -> the booking model's calibrated probability -> RailFlow's rule: P >= high: no "
        "discount (books anyway); low to high: the 5% discount; below low: no offer.",
    )
    loaded = loaders.booking_model(where.home, where.target, loaders.booking_stamp(where.settings))
    if common.unavailable(loaded, "booking model"):
        return
    bundle, state, examples = loaded
    earliest = earliest_search_time(state)
    st.caption(
        f"Model: {bundle.family}, trained {bundle.trained_at}. The users' history runs to "
        f"{state.valid_from:%Y-%m-%d %H:%M:%S} UTC, so a search is scored from then on, against "
        "everything before it."
    )

    routes = list(bundle.vocabularies.get("route") or [STORY_ROUTE])
    left, middle, right = st.columns(3)
    route = left.selectbox("Route", routes, index=routes.index(STORY_ROUTE) if STORY_ROUTE in routes else 0)
    default = datetime.combine(earliest.date(), time(DEFAULT_HOUR))
    default = default if default >= earliest else default + timedelta(days=1)
    search_day = middle.date_input("Search date", default.date(), min_value=earliest.date())
    search_time = middle.time_input("Search time (UTC)", default.time())
    searched_at = max(datetime.combine(search_day, search_time), earliest)
    departure = left.date_input(
        "Travel date",
        search_day + timedelta(days=14),
        min_value=search_day,
        max_value=search_day + timedelta(days=365),
    )
    passengers = right.number_input("Passengers", 1, 9, 1)
    user = right.selectbox(
        "User",
        [NEW_USER, *examples],
        help="A known user brings their history (searches, bookings, subscription, device); the list "
        "shows the users with the most searches.",
    )
    lead = (departure - searched_at.date()).days
    reference = typical_price(state, route, lead)
    use_typical = right.toggle(
        "Typical price for this route and lead time",
        value=reference is not None,
        disabled=reference is None,
        help="The geometric mean of the quotes so far: the model's price reference",
    )
    if use_typical and reference is not None:
        price = reference
        left.caption(f"Quoted price: EUR {price:,.2f}, the typical quote for {route} {lead} days ahead")
    else:
        price = left.number_input("Quoted price (EUR)", 1.0, 2000.0, round(reference or 60.0, 2), step=1.0)
    low, high = st.slider("Policy cut-offs on P(book): discount between", 0.0, 1.0, (0.3, 0.7), step=0.05)
    policy = DecisionPolicy(high=high, low=low)
    if searched_at > datetime.combine(search_day, search_time):
        st.caption(f"Search time moved to {searched_at:%H:%M} UTC, the first minute after the history.")

    user_id = ANONYMOUS_ID if user == NEW_USER else user
    chosen = _search(user_id, searched_at, route, departure, int(passengers), price)
    result = simulate(bundle, state, [chosen], policy, reasons=REASONS)
    probability, decision = result.probability[0], result.decision[0]

    cards = st.columns(3)
    cards[0].metric("P(book), calibrated", f"{probability:.1%}", border=True)
    cards[1].metric("Tier", result.tier[0], border=True)
    label, why = DECISION_TEXT.get(decision, (decision, ""))
    cards[2].metric("Decision", label, help=why, border=True)
    st.caption(f"{why}.")

    st.subheader("The same search on other travel dates")
    days = [searched_at.date() + timedelta(days=d) for d in range(DATE_CURVE_DAYS + 1)]
    prices = [
        price if not use_typical else typical_price(state, route, (day - searched_at.date()).days)
        for day in days
    ]
    curve = simulate(
        bundle,
        state,
        [
            _search(user_id, searched_at, route, day, int(passengers), p)
            for day, p in zip(days, prices, strict=True)
        ],
        policy,
    )
    frame = pl.DataFrame(
        {
            "departure_date": days,
            "lead_time_days": list(range(DATE_CURVE_DAYS + 1)),
            "quoted_price_eur": prices,
            "probability": curve.probability,
            "decision": curve.decision,
        },
        schema_overrides={"quoted_price_eur": pl.Float64},
    )
    st.caption(
        "Shaded: the discount band. "
        + (
            "Each date quoted at its typical price."
            if use_typical
            else "Every date at the quoted price above."
        )
    )
    common.chart(charts.probability_by_date_chart(frame, low, high, departure))

    left, right = st.columns(2)
    with left:
        st.subheader("Why: the top reasons")
        features = result.features.row(0, named=True)
        if result.reasons[0]:
            reasons = pl.DataFrame(
                {
                    "label": [f"{name} = {features[name]}" for name, _ in result.reasons[0]],
                    "contribution": [value for _, value in result.reasons[0]],
                    "rank": list(range(len(result.reasons[0]))),
                }
            )
            common.chart(charts.reasons_chart(reasons))
            st.caption("TreeSHAP contributions to this search's score (green: toward booking)")
        else:
            st.info(f"No reason codes for a {bundle.family} model.")
    with right:
        st.subheader("The model's features")
        st.caption(
            "Exactly the columns the model was trained on, built by the API's online feature builder"
            + (" (a new user: no history, no attributes)" if user == NEW_USER else f" for user {user}")
        )
        common.table(
            pl.DataFrame({"feature": list(features), "value": [_shown(v) for v in features.values()]}),
            height=35 * (len(features) + 1) + 3,
        )


if __name__ == "__main__":
    render()
