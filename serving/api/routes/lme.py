"""The LME check: clients and invoices with payment terms beyond French law."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from serving.api.deps import SnapshotDep, StateDep
from serving.api.lme_schemas import LmeOut
from serving.api.schemas import Day
from serving.api.security import AUTH_RESPONSES, require_role
from serving.services.lme import lme as check

router = APIRouter(
    prefix="/v1", tags=["lme"], dependencies=[require_role("viewer")], responses=AUTH_RESPONSES
)


@router.get(
    "/lme",
    summary="LME check of payment terms",
    description="Clients whose agreed payment terms exceed the law (Code de commerce "
    "L441-10: 60 days from the invoice date or 45 days end of month; 30 days when no term "
    "is agreed; 30 days for public buyers, with their intérêts moratoires rate, ECB + 8 "
    "points), and the invoices issued from `since` to `as_of` with a due date beyond the "
    "law, worst first. Role: viewer.",
)
def lme(
    snapshot: SnapshotDep,
    state: StateDep,
    as_of: Annotated[Day | None, Query(description="date of the check; default today")] = None,
    since: Annotated[
        Day | None,
        Query(description="check invoices issued from this date; default a year before"),
    ] = None,
    every_client: Annotated[
        bool, Query(alias="all", description="list every client, not only those flagged")
    ] = False,
) -> LmeOut:
    """The LME report at ``as_of``."""
    report = check(snapshot.ledger, state.settings, as_of, since)
    return LmeOut.model_validate(report.as_json(every_client))
