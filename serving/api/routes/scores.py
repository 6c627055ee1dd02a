"""Scores of invoices."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from fastapi import APIRouter

from serving.api.deps import LateModelDep, SnapshotDep, StateDep, require_batch, require_model
from serving.api.schemas import InvoiceScore, ModelRef, ScoreRequest, ScoreResponse
from serving.api.security import AUTH_RESPONSES, require_role
from serving.scoring import score_invoices

router = APIRouter(
    prefix="/v1/invoices",
    tags=["scores"],
    dependencies=[require_role("viewer")],
    responses=AUTH_RESPONSES,
)


def request_frame(body: ScoreRequest) -> pd.DataFrame:
    """The invoices of a request in the ledger's in-memory form."""
    rows = body.invoices
    return pd.DataFrame(
        {
            "invoice_id": [r.invoice_id for r in rows],
            "client_id": [r.client_id for r in rows],
            "issue_date": pd.to_datetime([r.issue_date for r in rows]).astype("datetime64[ns]"),
            "due_date": pd.to_datetime([r.due_date for r in rows]).astype("datetime64[ns]"),
            "amount_cents": [int(r.amount * 100) for r in rows],
            "currency": [r.currency for r in rows],
            "doc_type": "invoice",
            "disputed": [r.disputed for r in rows],
        }
    )


@router.post(
    "/score",
    summary="Score invoices",
    description="Probability that each invoice sent is paid after its due date, from the "
    "champion late-payment model and the client's payment history before `as_of`.",
    responses={
        404: {"description": "a client is not in the ledger"},
        413: {"description": "more invoices than the limit (`ENCOURS_MAX_BATCH`, default 10,000)"},
        503: {"description": "no model is registered yet"},
    },
)
def score(
    body: ScoreRequest, state: StateDep, snapshot: SnapshotDep, champion: LateModelDep
) -> ScoreResponse:
    """Late probabilities of the invoices sent."""
    require_batch(len(body.invoices), state.settings.max_batch)
    model = require_model(champion)
    as_of = body.as_of or dt.date.today()
    frame = request_frame(body)
    p_late = score_invoices(snapshot.ledger, snapshot.features, model, frame, pd.Timestamp(as_of))
    return ScoreResponse(
        model=ModelRef(name=model.name, version=model.version),
        as_of=as_of,
        scores=[
            InvoiceScore(invoice_id=r.invoice_id, client_id=r.client_id, p_late=float(p))
            for r, p in zip(body.invoices, p_late, strict=True)
        ],
    )
