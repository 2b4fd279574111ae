with

source as (
    select * from {{ source('payments', 'transactions') }}
),

renamed as (
    select
        id as transaction_id,
        date as transaction_at,
        -- The extension column has the second; the Kaggle file only has the minute.
        coalesce(event_time, date) as event_at,
        client_id,
        card_id,
        cast(amount as numeric(14, 2)) as amount,
        amount < 0 as is_refund,
        case use_chip
            when 'Swipe Transaction' then 'swipe'
            when 'Chip Transaction' then 'chip'
            when 'Online Transaction' then 'online'
        end as channel,
        merchant_id,
        merchant_city,
        merchant_state,
        -- Loaded as a float (58523.0); a ZIP code is a 5-character code with leading zeros.
        lpad(cast(cast(zip as bigint) as {{ dbt.type_string() }}), 5, '0') as zip,
        mcc,
        errors,
        errors is not null as has_error,
        device_id,
        merchant_latitude,
        merchant_longitude
    from source
)

select * from renamed
