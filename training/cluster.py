"""The Dask cluster the engines run on: a local one by default, or any scheduler's address.

With no address, a ``LocalCluster`` of two worker processes (one thread each) starts for
the command and stops with it. With ``tcp://host:8786`` (a scheduler started by hand, by
dask-kubernetes, dask-jobqueue or any other deployment), the same code runs there: the
workers need encours installed, nothing else changes.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LOCAL_WORKERS = 2
LOCAL_PROCESSES = True
"""Local workers are processes (Python's GIL held by one thread at a time would serialise
the pandas code otherwise); the tests run them as threads, quicker to start."""
CONNECT_SECONDS = 10
LOCAL_CONFIG = {
    "distributed.nanny.pre-spawn-environ": {
        "OMP_NUM_THREADS": 1,
        "MKL_NUM_THREADS": 1,
        "OPENBLAS_NUM_THREADS": 1,
    },
    "distributed.worker.profile.enabled": False,
}
"""Dask's defaults but two, for the local cluster (a real cluster keeps its own settings):
no ``MALLOC_TRIM_THRESHOLD_=65536`` (memory handed back to the system at every free made
the feature code 2-3 times as slow in a worker as in a plain process, measured on a part of
55,000 invoices) and no statistical profiler (it samples the task's thread every 10 ms)."""


class SchedulerUnreachable(Exception):
    """No Dask scheduler answers at the address given."""

    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        super().__init__(f"no Dask scheduler answers at {address}: {reason}")


@contextmanager
def dask_client(
    address: str | None = None,
    workers: int | None = None,
    processes: bool | None = None,
    connect_seconds: float | None = None,
) -> Iterator[Any]:
    """A ``distributed.Client`` of the scheduler at ``address``, or of a ``LocalCluster`` of
    ``workers`` single-threaded workers (default :data:`LOCAL_WORKERS`; processes unless
    ``processes`` or :data:`LOCAL_PROCESSES` says threads), closed on exit.

    Raises:
        SchedulerUnreachable: nothing answers at ``address`` within ``connect_seconds``
            (default :data:`CONNECT_SECONDS`).
    """
    import dask
    from distributed import Client, LocalCluster

    if address is None:
        as_processes = LOCAL_PROCESSES if processes is None else processes
        with (
            dask.config.set(LOCAL_CONFIG),
            LocalCluster(
                n_workers=workers or LOCAL_WORKERS,
                threads_per_worker=1,
                processes=as_processes,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            if as_processes:  # worker threads write where the command does: left alone
                client.run(output_to_errors)
            yield client
        return
    try:
        client = Client(address, timeout=f"{connect_seconds or CONNECT_SECONDS}s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise SchedulerUnreachable(address, str(exc).splitlines()[0] if str(exc) else "") from exc
    with client:
        yield client


def output_to_errors() -> None:
    """This process's standard output sent to its standard error. A local cluster's worker
    processes share the command's output, where ``--json`` goes: whatever a library prints
    there (LightGBM's distributed fit announces its ports and network from threads of its
    own, whatever logger is registered) must not land in the command's answer."""
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())


def worker_threads(client: Any) -> int:
    """How many tasks the cluster of ``client`` runs at once."""
    return max(1, sum(client.nthreads().values()))
