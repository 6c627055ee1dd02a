"""The database as the commands open it: from the settings, retried while busy, one-line errors.

A database error ends a command with one line, never a traceback (whose statement and
values would name clients).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from encours.cli.output import errors, fail
from encours.settings import get_settings

BUSY_EXIT = 75  # EX_TEMPFAIL of sysexits.h: a temporary failure, worth another try
RETRY_PAUSE_SECONDS = 0.5
NO_INVOICES = "the ledger has no invoices: run `encours import DIR` first"
T = TypeVar("T")


def with_database(work: Callable[[], T], wait_seconds: float = 0.0, can_wait: bool = False) -> T:
    """``work()``, tried again while the database is busy, up to ``wait_seconds``.

    Busy, the command exits with :data:`BUSY_EXIT`; another database error exits with 1.
    ``work`` must be safe to run again: one transaction, all or nothing.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from ledger.storage import database_busy

    started = time.monotonic()
    while True:
        try:
            return work()
        except SQLAlchemyError as exc:
            left = wait_seconds - (time.monotonic() - started)
            if database_busy(exc) and left > 0:
                time.sleep(min(RETRY_PAUSE_SECONDS, left))
                continue
            if not database_busy(exc):
                fail(f"the database cannot be used: {first_line(exc)}")
            waited = time.monotonic() - started
            hint = ", or wait for it with --wait SECONDS" if can_wait else ""
            fail(
                f"the database is busy: another program holds a lock on it (gave up after "
                f"{waited:.0f} s); nothing was written. Try again later{hint}",
                BUSY_EXIT,
            )


def first_line(exc: Exception) -> str:
    """The driver's own message, first line: no statement, no values."""
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0][:200]


def open_engine() -> Any:
    """The engine of the database the settings name, with their lock and statement bounds."""
    from ledger.storage import make_engine

    settings = get_settings()
    return make_engine(
        settings.database_url,
        lock_timeout_seconds=settings.db_lock_timeout_seconds,
        statement_timeout_seconds=settings.db_statement_timeout_seconds,
    )


def stored_ledger(engine: Any) -> Any:
    """The ledger in the database, migrated first; a database error ends in one line."""
    from ledger.storage import load_ledger, migrate

    def read() -> Any:
        migrate(engine)
        return load_ledger(engine)

    return with_database(read)


def ledger_for_models(for_workers: bool = False, remote: bool = False) -> Any:
    """The stored ledger, refused when empty, with MLflow pointed at the settings' store;
    with ``for_workers``, as :func:`ledger_for_workers` gives it (to a ``remote`` cluster).

    What every command that loads or trains a model starts from.
    """
    from training.tracking import use_store

    settings = get_settings()
    ledger = ledger_for_workers(remote) if for_workers else ledger_with_invoices()
    use_store(settings.tracking_uri, settings.artifacts_uri)
    return ledger


def ledger_for_workers(remote: bool = False) -> Any:
    """What the Dask engine computes from: the ledger left in its database, each worker
    reading its own clients there (:class:`~training.cluster_features.StoredLedger`), a
    SQLite file named by its absolute path. The ledger read here instead (its parts then
    sent to the workers) when no worker could reach the database: a SQLite in memory, or,
    for the ``remote`` cluster of ``--scheduler``, a SQLite file or a server on this
    machine (``localhost``). Refused when it has no invoices."""
    from sqlalchemy import make_url

    from ledger.driver import sqlite_file
    from ledger.storage import migrate, table_counts
    from training.cluster_features import StoredLedger

    url = make_url(get_settings().database_url)
    sqlite = url.get_backend_name() == "sqlite"
    if (sqlite and not sqlite_file(url)) or (remote and (sqlite or _local_host(url.host))):
        return ledger_with_invoices()
    if sqlite and not str(url.database).startswith("file:"):
        url = url.set(database=str(Path(str(url.database)).resolve()))
    engine = open_engine()

    def invoices() -> int:
        migrate(engine)
        return table_counts(engine)["invoices"]

    try:
        if with_database(invoices) == 0:
            fail(NO_INVOICES)
    finally:
        engine.dispose()
    return StoredLedger(url.render_as_string(hide_password=False))


def _local_host(host: str | None) -> bool:
    """Whether ``host`` is this machine (a Unix socket when None)."""
    return host in (None, "", "localhost", "127.0.0.1", "::1")


def ledger_with_invoices() -> Any:
    """The stored ledger, refused when it has no invoices."""
    ledger = stored_ledger(open_engine())
    if ledger.invoices.empty:
        fail(NO_INVOICES)
    return ledger


def service_context(*names: str, status: str, keep_scores: bool = False) -> Any:
    """What a command hands the service layer (:class:`serving.services.Context`): the
    stored ledger (:func:`ledger_for_models`), the features fitted on it and the champions
    ``names``, loaded under a spinner saying ``status``; with ``keep_scores``, a score log
    that keeps the scores given until :func:`write_scores`."""
    from serving.score_log import ScoreLog
    from serving.services import context_of, load_champions
    from training.tracking import quiet_mlflow

    settings = get_settings()
    ledger = ledger_for_models()
    with errors.status(status, spinner="dots"), quiet_mlflow():
        models = load_champions(settings, names)
    # One write at the end of the command: none while it scores.
    kept = None
    if keep_scores:
        kept = ScoreLog(open_engine(), "batch", flush_rows=2**62, flush_seconds=float("inf"))
    return context_of(ledger, models, settings, kept)


def write_scores(ctx: Any) -> None:
    """Write the scores the command gave (:func:`service_context`) to the score log."""
    if ctx.score_log is not None:
        ctx.score_log.flush()
