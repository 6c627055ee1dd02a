"""Every open invoice of a ledger scored at a date, as one frame: batch scoring.

The figures are those of the API's ``POST /v1/invoices/score`` (the same
:func:`serving.scoring.full_scores`), without the reasons (a few ms an invoice). The
pandas engine scores the whole ledger in process (:func:`batch_scores`); the Dask engine
scores each part of the ledger split by client with the same function
(:func:`part_scores`, :mod:`serving.cluster_scores`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.partitions import described_invoices
from features.pipeline import FeatureBuilder
from features.population import Population
from ledger.contract import Ledger
from serving.scoring import DATE_COLUMNS, InvoiceScores, LoadedModel, full_scores
from training.targets import BUCKETS

BUCKET_COLUMNS = tuple(f"p_{bucket}" for bucket in BUCKETS)
"""P(on_time), P(1_30) .. P(over_90): the payment-time model's buckets, late mass as
p_late."""
DATE_NAMES = ("expected_payment_date", "p10_date", "p50_date", "p90_date")
"""The payment dates of :data:`serving.scoring.DATE_COLUMNS`, named as the API names them."""
SCORE_COLUMNS = ("invoice_id", "client_id", "as_of", "p_late", *BUCKET_COLUMNS, *DATE_NAMES)


def scores_frame(
    invoices: pd.DataFrame, scores: InvoiceScores, as_of: pd.Timestamp
) -> pd.DataFrame:
    """One row per invoice: :data:`SCORE_COLUMNS`, indexed like ``invoices``; buckets and
    dates missing without a payment-time model."""
    n = len(invoices)
    buckets = scores.buckets if scores.buckets is not None else np.full((n, len(BUCKETS)), np.nan)
    dates = (
        scores.dates
        if scores.dates is not None
        else np.full((n, len(DATE_COLUMNS)), np.datetime64("NaT"), dtype="datetime64[D]")
    )
    columns: dict[str, object] = {
        "invoice_id": invoices["invoice_id"].astype("str").array,
        "client_id": invoices["client_id"].astype("str").array,
        "as_of": np.full(n, as_of.to_datetime64(), dtype="datetime64[ns]"),
        "p_late": np.asarray(scores.p_late, dtype="float64"),
    }
    for i, name in enumerate(BUCKET_COLUMNS):
        columns[name] = np.asarray(buckets[:, i], dtype="float64")
    for i, name in enumerate(DATE_NAMES):
        columns[name] = np.asarray(dates[:, i]).astype("datetime64[ns]")
    return pd.DataFrame(columns, index=invoices.index)


def batch_scores(
    features: FeatureBuilder,
    ledger: Ledger,
    late: LoadedModel,
    time: LoadedModel | None,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """The scores of the invoices of ``ledger`` open at the end of ``as_of`` (not written
    off), from ``features`` fitted on it: :func:`scores_frame`."""
    rows, _ = described_invoices(ledger, as_of)
    if rows.empty:
        empty = InvoiceScores(np.zeros(0), None, None, None)
        return scores_frame(rows, empty, as_of)
    scores = full_scores(features, late, time, rows, as_of, explain=False)
    return scores_frame(rows, scores, as_of)


def part_scores(
    ledger: Ledger,
    population: Population,
    late: LoadedModel,
    time: LoadedModel | None,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """:func:`batch_scores` of a part of a ledger split by client, its features fitted
    with the whole ledger's ``population``: one Dask task."""
    return batch_scores(FeatureBuilder(population).fit(ledger), ledger, late, time, as_of)
