{#- Each category climbs its parent chain (a recursive CTE) until a root (no parent). The depth
    guard stops a parent cycle, which would otherwise recurse forever, after
    var('shop_category_max_depth', 20) steps; such a category, and one whose chain reaches a parent
    missing from the tree, gets no root and no level, and says why in hierarchy_status.
    Level 1 is a root. -#}
{%- set max_depth = var('shop_category_max_depth', 20) | int -%}

with recursive

stg_shop__category_tree as (
    select * from {{ ref('stg_shop__category_tree') }}
),

ancestors as (
    select
        category_id,
        category_id as ancestor_id,
        parent_category_id as ancestor_parent_id,
        0 as depth
    from stg_shop__category_tree

    union all

    select
        ancestors.category_id,
        parent.category_id as ancestor_id,
        parent.parent_category_id as ancestor_parent_id,
        ancestors.depth + 1 as depth
    from ancestors
    inner join stg_shop__category_tree as parent
        on parent.category_id = ancestors.ancestor_parent_id
    where ancestors.depth < {{ max_depth }}
),

furthest_ancestors as (
    select
        category_id,
        ancestor_id,
        ancestor_parent_id,
        depth,
        row_number() over (partition by category_id order by depth desc) as distance_rank
    from ancestors
),

children_counted as (
    select parent_category_id as category_id, count(*) as child_count
    from stg_shop__category_tree
    where parent_category_id is not null
    group by parent_category_id
),

final as (
    select
        stg_shop__category_tree.category_id,
        stg_shop__category_tree.parent_category_id,
        case when furthest.ancestor_parent_id is null then furthest.ancestor_id end
            as root_category_id,
        case when furthest.ancestor_parent_id is null then furthest.depth + 1 end
            as category_level,
        coalesce(children_counted.child_count, 0) as child_count,
        stg_shop__category_tree.parent_category_id is null as is_root,
        children_counted.child_count is null as is_leaf,
        case
            when furthest.ancestor_parent_id is null then 'ok'
            when furthest.depth >= {{ max_depth }} then 'cycle_or_too_deep'
            else 'missing_parent'
        end as hierarchy_status
    from stg_shop__category_tree
    inner join furthest_ancestors as furthest
        on furthest.category_id = stg_shop__category_tree.category_id
        and furthest.distance_rank = 1
    left join children_counted
        on children_counted.category_id = stg_shop__category_tree.category_id
)

select * from final
