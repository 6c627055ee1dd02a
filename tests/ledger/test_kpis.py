"""KPIs: a hand-worked ledger, edge cases, an oracle and properties on random ledgers."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.contract import ADVANCES, INVOICES, PAYMENTS, UNBILLED, Ledger, empty_frame
from ledger.kpis import (
    BUCKETS,
    AgedBalance,
    DoubtfulDefinition,
    Kpis,
    aged_balance,
    aged_balance_by_client,
    compute_kpis,
    encours_by_client,
    open_amounts,
)

AS_OF = date(2024, 6, 30)  # a Sunday, a month end, in a leap year
D = Decimal


def make_frame(spec, rows: list[dict]) -> pd.DataFrame:
    """A frame of ``spec``'s in-memory columns holding ``rows`` (absent fields empty)."""
    empty = empty_frame(spec)
    if not rows:
        return empty
    return pd.DataFrame(
        {
            name: pd.Series([row.get(name) for row in rows], dtype=dtype)
            for name, dtype in empty.dtypes.items()
        }
    )


def invoice(invoice_id, client_id, issue, due, cents, **more) -> dict:
    """One invoices row: EUR invoice, not disputed, open, unless ``more`` says otherwise."""
    row = {
        "invoice_id": invoice_id,
        "client_id": client_id,
        "issue_date": issue,
        "due_date": due,
        "amount_cents": cents,
        "currency": "EUR",
        "doc_type": "invoice",
        "disputed": False,
        "paid_date": None,
        "written_off": False,
    }
    return row | more


def payment(payment_id, client_id, day, cents, invoice_id) -> dict:
    """One payments row matched to ``invoice_id``."""
    return {
        "payment_id": payment_id,
        "client_id": client_id,
        "payment_date": day,
        "amount_cents": cents,
        "invoice_id": invoice_id,
    }


def small_ledger() -> Ledger:
    """Three clients (C3 in USD), every kind of row the KPIs read."""
    invoices = [
        # EUR, C1
        invoice("F1", "C1", "2024-03-01", "2024-03-31", 120_000, paid_date="2024-04-15"),
        invoice("F2", "C1", "2024-05-15", "2024-06-14", 100_000),  # 400 paid on 20/06
        invoice("F3", "C1", "2024-06-10", "2024-07-10", 50_000),  # not due yet
        invoice("CN1", "C1", "2024-06-01", "2024-06-01", 10_000, doc_type="credit_note"),
        invoice("F7", "C1", "2024-07-05", "2024-08-04", 99_900),  # issued after AS_OF
        # EUR, C2
        invoice("F4", "C2", "2024-04-01", "2024-05-01", 80_000, disputed=True),
        invoice("F5", "C2", "2023-09-01", "2023-10-01", 30_000, disputed=True, written_off=True),
        invoice("F0", "C2", "2023-05-01", "2023-05-31", 25_000),  # issued before the year
        invoice("F10", "C2", "2023-06-01", "2023-07-01", 40_000, paid_date="2023-07-20"),
        # USD, C3
        invoice("F8", "C3", "2024-05-01", "2024-05-31", 200_000, currency="USD"),
        invoice(
            "F9", "C3", "2024-06-01", "2024-07-01", 60_000, currency="USD", paid_date="2024-06-30"
        ),
    ]
    payments = [
        payment("P1", "C1", "2024-04-15", 120_000, "F1"),
        payment("P2", "C1", "2024-06-20", 40_000, "F2"),  # partial
        payment("P4", "C1", "2024-07-02", 20_000, "F2"),  # partial, after AS_OF
        payment("P5", "C2", "2023-07-20", 40_000, "F10"),
        payment("P3", "C3", "2024-06-30", 60_000, "F9"),  # on AS_OF
    ]
    advances = [
        {"client_id": "C2", "received_date": "2024-06-20", "amount_cents": 15_000,
         "applied_date": "2024-07-10"},  # held at AS_OF
        {"client_id": "C1", "received_date": "2024-03-01", "amount_cents": 5_000,
         "applied_date": "2024-03-15"},  # applied before AS_OF
    ]  # fmt: skip
    unbilled = [
        {"client_id": "C1", "delivered_date": "2024-06-25", "expected_issue_date": "2024-07-05",
         "amount_cents": 70_000},  # delivered, not yet invoiced: counted
        {"client_id": "C2", "delivered_date": "2024-07-02", "expected_issue_date": "2024-07-15",
         "amount_cents": 5_000},  # delivered after AS_OF: not counted
    ]  # fmt: skip
    return Ledger(
        invoices=make_frame(INVOICES, invoices),
        payments=make_frame(PAYMENTS, payments),
        advances=make_frame(ADVANCES, advances),
        unbilled=make_frame(UNBILLED, unbilled),
    )


