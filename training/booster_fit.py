"""Where the models' boosters are fitted: in this process, or across a Dask cluster.

A booster whose number of trees is already chosen (the late-payment model's final booster,
each candidate's, the payment-time hazard booster) is fitted by :func:`fitted_booster`.
By default that is ``LGBMClassifier.fit`` here. Inside :func:`boosters_on`, it is
``lightgbm.dask.DaskLGBMClassifier`` on the cluster's workers (LightGBM's data-parallel
learner: each worker builds histograms of its rows, the workers agree on each split),
brought back as an ordinary ``LGBMClassifier`` (``to_local``) so that everything after it
(calibration, reasons, the saved model) is unchanged.

The held-back fits that choose the number of trees stop early on a validation slice, which
``lightgbm.dask`` does not support (early stopping on one worker stops that worker alone):
they stay in this process. The boosters fitted on the cluster are LightGBM's own
distributed fits, not the same trees to the last bit: their figures are close, not equal.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd


@dataclass(frozen=True)
class _Cluster:
    """Where :func:`boosters_on` sends the fits: a Dask client, and the lock that lets one
    distributed fit run at a time (LightGBM's network is one per worker process, and the
    models are fitted in threads at once: :func:`training.models.fit_models`)."""

    client: Any
    one_at_a_time: threading.Lock = field(default_factory=threading.Lock)


_CLUSTER: ContextVar[_Cluster | None] = ContextVar("booster_cluster", default=None)
"""The cluster the boosters are fitted on, within :func:`boosters_on` (None: here). A
context variable, as scikit-learn's ``config_context`` or joblib's ``parallel_backend``:
the choice reaches the fits deep in training without being threaded through every model."""


@contextmanager
def boosters_on(client: Any) -> Iterator[None]:
    """Within this block, :func:`fitted_booster` fits on the Dask cluster of ``client``."""
    token = _CLUSTER.set(_Cluster(client))
    try:
        yield
    finally:
        _CLUSTER.reset(token)


def fitted_booster(params: dict[str, object], x: pd.DataFrame, y: np.ndarray) -> Any:
    """An ``LGBMClassifier`` of ``params`` fitted on ``x``, ``y``: here, or with
    ``lightgbm.dask`` inside :func:`boosters_on`."""
    cluster = _CLUSTER.get()
    if cluster is None:
        return lgb.LGBMClassifier(**params).fit(x, y)  # type: ignore[arg-type]
    with cluster.one_at_a_time:
        return _dask_fitted_again(cluster.client, params, x, np.asarray(y))


DASK_TRIES = 3
"""Distributed fits tried before giving up. A worker lost in the middle of one (seen once
in the tests: a LightGBM worker killed by signal 11, its peer's socket reset) loses the
rows sent to it; the nanny starts a new worker, the rows are sent again."""


def _dask_fitted_again(
    client: Any, params: dict[str, object], x: pd.DataFrame, y: np.ndarray
) -> Any:
    """:func:`_dask_fitted`, tried again when a worker is lost in the middle of it."""
    from distributed.client import FutureCancelledError

    workers = len(client.scheduler_info().get("workers", {}))
    for _ in range(DASK_TRIES - 1):
        try:
            return _dask_fitted(client, params, x, y)
        except (lgb.basic.LightGBMError, FutureCancelledError) as exc:
            logging.getLogger(__name__).warning("distributed fit failed (%s): again", exc)
            client.wait_for_workers(workers, timeout=60)
    return _dask_fitted(client, params, x, y)


def _dask_fitted(client: Any, params: dict[str, object], x: pd.DataFrame, y: np.ndarray) -> Any:
    """``params`` fitted by ``lightgbm.dask`` on the workers of ``client``, as a local
    ``LGBMClassifier``.

    Each worker is sent its own slice of consecutive rows: lightgbm.dask trains on the
    workers that hold the data, and partitions left to the scheduler may all land on one.
    """
    import dask.dataframe as dd
    from lightgbm.dask import DaskLGBMClassifier

    frame = x.reset_index(drop=True)
    labels = pd.Series(y, index=frame.index, name="late")
    workers = sorted(client.scheduler_info().get("workers", {}))[: max(1, len(frame))]
    slices = np.array_split(np.arange(len(frame)), max(1, len(workers)))
    features, targets = [], []
    for rows, worker in zip(slices, workers or [None], strict=False):
        place = None if worker is None else [worker]
        features.append(client.scatter(frame.iloc[rows], workers=place, direct=True))
        targets.append(client.scatter(labels.iloc[rows], workers=place, direct=True))
    # lightgbm.dask sets each worker's threads to the worker's own: n_jobs is not passed
    local = {key: value for key, value in params.items() if key != "n_jobs"}
    model = DaskLGBMClassifier(client=client, **local)  # type: ignore[arg-type]
    lightgbm_logs_to_logging()
    fitted = model.fit(
        dd.from_delayed(features, meta=frame.iloc[:0], verify_meta=False),
        dd.from_delayed(targets, meta=labels.iloc[:0], verify_meta=False),
    )
    return fitted.to_local()


def lightgbm_logs_to_logging() -> None:
    """LightGBM's messages in this process to the ``lightgbm`` logger, not printed: the
    distributed fit announces its ports on standard output, where a command's ``--json``
    goes. (The workers' own messages come from LightGBM's threads, which print whatever
    logger is registered: a local cluster's workers write to standard error instead, see
    :func:`training.cluster.dask_client`.)"""
    logger = logging.getLogger("lightgbm")
    if not any(isinstance(f, _ThreadsSetByWorkers) for f in logger.filters):
        logger.addFilter(_ThreadsSetByWorkers())
    lgb.register_logger(logger)


class _ThreadsSetByWorkers(logging.Filter):
    """Drops lightgbm.dask's "Parameter n_jobs will be ignored.": the scikit-learn wrapper
    always passes n_jobs, and each worker's threads are the worker's own, as intended."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "n_jobs will be ignored" not in record.getMessage()
