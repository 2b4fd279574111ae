-- Composite key of fct_experiment_assignments: (experiment_id, user_id); a unit logged in two
-- variations must not be double counted.
select
    experiment_id,
    user_id,
    count(*) as rows_for_unit
from {{ ref('fct_experiment_assignments') }}
group by experiment_id, user_id
having count(*) > 1
