-- Composite key of fct_experiment_metric_stats: (experiment_id, variation, metric_name).
select
    experiment_id,
    variation,
    metric_name,
    count(*) as rows_for_key
from {{ ref('fct_experiment_metric_stats') }}
group by experiment_id, variation, metric_name
having count(*) > 1
