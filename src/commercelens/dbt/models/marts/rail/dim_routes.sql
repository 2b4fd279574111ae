with

int_searches_joined_to_bookings as (
    select * from {{ ref('int_searches_joined_to_bookings') }}
),

routes as (
    select
        route,
        origin_station,
        destination_station,
        count(*) as searches,
        count(case when has_successful_booking then 1 end) as converted_searches,
        sum(coalesce(successful_booking_amount_eur, 0)) as revenue_eur,
        min(searched_at) as first_searched_at,
        max(searched_at) as last_searched_at
    from int_searches_joined_to_bookings
    group by route, origin_station, destination_station
),

final as (
    select
        route,
        origin_station,
        destination_station,
        searches,
        converted_searches,
        cast(revenue_eur as decimal(18, 2)) as revenue_eur,
        cast(converted_searches as double precision) / cast(searches as double precision) as conversion_rate,
        first_searched_at,
        last_searched_at
    from routes
)

select * from final
