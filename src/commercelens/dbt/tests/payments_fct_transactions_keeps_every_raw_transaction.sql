-- fct_transactions has exactly one row per loaded transaction: the enrichment joins neither
-- drop rows nor fan out. Returns a row (and fails) when the counts differ.
with

stg_payments__transactions as (
    select * from {{ ref('stg_payments__transactions') }}
),

fct_transactions as (
    select * from {{ ref('fct_transactions') }}
),

counts as (
    select
        (select count(*) from stg_payments__transactions) as staged_transactions,
        (select count(*) from fct_transactions) as fact_transactions
)

select * from counts
where staged_transactions <> fact_transactions
