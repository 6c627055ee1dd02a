"""The relance worklist: invoices to chase today, ranked by amount at risk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from serving import services
from serving.api.deps import ContextDep
from serving.api.schemas import Day, model_ref
from serving.api.security import AUTH_RESPONSES, require_role
from serving.api.worklist_schemas import WorklistOut
from serving.scenarios import ProfileName
from serving.worklist_filter import Bucket, WorklistFilter

router = APIRouter(
    prefix="/v1",
    tags=["worklist"],
    dependencies=[require_role("collector")],
    responses=AUTH_RESPONSES,
)

MAX_LIMIT = 10_000
MAX_TEXT = 200
MAX_OFFSET = 100_000_000  # far beyond any ledger's worklist; bounds what a request may ask


async def worklist_filter(
    profile: Annotated[
        ProfileName | None, Query(description="only clients of this profile; default all")
    ] = None,
    bucket: Annotated[
        Bucket | None,
        Query(
            description="only invoices of this age in days past due: `not_due` (0 or less), "
            "`1_30`, `31_60`, `61_90`, `over_90`; default all"
        ),
    ] = None,
    client: Annotated[
        str | None,
        Query(
            max_length=MAX_TEXT,
            description="only this client: its id exactly, or part of its name in any case",
        ),
    ] = None,
    collector: Annotated[
        str | None,
        Query(
            max_length=MAX_TEXT,
            description="only the clients of this collector (the clients' `x_collector`)",
        ),
    ] = None,
    min_amount: Annotated[
        float | None,
        Query(ge=0, description="only invoices with at least this open amount (currency units)"),
    ] = None,
) -> WorklistFilter:
    """The filters of a worklist request, every one optional (a coroutine: it never blocks)."""
    return WorklistFilter(profile, bucket, client, collector, min_amount)


FilterDep = Annotated[WorklistFilter, Depends(worklist_filter)]


@router.get(
    "/worklist",
    summary="Relance worklist",
    description="Open invoices overdue or due within a few days, ranked by amount at risk "
    "(open amount × risk), each with its client's profile, the relance step recommended by "
    "the configured scenarios (`ENCOURS_SCENARIOS_FILE`), the next step and its date, the "
    "late-payment penalties and the 40 € recovery indemnity owed so far, and the expected "
    "payment date with its P10–P90 (from the payment-time champion, when one is served). "
    "Filters (profile, bucket, client, collector, min_amount) choose among all the invoices "
    "before the ranking is cut; `offset` and `limit` then give one page: `matching` says how "
    "many invoices the filters keep, `total` how many are on the worklist. Role: collector.",
    responses={
        503: {
            "description": "no late-payment model yet, or the scenarios file does not "
            "validate (the detail names the field): the service, not the request, is at fault"
        },
    },
)
def worklist(
    ctx: ContextDep,
    filters: FilterDep,
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
    offset: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_OFFSET,
            description="rows of the ranking skipped: the pages before this one",
        ),
    ] = 0,
) -> WorklistOut:
    """The worklist at ``as_of``: one page of the rows the filters keep."""
    made = services.worklist(
        ctx, as_of, limit=limit, currency=currency, filters=filters, offset=offset
    )
    return WorklistOut.model_validate({**made.as_json(), "model": model_ref(made.model)})
