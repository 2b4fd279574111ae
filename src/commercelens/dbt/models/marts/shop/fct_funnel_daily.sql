{#- Rates are shares of valid sessions; time to convert is first view -> first transaction of a
    converting session, in seconds (percentile_cont: interpolated, as PostgreSQL and DuckDB agree).
    The mean divides an exact decimal sum, so it does not depend on the order rows are summed in
    (a float avg() does, in its last bit, which an incremental build would show). -#}
with

int_sessions_summarised as (
    select * from {{ ref('int_sessions_summarised') }}
),

sessions_staged as (
    select
        session_start_date,
        is_valid,
        has_view,
        has_addtocart,
        has_transaction,
        case
            when is_valid and has_transaction
                then cast((first_transaction_ms - first_view_ms) / 1000.0 as numeric(18, 3))
        end as seconds_to_convert
    from int_sessions_summarised
),

days_aggregated as (
    select
        session_start_date,
        sum(case when is_valid then 1 else 0 end) as session_count,
        sum(case when is_valid then 0 else 1 end) as invalid_session_count,
        sum(case when is_valid and has_view then 1 else 0 end) as sessions_with_view,
        sum(case when is_valid and has_addtocart then 1 else 0 end) as sessions_with_addtocart,
        sum(case when is_valid and has_transaction then 1 else 0 end) as sessions_with_transaction,
        sum(case when is_valid and has_view and not has_addtocart then 1 else 0 end)
            as sessions_dropped_after_view,
        sum(case when is_valid and has_addtocart and not has_transaction then 1 else 0 end)
            as sessions_dropped_after_addtocart,
        sum(seconds_to_convert) / nullif(count(seconds_to_convert), 0) as mean_seconds_to_convert,
        percentile_cont(0.5) within group (order by cast(seconds_to_convert as double precision))
            as median_seconds_to_convert,
        percentile_cont(0.9) within group (order by cast(seconds_to_convert as double precision))
            as p90_seconds_to_convert
    from sessions_staged
    group by session_start_date
),

final as (
    select
        session_start_date,
        session_count,
        invalid_session_count,
        sessions_with_view,
        sessions_with_addtocart,
        sessions_with_transaction,
        cast(sessions_with_addtocart as numeric) / nullif(sessions_with_view, 0)
            as view_to_addtocart_rate,
        cast(sessions_with_transaction as numeric) / nullif(sessions_with_addtocart, 0)
            as addtocart_to_transaction_rate,
        cast(sessions_with_transaction as numeric) / nullif(session_count, 0)
            as session_conversion_rate,
        mean_seconds_to_convert,
        median_seconds_to_convert,
        p90_seconds_to_convert,
        sessions_dropped_after_view,
        sessions_dropped_after_addtocart
    from days_aggregated
)

select * from final
