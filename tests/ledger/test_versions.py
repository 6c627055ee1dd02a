"""The ledger's version: raised by every import, action and lettrage, with the clients each
touched; a copy of the ledger with the changed clients' rows reread equals a whole reread."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from ledger.client_rows import read_clients, with_clients_replaced
from ledger.contract import TABLES, Ledger
from ledger.lettrage_store import apply_lettrage
from ledger.storage import load_ledger, save_ledger, write_ledger
from ledger.versions import MAX_LISTED_CLIENTS, bump_version, changed_clients, ledger_version
from tests.ledger import test_lettrage
from tests.ledger.factories import dates, small_ledger


def an_action(invoice_id: str, day: str) -> Ledger:
    """One relance call on ``invoice_id``, as ``POST /v1/actions`` writes it."""
    return Ledger(
        actions=pd.DataFrame(
            {
                "invoice_id": [invoice_id],
                "action_date": dates(day),
                "channel": ["call"],
                "outcome": ["no_answer"],
                "promised_date": dates(None),
            }
        )
    )


def test_an_import_raises_the_version_once_and_the_same_import_again_not(engine: Engine) -> None:
    assert ledger_version(engine) == 0  # as the migration leaves it
    save_ledger(engine, small_ledger())
    assert ledger_version(engine) == 1
    assert changed_clients(engine, 0, 1) == {"C1", "C2"}
    save_ledger(engine, small_ledger())  # nothing changed: nothing to reread
    assert ledger_version(engine) == 1


def test_an_action_raises_the_version_naming_its_invoices_client(engine: Engine) -> None:
    save_ledger(engine, small_ledger())
    with engine.begin() as connection:
        write_ledger(connection, an_action("F2", "2024-03-20"))  # F2 is C2's
    assert ledger_version(engine) == 2
    assert changed_clients(engine, 1, 2) == {"C2"}
    assert changed_clients(engine, 0, 2) == {"C1", "C2"}


def test_a_lettrage_raises_the_version_for_the_clients_it_paid(engine: Engine) -> None:
    save_ledger(engine, test_lettrage.small_ledger())
    before = ledger_version(engine)
    run = apply_lettrage(engine, test_lettrage.STORE_LINES, test_lettrage.CONFIG)
    assert set(run.applied["client_id"]) == {"C1", "C2"}
    assert ledger_version(engine) == before + 1
    assert changed_clients(engine, before, before + 1) == {"C1", "C2"}
    apply_lettrage(engine, test_lettrage.STORE_LINES, test_lettrage.CONFIG)  # nothing new
    assert ledger_version(engine) == before + 1


def test_changes_not_known_client_by_client_ask_for_a_whole_reread(engine: Engine) -> None:
    with engine.begin() as connection:
        bump_version(connection, ["C1"])
        bump_version(connection, [f"K{i}" for i in range(MAX_LISTED_CLIENTS + 1)])  # too many
        bump_version(connection, ["C2"])
    assert changed_clients(engine, 0, 1) == {"C1"}
    assert changed_clients(engine, 0, 3) is None
    assert changed_clients(engine, 2, 3) == {"C2"}
    assert changed_clients(engine, 3, 1) is None  # a database older than the copy


def sorted_frames(ledger: Ledger) -> dict[str, pd.DataFrame]:
    """Each table's rows in one order, whatever order they were read in."""
    out = {}
    for name, frame in ledger.tables().items():
        keys = [c.memory_name for c in TABLES[name].columns if c.memory_name in frame.columns]
        out[name] = frame.sort_values(keys, ignore_index=True)[sorted(frame.columns)]
    return out


def test_a_copy_with_the_changed_clients_reread_equals_a_whole_reread(engine: Engine) -> None:
    save_ledger(engine, small_ledger())
    held = load_ledger(engine)
    changed = small_ledger()
    changed.clients.loc[changed.clients["client_id"] == "C1", "name"] = "Martin & Fils"
    new_invoice = changed.invoices.iloc[[0]].assign(
        invoice_id="B9", issue_date=dates("2024-04-01"), due_date=dates("2024-05-01")
    )
    renamed = changed.clients.iloc[[0]]  # a file of the rows that changed: C1's
    save_ledger(engine, Ledger(clients=renamed, invoices=new_invoice))
    with engine.begin() as connection:
        write_ledger(connection, an_action("B9", "2024-05-10"))
    clients = changed_clients(engine, 1, ledger_version(engine))
    assert clients == {"C1"}
    fresh = read_clients(engine, clients)
    assert set(fresh.invoices["invoice_id"]) == {"F1", "A1", "B9"}  # every row of C1 only
    merged = with_clients_replaced(held, fresh, clients)
    assert merged is not None
    whole = load_ledger(engine)
    assert list(merged.invoices["invoice_id"]) == ["A1", "B9", "F1", "F2"]  # in id order
    for name, frame in sorted_frames(whole).items():
        pd.testing.assert_frame_equal(sorted_frames(merged)[name], frame, obj=name)


def test_a_new_user_column_asks_for_a_whole_reread(engine: Engine) -> None:
    save_ledger(engine, small_ledger())
    held = load_ledger(engine)
    clients = small_ledger().clients.assign(x_rep=["Alice", None])
    save_ledger(engine, Ledger(clients=clients))
    assert with_clients_replaced(held, read_clients(engine, {"C1"}), {"C1"}) is None
