with

stg_rail__searches as (
    select * from {{ ref('stg_rail__searches') }}
),

stg_rail__bookings as (
    select * from {{ ref('stg_rail__bookings') }}
),

attempts_per_search as (
    select
        search_id,
        count(*) as booking_attempts,
        count(case when payment_status = 'Success' then 1 end) as successful_booking_attempts,
        count(case when payment_status = 'Failed' then 1 end) as failed_booking_attempts,
        count(case when payment_status = 'Pending' then 1 end) as pending_booking_attempts
    from stg_rail__bookings
    group by search_id
),

-- The generator (and the business) allow at most one Success per search; should a second one
-- ever appear, the earliest is the sale (rail_at_most_one_successful_booking_per_search flags it).
successful_bookings_ranked as (
    select
        search_id,
        booking_id,
        booked_at,
        amount_eur,
        row_number() over (partition by search_id order by booked_at, booking_id) as success_rank
    from stg_rail__bookings
    where payment_status = 'Success'
),

first_successful_booking as (
    select
        search_id,
        booking_id as successful_booking_id,
        booked_at as successful_booked_at,
        amount_eur as successful_booking_amount_eur
    from successful_bookings_ranked
    where success_rank = 1
),

joined as (
    select
        stg_rail__searches.search_id,
        stg_rail__searches.user_id,
        stg_rail__searches.searched_at,
        stg_rail__searches.origin_station,
        stg_rail__searches.destination_station,
        stg_rail__searches.origin_station || ' -> ' || stg_rail__searches.destination_station as route,
        stg_rail__searches.departure_date,
        stg_rail__searches.passenger_count,
        stg_rail__searches.quoted_price_eur,
        first_successful_booking.successful_booking_id is not null as has_successful_booking,
        first_successful_booking.successful_booking_id,
        first_successful_booking.successful_booked_at,
        first_successful_booking.successful_booking_amount_eur,
        coalesce(attempts_per_search.booking_attempts, 0) as booking_attempts,
        coalesce(attempts_per_search.successful_booking_attempts, 0) as successful_booking_attempts,
        coalesce(attempts_per_search.failed_booking_attempts, 0) as failed_booking_attempts,
        coalesce(attempts_per_search.pending_booking_attempts, 0) as pending_booking_attempts
    from stg_rail__searches
    left join attempts_per_search
        on stg_rail__searches.search_id = attempts_per_search.search_id
    left join first_successful_booking
        on stg_rail__searches.search_id = first_successful_booking.search_id
),

final as (
    select * from joined
)

select * from final
