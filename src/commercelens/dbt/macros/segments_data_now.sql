{#- A segment's "now": the latest event time in its domain's data, never the wall clock, so a
    segment is reproducible from the warehouse alone (docs/segments.md). `events` is a list of
    (CTE name, timestamp column) pairs; the result is one row with `now_at`. -#}
{% macro segments_data_now(events) -%}
    select max(event_at) as now_at
    from (
        {%- for relation, column in events %}
        select {{ column }} as event_at from {{ relation }}{{ ' union all' if not loop.last }}
        {%- endfor %}
    ) as domain_events
{%- endmacro %}
