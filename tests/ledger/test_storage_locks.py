"""The database under contention: bounded lock waits, one snapshot per load, no parameters
in errors; on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert
from sqlalchemy.exc import OperationalError, SQLAlchemyError

import ledger.storage
from ledger.contract import Ledger, TableSpec
from ledger.schema import API_KEYS
from ledger.storage import database_busy, load_ledger, make_engine, migrate, save_ledger
from tests.db_locks import held_lock
from tests.ledger.factories import dates, small_ledger

BOUND = 0.5  # seconds: the lock timeout of these engines
SLACK = 1.5  # what a loaded 2-core machine may add to it
NOW = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)


@pytest.fixture
def bounded(engine: Engine) -> Iterator[Engine]:
    """The migrated test database, through an engine that waits ``BOUND`` on a lock."""
    eng = make_engine(engine.url.render_as_string(hide_password=False), lock_timeout_seconds=BOUND)
    engine.dispose()  # its connections would keep a lock that stops readers from being taken
    yield eng
    eng.dispose()


def late_import() -> Ledger:
    """A new invoice of client C1 and the payment that settles it."""
    invoices = small_ledger().invoices.iloc[[0]].assign(invoice_id="F9", paid_date=dates(None))
    payments = small_ledger().payments.iloc[[0]].assign(payment_id="P9", invoice_id="F9")
    return Ledger(invoices=invoices, payments=payments)


def test_a_load_sees_an_import_committed_midway_whole_or_not_at_all(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_ledger(engine, small_ledger())
    arrow_rows = ledger.storage.arrow_rows

    def read_then_import(connection: Connection, spec: TableSpec, *rest: Any) -> Any:
        rows = arrow_rows(connection, spec, *rest)
        if spec.name == "invoices":  # the import commits between the invoices and payments
            save_ledger(engine, late_import())
        return rows

    monkeypatch.setattr(ledger.storage, "arrow_rows", read_then_import)
    loaded = load_ledger(engine)
    monkeypatch.undo()
    invoice_ids = set(loaded.invoices["invoice_id"])
    assert set(loaded.payments["invoice_id"]) <= invoice_ids  # no payment without its invoice
    assert "P9" not in set(loaded.payments["payment_id"])  # the import came after the snapshot
    after = load_ledger(engine)
    assert {"F9"} <= set(after.invoices["invoice_id"])
    assert {"P9"} <= set(after.payments["payment_id"])


def test_a_write_under_a_held_lock_fails_as_busy_within_the_bound(bounded: Engine) -> None:
    with held_lock(bounded):
        started = time.monotonic()
        with pytest.raises(OperationalError) as raised:
            save_ledger(bounded, small_ledger())
        waited = time.monotonic() - started
    assert database_busy(raised.value)
    assert BOUND * 0.8 <= waited < BOUND + SLACK
    save_ledger(bounded, small_ledger())  # the lock released, the same write goes through


def test_readers_read_while_a_writer_holds_its_lock(bounded: Engine) -> None:
    save_ledger(bounded, small_ledger())
    with held_lock(bounded):
        started = time.monotonic()
        loaded = load_ledger(bounded)
        assert time.monotonic() - started < BOUND  # no lock wait: write-ahead log, MVCC
    assert len(loaded.invoices) == 3


def test_a_read_under_a_lock_that_stops_readers_fails_as_busy(bounded: Engine) -> None:
    with held_lock(bounded, readers=True):
        started = time.monotonic()
        with pytest.raises(OperationalError) as raised:
            load_ledger(bounded)
        waited = time.monotonic() - started
    assert database_busy(raised.value)
    assert waited < BOUND + SLACK


def test_database_errors_never_show_the_statement_parameters(bounded: Engine) -> None:
    digest = "d1g3st-of-a-secret-key"
    row = {"key_hash": digest, "role": "viewer", "name": "Boulangerie Martin", "created_at": NOW}
    with (
        held_lock(bounded),
        pytest.raises(SQLAlchemyError) as raised,
        bounded.begin() as connection,
    ):
        connection.execute(insert(API_KEYS), row)
    assert "INSERT INTO api_keys" in str(raised.value)  # the statement tells what failed
    assert "Boulangerie" not in str(raised.value)
    assert digest not in str(raised.value)
    assert digest not in repr(raised.value)


def test_an_unknown_error_is_not_busy() -> None:
    engine = make_engine("sqlite://")
    with pytest.raises(OperationalError) as raised, engine.connect() as connection:
        connection.exec_driver_sql("SELECT * FROM no_such_table")
    assert not database_busy(raised.value)
    assert not database_busy(ValueError("database is locked"))


def test_postgres_urls_keep_their_options_and_get_the_timeouts() -> None:
    url = "postgresql://u@h/db?options=-csearch_path%3Ds1"
    engine = make_engine(url, lock_timeout_seconds=1.5, statement_timeout_seconds=60)
    query: dict[str, Any] = dict(engine.url.query)
    assert engine.url.drivername == "postgresql+psycopg"
    assert query["options"] == "-csearch_path=s1 -c lock_timeout=1500 -c statement_timeout=60000"
    assert query["connect_timeout"] == "2"
    assert "statement_timeout" not in make_engine(url).url.query["options"]


def test_a_new_sqlite_file_is_write_ahead_logged(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/new/l.db")
    migrate(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    engine.dispose()
