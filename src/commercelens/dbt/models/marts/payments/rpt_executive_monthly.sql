with

fct_transactions as (
    select * from {{ ref('fct_transactions') }}
),

transactions_by_month as (
    select
        cast({{ dbt.date_trunc('month', 'transaction_date') }} as date) as month_start_date,
        amount,
        is_refund,
        fraud_loss_amount,
        has_error_technical_glitch
    from fct_transactions
),

monthly as (
    select
        month_start_date,
        count(*) as transactions,
        count(case when not is_refund then 1 end) as payments,
        count(case when is_refund then 1 end) as refunds,
        cast(coalesce(sum(case when not is_refund then amount end), 0) as numeric(18, 2)) as revenue,
        cast(coalesce(-sum(case when is_refund then amount end), 0) as numeric(18, 2)) as refund_amount,
        cast(sum(fraud_loss_amount) as numeric(18, 2)) as fraud_loss_amount,
        count(case when has_error_technical_glitch then 1 end) as technical_failures
    from transactions_by_month
    group by month_start_date
),

monthly_with_previous_year as (
    select
        current_month.*,
        previous_year.revenue as previous_year_revenue
    from monthly as current_month
    left join monthly as previous_year
        on previous_year.month_start_date
        = cast({{ dbt.dateadd('year', -1, 'current_month.month_start_date') }} as date)
),

final as (
    select
        month_start_date,
        transactions,
        payments,
        refunds,
        revenue,
        refund_amount,
        previous_year_revenue,
        cast(revenue - previous_year_revenue as double precision)
            / nullif(cast(previous_year_revenue as double precision), 0) as yoy_revenue_growth,
        cast(revenue as double precision) / nullif(payments, 0) as average_ticket,
        fraud_loss_amount,
        cast(fraud_loss_amount as double precision)
            / nullif(cast(revenue as double precision), 0) as fraud_loss_rate,
        technical_failures,
        cast(technical_failures as double precision) / nullif(transactions, 0) as technical_failure_rate
    from monthly_with_previous_year
)

select * from final
