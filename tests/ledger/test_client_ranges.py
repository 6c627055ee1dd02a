"""The ledger read in parts by client range: together the parts are the whole ledger, each
row in the part of its owner (an invoice's client for a row naming an invoice), on SQLite
and PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine

from ledger.client_ranges import ClientRange, client_ranges
from ledger.contract import TABLES, Ledger, empty_frame
from ledger.storage import load_ledger, load_ledger_part, save_ledger
from ledger.versions import ledger_version
from simulator import SimulationConfig, simulate


def with_edges(ledger: Ledger) -> Ledger:
    """``ledger`` plus the rows whose part is not their own client's: a payment made by one
    client and lettered to another's invoice, an unlettered payment, an effet naming
    another client's invoice and one naming no stored invoice."""
    invoices, payments = ledger.invoices, ledger.payments.copy()
    clients = sorted(ledger.clients["client_id"])
    first, last = clients[0], clients[-1]
    theirs = invoices.loc[invoices["client_id"] == last, "invoice_id"].iloc[0]
    lettered = payments.index[payments["invoice_id"].notna()][0]
    payments.loc[lettered, ["client_id", "invoice_id"]] = [first, theirs]
    unlettered = payments.index[-1]
    payments.loc[unlettered, ["client_id", "invoice_id"]] = [last, None]
    effet = {"kind": "LCR", "amount_cents": 10_000, "currency": "EUR"}
    drawn = pd.Timestamp("2024-03-01")
    effets = pd.concat(
        [
            empty_frame(TABLES["effets"]),
            pd.DataFrame(
                [
                    effet | {"effet_id": "E1", "client_id": first, "invoice_id": theirs},
                    effet | {"effet_id": "E2", "client_id": last, "invoice_id": "NOWHERE"},
                ]
            ).assign(drawn_date=drawn, due_date=drawn + pd.Timedelta(days=30)),
        ],
        ignore_index=True,
    ).astype(empty_frame(TABLES["effets"]).dtypes.to_dict())
    return Ledger(**(ledger.tables() | {"payments": payments, "effets": effets}))


def owners(frame: pd.DataFrame, name: str, client_of: dict[str, str]) -> list[object]:
    """The client each row of ``frame`` (table ``name``) goes with, worked out here row by
    row from ``client_of`` (every stored invoice's client)."""
    own = list(frame["client_id"]) if "client_id" in frame else [None] * len(frame)
    if name == "invoices" or "invoice_id" not in frame:
        return own
    return [client_of.get(i, o) for i, o in zip(frame["invoice_id"], own, strict=True)]


def inside(value: object, clients: ClientRange) -> bool:
    if value is None:
        return clients.low is None
    return (clients.low is None or str(value) >= clients.low) and (
        clients.high is None or str(value) < clients.high
    )


@pytest.fixture
def stored(engine: Engine) -> Ledger:
    ledger = with_edges(simulate(SimulationConfig(n_clients=24, n_months=6, seed=11)).ledger)
    save_ledger(engine, ledger)
    return load_ledger(engine)


@pytest.mark.parametrize("parts", [1, 2, 5, 24, 40])
def test_the_parts_are_the_whole_ledger_each_row_with_its_owner(
    engine: Engine, stored: Ledger, parts: int
) -> None:
    ranges = client_ranges(engine, parts)
    read = [load_ledger_part(engine, r) for r in ranges]
    client_of = dict(zip(stored.invoices["invoice_id"], stored.invoices["client_id"], strict=True))

    assert len(ranges) == min(parts, 24)
    assert {version for _, version in read} == {ledger_version(engine)}
    for name in TABLES:
        whole = getattr(stored, name)
        together = pd.concat([getattr(part, name) for part, _ in read], ignore_index=True)
        columns = list(whole.columns)
        pd.testing.assert_frame_equal(
            together.sort_values(columns, ignore_index=True),
            whole.sort_values(columns, ignore_index=True),
            check_like=True,
        )
        for (part, _), clients in zip(read, ranges, strict=True):
            placed = owners(getattr(part, name), name, client_of)
            assert all(inside(owner, clients) for owner in placed), name


def test_a_row_goes_with_the_invoice_it_names(engine: Engine, stored: Ledger) -> None:
    ranges = client_ranges(engine, 24)  # one client per part
    read = [load_ledger_part(engine, r)[0] for r in ranges]
    first, last = read[0], read[-1]
    theirs = str(last.invoices["invoice_id"].iloc[0])
    client = str(first.clients["client_id"].iloc[0])

    crossing = [p for p in read if (p.payments["client_id"] == client).any() and p is not first]
    assert len(crossing) == 1 and crossing[0] is last  # paid by the first, lettered to the last
    assert set(last.effets["effet_id"]) == {"E1", "E2"}  # E1 names the last's invoice
    assert first.effets.empty
    assert theirs in set(last.invoices["invoice_id"])
