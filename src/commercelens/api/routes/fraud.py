"""POST /fraud/score: the stream's rules and model for one transaction, with the card's history."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from commercelens.api.deps import ApiKey, ServicesDep
from commercelens.api.errors import json_response
from commercelens.api.fraud import event_frame
from commercelens.api.schemas import FraudScore, Message, Transaction, iso_utc

router = APIRouter(
    tags=["fraud"],
    dependencies=[ApiKey],
    responses={401: {"model": Message}, 413: {"model": Message}, 503: {"model": Message}},
)


@router.post(
    "/fraud/score",
    response_model=FraudScore,
    summary="Rules fired, model probability, combined score and level for one transaction",
)
async def fraud_score(transaction: Transaction, services: ServicesDep) -> Response:
    scorer = await services.fraud_ready()
    event = event_frame(transaction.model_dump())
    history = await run_in_threadpool(services.card_history, event)
    result = await services.runner.run(scorer.score, event, history)
    body = {
        "transaction_id": result.transaction_id,
        "card_id": result.card_id,
        "event_time": iso_utc(result.event_time),
        "model_probability": result.probability,
        "score": result.score,
        "level": result.level,
        "rules_fired": result.rules_fired,
        "alerts": [{"alert_id": a, "rule": r} for a, r in result.alerts],
        "reasons": [{"feature": f, "value": v, "contribution": c} for f, v, c in result.reasons],
        "card_history": {
            "transactions": result.history,
            "first_at": iso_utc(result.history_first),
            "last_at": iso_utc(result.history_last),
        },
        "model": services.model_ref("fraud"),
    }
    return json_response(body)
