{#- A Unix epoch in milliseconds (the RetailRocket `timestamp` columns) as a UTC timestamp without
    time zone, exact to the millisecond (no trip through a float). DuckDB's to_timestamp() returns
    TIMESTAMPTZ rendered in the session's zone, so DuckDB uses epoch_ms(); PostgreSQL has no epoch_ms()
    and multiplies an interval instead (to_timestamp(ms / 1000.0) at time zone 'UTC' is the same
    value but goes through a double). -#}
{% macro shop_epoch_ms_to_timestamp(epoch_ms_column) -%}
    {{ return(adapter.dispatch('shop_epoch_ms_to_timestamp', 'commercelens')(epoch_ms_column)) }}
{%- endmacro %}

{% macro default__shop_epoch_ms_to_timestamp(epoch_ms_column) -%}
    (timestamp '1970-01-01 00:00:00' + ({{ epoch_ms_column }}) * interval '1 millisecond')
{%- endmacro %}

{% macro duckdb__shop_epoch_ms_to_timestamp(epoch_ms_column) -%}
    epoch_ms(cast({{ epoch_ms_column }} as bigint))
{%- endmacro %}
