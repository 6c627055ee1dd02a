"""A ledger split by client: every row in one part, no client in two, and each part fitted
with the whole ledger's population describes its invoices to the last bit as the whole
ledger does (the Dask engine's promise, checked here without a cluster)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.partitions import client_parts, ledger_features, split_by_client
from features.population import combined_population, population_part
from ledger.contract import Ledger
from simulator import SimulationConfig, simulate

PARTS = 3
AS_OF = pd.Timestamp("2025-02-01")


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """A small simulated ledger whose categories differ between clients: one client alone
    has the sector ``rare`` and text in ``x_segment`` (numbers elsewhere), so that a part
    fitted alone would encode them otherwise."""
    ledger = simulate(SimulationConfig(n_clients=30, n_months=12, seed=8)).ledger
    clients = ledger.clients.copy()
    clients["x_segment"] = np.arange(len(clients)).astype(float)
    clients["x_segment"] = clients["x_segment"].astype(object)
    clients.loc[0, ["sector", "x_segment"]] = ["rare", "grands comptes"]
    ledger.clients = clients
    return ledger


def parts_of(ledger: Ledger) -> list[Ledger]:
    return split_by_client(ledger, PARTS)


def test_the_part_of_a_client_is_a_hash_of_its_id() -> None:
    ids = pd.Series(["C1", "C2", "C1", None, "C3"], dtype=object)

    parts = client_parts(ids, 4)

    assert parts[0] == parts[2]  # one client, one part
    assert parts[3] == 0  # a missing id goes to part 0
    assert ((parts >= 0) & (parts < 4)).all()
    assert (client_parts(ids[::-1], 4) == parts[::-1]).all()  # whatever the order


def test_every_row_lands_in_one_part_and_no_client_straddles(ledger: Ledger) -> None:
    parts = parts_of(ledger)

    for name, frame in ledger.tables().items():
        pieces = [getattr(p, name) for p in parts]
        labels = np.concatenate([piece.index.to_numpy() for piece in pieces])
        assert sorted(labels.tolist()) == sorted(frame.index.tolist()), name
    owner = {}
    for i, part in enumerate(parts):
        for client in set(part.invoices["client_id"]) | set(part.clients["client_id"]):
            assert owner.setdefault(client, i) == i, client
        # Payments and actions go with the invoice they name.
        own = set(part.invoices["invoice_id"])
        named = part.payments["invoice_id"].dropna()
        assert set(named) <= own
        assert set(part.actions["invoice_id"]) <= own
    assert len({owner[c] for c in owner}) == PARTS  # 30 clients fill the three parts


@pytest.mark.parametrize("as_of", [None, AS_OF], ids=["issue dates", "open at a date"])
def test_parts_with_the_population_equal_the_whole_ledger(
    ledger: Ledger, as_of: pd.Timestamp | None
) -> None:
    whole = ledger_features(ledger, as_of)
    parts = parts_of(ledger)
    population = combined_population([population_part(p) for p in parts])

    split = pd.concat([ledger_features(p, as_of, population) for p in parts]).loc[whole.index]

    assert len(whole) > 100
    pd.testing.assert_frame_equal(split, whole, check_exact=True)
    assert list(split["cli_sector"].cat.categories) == list(whole["cli_sector"].cat.categories)
    assert "rare" in list(whole["cli_sector"].cat.categories)


def test_a_part_alone_would_describe_its_invoices_otherwise(ledger: Ledger) -> None:
    """Why the population is handed over: fitted alone, parts disagree with the whole on
    the categories, the user column's kind and the shrunk history."""
    whole = ledger_features(ledger, None)
    parts = parts_of(ledger)

    alone = pd.concat([ledger_features(p, None) for p in parts]).loc[whole.index]

    without_rare = next(
        ledger_features(p, None) for p in parts if "rare" not in set(p.clients["sector"])
    )
    assert "rare" not in list(without_rare["cli_sector"].cat.categories)
    shrunk = "hist_shrunk_share_late"
    assert not np.allclose(alone[shrunk], whole[shrunk], equal_nan=True)
