-- Inside a session no gap exceeds 1800 s; between a visitor's consecutive sessions every gap does.
-- Fails with one row per offending pair of consecutive events.
with

int_events_sessionised as (
    select * from {{ ref('int_events_sessionised') }}
),

consecutive_events as (
    select
        visitor_id,
        session_id,
        event_ms,
        lag(session_id) over visitor_timeline as previous_session_id,
        lag(event_ms) over visitor_timeline as previous_event_ms
    from int_events_sessionised
    window visitor_timeline as (
        partition by visitor_id
        order by event_ms, event_type_rank, item_id, transaction_id nulls first
    )
),

offending as (
    select * from consecutive_events
    where (session_id = previous_session_id and event_ms - previous_event_ms > 1800000)
        or (session_id <> previous_session_id and event_ms - previous_event_ms <= 1800000)
)

select * from offending
