"""`create_app(settings)`: the FastAPI app of `commercelens serve`.

Nothing is loaded at import or in the factory: the lifespan loads the models and the online
state (in a worker thread) when the server starts, and `Services` loads on first use when no
lifespan ran. Middleware, outermost first: metrics, API key, body limit (see `middleware`).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from commercelens import __version__
from commercelens.api.deps import KnownQuery
from commercelens.api.errors import install_handlers
from commercelens.api.middleware import ApiKeyMiddleware, ApiMetrics, BodyLimitMiddleware, MetricsMiddleware
from commercelens.api.routes import ROUTERS
from commercelens.api.security import KeyStore
from commercelens.api.services import ApiConfig, Services
from commercelens.config import Settings

DESCRIPTION = """\
Booking, conversion and fraud decisions from the models `commercelens train` wrote, experiment
readouts, segments and service metrics. Requests are business events in their input layouts (a
rail search, a shop session's events, a card transaction), never feature vectors: the service
derives the features as training did.

Every route but `/health` needs an API key in the `X-API-Key` header (these docs too, unless
the server runs with `--public-docs`): `commercelens api-key create NAME` prints one. See
docs/api.md.
"""
TAGS = [
    {"name": "service", "description": "Liveness, readiness, Prometheus metrics."},
    {"name": "models", "description": "The champion models."},
    {"name": "predict", "description": "Scores, tiers, decisions and reasons per business event."},
    {"name": "fraud", "description": "The stream's rules and model for one transaction."},
    {"name": "experiments", "description": "A/B readouts."},
    {"name": "segments", "description": "Audiences (SQL over the marts) with their members, paged."},
]


def create_app(settings: Settings, config: ApiConfig | None = None) -> FastAPI:
    """The API over one workdir's warehouse, models and API keys."""
    config = config or ApiConfig()
    services = Services(settings, config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(services.load)
        if config.freeze_gc:
            gc.collect()
            gc.freeze()
        yield
        services.runner.close()

    app = FastAPI(
        title="CommerceLens API",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        # an undeclared query parameter is a 422 naming it on every route (a misspelt `?reason=3`
        # must not silently mean the default), as unknown body fields are
        dependencies=[KnownQuery],
    )
    app.state.services = services
    app.state.metrics = ApiMetrics()
    install_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    docs = (app.docs_url, app.redoc_url, app.openapi_url, app.swagger_ui_oauth2_redirect_url)
    open_paths = frozenset(["/health", *(p for p in docs if p and config.public_docs)])
    app.add_middleware(BodyLimitMiddleware, max_bytes=config.max_body_bytes)
    app.add_middleware(ApiKeyMiddleware, store=KeyStore.for_workdir(settings.home), open_paths=open_paths)
    # the routes to label requests refused before routing (401, 413) with their templates
    routes = [r for router in ROUTERS for r in router.routes] + [r for r in app.routes if hasattr(r, "path")]
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, routes=routes)
    return app
