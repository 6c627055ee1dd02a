"""Relances done: the collector records each action and its outcome."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, HTTPException, Response
from sqlalchemy.exc import IntegrityError

from ledger.audit import record_write
from ledger.contract import Ledger
from ledger.days import day_number
from ledger.errors import UnknownInvoice
from ledger.storage import write_ledger
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


def action_frame(body: ActionIn) -> pd.DataFrame:
    """The action as one row of the ledger's actions table, in memory."""
    return pd.DataFrame(
        {
            "invoice_id": [body.invoice_id],
            "action_date": pd.to_datetime([body.action_date]).astype("datetime64[ns]"),
            "channel": [body.channel],
            "outcome": pd.Series([body.outcome], dtype=object),
            "promised_date": pd.to_datetime(pd.Series([body.promised_date], dtype=object)).astype(
                "datetime64[ns]"
            ),
        }
    )


def action_summary(body: ActionIn, created: bool) -> str:
    """The action in words, for the audit log."""
    outcome = f", {body.outcome}" if body.outcome else ""
    promised = f" for {body.promised_date}" if body.promised_date else ""
    done = "" if created else " (already recorded: nothing written)"
    return (
        f"relance by {body.channel} on invoice {body.invoice_id} on {body.action_date}"
        f"{outcome}{promised}{done}"
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
    prepared = snapshot.features.prepared_
    row = prepared.invoice_codes(pd.Series([body.invoice_id], dtype=object))[0]
    if row >= 0:  # else the snapshot may predate the invoice: the database decides below
        issue_day = int(prepared.invoices["issue_day"].iloc[row])
        if day_number(body.action_date) < issue_day:
            raise HTTPException(422, f"action_date {body.action_date} is before the invoice's date")
    try:
        with state.engine.begin() as connection:
            summary = write_ledger(connection, Ledger(actions=action_frame(body)), writer)
            created = summary.tables["actions"].inserted == 1
            record_write(connection, writer, action_summary(body, created), [body.invoice_id])
    except IntegrityError:  # the foreign key to invoices: the one check that cannot race
        raise UnknownInvoice(body.invoice_id) from None
    if not created:
        response.status_code = 200
    return ActionOut(**body.model_dump(), created=created)
