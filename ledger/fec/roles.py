"""The role of each line on a client account, and the ids of the documents it makes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ledger.fec.ids import built_id_failures
from ledger.fec.lines import CLIENT_ACCOUNTS, OPENING_CODE, OPENING_LABEL, IntArray
from ledger.validation import (
    MAX_PROBLEMS_PER_RULE,
    ROWS_NAMED,
    Failure,
    failures_where,
    rows_in_words,
)

# Roles of the lines on client accounts.
INVOICE, CREDIT_NOTE, PAYMENT, WRITE_OFF, OTHER_DEBIT, TRANSFER = (
    "invoice",
    "credit_note",
    "payment",
    "write_off",
    "other_debit",
    "transfer",  # between a client's 411 and its 416 (douteux) or 413 (effets)
)
OWED_ROLES = (INVOICE, OTHER_DEBIT)
DOCUMENT_ROLES = (INVOICE, OTHER_DEBIT, CREDIT_NOTE)  # each becomes a row of invoices
SETTLING_ROLES = (PAYMENT, CREDIT_NOTE, WRITE_OFF)
CREDITED_ROLES = (PAYMENT, WRITE_OFF)  # each becomes payment rows: the account is credited


def _objects(values: pd.Series) -> pd.Series:
    """Text as plain ``object`` values with ``None`` where missing, as the importer gives."""
    return values.astype(object).where(values.notna(), None)


def _pick(values: npt.NDArray[np.object_], at: IntArray) -> npt.NDArray[np.object_]:
    """``values[at]``, ``None`` where ``at`` is -1."""
    out = np.full(len(at), None, dtype=object)
    found = at >= 0
    out[found] = values[at[found]]
    return out


def _entry_keys(lines: pd.DataFrame) -> pd.Series:
    """The key of each line's entry within its journal, stable from one export to the next.

    ``EcritureNum`` and ``EcritureDate`` where ``EcritureNum`` numbers the entries (the
    date too, since packages restart the numbers each year); ``PieceRef`` and
    ``PieceDate`` in a journal whose lines all carry one ``EcritureNum`` (``0`` on every
    line) although they hold several pieces.
    """
    day = lines["entry_date"].dt.strftime("%Y%m%d").fillna("")
    numbered = lines["entry"].fillna("") + "-" + day
    piece_day = lines["piece_date"].dt.strftime("%Y%m%d").fillna("")
    by_piece = lines["piece_ref"].fillna("") + "-" + piece_day
    journal = lines["journal"].fillna("")
    numbers = lines["entry"].groupby(journal).transform("nunique")
    pieces = by_piece.groupby(journal).transform("nunique")
    constant = (numbers <= 1) & (pieces > 1)
    return by_piece.where(constant, numbered)


def _classify(lines: pd.DataFrame) -> pd.DataFrame:
    """The lines with their entry's nature and, on client accounts, their role."""
    account = lines["account"].fillna("")
    lines = lines.assign(entry_key=_entry_keys(lines))
    entry = lines.groupby(["journal", "entry_key"], sort=False).ngroup().to_numpy()
    flags = pd.DataFrame(
        {
            "bank": account.str.match(r"5[134]"),
            "sales": account.str.match(r"70|4457"),
            "loss": account.str.startswith("654"),
            "on_411": account.str.startswith("411"),
            "on_413_416": account.str.match(r"41[36]"),
        }
    )
    per_entry = flags.groupby(entry).transform("any")
    code = lines["journal"].fillna("").str.upper().str.fullmatch(OPENING_CODE)
    opening = code | lines["journal_lib"].fillna("").str.lower().str.fullmatch(OPENING_LABEL)
    bank, sales, loss = per_entry["bank"], per_entry["sales"], per_entry["loss"]
    moves = per_entry["on_411"] & per_entry["on_413_416"] & ~(bank | sales | loss)
    client = account.str.match(CLIENT_ACCOUNTS)
    signed = lines["signed"].fillna(0)
    debit, credit = client & (signed > 0), client & (signed < 0)
    role = np.select(
        [
            (debit | credit) & moves & ~opening,
            debit & opening,
            debit & bank & ~sales,
            debit,
            credit & opening,
            credit & loss,
            credit & sales & ~bank,
            credit,
        ],
        [TRANSFER, INVOICE, OTHER_DEBIT, INVOICE, PAYMENT, WRITE_OFF, CREDIT_NOTE, PAYMENT],
        default="",
    )
    has_aux = lines["aux"].notna()
    # Documents are dated by their piece, and so is whatever an opening entry carries over.
    documents = opening | pd.Series(np.isin(role, DOCUMENT_ROLES), index=lines.index)
    client_id = lines["aux"].where(has_aux, lines["account"])
    client_id = client_id.where(has_aux | ~account.str.match(r"41[36]"), _entry_client(lines))
    return lines.assign(
        role=role,
        opening=opening,
        client_id=client_id.where(client_id.notna(), lines["account"]),
        client_name=lines["aux_lib"].where(has_aux, lines["account_lib"]),
        date=lines["piece_date"].where(documents, lines["entry_date"]),
        is_advance=account.str.startswith("4191"),
        row=lines.index,
    )


