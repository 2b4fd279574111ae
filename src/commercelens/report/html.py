"""The report page: one HTML document with inline CSS and charts as data: URIs.

Every value reaches the page through `markup.esc`, and the page declares a
Content-Security-Policy that allows only inline styles and data: images, so it works offline and
could fetch nothing even if a value tried to.
"""

from __future__ import annotations

from commercelens.report.analysis_sections import experiment_section, models_section
from commercelens.report.content import Missing, ReportData
from commercelens.report.markup import esc
from commercelens.report.sections import fraud_section, funnels_section, kpis_section

SECTIONS = (  # (anchor, heading, renderer)
    ("kpis", "KPIs", kpis_section),
    ("funnels", "Funnels", funnels_section),
    ("fraud", "Fraud", fraud_section),
    ("models", "Model quality vs oracle", models_section),
    ("experiment", "Experiment readout", experiment_section),
)
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a202c;margin:0;
 background:#f7fafc}
header,main,footer{max-width:1120px;margin:0 auto;padding:0 24px}
header{padding-top:20px}h1{margin:0 0 4px;font-size:26px}
.meta{color:#4a5568;margin:0 0 10px;font-size:13px}
nav a{margin-right:14px;color:#2b6cb0;text-decoration:none;font-weight:600}
section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:8px 22px 18px;margin:18px 0}
h2{border-bottom:2px solid #e2e8f0;padding-bottom:6px}h3{margin:20px 0 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px;margin:6px 0 14px}
.card{border:1px solid #e2e8f0;border-radius:6px;padding:10px 12px;background:#fbfdff}
.card .label{font-size:12px;color:#4a5568;text-transform:uppercase;letter-spacing:.03em}
.card .value{font-size:22px;font-weight:700;margin:2px 0}.card .sub{font-size:12px;color:#4a5568}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 10px;text-align:left}
th{background:#edf2f7}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto}.plots{display:flex;flex-wrap:wrap;gap:8px}
.plots figure{margin:0;flex:1 1 320px}.plots img{width:100%}
figcaption{font-size:12px;color:#4a5568;text-align:center}
.na{color:#9c4221;background:#fffaf0;border-left:4px solid #dd6b20;padding:6px 10px}
.note{color:#4a5568;font-size:13px;font-weight:normal}.ok{color:#276749;font-weight:600}
.bad{color:#c53030;font-weight:600}details{margin:4px 0 10px}summary{cursor:pointer;color:#2b6cb0}
footer{color:#718096;font-size:12px;padding-bottom:30px}
"""


def render_page(report: ReportData) -> str:
    """The whole document, one section per entry of SECTIONS."""
    experiment = report.experiment
    experiment_id = "discount_5pct" if isinstance(experiment, Missing) else experiment.readout.experiment_id
    titles = {key: title for key, title, _ in SECTIONS} | {
        "experiment": f"Experiment readout: {experiment_id}"
    }
    nav = "".join(f'<a href="#{key}">{esc(title)}</a>' for key, title, _ in SECTIONS)
    sections = "".join(
        f'<section id="{key}"><h2>{esc(titles[key])}</h2>{render(report)}</section>'
        for key, _, render in SECTIONS
    )
    meta = f"Workdir {report.workdir} · warehouse {report.warehouse} · generated {report.generated_at}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>CommerceLens report</title><style>{CSS}</style></head><body>"
        f'<header><h1>CommerceLens report</h1><p class="meta">{esc(meta)}</p><nav>{nav}</nav></header>'
        f"<main>{sections}</main>"
        "<footer>Written by <code>commercelens report</code>: one file, no external resources. Fraud rates "
        "are over labelled transactions only; models are judged against the oracle (the generator's true "
        "probabilities).</footer>"
        "</body></html>\n"
    )
