{{ config(severity='warn') }}
-- Every staged event is in int_events_sessionised. A warning names the events an incremental run
-- left out because they arrived later than the late-arrival limit (var shop_late_arrival_hours):
-- run `commercelens transform --full-refresh` to take them in.
with

stg_shop__events as (
    select * from {{ ref('stg_shop__events') }}
),

int_events_sessionised as (
    select * from {{ ref('int_events_sessionised') }}
),

missing_events as (
    select staged.*
    from stg_shop__events as staged
    left join int_events_sessionised as sessionised
        on sessionised.visitor_id = staged.visitor_id
        and sessionised.event_ms = staged.event_ms
        and sessionised.event_type = staged.event_type
        and sessionised.item_id = staged.item_id
        and coalesce(sessionised.transaction_id, -1) = coalesce(staged.transaction_id, -1)
    where sessionised.visitor_id is null
)

select * from missing_events
