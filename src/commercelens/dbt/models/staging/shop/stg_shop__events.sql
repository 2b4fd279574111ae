with

source as (
    select * from {{ source('shop', 'events') }}
),

renamed as (
    select
        visitorid as visitor_id,
        "timestamp" as event_ms,
        {{ shop_epoch_ms_to_timestamp('"timestamp"') }} as event_at,
        event as event_type,
        itemid as item_id,
        transactionid as transaction_id,
        _source_file as source_file,
        _line_number as source_line_number
    from source
)

select * from renamed
