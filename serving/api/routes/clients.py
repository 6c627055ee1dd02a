"""Risk of a client in the ledger, and the onboarding score of a prospective one."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Annotated

import numpy as np
import pandas as pd
from fastapi import APIRouter, Path, Query

from features.client import ClientFeatures
from features.pipeline import FeatureBuilder
from ledger.errors import UnknownClient
from serving.api.bodies import OffLoopBodyRoute
from serving.api.client_schemas import (
    ClientRiskOut,
    OnboardingOut,
    OnboardingRequest,
    RiskReasonOut,
    SuggestedTermsOut,
)
from serving.api.deps import LateModelDep, SnapshotDep, StateDep, require_model
from serving.api.schemas import Day, Id, ModelRef
from serving.api.security import AUTH_RESPONSES, require_role
from serving.client_risk import client_risk, invoice_frame
from serving.risk import (
    MAX_DAYS_LATE,
    RiskInputs,
    RiskScore,
    risk_score,
    suggested_limit,
    suggested_terms,
)
from serving.scoring import LoadedModel
from training.models import ONBOARDING_MODEL

router = APIRouter(
    prefix="/v1/clients",
    tags=["clients"],
    dependencies=[require_role("viewer")],
    responses=AUTH_RESPONSES,
    route_class=OffLoopBodyRoute,
)

PROSPECT_ID = "\x00prospect"
"""A client id no ledger holds: the builder gives its client features as missing."""


def prospect_features(features: FeatureBuilder, body: OnboardingRequest) -> pd.DataFrame:
    """One feature row for the first order of a client the ledger does not hold: its client
    columns (``cli_*``, the client's ``x_*``) set from the request with the builder's fitted
    categories (a value never seen is missing), ``cli_relationship_days`` 0."""
    order, who = body.first_order, body.client
    frame = invoice_frame(
        PROSPECT_ID,
        [pd.Timestamp(order.issue_date)],
        [pd.Timestamp(order.due_date)],
        [int(order.amount * 100)],
        [order.currency],
        [False],
    )
    for column in features.user_.invoice_columns_:
        frame[column] = pd.Series([order.x.get(column)], dtype=object)
    x = features.transform(frame, pd.Timestamp(order.issue_date))
    family = next(f for f in features.families_ if isinstance(f, ClientFeatures))
    terms = who.payment_terms_days
    if terms is None:
        terms = (order.due_date - order.issue_date).days
    limit = math.log1p(float(who.credit_limit)) if who.credit_limit is not None else np.nan
    x["cli_sector"] = family.sector_.encode(np.array([who.sector], dtype=object))
    x["cli_country"] = family.country_.encode(np.array([who.country], dtype=object))
    x["cli_public_sector"] = float(who.is_public_sector)
    x["cli_relationship_days"] = 0.0
    x["cli_terms_days"] = float(terms)
    x["cli_log_credit_limit"] = limit
    user = features.user_
    for name in user.client_values_:
        value = np.array([who.x.get(name.removeprefix("cli_"))], dtype=object)
        if user.numeric_[name]:
            x[name] = pd.to_numeric(pd.Series(value), errors="coerce").to_numpy(dtype="float64")
        else:
            x[name] = user.categories_[name].encode(value)
    return x


def expected_days_late(model: LoadedModel, x: pd.DataFrame, frame: pd.DataFrame) -> float | None:
    """Expected days late (0 if early) of the one row of ``x``; the worst case (90) when no
    payment is likely within the horizon; None when the model has no payment-time part."""
    if not hasattr(model.model, "distribution"):
        return None
    dist = model.model.distribution(
        x.reindex(columns=model.feature_names), frame["issue_date"], frame["due_date"]
    )
    offset = float(dist.expected_offset()[0])
    return MAX_DAYS_LATE if math.isnan(offset) else max(offset, 0.0)


def _reasons(score: RiskScore) -> list[RiskReasonOut]:
    return [RiskReasonOut(**vars(r)) for r in score.reasons]


@router.get(
    "/{client_id}/risk",
    summary="Risk of a client",
    description="A 0–100 score (100 = safest) and a grade: 100 less the points lost by four "
    "components: expected late share (40 × mean late probability of the client's open "
    "invoices, or of a typical invoice issued at `as_of` when none is open), days late "
    "(30 × shrunk mean days late / 90, clipped to 0–90), exposure (20 × open amount / credit "
    "limit / 2, clipped to 0–2; nothing lost without a limit) and trend (10 × recent minus "
    "long-run days late / 30, clipped to 0–30). Grades: A ≥ 80, B ≥ 65, C ≥ 50, D ≥ 35, E. "
    "Reasons: each component's points lost, most first.",
    responses={
        404: {"description": "the client is not in the ledger"},
        503: {"description": "no late-payment model is registered yet"},
    },
)
def risk(
    client_id: Annotated[Id, Path(description="the client", examples=["C00001"])],
    snapshot: SnapshotDep,
    champion: LateModelDep,
    as_of: Annotated[
        Day | None, Query(description="date the client is seen at; defaults to today")
    ] = None,
) -> ClientRiskOut:
    """Score, grade and reasons of one client."""
    if client_id not in set(snapshot.ledger.clients["client_id"]):
        raise UnknownClient(client_id)
    model = require_model(champion)
    day = as_of or dt.date.today()
    score, n_open = client_risk(snapshot.ledger, snapshot.features, model, client_id, day)
    return ClientRiskOut(
        client_id=client_id,
        as_of=day,
        model=ModelRef(name=model.name, version=model.version),
        score=score.score,
        grade=score.grade,
        open_invoices=n_open,
        reasons=_reasons(score),
    )


@router.post(
    "/score",
    summary="Score a prospective client",
    description="The onboarding champion (client attributes and the invoice only) scores the "
    "first order; the score uses the client risk scale with the late probability, the "
    "expected days late of that order, its amount against the credit limit considered (if "
    "any) and no trend. Suggested terms by grade: A 60 days and a limit of 3 × the first "
    "order, B 45 days and 2 ×, C 30 days and 1 ×, D 30 days with a 30 % deposit and ½ ×, "
    "E prepayment and no credit.",
    responses={503: {"description": "no onboarding model is registered yet"}},
)
def score_prospect(
    body: OnboardingRequest, state: StateDep, snapshot: SnapshotDep
) -> OnboardingOut:
    """Score, grade and suggested terms of a prospective client."""
    model = require_model(state.models.champion(ONBOARDING_MODEL), ONBOARDING_MODEL)
    x = prospect_features(snapshot.features, body)
    order = body.first_order
    frame = pd.DataFrame(
        {
            "issue_date": pd.to_datetime([order.issue_date]).astype("datetime64[ns]"),
            "due_date": pd.to_datetime([order.due_date]).astype("datetime64[ns]"),
        }
    )
    p_late = float(model.predict_late(x)[0])
    days = expected_days_late(model, x, frame)
    limit = body.client.credit_limit
    exposure = float(order.amount / limit) if limit else None
    score = risk_score(RiskInputs(p_late=p_late, days_late=days, exposure=exposure))
    terms = suggested_terms(score.grade)
    return OnboardingOut(
        model=ModelRef(name=model.name, version=model.version),
        p_late=p_late,
        expected_days_late=days,
        score=score.score,
        grade=score.grade,
        reasons=_reasons(score),
        suggested=SuggestedTermsOut(
            payment_terms_days=terms.payment_terms_days,
            deposit_share=terms.deposit_share,
            credit_limit=suggested_limit(score.grade, Decimal(order.amount)),
            currency=order.currency,
            note=terms.note,
        ),
    )
