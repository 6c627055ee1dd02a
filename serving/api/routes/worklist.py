"""The relance worklist: invoices to chase today, ranked by amount at risk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from serving import services
from serving.api.deps import ContextDep
from serving.api.schemas import Day, model_ref
from serving.api.security import AUTH_RESPONSES, require_role
from serving.api.worklist_schemas import WorklistOut

router = APIRouter(
    prefix="/v1",
    tags=["worklist"],
    dependencies=[require_role("collector")],
    responses=AUTH_RESPONSES,
)

MAX_LIMIT = 10_000


@router.get(
    "/worklist",
    summary="Relance worklist",
    description="Open invoices overdue or due within a few days, ranked by amount at risk "
    "(open amount × risk), each with its client's profile, the relance step recommended by "
    "the configured scenarios (`ENCOURS_SCENARIOS_FILE`), the next step and its date, the "
    "late-payment penalties and the 40 € recovery indemnity owed so far, and the expected "
    "payment date (from the payment-time champion, when one is served). Role: collector.",
    responses={
        503: {
            "description": "no late-payment model yet, or the scenarios file does not "
            "validate (the detail names the field): the service, not the request, is at fault"
        },
    },
)
def worklist(
    ctx: ContextDep,
    as_of: Annotated[
        Day | None, Query(description="date of the worklist, YYYY-MM-DD; default today")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="largest number of invoices returned")
    ] = 100,
    currency: Annotated[
        str | None,
        Query(pattern="^[A-Z]{3}$", description="only invoices in this currency; default all"),
    ] = None,
) -> WorklistOut:
    """The worklist at ``as_of``."""
    made = services.worklist(ctx, as_of, limit=limit, currency=currency)
    return WorklistOut.model_validate({**made.as_json(), "model": model_ref(made.model)})
