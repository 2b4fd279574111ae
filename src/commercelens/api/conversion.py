"""Score live shop sessions: online features -> the champion bundle -> a nudge decision -> reasons.

Like `booking`: the features of each session (binary searches, see `conversion_features`), one
frame, one vectorised call for the calibrated probabilities and, on request, one for the TreeSHAP
contributions. A batch's sessions are scored together and are not each other's history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from commercelens.api.booking import lightgbm_reasons
from commercelens.api.conversion_features import (
    EPOCH,
    SPEC,
    OnlineConversionState,
    SessionEventLike,
    SessionRefused,
    feature_frame,
    is_known_visitor,
    session_features,
    session_so_far,
)
from commercelens.api.errors import FieldError
from commercelens.ml.bundle import ModelBundle, check_columns, predict_one, predict_proba
from commercelens.ml.explain import EXPLAINABLE, reason_codes
from commercelens.ml.policy import DecisionPolicy, decide


@dataclass(frozen=True)
class ScoredSession:
    session_id: str  # as the warehouse names it: <visitorid>-<first event's Unix ms>
    decision_at: datetime
    events_used: int
    probability: float
    tier: str
    decision: str
    reasons: list[tuple[str, Any, float]]  # feature, its value, contribution
    known_visitor: bool
    features: dict[str, Any]


@dataclass(frozen=True)
class ConversionScorer:
    bundle: ModelBundle
    state: OnlineConversionState
    reasons: int = 3

    def __post_init__(self) -> None:
        check_columns(self.bundle, list(SPEC.features))

    def score(
        self,
        sessions: Sequence[Sequence[SessionEventLike]],
        where: Sequence[str | int] = (),
        reasons: int | None = None,
    ) -> list[ScoredSession]:
        """Score sessions (each a list of events); a refused one is a 422 naming its event.

        `where` locates the sessions in the request (a batch's `["body", "sessions"]`).
        """
        k = self.reasons if reasons is None else reasons
        so_far, rows = [], []
        for i, events in enumerate(sessions):
            try:
                session = session_so_far(events)
                rows.append(session_features(self.state, session))
            except SessionRefused as exc:
                loc: list[str | int] = [*where, i, "events"] if where else ["body", "events"]
                if exc.index is not None:
                    loc += [exc.index] + ([exc.field] if exc.field else [])
                raise FieldError(loc, str(exc)) from None
            so_far.append(session)
        if len(rows) == 1 and self.bundle.family == "lightgbm":
            probability = np.array([predict_one(self.bundle, rows[0])])
            explained = [lightgbm_reasons(self.bundle, rows[0], k)]
        else:
            frame = feature_frame(rows)
            probability = predict_proba(self.bundle, frame)
            explained = (
                reason_codes(self.bundle, frame, k)
                if k > 0 and self.bundle.family in EXPLAINABLE
                else [[] for _ in rows]
            )
        decided = decide("conversion", probability, DecisionPolicy(), self.bundle.thresholds)
        return [
            ScoredSession(
                session_id=f"{s.visitor_id}-{s.start_ms}",
                decision_at=EPOCH + timedelta(milliseconds=s.decision_ms),
                events_used=len(s.events),
                probability=float(probability[i]),
                tier=decided.tier[i],
                decision=decided.decision[i],
                reasons=[(name, rows[i][name], value) for name, value in explained[i]],
                known_visitor=is_known_visitor(self.state, s.visitor_id),
                features=rows[i],
            )
            for i, s in enumerate(so_far)
        ]
