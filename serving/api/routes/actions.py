"""Relances done: the collector records each action and its outcome."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from serving import services
from serving.api.bodies import OffLoopBodyRoute
from serving.api.deps import SnapshotDep, StateDep
from serving.api.security import AUTH_RESPONSES, WriterDep, require_role
from serving.api.worklist_schemas import ActionIn, ActionOut

router = APIRouter(
    prefix="/v1",
    tags=["actions"],
    dependencies=[require_role("collector")],
    responses=AUTH_RESPONSES,
    route_class=OffLoopBodyRoute,
)


@router.post(
    "/actions",
    status_code=201,
    summary="Record a relance",
    description="Stores what the collector did on an invoice (channel, outcome, promised "
    "date) in the actions table. The worklist stops recommending the steps it covers; a "
    "promise to pay suspends the relances until its date, and a promise broken (the date "
    "passes, the invoice unpaid) counts in the client's next scores once the service "
    "rereads the ledger (`ENCOURS_LEDGER_REFRESH_SECONDS`). Sending the same action again "
    "writes nothing and answers 200. The row and the audit log (`GET /v1/audit`) name "
    "the key that recorded it. Role: collector.",
    responses={
        200: {"description": "the very same action was already recorded", "model": ActionOut},
        404: {"description": "the invoice is not in the ledger"},
        422: {"description": "a bad field, or an action dated before the invoice"},
    },
)
def record_action(
    body: ActionIn, state: StateDep, snapshot: SnapshotDep, writer: WriterDep, response: Response
) -> ActionOut:
    """Write one action and its audit entry, all or nothing."""
    try:
        created = services.record_action(
            state.engine, snapshot, services.Action(**body.model_dump()), writer
        )
    except services.ActionBeforeInvoice as exc:
        raise HTTPException(422, str(exc)) from None
    if not created:
        response.status_code = 200
    return ActionOut(**body.model_dump(), created=created)
