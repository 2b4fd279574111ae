"""POST /predict/{task} and /predict/{task}/batch: business events in, decisions out."""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from commercelens.api.booking import ScoredSearch
from commercelens.api.deps import ApiKey, ServicesDep
from commercelens.api.errors import NotImplementedYet, json_response
from commercelens.api.fraud import event_frame
from commercelens.api.runner import one_openmp_thread
from commercelens.api.schemas import (
    BOOKING_EXAMPLE,
    BookingBatch,
    BookingBatchResponse,
    BookingResponse,
    BookingSearch,
    FraudPrediction,
    Message,
    Transaction,
)

router = APIRouter(
    prefix="/predict",
    tags=["predict"],
    dependencies=[ApiKey],
    responses={401: {"model": Message}, 413: {"model": Message}, 503: {"model": Message}},
)
IncludeFeatures = Annotated[bool, Query(description="Also return the model's features of each search.")]
Reasons = Annotated[int, Query(ge=0, le=10, description="Top reason codes per search (0: none).")]
BatchReasons = Annotated[
    int,
    Query(
        ge=0,
        le=10,
        description="Top reason codes per search; none by default: exact TreeSHAP costs about 0.7 ms per "
        "search on one core with the demo's booking model, several times the rest of the batch.",
    ),
]
CONVERSION_NOT_BUILT = (
    "conversion scoring is not built: its unit is a live shop session at 300 s, and the request layout "
    "(the session's events so far) and the item-popularity state it needs are not designed yet"
)
FRAUD_BATCH_NOT_BUILT = (
    "fraud batch scoring is not built: whether a batch's transactions are each other's card history is "
    "not decided; score one transaction with POST /predict/fraud or /fraud/score, or replay files with "
    "`commercelens stream run`"
)
PARALLEL_ROWS = 500
NOT_BUILT = {501: {"model": Message, "description": "Not built yet; the message says why."}}


def prediction(search: BookingSearch, scored: ScoredSearch, include_features: bool) -> dict[str, Any]:
    return {
        "search_id": search.search_id,
        "probability": scored.probability,
        "tier": scored.tier,
        "decision": scored.decision,
        "reasons": [{"feature": f, "value": v, "contribution": c} for f, v, c in scored.reasons],
        "known_user": scored.known_user,
        "features": scored.features if include_features else None,
    }


@router.post(
    "/booking",
    response_model=BookingResponse,
    summary="Booking probability, tier, discount decision and reasons for one search",
)
async def predict_booking(
    search: Annotated[BookingSearch, Body(openapi_examples={"search": {"value": BOOKING_EXAMPLE}})],
    services: ServicesDep,
    include_features: IncludeFeatures = False,
    reasons: Reasons = 3,
) -> Response:
    scorer = await services.booking_ready()
    one_openmp_thread()
    scored = scorer.score([search], (), reasons)[0]  # about a millisecond: inline (see runner)
    body = prediction(search, scored, include_features) | {"model": services.model_ref("booking")}
    return json_response(body)


@router.post(
    "/booking/batch",
    response_model=BookingBatchResponse,
    summary="Up to 10,000 searches in one call (scored together, not each other's history)",
)
async def predict_booking_batch(
    batch: BookingBatch,
    services: ServicesDep,
    include_features: IncludeFeatures = False,
    reasons: BatchReasons = 0,
) -> Response:
    scorer = await services.booking_ready()
    # TreeSHAP over a large batch divides over the cores; a small one is not worth waking them
    threads = (os.cpu_count() or 1) if len(batch.searches) >= PARALLEL_ROWS and reasons > 0 else 1
    where = ("body", "searches")
    scored = await services.runner.run(scorer.score, batch.searches, where, reasons, threads=threads)
    predictions = [prediction(s, r, include_features) for s, r in zip(batch.searches, scored, strict=True)]
    return json_response({"model": services.model_ref("booking"), "predictions": predictions})


@router.post(
    "/fraud",
    response_model=FraudPrediction,
    summary="Fraud probability, tier, decision and reasons for one transaction (card history included)",
)
async def predict_fraud(transaction: Transaction, services: ServicesDep) -> Response:
    scorer = await services.fraud_ready()
    event = event_frame(transaction.model_dump())
    history = await run_in_threadpool(services.card_history, event)
    result = await services.runner.run(scorer.score, event, history)
    body = {
        "transaction_id": result.transaction_id,
        "probability": result.probability,
        "tier": result.decided.tier[0],
        "decision": result.decided.decision[0],
        "reasons": [{"feature": f, "value": v, "contribution": c} for f, v, c in result.reasons],
        "model": services.model_ref("fraud"),
    }
    return json_response(body)


@router.post(
    "/fraud/batch", status_code=501, response_model=Message, summary="Not built", responses=NOT_BUILT
)
async def predict_fraud_batch() -> None:
    raise NotImplementedYet(FRAUD_BATCH_NOT_BUILT)


@router.post("/conversion", status_code=501, response_model=Message, summary="Not built", responses=NOT_BUILT)
async def predict_conversion() -> None:
    raise NotImplementedYet(CONVERSION_NOT_BUILT)


@router.post(
    "/conversion/batch", status_code=501, response_model=Message, summary="Not built", responses=NOT_BUILT
)
async def predict_conversion_batch() -> None:
    raise NotImplementedYet(CONVERSION_NOT_BUILT)
