"""Batch scoring on a Dask cluster: each part of the ledger cut by client scored by the
workers (:func:`serving.batch_scores.part_scores`) and written as Parquet there; the parts
split here from a ledger in memory, or read by the workers from the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ledger.contract import Ledger
from serving.batch_scores import part_scores
from serving.scoring import LoadedModel
from training.cluster_features import StoredLedger, scattered_parts, write_parquet, write_stored


def scores_futures(
    client: Any,
    ledger: Ledger,
    late: LoadedModel,
    time: LoadedModel | None,
    as_of: pd.Timestamp,
    parts: int | None = None,
) -> list[Any]:
    """Futures of the scores of each part of ``ledger`` at ``as_of`` by the late-payment
    model ``late`` and the payment-time model ``time`` (sent once to every worker)."""
    ledgers, population = scattered_parts(client, ledger, parts)
    return client.map(
        part_scores, ledgers, population=population, as_of=as_of, **served(client, late, time)
    )


def served(client: Any, late: LoadedModel, time: LoadedModel | None) -> dict[str, Any]:
    """The models sent once to every worker: :func:`part_scores`'s ``late`` and ``time``
    (futures; ``time`` None without a payment-time model)."""
    sent = client.scatter([late, time] if time is not None else [late], broadcast=True)
    return {"late": sent[0], "time": sent[1] if time is not None else None}


def cluster_scores(
    client: Any,
    ledger: Ledger,
    late: LoadedModel,
    time: LoadedModel | None,
    as_of: pd.Timestamp,
    parts: int | None = None,
) -> pd.DataFrame:
    """The scores of :func:`scores_futures` gathered, in the order of ``ledger.invoices``."""
    futures = scores_futures(client, ledger, late, time, as_of, parts)
    frame = pd.concat(client.gather(futures))
    return frame.loc[ledger.invoices.index.intersection(frame.index, sort=False)]


def write_cluster_scores(
    client: Any,
    source: Ledger | StoredLedger,
    late: LoadedModel,
    time: LoadedModel | None,
    as_of: pd.Timestamp,
    path: Path,
) -> None:
    """The scores of every part written by the workers to the Parquet dataset ``path``
    (a stored ledger's parts read by the workers and dropped once written)."""
    if isinstance(source, StoredLedger):
        write_stored(client, source, path, part_scores, as_of=as_of, **served(client, late, time))
        return
    write_parquet(client, scores_futures(client, source, late, time, as_of), path)
