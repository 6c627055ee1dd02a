"""The forecast and its backtest read the balances from prepared arrays: the same figures
as the path that rebuilt them from the ledger at every date (kept here as the oracle)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from features.pipeline import FeatureBuilder
from ledger.balance_arrays import BalanceArrays, prepare_balances
from ledger.contract import Ledger
from ledger.kpis import compute_kpis, encours_by_client, open_amounts
from serving import forecast as forecast_module
from serving.forecast import backtest, backtest_dates, collectible, forecast_cash, net_of_unapplied
from simulator import SimulationConfig, simulate
from tests.serving.stubs import PaidEvenly


def rebuilt_collectible(
    ledger: Ledger, as_of: dt.date, currency: str, arrays: Any = None
) -> pd.DataFrame:
    """The collectible invoices as the forecast found them before the arrays: open amounts
    and encours rebuilt from the ledger."""
    docs = open_amounts(ledger, as_of)
    keep = (
        (docs["doc_type"] == "invoice")
        & (docs["open_cents"] > 0)
        & ~docs["written_off"].astype(bool)
        & (docs["currency"] == currency)
    )
    parts = encours_by_client(ledger, as_of)
    parts = parts[parts["currency"] == currency]
    unapplied = parts.set_index("client_id")["non_affecte_cents"]
    chosen = docs[keep].assign(open_cents=net_of_unapplied(docs[keep], unapplied))
    chosen = chosen[chosen["open_cents"] > 0]
    invoices = ledger.invoices.loc[chosen.index].copy()
    invoices["open_cents"] = chosen["open_cents"].astype(np.int64)
    return invoices


def rebuilt_collected(
    arrays: BalanceArrays, invoices: pd.DataFrame, as_of: dt.date, ends: np.ndarray
) -> np.ndarray:
    """What the backtest counted as collected before the arrays: four open amounts rebuilt."""
    before = invoices["open_cents"].to_numpy(dtype=np.int64)
    out = np.zeros(len(ends), dtype=np.int64)
    for p, e in enumerate(ends):
        later = open_amounts(arrays.ledger, pd.Timestamp(as_of) + pd.Timedelta(days=int(e)))
        now = later["open_cents"].reindex(invoices.index).fillna(0).to_numpy(dtype=np.int64)
        out[p] = int(np.maximum(before - now, 0).sum())
        before = np.minimum(before, now)
    return out


def rebuilt_kpis(arrays: BalanceArrays, dates: list[dt.date], currency: str) -> list[Any]:
    """The KPIs the forecast started from before the arrays."""
    return [compute_kpis(arrays.ledger, d, currency=currency)[0] for d in dates]


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """A simulated ledger with a client's unmatched payment and another partly paid invoice:
    unapplied cash to net and partial payments to read."""
    made = simulate(SimulationConfig(n_clients=30, n_months=12, seed=5)).ledger
    payments = made.payments
    first = made.invoices.iloc[len(made.invoices) // 2]
    extra = payments.iloc[:2].copy()
    extra["payment_id"] = ["X1", "X2"]
    extra["client_id"] = first["client_id"]
    extra["invoice_id"] = [None, first["invoice_id"]]
    extra["payment_date"] = first["issue_date"] + pd.Timedelta(days=20)
    extra["amount_cents"] = [12_345, max(1, int(first["amount_cents"]) // 3)]
    joined = pd.concat([payments, extra], ignore_index=True)
    return Ledger(**{**made.tables(), "payments": joined})


def test_the_backtest_is_the_rebuilt_one(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    features, model = FeatureBuilder().fit(ledger), PaidEvenly(21)
    dates = backtest_dates(ledger)
    made = backtest(ledger, features, model, dates, arrays=prepare_balances(ledger))
    assert len(made.weeks) == 4 * len(dates) and made.weeks["actual_cents"].sum() > 0
    monkeypatch.setattr(forecast_module, "collectible", rebuilt_collectible)
    monkeypatch.setattr(forecast_module, "_collected", rebuilt_collected)
    rebuilt = backtest(ledger, features, model, dates)
    pd.testing.assert_frame_equal(made.weeks, rebuilt.weeks)
    assert made.wape == rebuilt.wape and made.coverage80 == rebuilt.coverage80


def test_the_forecast_is_the_rebuilt_one(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    features, model = FeatureBuilder().fit(ledger), PaidEvenly(21)
    as_of = backtest_dates(ledger)[-1]
    made = forecast_cash(ledger, features, model, as_of, arrays=prepare_balances(ledger))
    assert made.n_invoices > 0
    monkeypatch.setattr(forecast_module, "collectible", rebuilt_collectible)
    monkeypatch.setattr(forecast_module, "kpis_over", rebuilt_kpis)
    rebuilt = forecast_cash(ledger, features, model, as_of)
    pd.testing.assert_frame_equal(made.periods, rebuilt.periods)
    assert (made.encours_cents, made.n_invoices) == (rebuilt.encours_cents, rebuilt.n_invoices)


def test_collectible_nets_unapplied_cash_as_before(ledger: Ledger) -> None:
    arrays = prepare_balances(ledger)
    for as_of in backtest_dates(ledger):
        expected = rebuilt_collectible(ledger, as_of, "EUR")
        pd.testing.assert_frame_equal(collectible(ledger, as_of, "EUR", arrays), expected)
