{#- GrowthBook-style sufficient statistics. Per unit u with value x_u (and denominator d_u for a
    ratio metric, pre-period covariate c_u for CUPED): n = units, main_sum = sum x_u,
    main_sum_squares = sum x_u^2, denominator_sum = sum d_u, denominator_sum_squares = sum d_u^2,
    main_denominator_sum_product = sum x_u d_u, covariate_sum = sum c_u,
    covariate_sum_squares = sum c_u^2, main_covariate_sum_product = sum x_u c_u.
    Columns a metric does not use are null (macros/experiments_sufficient_statistics.sql). -#}

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
    {{ experiments_sufficient_statistics(
        'conversion', 'proportion', 'conversion_value', covariate='pre_conversion_value') }}
),

revenue_per_user_stats as (
    {{ experiments_sufficient_statistics(
        'revenue_per_user', 'mean', 'revenue_after_assignment_eur',
        covariate='revenue_before_assignment_eur') }}
),

revenue_per_search_stats as (
    {{ experiments_sufficient_statistics(
        'revenue_per_search', 'ratio', 'revenue_after_assignment_eur',
        denominator='searches_after_assignment') }}
),

final as (
    select * from conversion_stats
    union all
    select * from revenue_per_user_stats
    union all
    select * from revenue_per_search_stats
)

select * from final
