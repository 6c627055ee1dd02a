"""Balances at many dates from prepared arrays: the one-date functions' figures, date by
date, on random ledgers (with bills discounted, unmatched payments, a client's payment of
another client's invoice, créances douteuses moved to 416, a currency absent at a date)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.balance_arrays import (
    client_buckets_at,
    open_frame_at,
    prepare_balances,
    sums_by,
    unapplied_by_client,
)
from ledger.balances import aged_balance_by_client, encours_by_client, open_amounts
from ledger.contract import EFFETS, Ledger
from ledger.days import day_number
from ledger.kpis import (
    DoubtfulDefinition,
    aged_balance,
    aged_balances_over,
    compute_kpis,
    kpis_over,
)
from tests.ledger.test_kpis import AMOUNTS, day, ledgers, make_frame, payment

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def fuller_ledgers(draw: st.DrawFn) -> tuple[Ledger, list[date]]:
    """:func:`tests.ledger.test_kpis.ledgers` with what they lack added (bills, unmatched
    and cross-client payments, 416 dates), and a few dates around the ledger's span."""
    ledger, as_of = draw(ledgers())
    invoices = ledger.invoices.copy()
    if len(invoices):
        moved = draw(st.lists(st.booleans(), min_size=len(invoices), max_size=len(invoices)))
        days = [day(draw(st.integers(0, 600))) if m else None for m in moved]
        invoices["doubtful_date"] = pd.Series(days, dtype="datetime64[ns]")
    extra = []
    for m in range(draw(st.integers(0, 3))):
        target = draw(st.none() | st.sampled_from([*invoices["invoice_id"], "I-none"]))
        invoice_id = None if target == "I-none" else target
        client = draw(st.sampled_from(["C1", "C2", "C3", "C4"]))
        extra.append(payment(f"X{m}", client, day(draw(st.integers(0, 600))), draw(AMOUNTS), None))
        extra[-1]["invoice_id"] = invoice_id
    payments = pd.concat(
        [ledger.payments, make_frame_like(ledger.payments, extra)], ignore_index=True
    )
    effets = []
    for n in range(draw(st.integers(0, 3))):
        drawn = draw(st.integers(0, 500))
        effets.append(
            {
                "effet_id": f"E{n}",
                "client_id": draw(st.sampled_from(["C1", "C2"])),
                "drawn_date": day(drawn),
                "due_date": day(drawn + draw(st.integers(0, 90))),
                "amount_cents": draw(AMOUNTS),
                "currency": draw(st.sampled_from(["EUR", "GBP"])),
                "remitted_date": day(drawn + draw(st.integers(0, 30))),
                "remittance": draw(st.sampled_from(["discount", "collection", None])),
            }
        )
    fuller = Ledger(
        invoices=invoices,
        payments=payments,
        advances=ledger.advances,
        unbilled=ledger.unbilled,
        effets=make_frame(EFFETS, effets),
    )
    others = draw(st.lists(st.integers(-10, 620), max_size=3))
    edges = event_days(fuller)  # the days a row starts or stops counting: the edge cases
    chosen = draw(st.lists(st.sampled_from(edges), max_size=3)) if edges else []
    return fuller, [as_of, *(day(o) for o in others), *chosen]


def event_days(ledger: Ledger) -> list[date]:
    """Every date of ``ledger`` and the day before it, sorted."""
    found: set[date] = set()
    for frame in ledger.tables().values():
        for name in frame.columns:
            if name.endswith("_date"):
                for stamp in pd.to_datetime(frame[name]).dropna():
                    found.update({stamp.date(), (stamp - pd.Timedelta(days=1)).date()})
    return sorted(found)


