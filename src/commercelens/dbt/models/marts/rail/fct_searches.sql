with

int_searches_joined_to_bookings as (
    select * from {{ ref('int_searches_joined_to_bookings') }}
),

final as (
    select
        search_id,
        user_id,
        searched_at,
        cast(searched_at as date) as search_date,
        cast(extract(hour from searched_at) as integer) as search_hour,
        -- ISO weekday: 1 = Monday ... 7 = Sunday (the same on DuckDB and PostgreSQL).
        cast(extract(isodow from searched_at) as integer) as search_weekday,
        origin_station,
        destination_station,
        route,
        departure_date,
        cast(departure_date - cast(searched_at as date) as integer) as lead_time_days,
        passenger_count,
        quoted_price_eur,
        has_successful_booking as is_converted,
        successful_booking_id as booking_id,
        successful_booked_at as booked_at,
        cast(coalesce(successful_booking_amount_eur, 0) as decimal(14, 2)) as revenue_eur,
        booking_attempts,
        failed_booking_attempts,
        pending_booking_attempts
    from int_searches_joined_to_bookings
)

select * from final