def kpis_by_currency(ledger: Ledger, as_of: date = AS_OF, **options) -> dict[str, Kpis]:
    """compute_kpis keyed by currency."""
    return {k.currency: k for k in compute_kpis(ledger, as_of, **options)}


def open_by_id(ledger: Ledger, as_of: date = AS_OF) -> dict[str, int]:
    """Signed open cents by invoice id."""
    frame = open_amounts(ledger, as_of)
    return dict(zip(frame["invoice_id"], frame["open_cents"].tolist(), strict=True))


# --- the hand-worked ledger ---------------------------------------------------------------


def test_open_amounts_by_hand() -> None:
    frame = open_amounts(small_ledger(), AS_OF).set_index("invoice_id")
    assert frame["open_cents"].to_dict() == {
        "F2": 60_000,  # 1000.00 − 400.00 paid on 20/06
        "F3": 50_000,
        "CN1": -10_000,  # credit note: negative
        "F4": 80_000,
        "F5": 30_000,  # written off, never paid: still open
        "F0": 25_000,
        "F8": 200_000,
    }  # F1, F10 paid; F9 paid on AS_OF; F7 not yet issued
    assert frame["days_past_due"].to_dict() == {
        "F2": 16,  # 14/06 -> 30/06
        "F3": -10,  # 30/06 -> 10/07
        "CN1": 29,  # 01/06 -> 30/06
        "F4": 60,  # 01/05 -> 31/05 = 30, + 30 in June
        "F5": 273,  # 01/10/23 -> 31/10 = 30, +30 +31 +31 +29 +31 +30 +31 +30
        "F0": 396,  # 31/05/23 -> 31/05/24 = 366 (leap year), + 30
        "F8": 30,  # 31/05 -> 30/06
    }
    assert frame["bucket"].astype(str).to_dict() == {
        "F2": "d1_30",
        "F3": "not_due",
        "CN1": "d1_30",
        "F4": "d31_60",
        "F5": "over_90",
        "F0": "over_90",
        "F8": "d1_30",
    }
    assert frame.loc["F8", "currency"] == "USD"
    assert frame.loc["F2", "client_id"] == "C1"


def test_encours_and_its_parts_by_hand() -> None:
    eur, usd = kpis_by_currency(small_ledger()).values()
    assert eur.currency == "EUR" and usd.currency == "USD"
    assert eur.echu == D("1950.00")  # F2 600 + F4 800 + F5 300 + F0 250
    assert eur.non_echu == D("500.00")  # F3
    assert eur.a_emettre == D("700.00")  # delivered 25/06, to be invoiced 05/07
    assert eur.avances == D("150.00")  # received 20/06, applied 10/07
    assert eur.non_affecte == D("100.00")  # CN1, a credit note set against nothing yet
    assert eur.encours == D("2900.00")  # 1950 + 500 + 700 − 150 − 100
    assert usd.echu == D("2000.00")  # F8; F9 paid on AS_OF
    assert (usd.non_echu, usd.a_emettre, usd.avances) == (D("0.00"),) * 3
    assert usd.encours == D("2000.00")


def test_aged_balance_by_hand() -> None:
    eur, usd = kpis_by_currency(small_ledger()).values()
    assert eur.aged_balance == AgedBalance(
        not_due=D("500.00"),  # F3
        d1_30=D("600.00"),  # F2
        d31_60=D("800.00"),  # F4
        d61_90=D("0.00"),
        over_90=D("550.00"),  # F5 300 + F0 250
        non_affecte=D("100.00"),  # CN1, in its own column
    )
    assert usd.aged_balance == AgedBalance(*(D(x) for x in ("0", "2000", "0", "0", "0")))
    assert aged_balance(small_ledger(), AS_OF) == {"EUR": eur.aged_balance, "USD": usd.aged_balance}
    assert aged_balance(small_ledger(), AS_OF, "USD") == {"USD": usd.aged_balance}


