"""A first import into PostgreSQL, its foreign keys and indexes built after the rows, stores
what a row-checked import stores, and gives every check back, failed or not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError

import ledger.lettrage_store  # noqa: F401  (registers bank_lines and lettrage_proposals)
from ledger import postgres_bulk
from ledger.contract import Ledger
from ledger.schema import metadata
from ledger.storage import make_engine, migrate, save_ledger, table_counts
from tests.ledger.factories import small_ledger
from tests.ledger.test_storage_bulk import awkward_ledger, stored_rows


@pytest.fixture
def postgres(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    migrate(engine)
    yield engine
    engine.dispose()


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs in the block."""
    run: list[str] = []

    def record(*args: Any) -> None:
        run.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield run
    finally:
        event.remove(engine, "before_cursor_execute", record)


def checks(engine: Engine) -> list[tuple[str, str, str]]:
    """The foreign keys and indexes of the ledger's tables, by table, name and definition."""
    with engine.connect() as connection:
        keys = connection.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint"
            " WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
        ).all()
        indexes = connection.exec_driver_sql(
            "SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema()"
        ).all()
    return sorted(tuple(row) for row in [*keys, *indexes])


def test_first_import_with_checks_rebuilt_stores_the_same_rows(
    postgres: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = awkward_ledger()
    before = checks(postgres)
    assert any(name == "payments" for name, _, _ in before)
    save_ledger(postgres, ledger)  # a few rows: checked row by row, as always
    checked_by_row = stored_rows(postgres)
    with postgres.begin() as connection:
        for name in ("effets", "actions", "unbilled", "advances", "payments", "invoices"):
            connection.exec_driver_sql(f"DELETE FROM {name}")
    monkeypatch.setattr(postgres_bulk, "REBUILD_MIN_ROWS", 1)
    with statements(postgres) as run:
        summary = save_ledger(postgres, ledger)
    assert summary.changed == sum(len(f) for n, f in ledger.tables().items() if n != "clients")
    dropped = [s for s in run if "DROP CONSTRAINT" in s]
    assert any('"payments"' in s for s in dropped) and any('"actions"' in s for s in dropped)
    assert stored_rows(postgres) == checked_by_row
    assert checks(postgres) == before
    with postgres.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_a_failed_first_import_gives_back_its_checks(
    postgres: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres_bulk, "REBUILD_MIN_ROWS", 1)
    ledger = small_ledger()
    save_ledger(postgres, Ledger(clients=ledger.clients))
    before = checks(postgres)
    payments = ledger.payments.copy()
    payments.loc[0, "client_id"] = "NOBODY"
    # The payments' foreign key is dropped for the write: the unknown client is caught
    # when it is made again, and everything rolls back.
    with pytest.raises(IntegrityError, match="NOBODY"):
        save_ledger(postgres, Ledger(invoices=ledger.invoices, payments=payments))
    assert checks(postgres) == before
    assert table_counts(postgres)["invoices"] == 0
    assert save_ledger(postgres, ledger).tables["payments"].inserted == len(ledger.payments)
    assert checks(postgres) == before
