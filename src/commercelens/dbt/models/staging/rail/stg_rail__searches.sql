with

source as (
    select * from {{ source('rail', 'searches') }}
),

renamed as (
    select
        search_id,
        user_id,
        searched_at,
        origin_station,
        destination_station,
        departure_date,
        passenger_count,
        quoted_price_eur
    from source
)

select * from renamed
