{#- Incremental exception to the folder's views: re-sessionising 2.7M events on every read would
    cost every mart. delete+insert by visitor: a run replaces the rows of the visitors who have new
    (or changed, or vanished) events since the last run, and only from their reopened sessions on.

    Window and limit (hours, dbt vars):
      late-arrival limit L = var('shop_late_arrival_hours', 6): an incremental run looks for new
        events at or after (previous max event_ms - L). Older late events are NOT picked up
        incrementally (the warn-level test shop_events_sessionised_cover_staging counts them):
        run `commercelens transform --full-refresh` then.
      re-sessionisation window = L + 30 min: an affected visitor's sessions whose last event is
        within it (>= previous max - L - 30 min) are rebuilt from staging; earlier ones are closed
        for good (any event at or after the limit is more than 30 min after them) and are copied
        unchanged, so the result equals a full refresh (dbt-labs/segment issue 62).
    Deletions: a visitor gone from staging (erased) is deleted by the post-hook of an incremental
    run; an event removed from staging is dropped only when it is after the late-arrival limit;
    older removals need a full refresh. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='visitor_id',
        on_schema_change='fail',
        post_hook=[
            "{% if is_incremental() %}delete from {{ this }} where not exists (select 1 from {{ ref('stg_shop__events') }} as staged where staged.visitor_id = {{ this }}.visitor_id){% endif %}"
        ],
    )
}}

{%- set session_gap_ms = 1800 * 1000 -%}
{%- set late_arrival_ms = (var('shop_late_arrival_hours', 6) * 3600 * 1000) | int -%}
{%- set event_key = ['visitor_id', 'event_ms', 'event_type', 'item_id', 'transaction_id'] -%}
{%- set output_columns = [
    'session_id', 'visitor_id', 'event_sequence', 'event_ms', 'event_at', 'event_type',
    'event_type_rank', 'item_id', 'transaction_id', 'session_start_ms', 'duplicate_rows_removed',
] -%}
{%- set timeline = 'order by event_ms, event_type_rank, item_id, transaction_id nulls first' -%}

with

stg_shop__events as (
    select * from {{ ref('stg_shop__events') }}
),

{% if is_incremental() %}

already_sessionised as (
    select * from {{ this }}
),

watermark as (
    -- An empty table (every visitor erased) takes every event again.
    select coalesce(max(event_ms) - {{ late_arrival_ms }}, -1000000000000000) as late_cutoff_ms
    from already_sessionised
),

recent_events as (
    select {{ event_key | join(', ') }}, count(*) - 1 as duplicate_rows_removed
    from stg_shop__events
    where event_ms >= (select late_cutoff_ms from watermark)
    group by {{ event_key | join(', ') }}
),

recent_already_sessionised as (
    select * from already_sessionised
    where event_ms >= (select late_cutoff_ms from watermark)
),

-- New events, events whose duplicate count changed, and events that left staging.
changed_events as (
    select recent_events.visitor_id
    from recent_events
    left join recent_already_sessionised as previous
        on previous.visitor_id = recent_events.visitor_id
        and previous.event_ms = recent_events.event_ms
        and previous.event_type = recent_events.event_type
        and previous.item_id = recent_events.item_id
        and coalesce(previous.transaction_id, -1) = coalesce(recent_events.transaction_id, -1)
        and previous.duplicate_rows_removed = recent_events.duplicate_rows_removed
    where previous.visitor_id is null

    union all

    select previous.visitor_id
    from recent_already_sessionised as previous
    left join recent_events
        on recent_events.visitor_id = previous.visitor_id
        and recent_events.event_ms = previous.event_ms
        and recent_events.event_type = previous.event_type
        and recent_events.item_id = previous.item_id
        and coalesce(recent_events.transaction_id, -1) = coalesce(previous.transaction_id, -1)
    where recent_events.visitor_id is null
),

affected_visitors as (
    select distinct visitor_id from changed_events
),

already_sessionised_of_affected as (
    select
        already_sessionised.*,
        max(already_sessionised.event_ms) over (partition by already_sessionised.session_id)
            as session_end_ms
    from already_sessionised
    inner join affected_visitors on affected_visitors.visitor_id = already_sessionised.visitor_id
),

-- Per affected visitor: rebuild from the start of the first session that may still grow.
rebuild_bounds as (
    select
        affected_visitors.visitor_id,
        least(
            coalesce(min(case
                when previous.session_end_ms >= watermark.late_cutoff_ms - {{ session_gap_ms }}
                    then previous.event_ms
            end), watermark.late_cutoff_ms),
            watermark.late_cutoff_ms
        ) as rebuild_from_ms
    from affected_visitors
    cross join watermark
    left join already_sessionised_of_affected as previous
        on previous.visitor_id = affected_visitors.visitor_id
    group by affected_visitors.visitor_id, watermark.late_cutoff_ms
),

closed_sessions_kept as (
    select previous.*
    from already_sessionised_of_affected as previous
    inner join rebuild_bounds on rebuild_bounds.visitor_id = previous.visitor_id
    where previous.event_ms < rebuild_bounds.rebuild_from_ms
),

events_to_sessionise as (
    select staged.*
    from stg_shop__events as staged
    inner join rebuild_bounds on rebuild_bounds.visitor_id = staged.visitor_id
    where staged.event_ms >= rebuild_bounds.rebuild_from_ms
        and staged.event_ms >= (select min(rebuild_from_ms) from rebuild_bounds)
),

{% else %}

events_to_sessionise as (
    select * from stg_shop__events
),

{% endif %}

events_ranked as (
    select
        {{ event_key | join(', ') }},
        case event_type when 'view' then 1 when 'addtocart' then 2 when 'transaction' then 3 end
            as event_type_rank
    from events_to_sessionise
),

-- One sort does it all. Exact duplicates (copies of one event across files; ingestion already
-- quarantined them within a file) are peers in this order: the first is kept, the others are
-- counted. A gap of exactly 1800 s stays in the session; more than that starts a new one (a copy
-- is 0 s after its original, so it never starts one).
events_flagged as (
    select
        *,
        case
            when event_ms - lag(event_ms) over visitor_timeline <= {{ session_gap_ms }} then null
            else event_ms
        end as started_session_at_ms,
        dense_rank() over visitor_timeline as visitor_event_number,
        row_number() over visitor_timeline - rank() over visitor_timeline as copy_number,
        count(*) over (visitor_timeline range between current row and current row) - 1
            as duplicate_rows_removed
    from events_ranked
    window visitor_timeline as (partition by visitor_id {{ timeline }})
),

distinct_events as (
    select * from events_flagged where copy_number = 0
),

-- Both running maxima share one sort: the latest session start so far is this event's session.
sessions_assigned as (
    select
        *,
        max(started_session_at_ms) over visitor_so_far as session_start_ms,
        max(case when started_session_at_ms is not null then visitor_event_number end)
            over visitor_so_far as session_first_event_number
    from distinct_events
    window visitor_so_far as (
        partition by visitor_id {{ timeline }}
        rows between unbounded preceding and current row
    )
),

sessionised as (
    select
        {{ shop_epoch_ms_to_timestamp('event_ms') }} as event_at,
        cast(visitor_id as {{ dbt.type_string() }}) || '-'
            || cast(session_start_ms as {{ dbt.type_string() }}) as session_id,
        visitor_event_number - session_first_event_number + 1 as event_sequence,
        *
    from sessions_assigned
),

final as (
    select {{ output_columns | join(', ') }}
    from sessionised
    {%- if is_incremental() %}

    union all

    select {{ output_columns | join(', ') }}
    from closed_sessions_kept
    {%- endif %}
)

select * from final
