"""GET /metrics: Prometheus text, request counts and latency histograms per route template."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from commercelens.api.deps import ApiKey
from commercelens.api.schemas import Message

router = APIRouter(tags=["service"], dependencies=[ApiKey], responses={401: {"model": Message}})


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
