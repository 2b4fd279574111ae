"""The offline HTML report: KPIs, funnels, fraud, model quality vs oracle, the experiment readout.

`write_report(settings, path)` writes one self-contained file (inline CSS, charts as base64 PNG);
`data` reads the marts, `models` the champions and their evaluation plots, `experiment` the
readout, `content` gathers them, `charts` draws, `html` renders, `writer` writes.
"""

from commercelens.report.writer import default_report_path, write_report

__all__ = ["default_report_path", "write_report"]
