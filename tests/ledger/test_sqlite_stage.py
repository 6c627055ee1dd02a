"""Large SQLite writes staged through ADBC store exactly what ``executemany`` stored, in the
save's one transaction, and leave nothing attached or on disk behind them."""

from __future__ import annotations

import sqlite3
import tempfile
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from ledger.contract import TABLES, Ledger
from ledger.sqlite_stage import SqliteStage, sqlite_stage
from ledger.storage import load_ledger, make_engine, migrate, save_ledger, table_counts
from tests.ledger.factories import small_ledger
from tests.ledger.test_storage_bulk import awkward_ledger

EVERY_ROW = 1  # stage_min_rows that sends every table through the stage
NO_ROW = 10**9  # ... and that sends none


def sqlite_file(tmp_path: Path, name: str) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    migrate(engine)
    return engine


def stored_with_types(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every contract table with each value's SQLite storage class."""
    path = engine.url.database
    assert path is not None
    with sqlite3.connect(path) as raw:
        out = {}
        for name in TABLES:
            columns = [row[1] for row in raw.execute(f"PRAGMA table_info({name})")]
            picked = ", ".join(f"{c}, typeof({c})" for c in columns)
            out[name] = raw.execute(f"SELECT {picked} FROM {name} ORDER BY 1").fetchall()
    return out


def stage_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("encours-stage-*"))


def changed(ledger: Ledger) -> Ledger:
    """``ledger`` with some amounts and names changed and a copy of its first invoice
    under a new id: updates and inserts in one save."""
    invoices = ledger.invoices.copy()
    invoices.loc[invoices.index[:3], "amount_cents"] += 101
    extra = invoices.iloc[[0]].assign(invoice_id="F-NEW-1")
    clients = ledger.clients.copy()
    clients.loc[clients.index[0], "name"] = "Renommée SAS"
    return Ledger(
        clients=clients,
        invoices=pd.concat([invoices, extra], ignore_index=True),
        payments=ledger.payments,
        actions=ledger.actions,
    )


def test_staged_saves_store_what_executemany_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    filled: list[str] = []
    fill = SqliteStage.fill

    def spied(stage: SqliteStage, table: str, rows: pa.Table) -> Future[str]:
        filled.append(table)
        return fill(stage, table, rows)

    monkeypatch.setattr(SqliteStage, "fill", spied)
    staged, plain = sqlite_file(tmp_path, "staged.db"), sqlite_file(tmp_path, "plain.db")
    ledger = awkward_ledger()
    first = save_ledger(staged, ledger, stage_min_rows=EVERY_ROW)
    assert set(filled) == {name for name, frame in ledger.tables().items() if len(frame)}
    assert first.tables == save_ledger(plain, ledger, stage_min_rows=NO_ROW).tables
    assert stored_with_types(staged) == stored_with_types(plain)
    # Updates go through the stage too (its upsert), and a same save changes nothing.
    again = save_ledger(staged, changed(ledger), stage_min_rows=EVERY_ROW)
    assert again.tables == save_ledger(plain, changed(ledger), stage_min_rows=NO_ROW).tables
    assert (again.tables["invoices"].inserted, again.tables["invoices"].updated) == (1, 3)
    assert again.tables["clients"].updated == 1
    assert stored_with_types(staged) == stored_with_types(plain)
    assert save_ledger(staged, changed(ledger), stage_min_rows=EVERY_ROW).changed == 0
    loaded = load_ledger(staged)
    assert "F-NEW-1" in set(loaded.invoices["invoice_id"])


def test_a_failed_staged_save_rolls_back_and_leaves_nothing_attached(tmp_path: Path) -> None:
    engine = sqlite_file(tmp_path, "ledger.db")
    ledger = small_ledger()
    save_ledger(engine, Ledger(clients=ledger.clients))
    payments = ledger.payments.copy()
    payments.loc[0, "client_id"] = "NOBODY"
    before = stage_folders()
    # The invoices are copied in from their stage; the payments' copy then fails on its
    # foreign key: all of it rolls back.
    with pytest.raises(IntegrityError):
        save_ledger(
            engine, Ledger(invoices=ledger.invoices, payments=payments), stage_min_rows=EVERY_ROW
        )
    assert table_counts(engine)["invoices"] == 0
    assert stage_folders() == before
    with engine.connect() as connection:  # the pool hands the same connection back
        attached = connection.exec_driver_sql("PRAGMA database_list").all()
    assert not [row[1] for row in attached if row[1].startswith("encours_stage")]
    summary = save_ledger(engine, ledger, stage_min_rows=EVERY_ROW)
    assert summary.tables["payments"].inserted == len(ledger.payments)


def test_no_stage_inside_a_transaction_nor_in_memory(tmp_path: Path) -> None:
    engine = sqlite_file(tmp_path, "ledger.db")
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM clients")  # a write opens the transaction
        with sqlite_stage(connection, ["invoices"]) as stage:
            assert stage is None
    memory = make_engine("sqlite://")
    migrate(memory)
    with memory.connect() as connection, sqlite_stage(connection, ["invoices"]) as stage:
        assert stage is None
    ledger = small_ledger()  # saved all the same, without a stage
    assert save_ledger(memory, ledger, stage_min_rows=EVERY_ROW).changed > 0
    with engine.connect() as connection, sqlite_stage(connection, []) as stage:
        assert stage is None  # nothing large to stage