def test_aged_balance_by_client_by_hand() -> None:
    rows = aged_balance_by_client(small_ledger(), AS_OF).set_index(["currency", "client_id"])
    assert rows.loc[("EUR", "C1")].to_dict() == {
        "not_due": 50_000,  # F3
        "d1_30": 60_000,  # F2: 1000 − 400 paid, 16 days past due
        "d31_60": 0,
        "d61_90": 0,
        "over_90": 0,
        "non_affecte": 10_000,  # CN1
        "total": 110_000,  # the buckets only: 500 + 600
    }
    assert rows.loc[("EUR", "C2")].to_dict() == {
        "not_due": 0,
        "d1_30": 0,
        "d31_60": 80_000,  # F4, 60 days past due
        "d61_90": 0,
        "over_90": 55_000,  # F5 300 + F0 250
        "non_affecte": 0,
        "total": 135_000,
    }
    assert rows.loc[("USD", "C3"), "d1_30"] == 200_000  # F8
    assert list(rows.index) == [("EUR", "C1"), ("EUR", "C2"), ("USD", "C3")]
    # the currency's balance âgée is their sum
    eur = aged_balance(small_ledger(), AS_OF)["EUR"]
    assert eur.d1_30 == D("600.00") and eur.non_affecte == D("100.00")


def test_dso_by_hand() -> None:
    eur, usd = kpis_by_currency(small_ledger()).values()
    # CA (01/07/23, 30/06/24]: F1 1200 + F2 1000 + F3 500 + F4 800 + F5 300 − CN1 100 = 3700
    assert eur.dso == 286.1  # 2900 × 365 / 3700 = 286.08
    # CA: F8 2000 + F9 600 = 2600
    assert usd.dso == 280.8  # 2000 × 365 / 2600 = 280.77


def test_countback_dso_by_hand() -> None:
    eur, usd = kpis_by_currency(small_ledger()).values()
    # EUR invoiced encours 2350 (échu 1850 + non échu 500); a month-end AS_OF steps by
    # calendar months. June: F3 500 − CN1 100 = 400 -> 1950 left, 30 days; May: F2 1000 ->
    # 950 left, 31 days; April: F4 800 -> 150 left, 30 days; March: F1 1200 >= 150 ->
    # 150 / 1200 × 31 = 3.875 days. 30 + 31 + 30 + 3.875 = 94.875
    assert eur.dso_countback == 94.9
    # USD 2000. June: F9 600 -> 1400 left, 30 days; May: F8 2000 -> 1400 / 2000 × 31 = 21.7
    assert usd.dso_countback == 51.7


def test_countback_dso_mid_month_and_cap() -> None:
    as_of = date(2024, 3, 30)  # periods (29/02, 30/03] = 30 days, (30/01, 29/02] = 30 days
    ledger = Ledger(
        invoices=make_frame(
            INVOICES,
            [
                invoice("A", "C1", "2024-03-01", "2024-04-30", 60_000),  # period 1
                invoice("B", "C1", "2024-02-29", "2024-04-30", 30_000),  # period 2 (29/02)
                invoice("C", "C1", "2024-01-30", "2024-04-30", 10_000),  # period 3 (30/01)
            ],
        )
    )
    (k,) = compute_kpis(ledger, as_of)
    # encours 1000: period 1 600 -> 400 left, 30 days; period 2 300 -> 100 left, 30 days;
    # period 3, (30/12, 30/01] = 31 days: 100 / 100 × 31 = 31. 30 + 30 + 31 = 91
    assert k.dso_countback == 91.0
    # An encours 24 months of sales do not exhaust: the 24 months' days.
    old = Ledger(
        invoices=make_frame(INVOICES, [invoice("O", "C1", "2020-01-01", "2020-01-31", 100)])
    )
    (k,) = compute_kpis(old, date(2024, 6, 30))
    assert k.dso_countback == 731.0  # 30/06/2022 -> 30/06/2024, 2024 a leap year
    assert k.dso is None  # no CA in the year


def test_taux_de_recouvrement_by_hand() -> None:
    eur, usd = kpis_by_currency(small_ledger()).values()
    # Period (01/07/23, 30/06/24]. Créances: open on 01/07/23 F0 250 + F10 400 = 650,
    # + issued in the period 3700 = 4350. Still open on 30/06/24: 2350 (échu 1850 + non
    # échu 500), so recouvré 2000 = P1 1200 + P2 400 + P5 400 (P4 comes after).
    assert eur.taux_recouvrement == 45.98  # 2000 / 4350 = 45.977 %
    # Créances 0 + 2600, still open 2000: recouvré 600 (P3).
    assert usd.taux_recouvrement == 23.08  # 600 / 2600 = 23.077 %
    (short,) = compute_kpis(small_ledger(), AS_OF, currency="EUR", recovery_period_days=30)
    # Period (31/05, 30/06]. Open on 31/05: F2 1000 + F4 800 + F5 300 + F0 250 = 2350;
    # issued in June: F3 500 − CN1 100 = 400; créances 2750; still open 2350: recouvré 400.
    assert short.taux_recouvrement == 14.55  # 400 / 2750 = 14.545 %


