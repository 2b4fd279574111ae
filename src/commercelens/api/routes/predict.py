"""POST /predict/{task} and /predict/{task}/batch: business events in, decisions out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from commercelens.api.booking import ScoredSearch
from commercelens.api.deps import ApiKey, ServicesDep
from commercelens.api.errors import json_response
from commercelens.api.routes.fraud import score_transactions
from commercelens.api.runner import batch_threads, one_openmp_thread
from commercelens.api.schemas import (
    BOOKING_EXAMPLE,
    BookingBatch,
    BookingBatchResponse,
    BookingResponse,
    BookingSearch,
    FraudBatch,
    FraudBatchResponse,
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
FraudBatchReasons = Annotated[
    int,
    Query(
        ge=0,
        le=10,
        description="Top reason codes per transaction; none by default: exact TreeSHAP adds about 0.6 s "
        "to a batch of 1,000 with the demo's fraud model.",
    ),
]


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
    threads = batch_threads(len(batch.searches), reasons)
    where = ("body", "searches")
    scored = await services.runner.run(
        scorer.score, batch.searches, where, reasons, include_features, threads=threads
    )
    predictions = [prediction(s, r, include_features) for s, r in zip(batch.searches, scored, strict=True)]
    return json_response({"model": services.model_ref("booking"), "predictions": predictions})


@router.post(
    "/fraud",
    response_model=FraudPrediction,
    summary="Fraud probability, tier, decision and reasons for one transaction (card history included)",
)
async def predict_fraud(transaction: Transaction, services: ServicesDep) -> Response:
    [result] = await score_transactions(services, [transaction])
    body = {
        "transaction_id": result.transaction_id,
        "probability": result.probability,
        "tier": result.tier,
        "decision": result.decision,
        "reasons": [{"feature": f, "value": v, "contribution": c} for f, v, c in result.reasons],
        "model": services.model_ref("fraud"),
    }
    return json_response(body)


@router.post(
    "/fraud/batch",
    response_model=FraudBatchResponse,
    summary="Up to 10,000 transactions scored as the stream would (the earlier ones are the later "
    "ones' card history)",
)
async def predict_fraud_batch(
    batch: FraudBatch, services: ServicesDep, reasons: FraudBatchReasons = 0
) -> Response:
    threads = batch_threads(len(batch.transactions), reasons)
    where = ("body", "transactions")
    results = await score_transactions(services, batch.transactions, where, reasons, threads)
    predictions = [
        {
            "transaction_id": r.transaction_id,
            "probability": r.probability,
            "tier": r.tier,
            "decision": r.decision,
            "score": r.score,
            "level": r.level,
            "rules_fired": r.rules_fired,
            "reasons": [{"feature": f, "value": v, "contribution": c} for f, v, c in r.reasons],
        }
        for r in results
    ]
    return json_response({"model": services.model_ref("fraud"), "predictions": predictions})
