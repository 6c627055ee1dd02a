"""Features and scores of a whole ledger written to Parquet, in process or on a Dask cluster.

What ``encours features --out`` and ``encours score`` run. Both engines call the same
functions (:func:`features.partitions.ledger_features`,
:func:`serving.batch_scores.batch_scores`), the Dask one on each part of the ledger split
by client; pandas writes one file, Dask a folder of one file per part (a Parquet dataset
that pandas, pyarrow and Dask read as one table).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from config import Settings
from features.partitions import ledger_features
from ledger.contract import Ledger
from ledger.storage import load_ledger, make_engine
from serving.champions import ModelSet
from serving.services.context import champion, context_of
from serving.services.scores import open_invoice_scores
from training.cluster_features import StoredLedger
from training.models import LATE_MODEL, TIME_MODEL


@dataclass(frozen=True)
class Written:
    """A Parquet file or dataset written: where, how many rows, which columns."""

    path: Path
    rows: int
    columns: list[str]
    engine: str

    def as_json(self) -> dict[str, Any]:
        """The figures for ``--json``."""
        return {
            "path": str(self.path),
            "rows": self.rows,
            "columns": self.columns,
            "engine": self.engine,
        }


def _written(path: Path, engine: str) -> Written:
    """What the Parquet file or dataset at ``path`` holds (read from its metadata)."""
    import pyarrow.dataset as ds

    dataset = ds.dataset(path, format="parquet")
    return Written(path, dataset.count_rows(), list(dataset.schema.names), engine)


def _timestamp(as_of: dt.date | None) -> pd.Timestamp | None:
    return None if as_of is None else pd.Timestamp(as_of)


def in_memory(source: Ledger | StoredLedger) -> Ledger:
    """``source`` itself, or the whole ledger read from its database (the pandas engine)."""
    if isinstance(source, Ledger):
        return source
    engine = make_engine(source.url)
    try:
        return load_ledger(engine)
    finally:
        engine.dispose()


def write_features(
    source: Ledger | StoredLedger, as_of: dt.date | None, path: Path, client: Any = None
) -> Written:
    """The features of every invoice at its issue date (``as_of`` None), or of the invoices
    open at the end of ``as_of`` seen then, written to ``path``; on the Dask cluster of
    ``client`` when one is given (a stored ledger then read by its workers, part by part)."""
    if client is None:
        ledger_features(in_memory(source), _timestamp(as_of)).to_parquet(path, index=False)
        return _written(path, "pandas")
    from training.cluster_features import features_futures, write_parquet, write_stored

    if isinstance(source, StoredLedger):
        write_stored(client, source, path, ledger_features, as_of=_timestamp(as_of))
        return _written(path, "dask")
    futures, _ = features_futures(client, source, _timestamp(as_of))
    write_parquet(client, futures, path)
    return _written(path, "dask")


def write_scores(
    source: Ledger | StoredLedger,
    models: ModelSet,
    settings: Settings,
    as_of: dt.date,
    path: Path,
    client: Any = None,
) -> Written:
    """The scores of every invoice open at the end of ``as_of``
    (:func:`~serving.services.scores.open_invoice_scores`) written to ``path``; on the Dask
    cluster of ``client`` when one is given (a stored ledger then read by its workers).

    Raises:
        ModelUnavailable: no late-payment champion is served.
    """
    if client is None:
        frame = open_invoice_scores(context_of(in_memory(source), models, settings), as_of)
        frame.to_parquet(path, index=False)
        return _written(path, "pandas")
    from serving.cluster_scores import write_cluster_scores

    late = champion(models, LATE_MODEL)
    time = models.get(TIME_MODEL)
    write_cluster_scores(client, source, late, time, pd.Timestamp(as_of), path)
    return _written(path, "dask")
