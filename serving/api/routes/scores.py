"""Scores of invoices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Set as AbstractSet
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from serving import services
from serving.api.bodies import OffLoopBodyRoute
from serving.api.deps import ContextDep, StateDep, get_snapshot, require_batch
from serving.api.schemas import (
    BucketsOut,
    Day,
    Id,
    InvoiceScore,
    ReasonOut,
    ScoreRequest,
    ScoreResponse,
    model_ref,
)
from serving.api.security import AUTH_RESPONSES, require_role
from serving.batching import Columns, ScoreJob
from serving.scoring import InvoiceScores
from serving.services import Context
from training.models import LATE_MODEL, TIME_MODEL

router = APIRouter(
    prefix="/v1/invoices",
    tags=["scores"],
    dependencies=[require_role("viewer")],
    responses=AUTH_RESPONSES,
    route_class=OffLoopBodyRoute,
)


BUCKET_FIELDS = ("on_time", "d1_30", "d31_60", "d61_90", "over_90")


def request_columns(body: ScoreRequest, known: AbstractSet[str]) -> Columns:
    """The invoices of a request as plain columns, with those of their x_* columns that are
    ``known`` (None where absent): the models read no other, so none other is built."""
    rows = body.invoices
    columns: Columns = {
        "invoice_id": [r.invoice_id for r in rows],
        "client_id": [r.client_id for r in rows],
        "issue_date": [r.issue_date for r in rows],
        "due_date": [r.due_date for r in rows],
        "amount_cents": [int(r.amount * 100) for r in rows],
        "currency": [r.currency for r in rows],
        "disputed": [r.disputed for r in rows],
    }
    for name in sorted({name for r in rows for name in r.x if name in known}):
        columns[name] = [r.x.get(name) for r in rows]
    return columns


def invoice_arrays(columns: Columns) -> dict[str, np.ndarray]:
    """Invoices given as columns (:func:`request_columns`) as the features read them: the
    ledger's columns as numpy arrays (dates by day), then the user's ``x_`` columns."""
    arrays = {
        "invoice_id": np.array(columns["invoice_id"], dtype=object),
        "client_id": np.array(columns["client_id"], dtype=object),
        "issue_date": np.array(columns["issue_date"], dtype="datetime64[D]"),
        "due_date": np.array(columns["due_date"], dtype="datetime64[D]"),
        "amount_cents": np.array(columns["amount_cents"], dtype="int64"),
        "currency": np.array(columns["currency"], dtype=object),
        "disputed": np.array(columns["disputed"], dtype=bool),
    }
    for name, values in columns.items():
        if name.startswith("x_"):  # the user's own columns, of any type
            arrays[name] = np.array(values, dtype=object)
    return arrays


def invoice_scores(ids: list[tuple[str | None, str]], scores: InvoiceScores) -> list[InvoiceScore]:
    """One response item per (invoice id, client id) of ``ids``, in order."""
    p_late = scores.p_late.tolist()
    buckets = None if scores.buckets is None else scores.buckets.tolist()
    dates = None if scores.dates is None else scores.dates.tolist()  # dates, None for NaT
    out = []
    for i, (invoice_id, client_id) in enumerate(ids):
        item = InvoiceScore(invoice_id=invoice_id, client_id=client_id, p_late=p_late[i])
        if buckets is not None and dates is not None:
            item.buckets = BucketsOut(**dict(zip(BUCKET_FIELDS, buckets[i], strict=True)))
            expected, p10, p50, p90 = dates[i]
            item.expected_payment_date = expected
            item.p10_date, item.p50_date, item.p90_date = p10, p50, p90
        if scores.reasons is not None:
            item.reasons = [ReasonOut(**vars(r)) for r in scores.reasons[i]]
        out.append(item)
    return out


@router.post(
    "/score",
    summary="Score invoices",
    description="For each invoice sent (stored or prospective): the probability it is paid "
    "after its due date (champion late-payment model, calibrated), the probability of each "
    "days-late bucket, the expected payment date with P10–P90 (champion payment-time model, "
    "given the invoice is unpaid at `as_of`), and the top reasons: signed TreeSHAP "
    "contributions named from the feature registry. Only what was known before `as_of` counts.",
    responses={
        404: {"description": "a client is not in the ledger"},
        413: {
            "description": "more invoices than the limit (`ENCOURS_MAX_BATCH`, default "
            "10,000), or a body over `ENCOURS_MAX_BODY_BYTES`"
        },
        503: {"description": "no model is registered yet"},
    },
    response_model=ScoreResponse,
)
async def score(
    body: ScoreRequest,
    state: StateDep,
    reasons: Annotated[
        bool, Query(description="add the top reasons of each score (a few ms per invoice)")
    ] = True,
) -> ScoreResponse | Response:
    """Scores, buckets, payment dates and reasons of the invoices sent.

    Concurrent requests are scored together (:mod:`serving.batching`): same answers,
    fewer model calls under load. The snapshot and the model are taken here rather than
    as dependencies: each dependency costs FastAPI's resolution on every request, and
    this is the route that answers thousands a second. A large answer is built and
    written as JSON in the thread pool, not on the event loop that FastAPI would use.
    """
    require_batch(len(body.invoices), state.settings.max_batch)
    models = state.models  # read once: a reload meanwhile does not change this request's
    model = services.champion(models, LATE_MODEL)
    ctx = Context(await get_snapshot(state), models, state.settings, state.score_log)
    as_of = body.as_of or dt.date.today()
    time_model = ctx.served(TIME_MODEL)
    known = model.user_columns | (time_model.user_columns if time_model else frozenset())
    invoices = body.invoices

    def prepare() -> Columns:
        ctx.require_clients(r.client_id for r in invoices)
        return request_columns(body, known)

    def compute(columns: Columns) -> InvoiceScores:
        return services.score_invoices(ctx, invoice_arrays(columns), as_of, reasons)

    key = (id(ctx.snapshot), id(model), id(time_model), as_of, reasons)
    scores = await state.batcher.score(ScoreJob(key, prepare, compute), len(invoices))

    def answer() -> ScoreResponse:
        return ScoreResponse(
            model=model_ref(model),
            as_of=as_of,
            scores=invoice_scores([(r.invoice_id, r.client_id) for r in invoices], scores),
        )

    if len(invoices) <= state.batcher.inline_rows:  # as the batcher, small ones inline
        return answer()
    content = await run_in_threadpool(lambda: answer().model_dump_json().encode())
    return Response(content, media_type="application/json")


@router.get(
    "/{invoice_id}",
    summary="Score a stored invoice",
    description="The same answer as `POST /v1/invoices/score` for one invoice of the ledger, "
    "seen at `as_of` (default today): an open invoice's payment date is given it is still "
    "unpaid then.",
    responses={
        404: {"description": "the invoice is not in the ledger"},
        503: {"description": "no model is registered yet"},
    },
)
def score_stored(
    invoice_id: Annotated[Id, Path(description="the invoice number", examples=["F0000001"])],
    ctx: ContextDep,
    as_of: Annotated[Day | None, Query(description="date seen at (YYYY-MM-DD)")] = None,
    reasons: Annotated[bool, Query(description="add the top reasons")] = True,
) -> ScoreResponse:
    """Scores, buckets, payment dates and reasons of one stored invoice."""
    made = services.score_stored(ctx, invoice_id, as_of, reasons)
    return ScoreResponse(
        model=model_ref(made.model),
        as_of=made.as_of,
        scores=invoice_scores([(made.invoice_id, made.client_id)], made.scores),
    )