def test_taux_de_creances_douteuses_by_hand() -> None:
    eur, usd = kpis_by_currency(small_ledger()).values()
    # F4 disputed 800 + F5 (disputed, written off, 273 days) 300 once + F0 (396 days) 250
    assert eur.taux_creances_douteuses == 46.55  # 1350 / 2900 = 46.552 %
    assert usd.taux_creances_douteuses == 0.0  # F8 30 days past due only

    def rate(**definition) -> float | None:
        options = {"doubtful": DoubtfulDefinition(**definition), "currency": "EUR"}
        return compute_kpis(small_ledger(), AS_OF, **options)[0].taux_creances_douteuses

    assert rate(include_disputed=False) == 18.97  # F5 300 + F0 250 = 550; 550 / 2900
    assert rate(days_past_due=365, include_disputed=False, include_written_off=False) == 8.62
    # ^ F0 250 / 2900 = 8.621 %
    assert rate(days_past_due=1000, include_written_off=False) == 37.93  # F4 + F5 = 1100


def test_encours_moyen_and_clients_by_hand() -> None:
    eur, usd = kpis_by_currency(small_ledger()).values()
    # C1: F2 600 + F3 500 − CN1 100 + unbilled 700 = 1700; C2: 800 + 300 + 250 − 150 = 1200
    assert eur.n_clients_with_encours == 2
    assert eur.encours_moyen_par_client == D("1450.00")  # 2900 / 2
    assert usd.n_clients_with_encours == 1
    assert usd.encours_moyen_par_client == D("2000.00")
    by_client = encours_by_client(small_ledger(), AS_OF).set_index(["currency", "client_id"])
    assert by_client["encours_cents"].to_dict() == {
        ("EUR", "C1"): 170_000,
        ("EUR", "C2"): 120_000,
        ("USD", "C3"): 200_000,
    }
    assert by_client.loc[("EUR", "C2"), "avances_cents"] == 15_000


def test_encours_moyen_ignores_clients_at_zero() -> None:
    ledger = small_ledger()
    extra = make_frame(
        INVOICES,
        [
            invoice("Z1", "C4", "2024-06-01", "2024-07-01", 5_000),
            invoice("Z2", "C4", "2024-06-01", "2024-07-01", 5_000, doc_type="credit_note"),
        ],
    )
    ledger = replace(ledger, invoices=pd.concat([ledger.invoices, extra], ignore_index=True))
    (eur,) = compute_kpis(ledger, AS_OF, currency="EUR")
    assert eur.n_clients_with_encours == 2  # C4 nets to zero
    assert eur.encours_moyen_par_client == D("1450.00")


def test_liquidite_immediate() -> None:
    ledger = small_ledger()
    (eur,) = compute_kpis(ledger, AS_OF, currency="EUR", cash=D("1000"), short_term_debt=D("2000"))
    assert eur.liquidite_immediate == 1.95  # (1000 + 2900) / 2000
    by_currency = kpis_by_currency(
        ledger, cash={"USD": D("500")}, short_term_debt={"USD": D("1000"), "EUR": D("1")}
    )
    assert by_currency["USD"].liquidite_immediate == 2.5  # (500 + 2000) / 1000
    assert by_currency["EUR"].liquidite_immediate is None  # no EUR cash given
    assert kpis_by_currency(ledger, cash=D("1000"))["EUR"].liquidite_immediate is None


def test_as_json_keys_and_values() -> None:
    eur = kpis_by_currency(small_ledger())["EUR"]
    data = eur.as_json()
    assert set(data) == {
        "as_of", "currency", "encours", "echu", "non_echu", "a_emettre", "avances", "dso",
        "dso_countback", "taux_recouvrement", "taux_creances_douteuses",
        "encours_moyen_par_client", "aged_balance", "liquidite_immediate", "non_affecte",
        "effets_escomptes_non_echus",
    }  # fmt: skip
    assert set(data["aged_balance"]) == {*BUCKETS, "non_affecte"}
    assert data["non_affecte"] == data["aged_balance"]["non_affecte"] == 100.0
    assert data["as_of"] == "2024-06-30"
    assert data["encours"] == 2900.0
    assert data["encours_moyen_par_client"] == 1450.0
    assert data["aged_balance"]["over_90"] == 550.0
    assert data["dso"] == 286.1
    assert data["liquidite_immediate"] is None


