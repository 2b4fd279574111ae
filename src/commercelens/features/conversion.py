"""Conversion features: one row per shop session alive 300 s after its start, at that instant.

Unit (the generator's definition, so units match `session_features_at_300s.parquet`): a session
of `int_events_sessionised` with at least one event at or after `start + 300 s` and no purchase
before it. Decision time: `session_start_ms + 300,000`. Label: a purchase at or after it in the
session. Features use only events with `event_ms < decision_ms`: the session's own so far, the
visitor's earlier sessions (which, under the 30-minute rule, ended before this one started) and,
for popularity, every visitor's views before the decision.
"""

from __future__ import annotations

from collections.abc import Mapping

from commercelens.features.split import SplitBoundaries

DECISION_MS = 300_000
MS_PER_HOUR = 3_600_000

_SESSIONS = f"""
sessions as (
    select
        session_id,
        visitor_id,
        session_start_ms,
        session_start_ms + {DECISION_MS} as decision_ms,
        max(event_ms) as last_event_ms,
        count(*) filter (
            where event_type = 'transaction' and event_ms < session_start_ms + {DECISION_MS}
        ) as purchases_before_decision,
        count(*) filter (
            where event_type = 'transaction' and event_ms >= session_start_ms + {DECISION_MS}
        ) as purchases_after_decision
    from events
    group by session_id, visitor_id, session_start_ms
),

units as (
    select *, make_timestamp(decision_ms * 1000) as decision_at
    from sessions
    where last_event_ms >= decision_ms and purchases_before_decision = 0
)"""


def decision_times_sql(relations: Mapping[str, str]) -> str:
    return f"with events as (select * from {relations['events']}), {_SESSIONS} select decision_at from units"


def features_sql(relations: Mapping[str, str], split: SplitBoundaries) -> str:
    """The SELECT of `ml.conversion_features` from the sessionised events relation."""
    return f"""
with

events as (
    select * from {relations["events"]}
),

{_SESSIONS},

events_before_decision as (
    select events.*, units.decision_ms
    from events
    inner join units on units.session_id = events.session_id
    where events.event_ms < units.decision_ms
),

so_far as (
    select
        session_id,
        count(*) as events_before_decision,
        count(*) filter (where event_type = 'view') as views_before_decision,
        count(*) filter (where event_type = 'addtocart') as addtocarts_before_decision,
        count(distinct item_id) filter (where event_type = 'view') as distinct_items_before_decision,
        (max(event_ms) - min(session_start_ms)) / 1000.0 as dwell_before_decision_s
    from events_before_decision
    group by session_id
),

-- Every session of the visitor counts as history from its start; a purchase session from the
-- end of that earlier session (always before this one starts).
visitor_history as (
    select
        session_id,
        count(*) over before as visitor_prior_sessions,
        coalesce(
            sum(cast(purchases_before_decision + purchases_after_decision > 0 as integer)) over before, 0
        ) as visitor_prior_purchase_sessions,
        max(session_start_ms) over before as previous_session_start_ms
    from sessions
    window before as (
        partition by visitor_id order by session_start_ms
        range between unbounded preceding and current row exclude group
    )
),

-- Popularity from earlier data only: views of an item (by anyone, this session excluded)
-- strictly before the decision, as a log share of all views before it.
item_views_so_far as (
    select
        item_id,
        event_ms,
        count(*) over (partition by item_id order by event_ms) as item_views_through
    from events
    where event_type = 'view'
),

all_views_so_far as (
    select event_ms, count(*) over (order by event_ms) as all_views_through
    from events
    where event_type = 'view'
),

session_item_views as (
    select session_id, decision_ms, item_id, count(*) as own_views
    from events_before_decision
    where event_type = 'view'
    group by session_id, decision_ms, item_id
),

item_popularity as (
    select
        session_item_views.session_id,
        sum(
            session_item_views.own_views * (
                ln(1 + coalesce(item_views_so_far.item_views_through, 0) - session_item_views.own_views)
                - ln(1 + coalesce(all_views_so_far.all_views_through, 0))
            )
        ) / sum(session_item_views.own_views) as mean_item_popularity
    from session_item_views
    asof left join item_views_so_far
        on item_views_so_far.item_id = session_item_views.item_id
        and item_views_so_far.event_ms < session_item_views.decision_ms
    asof left join all_views_so_far
        on all_views_so_far.event_ms < session_item_views.decision_ms
    group by session_item_views.session_id
),

final as (
    select
        units.session_id,
        units.decision_at,
        cast(units.purchases_after_decision > 0 as integer) as label,
        {split.case_sql("units.decision_at")} as split,
        cast(so_far.views_before_decision as integer) as views_before_decision,
        cast(so_far.addtocarts_before_decision as integer) as addtocarts_before_decision,
        cast(so_far.events_before_decision as integer) as events_before_decision,
        cast(so_far.distinct_items_before_decision as integer) as distinct_items_before_decision,
        1.0 - so_far.distinct_items_before_decision / greatest(so_far.views_before_decision, 1)
            as repeat_view_share,
        so_far.dwell_before_decision_s,
        (units.session_start_ms % 86400000) / {MS_PER_HOUR}.0 as start_hour_utc,
        cast(extract(isodow from make_timestamp(units.session_start_ms * 1000)) as integer)
            as start_weekday,
        cast(visitor_history.visitor_prior_sessions as integer) as visitor_prior_sessions,
        cast(visitor_history.visitor_prior_purchase_sessions as integer)
            as visitor_prior_purchase_sessions,
        (units.session_start_ms - visitor_history.previous_session_start_ms) / {MS_PER_HOUR}.0
            as hours_since_previous_session,
        item_popularity.mean_item_popularity
    from units
    inner join so_far on so_far.session_id = units.session_id
    inner join visitor_history on visitor_history.session_id = units.session_id
    left join item_popularity on item_popularity.session_id = units.session_id
)

select * from final
"""
