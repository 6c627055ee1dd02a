"""Invoice scores: late probability, days-late buckets, payment dates and reasons."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from features.prepared import Invoices
from ledger.errors import UnknownInvoice
from serving.batch_scores import batch_scores
from serving.scoring import InvoiceScores, LoadedModel, full_scores
from serving.services.context import Context
from training.models import LATE_MODEL, TIME_MODEL


def score_invoices(
    ctx: Context, invoices: Invoices, as_of: dt.date, explain: bool = True
) -> InvoiceScores:
    """The scores of ``invoices`` (stored or not) seen at ``as_of``: the late-payment
    champion's, and the payment-time champion's buckets and dates when one is served.

    The caller has checked their clients (:meth:`Context.require_clients`): a batch of
    requests checks each request's apart. The scores go to the context's score log, when
    it has one (the API's scores, kept for monitoring).

    Raises:
        ModelUnavailable: no late-payment champion is served.
    """
    late = ctx.champion(LATE_MODEL)
    scores = full_scores(
        ctx.features, late, ctx.served(TIME_MODEL), invoices, pd.Timestamp(as_of), explain
    )
    if ctx.score_log is not None:
        ctx.score_log.record(late, as_of, invoices, scores)
    return scores


@dataclass(frozen=True)
class StoredScore:
    """The scores of one stored invoice, by the late-payment champion ``model``."""

    model: LoadedModel
    as_of: dt.date
    invoice_id: str
    client_id: str
    scores: InvoiceScores


def score_stored(
    ctx: Context, invoice_id: str, as_of: dt.date | None = None, explain: bool = True
) -> StoredScore:
    """The scores of the ledger's invoice ``invoice_id`` seen at ``as_of`` (default today):
    an open invoice's payment date is given it is still unpaid then.

    Raises:
        UnknownInvoice: the ledger holds no invoice ``invoice_id`` (told before any model).
        ModelUnavailable: no late-payment champion is served.
    """
    invoices = ctx.ledger.invoices
    rows = invoices[(invoices["invoice_id"] == invoice_id) & (invoices["doc_type"] == "invoice")]
    if rows.empty:
        raise UnknownInvoice(invoice_id)
    model = ctx.champion(LATE_MODEL)
    seen = as_of or dt.date.today()
    frame = rows.head(1).reset_index(drop=True)
    scores = score_invoices(ctx, frame, seen, explain)
    return StoredScore(
        model, seen, str(frame["invoice_id"].iat[0]), str(frame["client_id"].iat[0]), scores
    )


def open_invoice_scores(ctx: Context, as_of: dt.date) -> pd.DataFrame:
    """Every invoice of the ledger open at the end of ``as_of`` (not written off), scored
    as ``POST /v1/invoices/score`` scores it, without reasons: one row each
    (:data:`serving.batch_scores.SCORE_COLUMNS`).

    Raises:
        ModelUnavailable: no late-payment champion is served.
    """
    late = ctx.champion(LATE_MODEL)
    return batch_scores(ctx.features, ctx.ledger, late, ctx.served(TIME_MODEL), pd.Timestamp(as_of))
