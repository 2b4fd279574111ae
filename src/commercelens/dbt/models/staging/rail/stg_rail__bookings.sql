with

source as (
    select * from {{ source('rail', 'bookings') }}
),

renamed as (
    select
        booking_id,
        search_id,
        user_id,
        booked_at,
        payment_status,
        ticket_class,
        amount_eur
    from source
)

select * from renamed
