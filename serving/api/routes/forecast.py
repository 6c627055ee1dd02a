"""Cash-in forecast from the payment-time model's distributions of the open invoices."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from serving import services
from serving.api.deps import ContextDep
from serving.api.forecast_schemas import ForecastOut
from serving.api.schemas import Day, model_ref
from serving.api.security import AUTH_RESPONSES, require_role
from serving.forecast import MAX_HORIZON_WEEKS

router = APIRouter(
    prefix="/v1",
    tags=["forecast"],
    dependencies=[require_role("viewer")],
    responses=AUTH_RESPONSES,
)


@router.get(
    "/forecast",
    summary="Cash-in forecast",
    description="Expected cash-in per day or week for 1–26 weeks after `as_of`, from the "
    "payment-time champion's distribution of every open invoice (given it is still open; "
    "moved onto the payment runs of clients who pay at month end or on the 10th), "
    "plus unbilled amounts at their due date; 80 % and 95 % bands from those distributions "
    "(normal approximation; one client's invoices correlated, clients independent); "
    "projected encours client and DSO at the end of each period. One currency per call. "
    "Role: viewer.",
    responses={503: {"description": "no payment-time model is registered yet"}},
)
def forecast(
    ctx: ContextDep,
    horizon_weeks: Annotated[
        int, Query(ge=1, le=MAX_HORIZON_WEEKS, description="weeks forecast, 1 to 26")
    ] = 13,
    granularity: Annotated[
        Literal["day", "week"], Query(description="`day` or `week` (7-day periods)")
    ] = "week",
    as_of: Annotated[
        Day | None, Query(description="date of the forecast, YYYY-MM-DD; default today")
    ] = None,
    currency: Annotated[
        str, Query(pattern="^[A-Z]{3}$", description="ISO 4217 currency forecast")
    ] = "EUR",
) -> ForecastOut:
    """The forecast at ``as_of``."""
    made = services.forecast(
        ctx, as_of, horizon_weeks=horizon_weeks, granularity=granularity, currency=currency
    )
    return ForecastOut.model_validate({**made.as_json(), "model": model_ref(made.model)})
