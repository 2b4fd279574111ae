with

stg_rail__bookings as (
    select * from {{ ref('stg_rail__bookings') }}
),

int_searches_joined_to_bookings as (
    select * from {{ ref('int_searches_joined_to_bookings') }}
),

attempts_numbered as (
    select
        booking_id,
        row_number() over (partition by search_id order by booked_at, booking_id) as attempt_number
    from stg_rail__bookings
),

final as (
    select
        stg_rail__bookings.booking_id,
        stg_rail__bookings.search_id,
        stg_rail__bookings.user_id,
        stg_rail__bookings.booked_at,
        cast(stg_rail__bookings.booked_at as date) as booked_date,
        stg_rail__bookings.payment_status,
        stg_rail__bookings.payment_status = 'Success' as is_successful,
        stg_rail__bookings.payment_status = 'Failed' as is_failed,
        stg_rail__bookings.payment_status = 'Pending' as is_pending,
        stg_rail__bookings.ticket_class,
        stg_rail__bookings.amount_eur,
        cast(
            case when stg_rail__bookings.payment_status = 'Success' then stg_rail__bookings.amount_eur else 0 end
            as decimal(14, 2)
        ) as revenue_eur,
        attempts_numbered.attempt_number,
        int_searches_joined_to_bookings.route,
        int_searches_joined_to_bookings.searched_at,
        cast(
            {{ dbt.datediff('int_searches_joined_to_bookings.searched_at', 'stg_rail__bookings.booked_at', 'second') }}
            as bigint
        ) as seconds_from_search_to_booking
    from stg_rail__bookings
    inner join attempts_numbered
        on stg_rail__bookings.booking_id = attempts_numbered.booking_id
    inner join int_searches_joined_to_bookings
        on stg_rail__bookings.search_id = int_searches_joined_to_bookings.search_id
)

select * from final
