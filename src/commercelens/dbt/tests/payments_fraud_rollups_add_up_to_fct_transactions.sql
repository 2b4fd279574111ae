-- Every payments roll-up accounts for the same transactions, labels, frauds and loss as
-- fct_transactions (none double counts or drops a slice; rpt_fraud_by_mcc covers the rows
-- that have an MCC). Returns one row per roll-up that disagrees.
with

fct_transactions as (
    select * from {{ ref('fct_transactions') }}
),

rpt_fraud_by_hour as (
    select * from {{ ref('rpt_fraud_by_hour') }}
),

rpt_fraud_loss_daily as (
    select * from {{ ref('rpt_fraud_loss_daily') }}
),

rpt_fraud_by_mcc as (
    select * from {{ ref('rpt_fraud_by_mcc') }}
),

rpt_executive_monthly as (
    select * from {{ ref('rpt_executive_monthly') }}
),

expected_totals as (
    select
        'all transactions' as scope,
        count(*) as transactions,
        count(case when is_labelled then 1 end) as labelled_transactions,
        count(case when is_fraud then 1 end) as fraudulent_transactions,
        coalesce(sum(fraud_loss_amount), 0) as fraud_loss_amount
    from fct_transactions
    union all
    select
        'transactions with an mcc',
        count(*),
        count(case when is_labelled then 1 end),
        count(case when is_fraud then 1 end),
        coalesce(sum(fraud_loss_amount), 0)
    from fct_transactions
    where mcc is not null
),

rollup_totals as (
    select
        'rpt_fraud_by_hour' as rollup_name,
        'all transactions' as scope,
        sum(transactions) as transactions,
        sum(labelled_transactions) as labelled_transactions,
        sum(fraudulent_transactions) as fraudulent_transactions,
        coalesce(sum(fraud_loss_amount), 0) as fraud_loss_amount
    from rpt_fraud_by_hour
    union all
    select
        'rpt_fraud_loss_daily',
        'all transactions',
        sum(transactions),
        sum(labelled_transactions),
        sum(fraudulent_transactions),
        coalesce(sum(fraud_loss_amount), 0)
    from rpt_fraud_loss_daily
    union all
    select
        'rpt_fraud_by_mcc',
        'transactions with an mcc',
        sum(transactions),
        sum(labelled_transactions),
        sum(fraudulent_transactions),
        coalesce(sum(fraud_loss_amount), 0)
    from rpt_fraud_by_mcc
    union all
    -- The monthly report has no label counts: only transactions and loss are compared.
    select
        'rpt_executive_monthly',
        'all transactions',
        sum(transactions),
        null,
        null,
        coalesce(sum(fraud_loss_amount), 0)
    from rpt_executive_monthly
),

mismatches as (
    select
        rollup_totals.rollup_name,
        rollup_totals.transactions,
        expected_totals.transactions as expected_transactions,
        rollup_totals.fraud_loss_amount,
        expected_totals.fraud_loss_amount as expected_fraud_loss_amount
    from rollup_totals
    inner join expected_totals
        on rollup_totals.scope = expected_totals.scope
    where rollup_totals.transactions <> expected_totals.transactions
        or rollup_totals.fraud_loss_amount <> expected_totals.fraud_loss_amount
        or coalesce(rollup_totals.labelled_transactions, expected_totals.labelled_transactions)
        <> expected_totals.labelled_transactions
        or coalesce(rollup_totals.fraudulent_transactions, expected_totals.fraudulent_transactions)
        <> expected_totals.fraudulent_transactions
)

select * from mismatches
