with

source as (
    select * from {{ source('shop', 'item_properties') }}
),

renamed as (
    select
        itemid as item_id,
        "timestamp" as recorded_ms,
        {{ shop_epoch_ms_to_timestamp('"timestamp"') }} as recorded_at,
        property as property_name,
        value as property_value,
        _source_file as source_file,
        _line_number as source_line_number
    from source
)

select * from renamed
