"""GET /health (liveness, no key) and GET /ready (models and warehouse, else 503 with reasons)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from commercelens import __version__
from commercelens.api.deps import ApiKey, ServicesDep
from commercelens.api.schemas import Health, Message, Readiness

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health, summary="Liveness (no API key needed)")
async def health() -> dict:
    return {"status": "ok", "version": __version__}


@router.get(
    "/ready",
    response_model=Readiness,
    dependencies=[ApiKey],
    summary="Readiness: warehouse reachable, booking and fraud models loaded",
    responses={401: {"model": Message}, 503: {"model": Readiness, "description": "Not ready, with reasons."}},
)
async def ready(services: ServicesDep) -> JSONResponse:
    checks = await run_in_threadpool(services.readiness)
    ok = all(c["ok"] for c in checks.values())
    body = {"status": "ready" if ok else "not_ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)
