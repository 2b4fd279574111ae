"""POST /fraud/score: the stream's rules and model for one transaction, with the card's history."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from commercelens.api.deps import ApiKey, ServicesDep
from commercelens.api.errors import json_response
from commercelens.api.fraud import FraudResult, events_frame
from commercelens.api.schemas import FraudScore, Message, Transaction, iso_utc
from commercelens.api.services import Services

router = APIRouter(
    tags=["fraud"],
    dependencies=[ApiKey],
    responses={401: {"model": Message}, 413: {"model": Message}, 503: {"model": Message}},
)


async def score_transactions(
    services: Services,
    transactions: Sequence[Transaction],
    where: Sequence[str] | None = None,
    reasons: int | None = None,
    threads: int = 1,
) -> list[FraudResult]:
    """Parse, read the cards' history, score as one stream step (see `api.fraud`); the order of
    `transactions`. `where` locates them in the body for 422s (None: one transaction, the body);
    `reasons` None gives the service's default."""
    scorer = await services.fraud_ready()
    dumped = [t.model_dump() for t in transactions]
    # a batch's parse (polars over up to 10,000 rows) leaves the event loop; one row is not worth it
    events = (
        events_frame(dumped, where)
        if len(dumped) == 1
        else await run_in_threadpool(events_frame, dumped, where)
    )
    history = await run_in_threadpool(services.card_history, events, where)
    k = scorer.reasons if reasons is None else reasons
    return await services.runner.run(scorer.score_batch, events, history, k, threads=threads)


@router.post(
    "/fraud/score",
    response_model=FraudScore,
    summary="Rules fired, model probability, combined score and level for one transaction",
)
async def fraud_score(transaction: Transaction, services: ServicesDep) -> Response:
    [result] = await score_transactions(services, [transaction])
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