def test_unbilled_and_advances_with_a_currency_column() -> None:
    ledger = small_ledger()
    unbilled = ledger.unbilled.assign(currency=["USD", "USD"])
    (usd,) = compute_kpis(replace(ledger, unbilled=unbilled), AS_OF, currency="USD")
    assert usd.a_emettre == D("700.00")
    assert usd.encours == D("2700.00")  # 2000 + 700


# --- edge cases ---------------------------------------------------------------------------


def test_as_of_before_any_invoice() -> None:
    by_currency = kpis_by_currency(small_ledger(), date(2023, 1, 1))
    assert set(by_currency) == {"EUR", "USD"}
    for k in by_currency.values():
        assert k.encours == k.echu == k.non_echu == k.a_emettre == k.avances == D("0.00")
        assert k.dso is None and k.taux_recouvrement is None
        assert k.taux_creances_douteuses is None and k.encours_moyen_par_client is None
        assert k.dso_countback == 0.0 and k.n_clients_with_encours == 0
    assert open_amounts(small_ledger(), date(2023, 1, 1)).empty


def test_invoice_issued_after_as_of_is_ignored_until_issued() -> None:
    assert "F7" not in open_by_id(small_ledger(), AS_OF)
    assert "F7" not in open_by_id(small_ledger(), date(2024, 7, 4))
    assert open_by_id(small_ledger(), date(2024, 7, 5))["F7"] == 99_900


def test_paid_on_as_of_counts_as_settled() -> None:
    assert "F9" not in open_by_id(small_ledger(), AS_OF)
    assert open_by_id(small_ledger(), date(2024, 6, 29))["F9"] == 60_000


def test_partial_payment_after_as_of_is_ignored() -> None:
    assert open_by_id(small_ledger(), AS_OF)["F2"] == 60_000  # P4 on 02/07 not yet
    assert open_by_id(small_ledger(), date(2024, 7, 2))["F2"] == 40_000  # 1000 − 400 − 200
    assert open_by_id(small_ledger(), date(2024, 6, 19))["F2"] == 100_000  # before P2


def test_overpaid_invoice_is_floored_at_zero() -> None:
    ledger = small_ledger()
    extra = make_frame(PAYMENTS, [payment("PX", "C1", "2024-06-25", 90_000, "F2")])
    ledger = replace(ledger, payments=pd.concat([ledger.payments, extra], ignore_index=True))
    assert "F2" not in open_by_id(ledger)  # 400 + 900 > 1000


def test_unmatched_payment_lowers_the_encours_as_unapplied_cash() -> None:
    ledger = small_ledger()
    extra = make_frame(PAYMENTS, [payment("PU", "C2", "2024-06-25", 10_000, None)])
    ledger = replace(ledger, payments=pd.concat([ledger.payments, extra], ignore_index=True))
    (eur,) = compute_kpis(ledger, AS_OF, currency="EUR")
    assert eur.non_affecte == D("200.00")  # PU 100 + CN1 100
    assert eur.encours == D("2800.00")  # 2900 − 100: C2's account is lower on the books
    assert eur.echu == D("1950.00")  # no invoice lowered until lettrage matches it
    assert eur.taux_recouvrement == 45.98  # still 2000 / 4350: not recovered until lettré
    before = compute_kpis(ledger, date(2024, 6, 24), currency="EUR")[0]
    assert before.non_affecte == D("100.00")  # PU not received yet


def test_payment_before_its_invoice_or_beyond_it_is_unapplied() -> None:
    ledger = small_ledger()
    extra = make_frame(
        PAYMENTS,
        [
            payment("PE", "C1", "2024-06-28", 30_000, "F7"),  # F7 issued on 05/07
            payment("PX", "C1", "2024-06-25", 90_000, "F2"),  # 400 + 900 > 1000: 300 over
        ],
    )
    ledger = replace(ledger, payments=pd.concat([ledger.payments, extra], ignore_index=True))
    (eur,) = compute_kpis(ledger, AS_OF, currency="EUR")
    assert eur.echu == D("1350.00")  # F2 now settled: 1950 − 600
    assert eur.non_affecte == D("700.00")  # CN1 100 + PE 300 + PX's 300 beyond F2
    assert eur.encours == D("1700.00")  # 1350 + 500 + 700 − 150 − 700
    (later,) = compute_kpis(ledger, date(2024, 7, 5), currency="EUR")
    # PE absorbed by F7 (issued on 05/07); P4's 200 on 02/07 add to F2's excess: 500.
    assert later.non_affecte == D("600.00")  # CN1 100 + 500


