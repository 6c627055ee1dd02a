"""Affacturage: the cheapest invoices to sell to a factor to meet a cash need."""

from __future__ import annotations

import math

from fastapi import APIRouter, HTTPException

from serving.affacturage import CashNeed, FactorOffer
from serving.api.affacturage_schemas import AffacturageIn, AffacturageOut
from serving.api.bodies import OffLoopBodyRoute
from serving.api.deps import ContextDep
from serving.api.schemas import model_ref
from serving.api.security import AUTH_RESPONSES, require_role
from serving.services.affacturage import NeedBeforeToday, affacturage

router = APIRouter(
    prefix="/v1",
    tags=["affacturage"],
    dependencies=[require_role("viewer")],
    responses=AUTH_RESPONSES,
    route_class=OffLoopBodyRoute,
)


@router.post(
    "/affacturage",
    summary="Invoices to factor for a cash need",
    description="Given a factor's offer and a cash need by a date with a confidence (e.g. "
    "300,000 by the 15th at 90 %), ranks the eligible open invoices by the cost of "
    "factoring against the cost of waiting (from the payment-time champion's distributions) "
    "and proposes the cheapest set that meets the need at that confidence, beside selling "
    "nothing and everything. Writes nothing. Role: viewer.",
    responses={
        422: {"description": "a bad field, or a need dated on or before `as_of`"},
        503: {"description": "no payment-time model yet"},
    },
)
def plan(body: AffacturageIn, ctx: ContextDep) -> AffacturageOut:
    """The factoring plan of ``body``."""
    offer = FactorOffer(
        commission_percent=body.offer.commission_percent,
        financing_rate_percent=body.offer.financing_rate_percent,
        retention_percent=body.offer.retention_percent,
        eligible_clients=tuple(body.offer.eligible_clients),
        min_invoice=body.offer.min_invoice,
        include_overdue=body.offer.include_overdue,
    )
    need = CashNeed(body.need.amount, body.need.by, body.need.confidence)
    try:
        made = affacturage(ctx, offer, need, body.as_of, body.currency)
    except NeedBeforeToday as exc:
        raise HTTPException(422, str(exc)) from None
    out = made.as_json(body.limit)
    for row in out["invoices"]:
        if not math.isfinite(row["cost_per_euro"]):
            row["cost_per_euro"] = None
    return AffacturageOut.model_validate({**out, "model": model_ref(made.model)})
