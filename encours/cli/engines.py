"""Where the features, the training matrix and the scores are computed: in this process
(pandas) or on a Dask cluster, local or at a scheduler's address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from enum import StrEnum
from typing import Annotated, Any

import typer

from encours.cli.output import console, errors, fail, print_json, words


class Engine(StrEnum):
    """The engines of ``--engine``."""

    pandas = "pandas"
    dask = "dask"


EngineOption = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="pandas: in this process; dask: the ledger split by client over a Dask "
        "cluster (a local one of 2 workers, or --scheduler), same figures",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="with --engine dask: the address of a running Dask scheduler "
        "(tcp://host:8786); default: a local cluster of 2 worker processes",
        show_default=False,
    ),
]

LightgbmDaskFlag = Annotated[
    bool,
    typer.Option(
        "--lightgbm-dask",
        help="with --engine dask: fit the boosters whose number of trees is chosen "
        "(final late-payment, candidates, payment-time) with lightgbm.dask on the cluster's "
        "workers, not in this process; close figures, not the same trees",
    ),
]


@contextmanager
def cluster(scheduler: str | None) -> Iterator[Any]:
    """A Dask client of ``scheduler`` (or of a local cluster), closed on exit; one line and
    exit code 1 when no scheduler answers there. The workers' own reads of the ledger end
    the same way when they fail: a database error in one line (exit code 1), a ledger that
    kept changing while read as a temporary failure (:data:`BUSY_EXIT`)."""
    from sqlalchemy.exc import SQLAlchemyError

    from encours.cli.database import BUSY_EXIT, first_line
    from training.cluster import SchedulerUnreachable, dask_client
    from training.cluster_features import LedgerChanged

    with ExitStack() as stack:
        try:
            with errors.status("starting the Dask cluster", spinner="dots"):
                client = stack.enter_context(dask_client(scheduler))
        except SchedulerUnreachable as exc:
            fail(str(exc))
        try:
            yield client
        except LedgerChanged as exc:
            fail(str(exc), BUSY_EXIT)
        except SQLAlchemyError as exc:
            fail(f"the database cannot be used: {first_line(exc)}")


def check_scheduler(engine: Engine, scheduler: str | None, lightgbm_dask: bool = False) -> None:
    """``--scheduler`` and ``--lightgbm-dask`` go with ``--engine dask`` only."""
    if scheduler is not None and engine is not Engine.dask:
        fail("--scheduler needs --engine dask", 2)
    if lightgbm_dask and engine is not Engine.dask:
        fail("--lightgbm-dask needs --engine dask", 2)


def print_written(written: Any, as_json: bool) -> None:
    """What a command wrote (:class:`serving.services.batch.Written`): JSON, or one line."""
    if as_json:
        print_json(written.as_json())
        return
    w = words()
    console.print(
        w(
            "{rows} rows of {columns} columns written to [bold]{path}[/] ({engine}).",
            rows=w.number(written.rows),
            columns=w.number(len(written.columns)),
            path=written.path,
            engine=written.engine,
        )
    )
