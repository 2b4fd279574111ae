-- The rail marts are different cuts of the same facts: their totals must agree exactly.
with

searches as (
    select
        count(*) as searches,
        count(case when is_converted then 1 end) as converted_searches,
        sum(revenue_eur) as revenue_eur
    from {{ ref('fct_searches') }}
),

bookings as (
    select
        count(case when is_successful then 1 end) as converted_searches,
        sum(revenue_eur) as revenue_eur
    from {{ ref('fct_bookings') }}
),

route_days as (
    select
        sum(searches) as searches,
        sum(converted_searches) as converted_searches,
        sum(revenue_eur) as revenue_eur
    from {{ ref('fct_daily_route_performance') }}
),

routes as (
    select
        sum(searches) as searches,
        sum(converted_searches) as converted_searches,
        sum(revenue_eur) as revenue_eur
    from {{ ref('dim_routes') }}
),

users as (
    select
        sum(searches) as searches,
        sum(successful_bookings) as converted_searches,
        sum(lifetime_revenue_eur) as revenue_eur
    from {{ ref('dim_users') }}
),

totals as (
    select 'fct_bookings' as mart, converted_searches, null as searches, revenue_eur from bookings
    union all
    select 'fct_daily_route_performance', converted_searches, searches, revenue_eur from route_days
    union all
    select 'dim_routes', converted_searches, searches, revenue_eur from routes
    union all
    select 'dim_users', converted_searches, searches, revenue_eur from users
)

select
    totals.mart,
    totals.searches,
    totals.converted_searches,
    totals.revenue_eur
from totals
cross join searches
where totals.converted_searches <> searches.converted_searches
    or totals.revenue_eur <> searches.revenue_eur
    or (totals.searches is not null and totals.searches <> searches.searches)