def make_frame_like(frame: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    """``rows`` as a frame of ``frame``'s columns and types."""
    if not rows:
        return frame.iloc[:0]
    return pd.DataFrame(
        {name: pd.Series([r.get(name) for r in rows], dtype=frame[name].dtype) for name in frame}
    )


@PROPERTY
@given(fuller_ledgers(), st.sampled_from(["EUR", "USD", "GBP", "CHF"]))
def test_kpis_over_dates_are_the_kpis_at_each_date(
    case: tuple[Ledger, list[date]], currency: str
) -> None:
    ledger, dates = case
    rule = DoubtfulDefinition(days_past_due=45, include_disputed=False)
    asked = {"doubtful": rule, "recovery_period_days": 200}
    many = kpis_over(ledger, dates, currency, **asked)  # type: ignore[arg-type]
    for as_of, kpis in zip(dates, many, strict=True):
        assert kpis == compute_kpis(ledger, as_of, currency=currency, **asked)[0]  # type: ignore[arg-type]


@PROPERTY
@given(fuller_ledgers())
def test_aged_balances_over_dates_are_the_aged_balance_at_each_date(
    case: tuple[Ledger, list[date]],
) -> None:
    ledger, dates = case
    arrays = prepare_balances(ledger)
    for currency in (None, "EUR", "GBP"):
        many = aged_balances_over(arrays, dates, currency)
        assert many == [aged_balance(ledger, d, currency) for d in dates]


@PROPERTY
@given(fuller_ledgers())
def test_by_client_and_open_documents_at_each_date(case: tuple[Ledger, list[date]]) -> None:
    ledger, dates = case
    arrays = prepare_balances(ledger)
    for as_of in dates:
        at = day_number(as_of)
        pd.testing.assert_frame_equal(
            client_buckets_at(arrays, at), aged_balance_by_client(ledger, as_of)
        )
        pd.testing.assert_frame_equal(open_frame_at(arrays, at), open_amounts(ledger, as_of))
        parts = encours_by_client(ledger, as_of)
        for currency in ("EUR", "USD"):
            mine = parts[parts["currency"] == currency].set_index("client_id")
            expected = mine["non_affecte_cents"][mine["non_affecte_cents"] != 0]
            found = unapplied_by_client(arrays, at, currency)
            assert found.to_dict() == expected.to_dict()


def test_liquidite_and_a_hand_worked_trend() -> None:
    # One invoice of 1,000.00 issued 10 Jan, due 9 Feb, 400.00 paid on 15 Feb, the rest
    # settled on 20 Mar. Month ends 31 Jan, 29 Feb, 31 Mar 2024:
    # 31 Jan: 1,000.00 not due; 29 Feb: 600.00 in 1–30 days (20 days past due); 31 Mar: 0.
    ledger = Ledger(
        invoices=make_frame_like(
            compute_ready_invoices(),
            [
                {
                    "invoice_id": "I1",
                    "client_id": "C1",
                    "issue_date": pd.Timestamp("2024-01-10"),
                    "due_date": pd.Timestamp("2024-02-09"),
                    "amount_cents": 100_000,
                    "currency": "EUR",
                    "doc_type": "invoice",
                    "disputed": False,
                    "paid_date": pd.Timestamp("2024-03-20"),
                    "written_off": False,
                }
            ],
        ),
        payments=make_frame_like(
            Ledger().payments, [payment("P1", "C1", date(2024, 2, 15), 40_000, "I1")]
        ),
    )
    ends = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    trend = kpis_over(ledger, ends, cash=Decimal("400"), short_term_debt=Decimal("500"))
    assert [k.encours for k in trend] == [Decimal("1000.00"), Decimal("600.00"), Decimal(0)]
    assert trend[1].aged_balance.d1_30 == Decimal("600.00")
    # (400 + 1,000) / 500 = 2.8; (400 + 600) / 500 = 2.0; 400 / 500 = 0.8
    assert [k.liquidite_immediate for k in trend] == [2.8, 2.0, 0.8]
    assert [k.n_clients_with_encours for k in trend] == [1, 1, 0]


def compute_ready_invoices() -> pd.DataFrame:
    """An empty invoices frame of the in-memory types."""
    return Ledger().invoices


@pytest.mark.parametrize("currency", ["EUR", "JPY"])
def test_an_empty_ledger_gives_zeros(currency: str) -> None:
    ledger = Ledger()
    as_of = date(2024, 6, 30)
    assert kpis_over(ledger, [as_of], currency) == compute_kpis(ledger, as_of, currency=currency)
    assert client_buckets_at(prepare_balances(ledger), day_number(as_of)).empty


@pytest.mark.parametrize(
    ("payer", "paid_on", "as_of"),
    [
        ("C2", date(2024, 2, 1), date(2024, 2, 29)),  # another client pays part of it
        ("C1", date(2024, 1, 5), date(2024, 1, 8)),  # paid before it is issued, on the 10th
    ],
)
def test_cash_not_absorbed_by_one_client_invoice(payer: str, paid_on: date, as_of: date) -> None:
    # I1 of C1: 1,000.00 issued 10 Jan, due 9 Feb; C1 pays 600.00 on 15 Feb, ``payer`` pays
    # 300.00 on ``paid_on``. The invoice absorbs both as they come (900.00 <= 1,000.00).
    # Another payer: the invoice's first payment takes all that was absorbed, so by
    # client C1 shows −300.00 unapplied and C2 +300.00 (their sum is nil). Before the
    # issue date the 300.00 are C1's unapplied cash.
    rows = [
        payment("P1", "C1", date(2024, 2, 15), 60_000, "I1"),
        payment("P2", payer, paid_on, 30_000, "I1"),
    ]
    ledger = Ledger(
        invoices=compute_ready_invoices().pipe(
            make_frame_like,
            [
                {
                    "invoice_id": "I1",
                    "client_id": "C1",
                    "issue_date": pd.Timestamp("2024-01-10"),
                    "due_date": pd.Timestamp("2024-02-09"),
                    "amount_cents": 100_000,
                    "currency": "EUR",
                    "doc_type": "invoice",
                }
            ],
        ),
        payments=make_frame_like(Ledger().payments, rows),
    )
    arrays = prepare_balances(ledger)
    for day_ in (as_of, date(2024, 3, 31)):
        at = day_number(day_)
        expected = aged_balance_by_client(ledger, day_)
        pd.testing.assert_frame_equal(client_buckets_at(arrays, at), expected)
    found = client_buckets_at(arrays, day_number(as_of)).set_index("client_id")["non_affecte"]
    assert found.to_dict() == ({"C1": -30_000, "C2": 30_000} if payer == "C2" else {"C1": 30_000})


def test_sums_by_is_exact_beyond_what_float64_holds() -> None:
    # 2**53 + 1 is the first integer float64 cannot hold: the sums fall back to int64.
    big = np.array([2**53, 1, 5], dtype=np.int64)
    assert sums_by(np.array([0, 0, 1]), big, 3).tolist() == [2**53 + 1, 5, 0]
    small = np.array([250, -100, 7], dtype=np.int64)
    assert sums_by(np.array([2, 2, 0]), small, 3).tolist() == [7, 0, 150]