def test_without_a_payments_table() -> None:
    ledger = replace(small_ledger(), payments=empty_frame(PAYMENTS))
    assert open_by_id(ledger)["F2"] == 100_000  # open in full until paid_date
    assert "F9" not in open_by_id(ledger)  # paid_date on AS_OF
    eur, usd = kpis_by_currency(ledger).values()
    assert eur.encours == D("3300.00")  # 2900 + the 400 no longer known as paid
    # Créances still 4350, still open 2750: recouvré 1600 (F1 1200 + F10 400 by paid_date)
    assert eur.taux_recouvrement == 36.78  # 1600 / 4350 = 36.782 %
    assert usd.taux_recouvrement == 23.08  # F9 600 paid on AS_OF / 2600


def test_empty_ledger_and_unknown_currency() -> None:
    assert compute_kpis(Ledger(), AS_OF) == []
    (gbp,) = compute_kpis(small_ledger(), AS_OF, currency="GBP")
    assert gbp.encours == D("0.00") and gbp.dso is None
    assert aged_balance(Ledger(), AS_OF) == {}


def test_dtype_robust() -> None:
    ledger = small_ledger()
    invoices = ledger.invoices.copy()
    for column in ("issue_date", "due_date", "paid_date"):
        invoices[column] = invoices[column].astype("datetime64[us]")
    for column in ("invoice_id", "client_id", "currency", "doc_type"):
        invoices[column] = invoices[column].astype("str")  # pandas' text dtype
    invoices["amount_cents"] = invoices["amount_cents"].astype("int64")
    invoices["disputed"] = invoices["disputed"].astype(object)
    payments = ledger.payments.assign(
        payment_date=ledger.payments["payment_date"].astype("M8[s]"),
        invoice_id=ledger.payments["invoice_id"].astype("str"),
    )
    advances = ledger.advances.assign(applied_date=[None, "2024-03-15"])  # object, text dates
    changed = replace(ledger, invoices=invoices, payments=payments, advances=advances)
    assert compute_kpis(changed, AS_OF) == compute_kpis(ledger, AS_OF)
    assert compute_kpis(ledger, pd.Timestamp(AS_OF)) == compute_kpis(ledger, AS_OF)
    assert compute_kpis(changed, AS_OF)[0].avances == D("150.00")  # C2's, never applied


# --- an oracle and properties on random ledgers ------------------------------------------

BASE = date(2023, 1, 1)
AMOUNTS = st.integers(min_value=1, max_value=5_000_000)
DAYS = st.integers(0, 500)
MAYBE_DELAY = st.none() | st.integers(0, 200)
MAYBE_DAY = st.none() | DAYS


def day(offset: int, start: date = BASE) -> date:
    """``start`` + ``offset`` days."""
    return start + timedelta(days=offset)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[Ledger, date]:
    """A random small ledger and an as-of date around its span."""
    invoices, payments = [], []
    for n in range(draw(st.integers(0, 12))):
        issue = day(draw(DAYS))
        delay = draw(MAYBE_DELAY)
        cents = draw(AMOUNTS)
        client = draw(st.sampled_from(["C1", "C2", "C3"]))
        invoices.append(
            invoice(
                f"I{n}",
                client,
                issue,
                day(draw(st.integers(0, 90)), issue),
                cents,
                currency=draw(st.sampled_from(["EUR", "USD"])),
                doc_type=draw(st.sampled_from(["invoice", "invoice", "credit_note"])),
                disputed=draw(st.booleans()),
                written_off=delay is None and draw(st.booleans()),
                paid_date=None if delay is None else day(delay, issue),
            )
        )
        # partial payments before the paid date (or within 300 days while open)
        last = max((300 if delay is None else delay) - 1, 0)
        for m in range(draw(st.integers(0, 3))):
            when = day(draw(st.integers(0, last)), issue)
            payments.append(payment(f"P{n}.{m}", client, when, draw(AMOUNTS) % cents + 1, f"I{n}"))
    advances = []
    for _ in range(draw(st.integers(0, 3))):
        received = day(draw(DAYS))
        applied = draw(MAYBE_DELAY)
        advances.append(
            {
                "client_id": draw(st.sampled_from(["C1", "C2"])),
                "received_date": received,
                "amount_cents": draw(AMOUNTS),
                "applied_date": None if applied is None else day(applied, received),
            }
        )
    unbilled = []
    for _ in range(draw(st.integers(0, 3))):
        delivered = draw(MAYBE_DAY)
        start = BASE if delivered is None else day(delivered)
        unbilled.append(
            {
                "client_id": draw(st.sampled_from(["C1", "C3"])),
                "delivered_date": None if delivered is None else start,
                "expected_issue_date": day(draw(st.integers(0, 60)), start),
                "amount_cents": draw(AMOUNTS),
            }
        )
    ledger = Ledger(
        invoices=make_frame(INVOICES, invoices),
        payments=make_frame(PAYMENTS, payments),
        advances=make_frame(ADVANCES, advances),
        unbilled=make_frame(UNBILLED, unbilled),
    )
    return ledger, day(draw(st.integers(-10, 620)))


