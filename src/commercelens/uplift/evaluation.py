"""Fit an uplift learner on the training units, judge it on the held-out ones, save the bundle.

The held-out judgement is what a user needs to trust a targeting list: the Qini coefficient
(scikit-uplift's normalisation, `metrics.py`), AUUC and uplift@30%, the same Qini for the
oracle that ranks by the planted true uplift when the data is generated, the observed average
effect, and the targeting policy's expected profit beside the profit realised on held-out data.
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from commercelens import __version__
from commercelens.errors import UserError
from commercelens.uplift.data import UpliftData, held_out_mask
from commercelens.uplift.learners import LearnerName, TLearner, UpliftLearner, make_learner
from commercelens.uplift.metrics import qini_coefficient, qini_curve, uplift_at_k, uplift_auc_score
from commercelens.uplift.policy import TargetingEconomics, evaluate_targeting, plan_targeting

BUNDLE_FORMAT = 1


@dataclass(frozen=True)
class Economics:
    """What a conversion is worth and what treating costs.

    ``value_per_conversion`` defaults to the mean value of the data's units (rail: the ticket
    price x passengers) or 1 (a conversion count); ``cost_share`` is a share of that value paid
    on every treated conversion (a 5% discount is 0.05); ``cost_per_treated`` is paid per treated
    unit (an e-mail, a voucher's handling).
    """

    value_per_conversion: float | None = None
    cost_per_treated: float = 0.0
    cost_share: float = 0.0


@dataclass(frozen=True)
class UpliftReport:
    dataset: str
    learner: str
    n_train: int
    n_test: int
    treated_share: float
    observed_effect: float  # held out: treated minus control conversion rate
    mean_predicted_uplift: float
    mean_true_uplift: float | None  # planted truth, generated data only
    qini: float
    auuc: float
    uplift_at_30: float
    oracle_qini: float | None
    qini_vs_oracle: float | None
    value_per_conversion: float
    target_share: float  # the policy: treat this share, the top by expected profit
    expected_profit: float
    realised_profit: float | None
    realised_incremental_conversions: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class UpliftBundle:
    """What `uplift fit` saves: the fitted learner and how to reproduce its held-out split."""

    learner: UpliftLearner
    dataset: str
    feature_columns: tuple[str, ...]
    test_share: float
    seed: int
    economics: Economics
    report: UpliftReport
    trained_at: str
    version: str = __version__
    format: int = BUNDLE_FORMAT


def _economics(data: UpliftData, economics: Economics) -> TargetingEconomics:
    if economics.value_per_conversion is not None:
        value = economics.value_per_conversion
    else:
        value = float(np.mean(data.value)) if data.value is not None else 1.0
    return TargetingEconomics(
        value_per_conversion=value,
        cost_per_treated=economics.cost_per_treated,
        cost_per_conversion=economics.cost_share * value,
    )


def _p_treated(learner: UpliftLearner, data: UpliftData) -> np.ndarray:
    """Conversion probability if treated, for per-conversion costs; a constant without a T model."""
    if isinstance(learner, TLearner):
        return learner.predict_outcomes(data.features)[1]
    return np.full(len(data), float(data.outcome[data.treatment == 1].mean()))


def _rate_difference(data: UpliftData) -> float:
    t = data.treatment == 1
    return float(data.outcome[t].mean() - data.outcome[~t].mean())


def _check_arms(data: UpliftData, where: str) -> None:
    for arm, name in ((1, "treated"), (0, "control")):
        outcomes = data.outcome[data.treatment == arm]
        if outcomes.size == 0 or outcomes.min() == outcomes.max():
            raise UserError(f"{where}: the {name} units need both outcomes (0 and 1) to fit and evaluate")


def judge(learner: UpliftLearner, test: UpliftData, economics: Economics, n_train: int) -> UpliftReport:
    """Held-out metrics, the oracle's Qini when the truth is known, and the targeting policy."""
    _check_arms(test, "held-out units")
    predicted = learner.predict_uplift(test.features)
    y, t = test.outcome, test.treatment
    money = _economics(test, economics)
    p_treated = _p_treated(learner, test) if money.cost_per_conversion > 0 else None
    plan = plan_targeting(predicted, money, p_treated)
    realised = None
    if plan.k > 0:
        ranking = plan.unit_profit  # the policy ranks by expected profit
        realised = evaluate_targeting(y, t, ranking, plan.k, money)
    qini = qini_coefficient(y, predicted, t)
    oracle = qini_coefficient(y, test.true_uplift, t) if test.true_uplift is not None else None
    return UpliftReport(
        dataset=test.name,
        learner=type(learner).__name__,
        n_train=n_train,
        n_test=len(test),
        treated_share=float(t.mean()),
        observed_effect=_rate_difference(test),
        mean_predicted_uplift=float(predicted.mean()),
        mean_true_uplift=None if test.true_uplift is None else float(test.true_uplift.mean()),
        qini=qini,
        auuc=uplift_auc_score(y, predicted, t),
        uplift_at_30=uplift_at_k(y, predicted, t, k=0.3),
        oracle_qini=oracle,
        qini_vs_oracle=qini / oracle if oracle else None,
        value_per_conversion=money.value_per_conversion,
        target_share=plan.share,
        expected_profit=plan.expected_profit,
        realised_profit=realised.profit if realised and realised.status == "ok" else None,
        realised_incremental_conversions=(
            realised.incremental_conversions if realised and realised.status == "ok" else None
        ),
    )


def fit(
    data: UpliftData,
    learner_name: LearnerName = "x",
    test_share: float = 0.3,
    seed: int = 0,
    economics: Economics = Economics(),
    params: dict[str, Any] | None = None,
) -> UpliftBundle:
    """Train on the units outside the held-out split, then judge on the held-out ones."""
    held_out = held_out_mask(data.groups, test_share, seed)
    train, test = data.subset(~held_out), data.subset(held_out)
    _check_arms(train, "training units")
    learner = make_learner(learner_name, **(params or {})).fit(train.features, train.treatment, train.outcome)
    report = judge(learner, test, economics, len(train))
    return UpliftBundle(
        learner=learner,
        dataset=data.name,
        feature_columns=tuple(data.features.columns),
        test_share=test_share,
        seed=seed,
        economics=economics,
        report=report,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def evaluate(bundle: UpliftBundle, data: UpliftData) -> UpliftReport:
    """Re-judge a saved bundle on the same held-out split of (possibly refreshed) data."""
    missing = [c for c in bundle.feature_columns if c not in data.features.columns]
    if missing:
        raise UserError(f"the data lacks the model's feature columns: {', '.join(missing)}")
    held_out = held_out_mask(data.groups, bundle.test_share, bundle.seed)
    test = data.subset(held_out)
    test = UpliftData(
        test.name,
        test.unit_ids,
        test.groups,
        test.features.select(bundle.feature_columns),
        test.treatment,
        test.outcome,
        test.value,
        test.true_uplift,
    )
    return judge(bundle.learner, test, bundle.economics, int((~held_out).sum()))


def qini_table(bundle: UpliftBundle, data: UpliftData, points: int = 101) -> pl.DataFrame:
    """The held-out Qini curves (model, oracle when known) at `points` evenly spaced shares."""
    test = data.subset(held_out_mask(data.groups, bundle.test_share, bundle.seed))
    shares = np.linspace(0.0, 1.0, points)
    columns = {"share_targeted": shares}
    rankings = {"model": bundle.learner.predict_uplift(test.features.select(bundle.feature_columns))}
    if test.true_uplift is not None:
        rankings["oracle"] = test.true_uplift
    for name, scores in rankings.items():
        curve = qini_curve(test.outcome, scores, test.treatment)
        columns[name] = np.interp(shares * len(test), curve.x, curve.y)
    columns["random"] = shares * columns["model"][-1]
    return pl.DataFrame(columns)


def targeting_list(bundle: UpliftBundle, data: UpliftData) -> pl.DataFrame:
    """Every unit scored, ranked by expected profit, with the policy's treat / do-not-treat."""
    predicted = bundle.learner.predict_uplift(data.features.select(bundle.feature_columns))
    money = _economics(data, bundle.economics)
    p_treated = _p_treated(bundle.learner, data) if money.cost_per_conversion > 0 else None
    plan = plan_targeting(predicted, money, p_treated)
    frame = pl.DataFrame(
        {
            "unit_id": data.unit_ids,  # rail: a search id; no user id, which `privacy erase` keys on
            "predicted_uplift": predicted,
            "expected_profit": plan.unit_profit,
        }
    ).sort("expected_profit", descending=True, maintain_order=True)
    return frame.with_columns((pl.int_range(pl.len()) < plan.k).alias("treat"))


def save(bundle: UpliftBundle, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{bundle.dataset}.pkl"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(bundle))
    tmp.replace(path)  # atomic: a crash never leaves half a model
    return path


def save_with_outputs(bundle: UpliftBundle, data: UpliftData, directory: Path) -> dict[str, Path]:
    """The model, its held-out Qini curves and the targeting list, side by side in `directory`."""
    model = save(bundle, directory)
    qini = directory / f"{bundle.dataset}.qini.csv"
    qini_table(bundle, data).write_csv(qini)
    targets = directory / f"{bundle.dataset}.targeting.csv"
    targeting_list(bundle, data).write_csv(targets)
    return {"model": model, "qini_curve": qini, "targeting_list": targets}


def load(directory: Path, dataset: str) -> UpliftBundle:
    path = directory / f"{dataset}.pkl"
    if not path.is_file():
        raise UserError(f"no uplift model for {dataset} in {directory}: run `commercelens uplift fit` first")
    bundle = pickle.loads(path.read_bytes())  # our own file, written by `save`
    if not isinstance(bundle, UpliftBundle) or bundle.format != BUNDLE_FORMAT:
        raise UserError(f"{path} is not an uplift bundle of this version: fit again")
    return bundle
