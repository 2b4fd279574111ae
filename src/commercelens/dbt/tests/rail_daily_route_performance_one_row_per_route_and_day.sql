-- Composite key of fct_daily_route_performance: (route, search_date).
select
    route,
    search_date,
    count(*) as rows_for_route_day
from {{ ref('fct_daily_route_performance') }}
group by route, search_date
having count(*) > 1
