"""Booking features: one row per search, at the instant of the search.

History is strict: an event counts only if it happened strictly before `searched_at` (same-second
searches and bookings are not yet history). Window frames `range ... exclude group` over the
user's time line give that in one sort, with no self-join.
"""

from __future__ import annotations

from collections.abc import Mapping

from commercelens.features.split import SplitBoundaries

# Lead-time buckets for the price reference: 0, 1, 2, 3-4, 5-6, 7-9, 10-14, 15-22, 23-33, 34-51,
# 52-77, 78+ days (about a third of a log unit each: fares move fast close to departure).
LEAD_BUCKET_SQL = "cast(floor(ln(1 + lead_time_days) * 2.5) as integer)"


def decision_times_sql(relations: Mapping[str, str]) -> str:
    return f"select searched_at as decision_at from {relations['searches']}"


def features_sql(relations: Mapping[str, str], split: SplitBoundaries) -> str:
    """The SELECT of `ml.booking_features` from the four input relations."""
    r = relations
    return f"""
with

searches as (
    select *, {LEAD_BUCKET_SQL} as lead_bucket from {r["searches"]}
),

-- One time line per user: searches and successful bookings (at booked_at).
user_events as (
    select user_id, searched_at as event_at, search_id, 0 as is_booking from searches
    union all
    select user_id, booked_at as event_at, null as search_id, 1 as is_booking
    from {r["bookings"]}
    where is_successful
),

user_history as (
    select
        search_id,
        coalesce(sum(1 - is_booking) over before, 0) as user_searches_before,
        coalesce(sum(is_booking) over before, 0) as user_successful_bookings_before,
        coalesce(sum(1 - is_booking) over last_7d, 0) as user_searches_7d,
        max(case when is_booking = 0 then event_at end) over before as previous_search_at,
        max(case when is_booking = 1 then event_at end) over before as previous_booking_at
    from user_events
    window
        before as (
            partition by user_id order by event_at
            range between unbounded preceding and current row exclude group
        ),
        last_7d as (
            partition by user_id order by event_at
            range between interval 7 days preceding and current row exclude group
        )
    qualify is_booking = 0
),

route_history as (
    select
        search_id,
        count(*) over (
            partition by user_id, route order by searched_at
            range between unbounded preceding and current row exclude group
        ) as user_route_searches_before
    from searches
),

-- Earlier quotes (anyone's) on the same route and lead-time bucket: the usual fare then.
price_reference as (
    select
        search_id,
        avg(ln(quoted_price_eur)) over (
            partition by route, lead_bucket order by searched_at
            range between unbounded preceding and current row exclude group
        ) as reference_log_price
    from searches
    where quoted_price_eur > 0
),

discount_exposure as (
    select searches.search_id, 1 as is_discount_shown
    from searches
    inner join {r["assignments"]} as assignments
        on assignments.user_id = searches.user_id
        and assignments.variation <> 'control'
        and assignments.first_assigned_at <= searches.searched_at
    group by searches.search_id
),

final as (
    select
        searches.search_id,
        searches.searched_at as decision_at,
        cast(searches.is_converted as integer) as label,
        {split.case_sql("searches.searched_at")} as split,
        searches.route,
        searches.lead_time_days,
        cast(extract(hour from searches.searched_at) as integer) as search_hour,
        cast(extract(isodow from searches.searched_at) as integer) as search_weekday,
        searches.passenger_count,
        searches.quoted_price_eur,
        ln(searches.quoted_price_eur) - price_reference.reference_log_price
            as price_vs_route_lead_log_ratio,
        users.subscription_type,
        users.age,
        users.device_os,
        date_diff('day', users.signup_at, searches.searched_at) as account_age_days,
        coalesce(discount_exposure.is_discount_shown, 0) as is_discount_shown,
        cast(user_history.user_searches_before as integer) as user_searches_before,
        cast(user_history.user_successful_bookings_before as integer)
            as user_successful_bookings_before,
        cast(user_history.user_searches_7d as integer) as user_searches_7d,
        cast(route_history.user_route_searches_before as integer) as user_route_searches_before,
        date_diff('second', user_history.previous_search_at, searches.searched_at) / 3600.0
            as hours_since_previous_search,
        date_diff('second', user_history.previous_booking_at, searches.searched_at) / 86400.0
            as days_since_previous_booking
    from searches
    inner join user_history on user_history.search_id = searches.search_id
    inner join route_history on route_history.search_id = searches.search_id
    left join price_reference on price_reference.search_id = searches.search_id
    left join {r["users"]} as users on users.user_id = searches.user_id
    left join discount_exposure on discount_exposure.search_id = searches.search_id
)

select * from final
"""
