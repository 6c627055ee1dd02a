"""The relance worklist: invoices to chase today, ranked by amount at risk."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from serving.api.deps import LateModelDep, SnapshotDep, StateDep, require_model
from serving.api.schemas import Day, ModelRef
from serving.api.security import AUTH_RESPONSES, require_role
from serving.api.worklist_schemas import WorklistOut, WorklistRow
from serving.penalties import rates_from_settings
from serving.scenarios import ScenarioError, current_scenarios
from serving.worklist import build_worklist

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
    state: StateDep,
    snapshot: SnapshotDep,
    champion: LateModelDep,
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
    model = require_model(champion)
    try:
        scenarios = current_scenarios(state.settings.scenarios_file)
    except ScenarioError as exc:
        raise HTTPException(503, f"the relance scenarios are misconfigured: {exc}") from None
    day = as_of or dt.date.today()
    built = build_worklist(
        snapshot.ledger,
        snapshot.features,
        model.model,
        scenarios,
        day,
        time_model=None if state.time_model is None else state.time_model.model,
        rates=rates_from_settings(state.settings),
        limit=limit,
        currency=currency,
    )
    return WorklistOut(
        as_of=day,
        model=ModelRef(name=model.name, version=model.version),
        payment_time_model=built.with_payment_time,
        total=built.n_candidates,
        rows=[WorklistRow.model_validate(row) for row in built.records()],
    )