def oracle_open_cents(ledger: Ledger, as_of: date) -> dict[str, int]:
    """Signed open cents per document, the slow obvious way."""
    day = pd.Timestamp(as_of)
    out = {}
    for row in ledger.invoices.itertuples():
        if row.issue_date > day or (pd.notna(row.paid_date) and row.paid_date <= day):
            continue
        paid = sum(
            p.amount_cents
            for p in ledger.payments.itertuples()
            if p.invoice_id == row.invoice_id and p.payment_date <= day
        )
        open_cents = max(row.amount_cents - paid, 0)
        if open_cents:
            out[row.invoice_id] = -open_cents if row.doc_type == "credit_note" else open_cents
    return out


def oracle_encours_cents(ledger: Ledger, as_of: date) -> dict[str, int]:
    """Non-zero encours client in cents per currency, the slow obvious way.

    Advances and unbilled rows carry no currency here, so they are in EUR.
    """
    day = pd.Timestamp(as_of)
    currency_of = dict(zip(ledger.invoices["invoice_id"], ledger.invoices["currency"], strict=True))
    out: Counter[str] = Counter()
    for invoice_id, cents in oracle_open_cents(ledger, as_of).items():
        out[currency_of[invoice_id]] += cents
    for row in ledger.unbilled.itertuples():
        delivered = pd.isna(row.delivered_date) or row.delivered_date <= day
        out["EUR"] += row.amount_cents if delivered and day < row.expected_issue_date else 0
    for row in ledger.advances.itertuples():
        held = row.received_date <= day and (pd.isna(row.applied_date) or row.applied_date > day)
        out["EUR"] -= row.amount_cents if held else 0
    for currency, cents in oracle_unapplied_cents(ledger, as_of).items():
        out[currency] -= cents
    return {currency: cents for currency, cents in out.items() if cents}


def oracle_unapplied_cents(ledger: Ledger, as_of: date) -> Counter[str]:
    """Payments by ``as_of`` that no issued invoice absorbed, per currency, one by one."""
    day = pd.Timestamp(as_of)
    out: Counter[str] = Counter()
    invoices = {row.invoice_id: row for row in ledger.invoices.itertuples()}
    paid: Counter[str] = Counter()
    for p in ledger.payments.itertuples():
        if p.payment_date > day:
            continue
        if p.invoice_id is None or pd.isna(p.invoice_id):
            currency = getattr(p, "currency", None)
            out["EUR" if currency is None or pd.isna(currency) else currency] += p.amount_cents
        else:
            paid[p.invoice_id] += p.amount_cents
    for invoice_id, cents in paid.items():
        row = invoices[invoice_id]
        absorbed = min(cents, row.amount_cents) if row.issue_date <= day else 0
        out[row.currency] += cents - absorbed
    return out


