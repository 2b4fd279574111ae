"""POST /predict/conversion and /predict/conversion/batch: live shop sessions in, nudges out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from commercelens.api.conversion import ScoredSession
from commercelens.api.deps import ApiKey, ServicesDep
from commercelens.api.errors import json_response
from commercelens.api.runner import batch_threads, one_openmp_thread
from commercelens.api.schemas import (
    SHOP_EVENTS_EXAMPLE,
    ConversionBatchResponse,
    ConversionResponse,
    Message,
    ShopSession,
    ShopSessionBatch,
    iso_utc,
)

router = APIRouter(
    prefix="/predict",
    tags=["predict"],
    dependencies=[ApiKey],
    responses={401: {"model": Message}, 413: {"model": Message}, 503: {"model": Message}},
)
IncludeFeatures = Annotated[bool, Query(description="Also return the model's features of each session.")]
Reasons = Annotated[int, Query(ge=0, le=10, description="Top reason codes per session (0: none).")]
BatchReasons = Annotated[
    int, Query(ge=0, le=10, description="Top reason codes per session; none by default (TreeSHAP is costly).")
]
SESSION_EXAMPLE = {"session_ref": "web-42", "events": SHOP_EVENTS_EXAMPLE}


def prediction(session: ShopSession, scored: ScoredSession, include_features: bool) -> dict[str, Any]:
    return {
        "session_ref": session.session_ref,
        "session_id": scored.session_id,
        "decision_at": iso_utc(scored.decision_at),
        "events_used": scored.events_used,
        "probability": scored.probability,
        "tier": scored.tier,
        "decision": scored.decision,
        "reasons": [{"feature": f, "value": v, "contribution": c} for f, v, c in scored.reasons],
        "known_visitor": scored.known_visitor,
        "features": scored.features if include_features else None,
    }


@router.post(
    "/conversion",
    response_model=ConversionResponse,
    summary="Purchase probability, tier, nudge decision and reasons for one live shop session",
)
async def predict_conversion(
    session: Annotated[ShopSession, Body(openapi_examples={"session": {"value": SESSION_EXAMPLE}})],
    services: ServicesDep,
    include_features: IncludeFeatures = False,
    reasons: Reasons = 3,
) -> Response:
    scorer = await services.conversion_ready()
    one_openmp_thread()
    scored = scorer.score([session.events], (), reasons)[0]  # about a millisecond: inline (see runner)
    body = prediction(session, scored, include_features) | {"model": services.model_ref("conversion")}
    return json_response(body)


@router.post(
    "/conversion/batch",
    response_model=ConversionBatchResponse,
    summary="Up to 10,000 sessions in one call (scored together, not each other's history)",
)
async def predict_conversion_batch(
    batch: ShopSessionBatch,
    services: ServicesDep,
    include_features: IncludeFeatures = False,
    reasons: BatchReasons = 0,
) -> Response:
    scorer = await services.conversion_ready()
    threads = batch_threads(len(batch.sessions), reasons)
    events = [s.events for s in batch.sessions]
    scored = await services.runner.run(scorer.score, events, ("body", "sessions"), reasons, threads=threads)
    predictions = [prediction(s, r, include_features) for s, r in zip(batch.sessions, scored, strict=True)]
    return json_response({"model": services.model_ref("conversion"), "predictions": predictions})
