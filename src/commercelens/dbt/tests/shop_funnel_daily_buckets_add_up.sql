-- Every valid session is in exactly one drop-off bucket, and the day's sessions add up to
-- fct_sessions. Fails with one row per day that does not add up.
with

fct_funnel_daily as (
    select * from {{ ref('fct_funnel_daily') }}
),

fct_sessions as (
    select * from {{ ref('fct_sessions') }}
),

sessions_by_day as (
    select
        session_start_date,
        sum(case when is_valid then 1 else 0 end) as valid_sessions,
        sum(case when is_valid then 0 else 1 end) as invalid_sessions
    from fct_sessions
    group by session_start_date
),

offending as (
    select fct_funnel_daily.session_start_date
    from fct_funnel_daily
    full outer join sessions_by_day
        on sessions_by_day.session_start_date = fct_funnel_daily.session_start_date
    where fct_funnel_daily.session_start_date is null
        or sessions_by_day.session_start_date is null
        or fct_funnel_daily.session_count <> sessions_by_day.valid_sessions
        or fct_funnel_daily.invalid_session_count <> sessions_by_day.invalid_sessions
        or fct_funnel_daily.session_count <> fct_funnel_daily.sessions_dropped_after_view
            + fct_funnel_daily.sessions_dropped_after_addtocart
            + fct_funnel_daily.sessions_with_transaction
)

select * from offending
