{#- Generic test: no two rows share the values of `columns` (a composite primary key; an item may be
    an expression such as coalesce(transaction_id, -1)), and none of them is null. Fails with one row
    per offending key. Written here because dbt packages (dbt_utils.unique_combination_of_columns)
    cannot be installed. -#}
{% test shop_unique_combination(model, columns) %}

with

keyed as (
    select
        {%- for column in columns %}
        {{ column }} as key_{{ loop.index }},
        {%- endfor %}
        count(*) as row_count
    from {{ model }}
    group by {{ columns | join(', ') }}
),

offending as (
    select * from keyed
    where row_count > 1
        {%- for column in columns %}
        or key_{{ loop.index }} is null
        {%- endfor %}
)

select * from offending

{% endtest %}
