with

int_sessions_summarised as (
    select * from {{ ref('int_sessions_summarised') }}
),

final as (
    select
        session_id,
        visitor_id,
        session_start_at,
        session_end_at,
        session_start_date,
        session_start_ms,
        session_end_ms,
        duration_seconds,
        event_count,
        view_count,
        addtocart_count,
        transaction_count,
        distinct_item_count,
        duplicate_rows_removed,
        has_view,
        has_addtocart,
        has_transaction,
        first_view_at,
        first_addtocart_at,
        first_transaction_at,
        invalid_reason,
        is_valid
    from int_sessions_summarised
)

select * from final
