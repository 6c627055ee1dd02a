"""Risk of a client in the ledger, and the onboarding score of a prospective one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from serving import services
from serving.api.bodies import OffLoopBodyRoute
from serving.api.client_schemas import (
    ClientRiskOut,
    OnboardingOut,
    OnboardingRequest,
    RiskReasonOut,
    SuggestedTermsOut,
)
from serving.api.deps import ContextDep
from serving.api.schemas import Day, Id, model_ref
from serving.api.security import AUTH_RESPONSES, require_role
from serving.risk_score import RiskScore

router = APIRouter(
    prefix="/v1/clients",
    tags=["clients"],
    dependencies=[require_role("viewer")],
    responses=AUTH_RESPONSES,
    route_class=OffLoopBodyRoute,
)


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
    ctx: ContextDep,
    as_of: Annotated[
        Day | None, Query(description="date the client is seen at; defaults to today")
    ] = None,
) -> ClientRiskOut:
    """Score, grade and reasons of one client."""
    made = services.client_risk(ctx, client_id, as_of)
    return ClientRiskOut.model_validate({**made.as_json(), "model": model_ref(made.model)})


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
def score_prospect(body: OnboardingRequest, ctx: ContextDep) -> OnboardingOut:
    """Score, grade and suggested terms of a prospective client."""
    made = services.prospect_score(ctx, body)
    return OnboardingOut(
        model=model_ref(made.model),
        p_late=made.p_late,
        expected_days_late=made.expected_days_late,
        score=made.score.score,
        grade=made.score.grade,
        reasons=_reasons(made.score),
        suggested=SuggestedTermsOut(
            payment_terms_days=made.terms.payment_terms_days,
            deposit_share=made.terms.deposit_share,
            credit_limit=made.credit_limit,
            currency=body.first_order.currency,
            note=made.terms.note,
        ),
    )
