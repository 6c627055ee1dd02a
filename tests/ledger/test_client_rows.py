"""A client's own rows give its documents the open amounts the whole ledger gives them."""

from __future__ import annotations

import pandas as pd

from ledger.balances import open_amounts
from ledger.client_rows import client_ledger
from simulator import SimulationConfig, simulate


def test_a_clients_own_rows_give_its_open_amounts_at_every_date() -> None:
    ledger = simulate(SimulationConfig(n_clients=30, n_months=8, seed=3)).ledger
    clients = ledger.invoices["client_id"].value_counts().index[:5]
    ends = pd.date_range(ledger.invoices["issue_date"].min(), periods=8, freq="ME")
    for client_id in clients:
        own = client_ledger(ledger, str(client_id))
        assert set(own.invoices["client_id"]) == {client_id}
        assert len(own.clients) == 1
        for end in ends:
            whole = open_amounts(ledger, end.date())
            theirs = whole[whole["client_id"] == client_id]
            assert len(theirs) > 0 or end == ends[0]
            pd.testing.assert_frame_equal(open_amounts(own, end.date()), theirs)
