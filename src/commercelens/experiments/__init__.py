"""Experiment readouts: sufficient statistics (`metric_stats`), where they come from (`sources`),
and the SRM-first analysis over the `stats/` engines (`readout`)."""
