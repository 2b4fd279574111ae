{#- The property log holds a row when a value is first seen or changes; an item's current value is
    its latest row. Two rows at the same timestamp: the larger value wins (a rule on the data, so the
    answer does not depend on file or line order). -#}
with

stg_shop__item_properties as (
    select * from {{ ref('stg_shop__item_properties') }}
),

int_events_sessionised as (
    select * from {{ ref('int_events_sessionised') }}
),

category_changes_ranked as (
    select
        item_id,
        cast(property_value as bigint) as category_id,
        recorded_at,
        row_number() over (
            partition by item_id
            order by recorded_ms desc, cast(property_value as bigint) desc
        ) as recency_rank,
        count(*) over (partition by item_id) as category_row_count
    from stg_shop__item_properties
    where property_name = 'categoryid'
),

latest_categories as (
    select
        item_id,
        category_id,
        recorded_at as category_recorded_at,
        category_row_count - 1 as category_change_count
    from category_changes_ranked
    where recency_rank = 1
),

availability_ranked as (
    select
        item_id,
        property_value = '1' as is_available,
        recorded_at,
        row_number() over (
            partition by item_id
            order by recorded_ms desc, property_value desc
        ) as recency_rank
    from stg_shop__item_properties
    where property_name = 'available'
),

latest_availability as (
    select item_id, is_available, recorded_at as availability_recorded_at
    from availability_ranked
    where recency_rank = 1
),

item_events as (
    select
        item_id,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at,
        sum(case when event_type = 'view' then 1 else 0 end) as view_count,
        sum(case when event_type = 'addtocart' then 1 else 0 end) as addtocart_count,
        sum(case when event_type = 'transaction' then 1 else 0 end) as transaction_count
    from int_events_sessionised
    group by item_id
),

all_items as (
    select item_id from stg_shop__item_properties
    union
    select item_id from item_events
),

final as (
    select
        all_items.item_id,
        latest_categories.category_id,
        latest_categories.category_recorded_at,
        coalesce(latest_categories.category_change_count, 0) as category_change_count,
        latest_availability.is_available,
        latest_availability.availability_recorded_at,
        item_events.first_seen_at,
        item_events.last_seen_at,
        coalesce(item_events.view_count, 0) as view_count,
        coalesce(item_events.addtocart_count, 0) as addtocart_count,
        coalesce(item_events.transaction_count, 0) as transaction_count
    from all_items
    left join latest_categories on latest_categories.item_id = all_items.item_id
    left join latest_availability on latest_availability.item_id = all_items.item_id
    left join item_events on item_events.item_id = all_items.item_id
)

select * from final
