"""check_clients: the first client of a request that the ledger does not hold."""

from __future__ import annotations

import pandas as pd
import pytest

from ledger.contract import Ledger
from ledger.errors import UnknownClient
from serving.scoring import FEW_CLIENTS, check_clients

LEDGER = Ledger(clients=pd.DataFrame({"client_id": [f"C{i}" for i in range(100)]}))
KNOWN = frozenset(LEDGER.clients["client_id"])
"""The ledger's clients as a served snapshot keeps them."""
MANY = [f"C{i}" for i in range(FEW_CLIENTS + 5)]  # more distinct clients than FEW_CLIENTS


@pytest.mark.parametrize("ids", [["C7"], ["C7", "C7", "C3"], MANY * 2], ids=["one", "few", "many"])
def test_clients_of_the_ledger_pass(ids: list[str]) -> None:
    check_clients(LEDGER, pd.Series(ids))
    check_clients(LEDGER, pd.Series(ids), KNOWN)


@pytest.mark.parametrize(
    "ids",
    [["X9"], ["C1", "X9", "C2", "X3"], [*MANY[:4], "X9", *MANY[4:], "X3", "X9"]],
    ids=["one", "few", "many"],
)
@pytest.mark.parametrize("known", [None, "set"], ids=["column", "set"])
def test_the_first_unknown_client_is_named(ids: list[str], known: str | None) -> None:
    with pytest.raises(UnknownClient) as raised:
        check_clients(LEDGER, pd.Series(ids), KNOWN if known else None)
    assert raised.value.client_id == "X9"
