"""Adapter for IBM's public "Accounts Receivable" sample (``../shared/data/ibm_ar``).

Brings the file to the data contract so that the very same features and models run
on it: one client per ``customerID``, one invoice per ``invoiceNumber``. Columns the
contract lacks become the user's own columns: ``x_paperless`` (1 when the invoice went
out electronically) on invoices, ``x_country_code`` (IBM's numeric code, not ISO) on
clients. ``DaysToSettle`` and ``DaysLate`` are outcomes, derived from the dates, and
are not kept: a feature must not see them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ledger.contract import CLIENTS, INVOICES, Ledger, empty_frame

IBM_FILE = "WA_Fn-UseC_-Accounts-Receivable.csv"
IBM_COLUMNS = (
    "countryCode",
    "customerID",
    "invoiceNumber",
    "InvoiceDate",
    "DueDate",
    "InvoiceAmount",
    "Disputed",
    "SettledDate",
    "PaperlessBill",
)


def ibm_file(path: Path) -> Path:
    """The IBM CSV itself, given the file or the folder holding it."""
    return path / IBM_FILE if path.is_dir() else path


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%m/%d/%Y").astype("datetime64[ns]")


def read_ibm_ar(path: Path) -> Ledger:
    """The IBM receivables sample as an in-memory ledger of the data contract."""
    raw = pd.read_csv(ibm_file(path), dtype={"invoiceNumber": str, "customerID": str})
    missing = [c for c in IBM_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"{path} is not IBM's receivables sample: no column {', '.join(missing)}")
    first = raw.groupby("customerID", sort=True).first()
    clients = empty_frame(CLIENTS).reindex(range(len(first)))
    clients["client_id"] = first.index.to_numpy()
    clients["name"] = first.index.to_numpy()
    clients["is_public_sector"] = False
    clients["x_country_code"] = first["countryCode"].astype(str).to_numpy()
    invoices = empty_frame(INVOICES).reindex(range(len(raw)))
    invoices["invoice_id"] = raw["invoiceNumber"].to_numpy()
    invoices["client_id"] = raw["customerID"].to_numpy()
    invoices["issue_date"] = _dates(raw["InvoiceDate"]).to_numpy()
    invoices["due_date"] = _dates(raw["DueDate"]).to_numpy()
    invoices["paid_date"] = _dates(raw["SettledDate"]).to_numpy()
    invoices["amount_cents"] = (raw["InvoiceAmount"] * 100).round().astype("Int64").to_numpy()
    invoices["currency"] = "USD"
    invoices["doc_type"] = "invoice"
    invoices["disputed"] = (raw["Disputed"] == "Yes").to_numpy()
    invoices["written_off"] = False
    invoices["x_paperless"] = (raw["PaperlessBill"] == "Electronic").astype(float).to_numpy()
    return Ledger(clients=clients, invoices=invoices)