def _entry_client(lines: pd.DataFrame) -> pd.Series:
    """The one client of each line's entry on 411, missing when it has none or several.

    A transfer to 416 (clients douteux) or 413 (effets à recevoir) often names no
    auxiliary account: it belongs to the client whose 411 line it balances.
    """
    on_411 = lines["account"].fillna("").str.startswith("411")
    client = lines["aux"].where(lines["aux"].notna(), lines["account"]).where(on_411)
    keys = [lines["journal"], lines["entry_key"]]
    count = client.groupby(keys, sort=False).transform("nunique")
    first = client.groupby(keys, sort=False).transform("first")
    return first.where(count == 1)


def _in_settlement_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Lines by group, then in date order, then as they come in the file."""
    return frame.sort_values(["group", "date", "row"], kind="stable")


def _document_ids(docs: pd.DataFrame) -> tuple[pd.Series, list[Failure]]:
    """The id of each invoice or credit-note line, and the rows in conflict.

    In a journal where ``PieceRef`` numbers the invoices (each number belongs to one
    client and one kind of document), the id is the ``PieceRef``, and the lines of one
    number are one invoice. Where it numbers batches instead (one sales piece per month
    holding every client's invoices, ``VE 0123``; or no number at all), an invoice is one
    client's lines within one entry: ``<JournalCode>-<entry key>-<client>`` (see
    :func:`_entry_keys`), ``/AV`` added for a credit note. Bank debits (refunds, rejected
    payments) are keyed by their entry the same way. Opening entries sometimes carry one
    piece for several clients (a ``PieceRef`` such as ``AN``): those lines get
    ``<PieceRef>-<client>``.
    """
    ref = docs["piece_ref"]
    by_entry = _entry_document_ids(docs)
    opening = docs["opening"]
    clients_of_ref = docs.groupby("piece_ref")["client_id"].transform("nunique")
    shared = opening & (clients_of_ref.fillna(0) > 1)
    carried = ref.where(~shared, ref + "-" + docs["client_id"]).where(ref.notna(), by_entry)
    numbered = _journals_numbering_invoices(docs)
    uses_ref = ~opening & docs["journal"].isin(numbered) & (docs["role"] != OTHER_DEBIT)
    ids = by_entry.where(~uses_ref, ref).where(~opening, carried)
    failures = _id_conflicts(docs, ids) + built_id_failures(ids, docs, "PieceRef")
    return ids, failures


def _entry_document_ids(docs: pd.DataFrame) -> pd.Series:
    """``<JournalCode>-<entry key>-<client>`` (``/AV`` for credit notes) for each line."""
    base = docs["journal"] + "-" + docs["entry_key"] + "-" + docs["client_id"]
    return base.where(docs["role"] != CREDIT_NOTE, base + "/AV")


def _journals_numbering_invoices(docs: pd.DataFrame) -> pd.Index:
    """Journals whose ``PieceRef`` numbers invoices, not batches of them.

    A journal numbers invoices when every document line of it has a ``PieceRef`` and no
    such number is used, anywhere outside the opening entries, for several clients or for
    both an invoice and a credit note.
    """
    current = docs[~docs["opening"] & (docs["role"] != OTHER_DEBIT)]
    ref = current["piece_ref"]
    clients = current.groupby("piece_ref")["client_id"].transform("nunique")
    kinds = current.groupby("piece_ref")["role"].transform("nunique")
    batch = ref.isna() | (clients > 1) | (kinds > 1)
    journals = current["journal"]
    return pd.Index(journals.unique()).difference(pd.Index(journals[batch].unique()))


def _id_conflicts(docs: pd.DataFrame, ids: pd.Series) -> list[Failure]:
    """Rows whose id names documents of several clients, or an invoice and a credit note."""
    clients = docs["client_id"].groupby(ids).transform("nunique")
    kinds = docs["role"].replace(OTHER_DEBIT, INVOICE).groupby(ids).transform("nunique")
    many_clients, both_kinds = clients > 1, kinds > 1
    conflict = many_clients | both_kinds
    shown = ids[conflict].drop_duplicates().iloc[:MAX_PROBLEMS_PER_RULE]
    among = ids[conflict & ids.isin(shown)]
    rows_of = {str(k): [int(r) for r in v] for k, v in among.groupby(among).groups.items()}

    def where(row: int) -> str:
        rows = rows_of.get(str(ids.at[row]), [row])
        return rows_in_words(rows[:ROWS_NAMED], len(rows))

    return [
        *failures_where(
            "PieceRef",
            many_clients,
            "the invoice number is used for several clients",
            lambda r: (
                f"invoice number {ids.at[r]} is used for several clients ({where(r)}): "
                "each invoice belongs to one client"
            ),
        ),
        *failures_where(
            "PieceRef",
            both_kinds & ~many_clients,
            "the number is both an invoice and a credit note",
            lambda r: (
                f"{ids.at[r]} is both an invoice and a credit note ({where(r)}): "
                "give the credit note its own number"
            ),
        ),
    ]
