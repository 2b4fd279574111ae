"""One router per resource; `ROUTERS` in the order /docs shows them."""

from __future__ import annotations

from commercelens.api.routes import conversion, experiments, fraud, health, metrics, models, predict, segments

ROUTERS = (
    health.router,
    models.router,
    predict.router,
    conversion.router,
    fraud.router,
    experiments.router,
    segments.router,
    metrics.router,
)
