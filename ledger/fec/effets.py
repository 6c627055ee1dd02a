"""Bills receivable (effets à recevoir: LCR, billets à ordre) read from the lines of a FEC.

How the books carry a bill (plan comptable général):

- **drawn or accepted**: the invoice moves from 411 to 413 (``D 413 / C 411``), or a
  sale is booked on 413 straight away. Each client's 413 debit in such an entry is one
  bill, drawn on the entry's date;
- **remitted to the bank**: ``D 5113 / C 413`` for collection (à l'encaissement), ``D
  5114 / C 413`` for discount (à l'escompte; also a 413 credit in an entry with an
  interest line 661, the simplified form ``D 512 + D 661 / C 413``). A 413 credit against
  the bank alone is a bill collected. The remittance is the 413 credit lettered with the
  bill, or, when nothing is lettered, the client's next 413 credit of the same amount;
- **due date** (échéance): the bill line's ``DateRglt`` when the file has that column,
  else the first date written in the bill's label or its remittance's label
  (``LCR ECH 15/03/2024``, ``15.03.24``), else the due date of the invoice it pays (see
  :func:`with_effet_due_dates`);
- **returned unpaid** (impayé): the bank debits the client account again (``D 411 / C
  512``) with the bill's amount after the remittance: the first such debit of the same
  client and amount is the bill's return.

The lines of a bill keep their place in the invoices and payments (the 413 credit
settles the invoice on the books' date); this table adds what the encours needs beside
them: which bills the bank discounted and when they fall due.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ledger.contract import EFFETS, contract_frame

BILL_ROLES = ("transfer", "invoice")  # a 413 debit that draws a bill
REMITTANCE_ROLE = "payment"  # a 413 credit that hands it to the bank
RETURN_ROLE = "other_debit"  # a client account debited in a bank entry
DATE_IN_LABEL = r"(?P<d>[0-3][0-9])[/.-](?P<m>[01][0-9])[/.-](?P<y>[0-9]{4}|[0-9]{2})\b"
BILLET_LABEL = r"(?i)\bBOR\b|\bBILLET"


def _in_entry(lines: pd.DataFrame, mask: pd.Series) -> pd.Series:
    """Per line: whether any line of its entry matches ``mask``."""
    return mask.groupby([lines["journal"], lines["entry_key"]], sort=False).transform("any")


def date_in_label(labels: pd.Series) -> pd.Series:
    """The first ``dd/mm/yyyy`` (or ``dd.mm.yy``, ``dd-mm-yy``) date of each label, or NaT."""
    parts = labels.fillna("").astype(str).str.extract(DATE_IN_LABEL)
    year = parts["y"].where(parts["y"].str.len() != 2, "20" + parts["y"])
    text = year + "-" + parts["m"] + "-" + parts["d"]
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def _bills(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per client and entry debiting 413 to draw a bill, with its first line."""
    on_413 = lines["account"].fillna("").str.startswith("413")
    debits = lines[on_413 & (lines["signed"] > 0) & lines["role"].isin(BILL_ROLES)]
    keys = ["journal", "entry_key", "client_id"]
    return (
        debits.assign(cents=debits["signed"])
        .groupby(keys, sort=False)
        .agg(
            entry=("entry", "first"),
            drawn=("entry_date", "min"),
            cents=("cents", "sum"),
            group=("group", "max"),
            role=("role", "first"),
            invoice_id=("invoice_id", "first"),
            label=("label", "first"),
            settle_date=("settle_date", "min"),
            row=("row", "min"),
        )
        .reset_index()
        .sort_values(["drawn", "row"], kind="stable", ignore_index=True)
    )


def _remittances(lines: pd.DataFrame) -> pd.DataFrame:
    """The 413 credits handing bills to the bank: date, kind and label."""
    account = lines["account"].fillna("")
    discount = _in_entry(lines, account.str.match(r"5114|661"))
    on_413 = account.str.startswith("413")
    credits = lines[on_413 & (lines["signed"] < 0) & (lines["role"] == REMITTANCE_ROLE)]
    return pd.DataFrame(
        {
            "client_id": credits["client_id"],
            "group": credits["group"],
            "date": credits["entry_date"],
            "cents": -credits["signed"],
            "remittance": np.where(discount[credits.index], "discount", "collection"),
            "label": credits["label"],
        }
    ).sort_values("date", kind="stable")


