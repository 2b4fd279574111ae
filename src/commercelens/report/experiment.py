"""The experiment readout for the report: discount_5pct as `experiment analyze` reads it out.

The same call as the demo's story (`pipeline.experiment_story`): the mart's sufficient statistics
through `experiments.readout.analyze` with the default config (frequentist, absolute difference,
Holm-corrected p-values, CUPED where a covariate exists), plus a second pass on the relative
difference, so every metric's interval can be drawn on one axis.
"""

from __future__ import annotations

from dataclasses import dataclass

from commercelens.errors import UserError
from commercelens.experiments.readout import Readout, ReadoutConfig, analyze
from commercelens.experiments.sources import warehouse_metric_stats
from commercelens.generate.rail import EXPERIMENT_ID
from commercelens.report.data import NotAvailable
from commercelens.warehouse.base import Warehouse


@dataclass(frozen=True)
class ExperimentReadout:
    readout: Readout  # absolute differences: the table
    relative: Readout  # relative differences: the chart


def experiment_readout(warehouse: Warehouse, experiment_id: str = EXPERIMENT_ID) -> ExperimentReadout:
    """Both readouts of one experiment; NotAvailable when the mart or the experiment is missing."""
    try:
        rows = warehouse_metric_stats(warehouse, experiment_id)
        absolute = analyze(experiment_id, rows)
        relative = analyze(experiment_id, rows, ReadoutConfig(difference="relative"))
    except (UserError, ValueError) as exc:
        raise NotAvailable(str(exc)) from exc
    return ExperimentReadout(absolute, relative)
