"""The contract tables made from the classified lines: invoices, advances, clients."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ledger.contract import (
    ADVANCES,
    CLIENTS,
    DEFAULT_CURRENCY,
    INVOICES,
    contract_frame,
)
from ledger.fec.roles import CREDIT_NOTE, _in_settlement_order, _objects, _pick
from ledger.fec.settling import _allocate
from ledger.validation import (
    ROWS_NAMED,
    rows_in_words,
)


def _documents(docs: pd.DataFrame, credited: pd.Series) -> pd.DataFrame:
    """Invoices and credit notes, one row per invoice number (its lines summed).

    Due dates are the issue dates here; :func:`with_terms` sets those of invoices.
    """
    docs = docs.assign(
        cents=docs["signed"].abs(),
        open=docs["settled_on"].isna(),
        credited_invoice_id=credited.reindex(docs.index),
    )
    out = (
        docs.groupby("invoice_id", sort=False)
        .agg(
            client_id=("client_id", "first"),
            role=("role", "first"),
            issue_date=("date", "min"),
            amount_cents=("cents", "sum"),
            paid_date=("settled_on", "max"),
            open=("open", "any"),
            written_off=("written_off", "any"),
            doubtful_date=("doubtful_on", "min"),
            reference=("piece_ref", "first"),
            credited_invoice_id=("credited_invoice_id", "first"),
            currency=("currency", "first"),
            currency_amount=("currency_amount", "first"),
            first_row=("row", "min"),
        )
        .sort_values(["issue_date", "first_row"], kind="stable")
    )
    is_invoice = out["role"] != CREDIT_NOTE
    written_off = out["written_off"] & is_invoice
    invoices = contract_frame(
        INVOICES,
        len(out),
        invoice_id=pd.Series(out.index),
        client_id=out["client_id"],
        issue_date=out["issue_date"],
        due_date=out["issue_date"],
        amount_cents=out["amount_cents"],
        doc_type=np.where(is_invoice, "invoice", "credit_note"),
        paid_date=out["paid_date"].where(~out["open"] & ~written_off),
        written_off=written_off.to_numpy(dtype=bool),
        doubtful_date=out["doubtful_date"].where(is_invoice),
        reference=_objects(out["reference"].where(out["reference"] != out.index)),
        credited_invoice_id=out["credited_invoice_id"].where(~is_invoice),
    )
    currency = out["currency"].astype(object)
    foreign = currency.notna() & (currency.astype(str).str.upper() != DEFAULT_CURRENCY)
    if foreign.any():
        # Amounts are the book's euros; the invoice's own currency travels as user columns.
        invoices["x_idevise"] = _objects(currency.where(foreign)).to_numpy()
        invoices["x_montantdevise"] = _objects(
            out["currency_amount"].astype(object).where(foreign)
        ).to_numpy()
    return invoices


def with_terms(
    invoices: pd.DataFrame, clients: pd.DataFrame | None, default_terms_days: int
) -> pd.DataFrame:
    """Invoices due their client's ``payment_terms_days`` after issue (else the default).

    Credit notes are due on their issue date: there is nothing to collect.
    """
    terms = pd.Series(dtype="int64")
    if clients is not None and "payment_terms_days" in clients:
        known = clients.dropna(subset=["payment_terms_days"])
        terms = pd.Series(
            known["payment_terms_days"].astype("int64").to_numpy(), index=known["client_id"]
        )
        terms = terms[~terms.index.duplicated(keep="last")]
    days = terms.reindex(invoices["client_id"]).fillna(default_terms_days).to_numpy(np.int64)
    days = np.where(invoices["doc_type"].to_numpy() == "invoice", days, 0)
    return invoices.assign(due_date=invoices["issue_date"] + pd.to_timedelta(days, unit="D"))


def _advance_clients(advances: pd.DataFrame, client_ids: pd.Index) -> pd.Series:
    """The client of each 4191 line: its auxiliary, else the 411 account of its suffix."""
    guessed = "411" + advances["account"].str.slice(4)
    return advances["aux"].where(advances["aux"].notna(), guessed.where(guessed.isin(client_ids)))


def _advances(
    lines: pd.DataFrame, client_ids: pd.Index, file: str
) -> tuple[pd.DataFrame, list[str]]:
    """Advances received (4191 credits), applied once 4191 debits cover them in full.

    A line without an auxiliary account belongs to the client of the 411 sub-account
    with the same suffix (4191DUPONT -> 411DUPONT); lines of no known client are set
    aside with a warning.
    """
    adv = lines[lines["is_advance"] & (lines["signed"].fillna(0) != 0)]
    client = _advance_clients(adv, client_ids)
    warnings = []
    if client.isna().any():
        rows = [int(r) for r in adv.index[client.isna()]]
        warnings.append(
            f"{file}: {len(rows)} line(s) on 4191 accounts name no client (no CompAuxNum, "
            "and no 411 account with the same suffix) and were not imported as advances "
            f"({rows_in_words(rows[:ROWS_NAMED], len(rows))})"
        )
    adv = adv.assign(client_id=client)[client.notna()]
    keys = [adv["account"], adv["client_id"], adv["let_code"].fillna("")]
    adv = _in_settlement_order(adv.assign(group=adv.groupby(keys, sort=False).ngroup()))
    received = adv[adv["signed"] < 0]
    applied = adv[adv["signed"] > 0]
    stretches = _allocate(
        received["group"].to_numpy(np.int64),
        (-received["signed"]).to_numpy(np.int64),
        applied["group"].to_numpy(np.int64),
        applied["signed"].to_numpy(np.int64),
    )
    stretches = stretches[stretches["owed"] >= 0]
    covering = stretches["paying"].to_numpy()
    dates = pd.Series(_pick(applied["date"].to_numpy(dtype=object), covering)).astype(
        "datetime64[ns]"
    )
    by_receipt = pd.DataFrame(
        {"owed": stretches["owed"].to_numpy(), "covered": covering >= 0, "date": dates}
    ).groupby("owed")
    positions = range(len(received))
    fully = by_receipt["covered"].all().reindex(positions, fill_value=False)
    applied_date = by_receipt["date"].max().reindex(positions).where(fully)
    advances = contract_frame(
        ADVANCES,
        len(received),
        client_id=received["client_id"],
        received_date=received["date"],
        amount_cents=-received["signed"],
        reference=received["label"].fillna(received["piece_ref"]),
        applied_date=applied_date,
    )
    order = np.lexsort((received["row"].to_numpy(), advances["received_date"].to_numpy()))
    return advances.iloc[order].reset_index(drop=True), warnings


def _clients(client_lines: pd.DataFrame, advance_lines: pd.DataFrame) -> pd.DataFrame:
    """One row per client account, named by its latest label (411 labels first)."""
    named = pd.concat([advance_lines, client_lines])
    last = named.groupby("client_id")["client_name"].last()
    names = last.reindex(pd.Index(named["client_id"].unique()).sort_values())
    return contract_frame(CLIENTS, len(names), client_id=pd.Series(names.index), name=names)
