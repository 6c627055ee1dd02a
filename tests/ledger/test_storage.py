"""The database layer, on SQLite and PostgreSQL through the same code."""

from __future__ import annotations

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

import ledger.lettrage_store  # noqa: F401  (registers bank_lines and lettrage_proposals)
from ledger.contract import Ledger
from ledger.schema import metadata
from ledger.storage import load_ledger, save_ledger, table_counts
from tests.ledger.factories import dates, small_ledger


def _sorted(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows in key order, text as objects with None for missing (dtypes vary by source)."""
    out = frame.sort_values(key).reset_index(drop=True)
    for name in out.columns:
        if (
            not pd.api.types.is_numeric_dtype(out[name])
            and not pd.api.types.is_datetime64_dtype(out[name])
            and not pd.api.types.is_bool_dtype(out[name])
        ):
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out


def test_migration_creates_exactly_the_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_save_then_load_gives_the_same_ledger(engine: Engine) -> None:
    ledger = small_ledger()
    save_ledger(engine, ledger)
    loaded = load_ledger(engine)
    for name, key in [
        ("clients", "client_id"),
        ("invoices", "invoice_id"),
        ("payments", "payment_id"),
    ]:
        expected = _sorted(getattr(ledger, name), key)
        got = _sorted(getattr(loaded, name), key)[list(expected.columns)]
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert loaded.advances["amount_cents"].tolist() == [5_000, 5_000]
    assert loaded.unbilled["delivered_date"].tolist() == list(dates("2024-03-01"))
    assert loaded.actions["outcome"].tolist() == ["promise_to_pay"]


def test_saving_twice_changes_nothing(engine: Engine) -> None:
    first = save_ledger(engine, small_ledger())
    counts = table_counts(engine)
    second = save_ledger(engine, small_ledger())
    assert first.changed == 11
    assert second.changed == 0
    assert all(t.unchanged > 0 for t in second.tables.values())
    assert table_counts(engine) == counts


def test_a_newly_filled_paid_date_updates_the_invoice(engine: Engine) -> None:
    save_ledger(engine, small_ledger())
    invoices = small_ledger().invoices
    invoices.loc[invoices["invoice_id"] == "F2", "paid_date"] = pd.Timestamp("2024-03-30")
    summary = save_ledger(engine, Ledger(invoices=invoices))
    assert (summary.tables["invoices"].updated, summary.tables["invoices"].unchanged) == (1, 2)
    loaded = load_ledger(engine).invoices.set_index("invoice_id")
    assert loaded.loc["F2", "paid_date"] == pd.Timestamp("2024-03-30")
    assert loaded.loc["F2", "x_channel"] == "paper"


def test_a_failing_save_writes_nothing(engine: Engine) -> None:
    ledger = small_ledger()
    # Clients and invoices are valid, but a payment names a client the database lacks:
    # the foreign key fails on the third table and the first two must roll back.
    ledger.payments.loc[0, "client_id"] = "NOBODY"
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        save_ledger(engine, ledger)
    assert set(table_counts(engine).values()) == {0}
