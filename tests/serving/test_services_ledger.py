"""The ledger services the balance âgée and KPI pages read: month ends, trends, the
balance âgée per client and a client's open invoices (on the hand-worked ledger of
tests/ledger/test_kpis.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from ledger.contract import CLIENTS, Ledger
from ledger.errors import UnknownClient
from serving import services
from tests.ledger.test_kpis import AS_OF, make_frame, small_ledger


def named_ledger() -> Ledger:
    """The hand-worked ledger with its three clients named."""
    names = [{"client_id": c, "name": f"Client {c}"} for c in ("C1", "C2", "C3")]
    return replace(small_ledger(), clients=make_frame(CLIENTS, names))


def test_month_ends_end_with_the_day_asked() -> None:
    ends = services.month_ends(dt.date(2024, 6, 30))  # a month end: twelve dates
    assert ends[0] == dt.date(2023, 7, 31) and ends[-1] == dt.date(2024, 6, 30)
    assert len(ends) == 12 and dt.date(2024, 2, 29) in ends  # leap year
    mid = services.month_ends(dt.date(2024, 6, 12))  # twelve month ends, then the day
    assert mid[0] == dt.date(2023, 6, 30) and mid[-2:] == [
        dt.date(2024, 5, 31),
        dt.date(2024, 6, 12),
    ]
    assert len(mid) == 13


def test_the_trends_are_the_figures_at_each_date() -> None:
    ledger = named_ledger()
    trend = services.kpis_trend(ledger, AS_OF, "EUR")
    assert [k.as_of for k in trend] == services.month_ends(AS_OF)
    assert trend[-1] == services.kpis(ledger, AS_OF, "EUR")
    assert trend[-4] == services.kpis(ledger, dt.date(2024, 3, 31), "EUR")
    aged = services.aged_balance_trend(ledger, AS_OF, "USD")
    assert aged[-1] == (AS_OF, services.aged_balances(ledger, AS_OF, "USD")[0])
    assert aged[-2][1]["total"] == 2000.0  # F8, issued 01/05, due 31/05: not due at 31/05


def test_the_clients_add_up_to_the_balance_agee() -> None:
    ledger = named_ledger()
    rows = services.aged_balance_clients(ledger, AS_OF, "EUR")
    assert list(rows["client_id"]) == ["C1", "C2"] and list(rows["client_name"]) == [
        "Client C1",
        "Client C2",
    ]
    (eur,) = services.aged_balances(ledger, AS_OF, "EUR")
    for key in ("not_due", "d1_30", "d31_60", "d61_90", "over_90", "non_affecte", "total"):
        assert rows[key].sum() / 100 == pytest.approx(eur[key]), key
    assert services.aged_balance_clients(ledger, AS_OF, "JPY").empty
    assert services.currencies(ledger) == ["EUR", "USD"]


def test_a_clients_open_invoices_most_overdue_first() -> None:
    ledger = named_ledger()
    found = services.client_open_invoices(ledger, AS_OF, "C1", "EUR")
    # F2 16 days past due, CN1 (credit note) 29, F3 not due; F1 settled, F7 not yet issued
    assert list(found["invoice_id"]) == ["CN1", "F2", "F3"]
    assert list(found["open_cents"]) == [-10_000, 60_000, 50_000]
    assert services.client_open_invoices(ledger, AS_OF, "C1", "USD").empty
    with pytest.raises(UnknownClient):
        services.client_open_invoices(ledger, AS_OF, "C9", "EUR")