def _ranked(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame`` with ``rank``: the order of each row among those of the same ``keys``."""
    return frame.assign(rank=frame.groupby(keys, sort=False).cumcount())


def _remitted(bills: pd.DataFrame, remittances: pd.DataFrame) -> pd.DataFrame:
    """Per bill: the date, kind and label of its remittance (missing while held).

    A lettered bill takes its group's latest remittance; any other the client's
    unlettered remittance of the same amount and rank (first drawn, first remitted).
    """
    out = pd.DataFrame(index=bills.index, columns=["date", "remittance", "label"])
    lettered = remittances[remittances["group"] >= 0].drop_duplicates("group", keep="last")
    by_group = lettered.set_index("group")
    grouped = bills["group"] >= 0
    found = bills.loc[grouped, "group"]
    for column in out.columns:
        out.loc[grouped, column] = by_group[column].reindex(found).to_numpy()
    keys = ["client_id", "cents"]
    loose_bills = _ranked(bills[out["date"].isna()].reset_index(), keys)
    loose = _ranked(remittances[remittances["group"] < 0], keys)
    pairs = loose_bills.merge(loose, on=[*keys, "rank"], suffixes=("", "_paid"))
    pairs = pairs[pairs["date"] >= pairs["drawn"]].set_index("index")
    out.loc[pairs.index, "date"] = pairs["date"]
    out.loc[pairs.index, "remittance"] = pairs["remittance"]
    out.loc[pairs.index, "label"] = pairs["label_paid"]
    out["date"] = pd.to_datetime(out["date"])
    return out


def _returned(bills: pd.DataFrame, lines: pd.DataFrame) -> pd.Series:
    """Per remitted bill: the date the bank debited it back to the client, else NaT."""
    debits = lines[(lines["role"] == RETURN_ROLE) & (lines["signed"] > 0)]
    debits = debits.assign(cents=debits["signed"], date=debits["entry_date"])
    keys = ["client_id", "cents"]
    remitted = _ranked(bills[bills["remitted_date"].notna()].reset_index(), keys)
    returns = _ranked(debits.sort_values("date", kind="stable"), keys)
    pairs = remitted.merge(returns[[*keys, "rank", "date"]], on=[*keys, "rank"])
    pairs = pairs[pairs["date"] >= pairs["remitted_date"]].set_index("index")
    return pairs["date"].reindex(bills.index)


def _invoice_of_group(lines: pd.DataFrame) -> pd.Series:
    """The first invoice of each lettrage group (the one a bill drawn in it pays)."""
    owed = lines[(lines["role"] == "invoice") & (lines["group"] >= 0)]
    return owed.groupby("group")["invoice_id"].first()


def effets_of(lines: pd.DataFrame) -> pd.DataFrame:
    """The effets table held in the classified lines of a FEC (see the module docstring).

    ``lines`` are those :mod:`ledger.fec` classifies, with their lettrage ``group``,
    ``invoice_id`` and ``settle_date`` (``DateRglt``). Due dates the file does not give
    are missing here: :func:`with_effet_due_dates` sets them.
    """
    bills = _bills(lines)
    remitted = _remitted(bills, _remittances(lines))
    bills = bills.assign(
        remitted_date=remitted["date"],
        remittance=remitted["remittance"],
        due=bills["settle_date"]
        .fillna(date_in_label(bills["label"]))
        .fillna(date_in_label(remitted["label"])),
    )
    bills["due"] = bills["due"].where(bills["due"] >= bills["drawn"])
    of_group = _invoice_of_group(lines).reindex(bills["group"]).to_numpy(dtype=object)
    invoice_id = bills["invoice_id"].where(bills["role"] == "invoice", pd.Series(of_group))
    ids = _effet_ids(bills)
    billet = bills["label"].fillna("").str.contains(BILLET_LABEL)
    return contract_frame(
        EFFETS,
        len(bills),
        effet_id=ids,
        client_id=bills["client_id"],
        invoice_id=invoice_id,
        kind=np.where(billet, "billet", "lcr"),
        drawn_date=bills["drawn"],
        due_date=bills["due"],
        amount_cents=bills["cents"],
        remitted_date=bills["remitted_date"],
        remittance=bills["remittance"],
        unpaid_date=_returned(bills, lines),
    )


def _effet_ids(bills: pd.DataFrame) -> pd.Series:
    """``<JournalCode>-<EcritureNum>-<drawn date>-<client>`` for each bill."""
    day = bills["drawn"].dt.strftime("%Y%m%d")
    return bills["journal"] + "-" + bills["entry"] + "-" + day + "-" + bills["client_id"]


def effet_ids_by_row(lines: pd.DataFrame) -> pd.Series:
    """The id of each bill :func:`effets_of` finds, indexed by the row of its first line."""
    bills = _bills(lines)
    return _effet_ids(bills).set_axis(pd.Index(bills["row"]))


def with_effet_due_dates(
    effets: pd.DataFrame, invoices: pd.DataFrame, default_terms_days: int
) -> pd.DataFrame:
    """Bills without a due date take their invoice's (else drawn + default terms).

    A due date never falls before the bill was drawn.
    """
    due_of_invoice = invoices.set_index("invoice_id")["due_date"]
    due_of_invoice = due_of_invoice[~due_of_invoice.index.duplicated()]
    fallback = due_of_invoice.reindex(effets["invoice_id"]).to_numpy(dtype="datetime64[ns]")
    drawn = effets["drawn_date"]
    due = effets["due_date"].fillna(pd.Series(fallback, index=effets.index))
    due = due.fillna(drawn + pd.Timedelta(days=default_terms_days))
    return effets.assign(due_date=due.where(due >= drawn, drawn))