def future_altered(ledger: Ledger, as_of: date, seed: int) -> Ledger:
    """``ledger`` with everything dated after ``as_of`` moved, resized or dropped."""
    rng = np.random.default_rng(seed)
    cut = pd.Timestamp(as_of)

    def later(values: pd.Series, may_vanish: bool = False) -> pd.Series:
        after = values > cut
        shift = pd.to_timedelta(rng.integers(1, 90, len(values)), unit="D")
        out = values.where(~after, values + shift)
        if may_vanish:
            out = out.where(~(after & (rng.random(len(values)) < 0.5)), pd.NaT)
        return out

    inv = ledger.invoices.copy()
    not_issued = (inv["issue_date"] > cut).to_numpy()
    shift = pd.to_timedelta(np.where(not_issued, rng.integers(1, 90, len(inv)), 0), unit="D")
    inv["issue_date"] = inv["issue_date"] + shift
    inv["due_date"] = later(inv["due_date"] + shift)
    inv["paid_date"] = later(inv["paid_date"], may_vanish=True)
    inv.loc[not_issued, "amount_cents"] = rng.integers(1, 10**6, int(not_issued.sum()))
    pay = ledger.payments.copy()
    future = (pay["payment_date"] > cut).to_numpy()
    pay.loc[future, "amount_cents"] = rng.integers(1, 10**6, int(future.sum()))
    pay["payment_date"] = later(pay["payment_date"])
    pay = pay[~(future & (rng.random(len(pay)) < 0.3))]
    adv = ledger.advances.copy()
    adv["applied_date"] = later(adv["applied_date"], may_vanish=True)
    received_later = (adv["received_date"] > cut).to_numpy()
    adv.loc[received_later, "amount_cents"] = rng.integers(1, 10**6, int(received_later.sum()))
    adv["received_date"] = later(adv["received_date"])
    unb = ledger.unbilled.copy()
    unb["expected_issue_date"] = later(unb["expected_issue_date"])
    unb["delivered_date"] = later(unb["delivered_date"])
    return Ledger(invoices=inv, payments=pay, advances=adv, unbilled=unb)


PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(ledgers())
def test_open_amounts_and_encours_match_the_oracle(case: tuple[Ledger, date]) -> None:
    ledger, as_of = case
    assert open_by_id(ledger, as_of) == oracle_open_cents(ledger, as_of)
    encours = {k.currency: int(k.encours * 100) for k in compute_kpis(ledger, as_of)}
    assert {c: cents for c, cents in encours.items() if cents} == oracle_encours_cents(
        ledger, as_of
    )


@PROPERTY
@given(ledgers())
def test_encours_is_the_sum_of_its_parts(case: tuple[Ledger, date]) -> None:
    ledger, as_of = case
    clients = encours_by_client(ledger, as_of).groupby("currency")["encours_cents"].sum()
    for k in compute_kpis(ledger, as_of):
        assert k.encours == k.echu + k.non_echu + k.a_emettre - k.avances - k.non_affecte
        aged = k.aged_balance
        assert aged.non_affecte == k.non_affecte
        buckets = aged.not_due + aged.d1_30 + aged.d31_60 + aged.d61_90 + aged.over_90
        assert buckets == k.echu + k.non_echu
        assert D(int(clients.get(k.currency, 0))) / 100 == k.encours


@PROPERTY
@given(ledgers())
def test_open_amounts_have_the_document_sign(case: tuple[Ledger, date]) -> None:
    ledger, as_of = case
    frame = open_amounts(ledger, as_of)
    credit = frame["doc_type"] == "credit_note"
    assert (frame.loc[~credit, "open_cents"] > 0).all()
    assert (frame.loc[credit, "open_cents"] < 0).all()
    assert (frame["open_cents"].abs() <= frame["amount_cents"]).all()


@PROPERTY
@given(ledgers(), st.integers(0, 2**32 - 1))
def test_nothing_after_as_of_matters(case: tuple[Ledger, date], seed: int) -> None:
    ledger, as_of = case
    # no row is dropped but future payments, so the currencies present stay the same
    assert compute_kpis(future_altered(ledger, as_of, seed), as_of) == compute_kpis(ledger, as_of)


@pytest.mark.parametrize("bucket", BUCKETS)
def test_bucket_edges(bucket: str) -> None:
    past_due = {"not_due": [-5, 0], "d1_30": [1, 30], "d31_60": [31, 60],
                "d61_90": [61, 90], "over_90": [91, 400]}[bucket]  # fmt: skip
    rows = [
        invoice(f"B{d}", "C1", "2023-01-01", (pd.Timestamp(AS_OF) - pd.Timedelta(days=d)), 100)
        for d in past_due
    ]
    frame = open_amounts(Ledger(invoices=make_frame(INVOICES, rows)), AS_OF)
    assert frame["days_past_due"].tolist() == past_due
    assert set(frame["bucket"].astype(str)) == {bucket}
