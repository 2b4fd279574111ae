with

source as (
    select * from {{ source('shop', 'category_tree') }}
),

renamed as (
    select
        categoryid as category_id,
        parentid as parent_category_id
    from source
)

select * from renamed
