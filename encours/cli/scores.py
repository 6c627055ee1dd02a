"""``encours score``: every open invoice scored at a date, written to Parquet."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from encours.cli.database import ledger_for_models
from encours.cli.engines import (
    Engine,
    EngineOption,
    SchedulerOption,
    check_scheduler,
    cluster,
    print_written,
)
from encours.cli.options import DateOption, JsonFlag
from encours.cli.output import errors, service_errors
from encours.settings import get_settings


def score(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="write the scores to this Parquet file (with --engine dask, a folder of one "
            "file per part)",
        ),
    ],
    as_of: DateOption = None,
    engine: EngineOption = Engine.pandas,
    scheduler: SchedulerOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Score every invoice open at the end of --as-of (default today), not written off.

    One row per invoice: invoice_id, client_id, as_of, p_late, the probability of each
    days-late bucket (p_on_time .. p_over_90) and the expected payment date with P10, P50
    and P90, the figures of POST /v1/invoices/score (without the reasons), from the
    champion models.
    """
    from serving.services import load_champions
    from serving.services.batch import write_scores
    from training.models import LATE_MODEL, TIME_MODEL
    from training.tracking import quiet_mlflow

    check_scheduler(engine, scheduler)
    settings = get_settings()
    day = (as_of or dt.datetime.now()).date()
    with ExitStack() as stack, service_errors():
        client = stack.enter_context(cluster(scheduler)) if engine is Engine.dask else None
        source = ledger_for_models(client is not None, remote=scheduler is not None)
        with errors.status("loading the models", spinner="dots"), quiet_mlflow():
            models = load_champions(settings, (LATE_MODEL, TIME_MODEL))
        with errors.status("scoring the open invoices", spinner="dots"):
            written = write_scores(source, models, settings, day, out, client)
    print_written(written, as_json)
