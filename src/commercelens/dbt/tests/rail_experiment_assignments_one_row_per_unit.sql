-- Composite key of int_experiment_assignments_deduplicated: (experiment_id, user_id).
select
    experiment_id,
    user_id,
    count(*) as rows_for_unit
from {{ ref('int_experiment_assignments_deduplicated') }}
group by experiment_id, user_id
having count(*) > 1
