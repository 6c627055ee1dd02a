"""Small ledgers built in code for tests."""

from __future__ import annotations

import pandas as pd

from ledger.contract import Ledger


def dates(*values: str | None) -> pd.Series:
    """A datetime64[ns] series from ISO strings (None for missing)."""
    return pd.Series(pd.to_datetime(list(values))).astype("datetime64[ns]")


def small_ledger() -> Ledger:
    """Two clients, three invoices (one paid late, one partly paid, one credit note)."""
    clients = pd.DataFrame(
        {
            "client_id": ["C1", "C2"],
            "name": ["Boulangerie Martin", None],
            "country": ["FR", "BE"],
            "sector": ["retail", None],
            "is_public_sector": [False, True],
            "created_on": dates("2020-01-15", None),
            "payment_terms_days": pd.array([30, None], dtype="Int64"),
            "credit_limit_cents": pd.array([5_000_000, None], dtype="Int64"),
            "x_segment": ["key_account", None],
        }
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": ["F1", "F2", "A1"],
            "client_id": ["C1", "C2", "C1"],
            "issue_date": dates("2024-01-10", "2024-02-01", "2024-01-20"),
            "due_date": dates("2024-02-09", "2024-03-02", "2024-02-19"),
            "amount_cents": pd.array([120_000, 55_050, 10_000], dtype="Int64"),
            "currency": ["EUR", "EUR", "EUR"],
            "doc_type": ["invoice", "invoice", "credit_note"],
            "disputed": [False, True, False],
            "paid_date": dates("2024-02-20", None, "2024-02-20"),
            "written_off": [False, False, False],
            "credited_invoice_id": [None, None, "F1"],
            "x_channel": ["edi", "paper", None],
        }
    )
    payments = pd.DataFrame(
        {
            "payment_id": ["P1", "P2"],
            "client_id": ["C1", "C2"],
            "payment_date": dates("2024-02-20", "2024-03-10"),
            "amount_cents": pd.array([110_000, 20_000], dtype="Int64"),
            "currency": ["EUR", "EUR"],
            "reference": ["VIR F1", "VIR F2 acompte"],
            "invoice_id": ["F1", "F2"],
        }
    )
    advances = pd.DataFrame(
        {
            "client_id": ["C1", "C1"],
            "received_date": dates("2024-01-02", "2024-01-02"),
            "amount_cents": pd.array([5_000, 5_000], dtype="Int64"),
            "currency": ["EUR", "EUR"],
            "reference": ["acompte", "acompte"],
            "applied_date": dates(None, None),
        }
    )
    unbilled = pd.DataFrame(
        {
            "client_id": ["C2"],
            "delivered_date": dates("2024-03-01"),
            "expected_issue_date": dates("2024-04-01"),
            "amount_cents": pd.array([30_000], dtype="Int64"),
            "currency": ["EUR"],
        }
    )
    actions = pd.DataFrame(
        {
            "invoice_id": ["F2"],
            "action_date": dates("2024-03-05"),
            "channel": ["call"],
            "outcome": ["promise_to_pay"],
            "promised_date": dates("2024-03-20"),
        }
    )
    return Ledger(clients, invoices, payments, advances, unbilled, actions)
