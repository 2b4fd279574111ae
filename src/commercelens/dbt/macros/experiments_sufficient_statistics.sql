{#- One metric's sufficient statistics per experiment x variation, from `unit_values` (one row
    per unit). `main` is the unit's value; `denominator` (ratio metrics) and `covariate` (CUPED)
    are optional, and the columns they feed are null without them. -#}
{% macro experiments_sufficient_statistics(metric_name, metric_type, main, denominator=none, covariate=none) -%}
{%- set sum_type = 'decimal(38, 4)' -%}
{%- set null_sum = 'cast(null as ' ~ sum_type ~ ')' -%}
    select
        experiment_id,
        variation,
        cast('{{ metric_name }}' as {{ dbt.type_string() }}) as metric_name,
        cast('{{ metric_type }}' as {{ dbt.type_string() }}) as metric_type,
        count(*) as n,
        cast(sum({{ main }}) as {{ sum_type }}) as main_sum,
        cast(sum({{ main }} * {{ main }}) as {{ sum_type }}) as main_sum_squares,
    {%- for other, prefix in [(denominator, 'denominator'), (covariate, 'covariate')] %}
        {%- set product = 'main_denominator_sum_product' if prefix == 'denominator' else 'main_covariate_sum_product' %}
        {%- if other is none %}
        {{ null_sum }} as {{ prefix }}_sum,
        {{ null_sum }} as {{ prefix }}_sum_squares,
        {{ null_sum }} as {{ product }}{{ ',' if not loop.last }}
        {%- else %}
        cast(sum({{ other }}) as {{ sum_type }}) as {{ prefix }}_sum,
        cast(sum({{ other }} * {{ other }}) as {{ sum_type }}) as {{ prefix }}_sum_squares,
        cast(sum({{ main }} * {{ other }}) as {{ sum_type }}) as {{ product }}{{ ',' if not loop.last }}
        {%- endif %}
    {%- endfor %}
    from unit_values
    group by experiment_id, variation
{%- endmacro %}
