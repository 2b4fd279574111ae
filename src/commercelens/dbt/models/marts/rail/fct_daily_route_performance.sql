with

int_searches_joined_to_bookings as (
    select * from {{ ref('int_searches_joined_to_bookings') }}
),

-- Everything is attributed to the day of the search (not of the payment), so a day's
-- conversion rate is the share of that day's searches that were ever sold.
route_days as (
    select
        route,
        origin_station,
        destination_station,
        cast(searched_at as date) as search_date,
        count(*) as searches,
        count(case when has_successful_booking then 1 end) as converted_searches,
        sum(successful_booking_attempts) as successful_bookings,
        sum(failed_booking_attempts) as failed_booking_attempts,
        sum(pending_booking_attempts) as pending_booking_attempts,
        sum(coalesce(successful_booking_amount_eur, 0)) as revenue_eur
    from int_searches_joined_to_bookings
    group by route, origin_station, destination_station, cast(searched_at as date)
),

final as (
    select
        route,
        origin_station,
        destination_station,
        search_date,
        searches,
        converted_searches,
        cast(successful_bookings as bigint) as successful_bookings,
        cast(failed_booking_attempts as bigint) as failed_booking_attempts,
        cast(pending_booking_attempts as bigint) as pending_booking_attempts,
        cast(revenue_eur as decimal(18, 2)) as revenue_eur,
        -- IEEE division is correctly rounded, so both targets give the identical double.
        cast(converted_searches as double precision) / cast(searches as double precision) as conversion_rate
    from route_days
)

select * from final
