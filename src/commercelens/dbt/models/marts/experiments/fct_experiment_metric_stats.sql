{#- GrowthBook-style sufficient statistics. Per unit u with value x_u (and denominator d_u for a
    ratio metric, pre-period covariate c_u for CUPED): n = units, main_sum = sum x_u,
    main_sum_squares = sum x_u^2, denominator_sum = sum d_u, denominator_sum_squares = sum d_u^2,
    main_denominator_sum_product = sum x_u d_u, covariate_sum = sum c_u,
    covariate_sum_squares = sum c_u^2, main_covariate_sum_product = sum x_u c_u.
    Columns a metric does not use are null. -#}
{%- set sum_type = 'decimal(38, 4)' -%}

with

int_experiment_users_measured as (
    select * from {{ ref('int_experiment_users_measured') }}
),

unit_values as (
    select
        experiment_id,
        variation,
        user_id,
        case when has_converted_after_assignment then 1 else 0 end as conversion_value,
        case when has_converted_before_assignment then 1 else 0 end as pre_conversion_value,
        revenue_after_assignment_eur,
        revenue_before_assignment_eur,
        searches_after_assignment
    from int_experiment_users_measured
),

conversion_stats as (
    select
        experiment_id,
        variation,
        cast('conversion' as {{ dbt.type_string() }}) as metric_name,
        cast('proportion' as {{ dbt.type_string() }}) as metric_type,
        count(*) as n,
        cast(sum(conversion_value) as {{ sum_type }}) as main_sum,
        cast(sum(conversion_value * conversion_value) as {{ sum_type }}) as main_sum_squares,
        cast(null as {{ sum_type }}) as denominator_sum,
        cast(null as {{ sum_type }}) as denominator_sum_squares,
        cast(null as {{ sum_type }}) as main_denominator_sum_product,
        cast(sum(pre_conversion_value) as {{ sum_type }}) as covariate_sum,
        cast(sum(pre_conversion_value * pre_conversion_value) as {{ sum_type }}) as covariate_sum_squares,
        cast(sum(conversion_value * pre_conversion_value) as {{ sum_type }}) as main_covariate_sum_product
    from unit_values
    group by experiment_id, variation
),

revenue_per_user_stats as (
    select
        experiment_id,
        variation,
        cast('revenue_per_user' as {{ dbt.type_string() }}) as metric_name,
        cast('mean' as {{ dbt.type_string() }}) as metric_type,
        count(*) as n,
        cast(sum(revenue_after_assignment_eur) as {{ sum_type }}) as main_sum,
        cast(sum(revenue_after_assignment_eur * revenue_after_assignment_eur) as {{ sum_type }})
            as main_sum_squares,
        cast(null as {{ sum_type }}) as denominator_sum,
        cast(null as {{ sum_type }}) as denominator_sum_squares,
        cast(null as {{ sum_type }}) as main_denominator_sum_product,
        cast(sum(revenue_before_assignment_eur) as {{ sum_type }}) as covariate_sum,
        cast(sum(revenue_before_assignment_eur * revenue_before_assignment_eur) as {{ sum_type }})
            as covariate_sum_squares,
        cast(sum(revenue_after_assignment_eur * revenue_before_assignment_eur) as {{ sum_type }})
            as main_covariate_sum_product
    from unit_values
    group by experiment_id, variation
),

revenue_per_search_stats as (
    select
        experiment_id,
        variation,
        cast('revenue_per_search' as {{ dbt.type_string() }}) as metric_name,
        cast('ratio' as {{ dbt.type_string() }}) as metric_type,
        count(*) as n,
        cast(sum(revenue_after_assignment_eur) as {{ sum_type }}) as main_sum,
        cast(sum(revenue_after_assignment_eur * revenue_after_assignment_eur) as {{ sum_type }})
            as main_sum_squares,
        cast(sum(searches_after_assignment) as {{ sum_type }}) as denominator_sum,
        cast(sum(searches_after_assignment * searches_after_assignment) as {{ sum_type }})
            as denominator_sum_squares,
        cast(sum(revenue_after_assignment_eur * searches_after_assignment) as {{ sum_type }})
            as main_denominator_sum_product,
        cast(null as {{ sum_type }}) as covariate_sum,
        cast(null as {{ sum_type }}) as covariate_sum_squares,
        cast(null as {{ sum_type }}) as main_covariate_sum_product
    from unit_values
    group by experiment_id, variation
),

final as (
    select * from conversion_stats
    union all
    select * from revenue_per_user_stats
    union all
    select * from revenue_per_search_stats
)

select * from final
