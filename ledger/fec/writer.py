"""Writing the ledger as a FEC that :func:`ledger.fec.import_fec` reads back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ledger.contract import (
    DEFAULT_CURRENCY,
    Ledger,
)
from ledger.errors import LedgerError
from ledger.fec.lines import FEC_COLUMNS

# What write_fec writes: (account, label).
CLIENTS_ACCOUNT = ("411000", "Clients")
ADVANCES_ACCOUNT = ("419100", "Clients - avances et acomptes reçus")
SALES_ACCOUNT = ("706000", "Prestations de services")
VAT_ACCOUNT = ("445710", "TVA collectée")
BANK_ACCOUNT = ("512000", "Banque")
LOSSES_ACCOUNT = ("654000", "Pertes sur créances irrécouvrables")
JOURNALS = {"VT": "Ventes", "BQ": "Banque", "OD": "Opérations diverses"}
VAT_RATE_PERCENT = 20  # French clients; others are invoiced without VAT (intra-EU, export)


@dataclass(frozen=True)
class FecWritten:
    """What ``write_fec`` wrote."""

    path: Path
    lines: int
    entries: int


def _letters(numbers: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """0 -> ``A``, 25 -> ``Z``, 26 -> ``AA``...: lettrage codes as accounting packages write."""
    n = np.asarray(numbers, dtype=np.int64) + 1
    out = np.full(len(n), "", dtype=object)
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype=object)
    while (n > 0).any():
        live = n > 0
        out[live] = alphabet[(n[live] - 1) % 26] + out[live]
        n = np.where(live, (n - 1) // 26, 0)
    return out


def _vat_split(cents: pd.Series, taxed: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Amounts TTC split into HT and VAT (20 % where ``taxed``), summing exactly."""
    rate = VAT_RATE_PERCENT
    ht = ((cents * 200 + 100 + rate) // (200 + 2 * rate)).where(taxed, cents)
    return ht, cents - ht


@dataclass(frozen=True)
class _Entries:
    """Entries of one kind to write, one row each.

    ``frame`` has ``date``, ``piece_ref``, ``label``, ``client_id``, ``client_name``,
    ``taxed`` and, when lettered, ``let_code`` and ``let_date``; a default index.
    """

    frame: pd.DataFrame
    journal: str
    kind: int  # orders the kinds of entries of one day


def _line(
    entries: _Entries,
    position: int,
    account: tuple[str, str],
    cents: pd.Series,
    debit: bool,
    *,
    client: bool = False,
) -> pd.DataFrame:
    """Line ``position`` of each entry: ``cents`` on ``account``, on the client if ``client``.

    Lines on a client account carry the entry's lettrage.
    """
    e = entries.frame
    zero = pd.Series(0, index=e.index, dtype="int64")
    cents = cents.astype("int64")
    none = pd.Series(None, index=e.index, dtype=object)
    return pd.DataFrame(
        {
            "date": e["date"],
            "journal": entries.journal,
            "kind": entries.kind,
            "seq": e.index,
            "position": position,
            "account": account[0],
            "account_lib": account[1],
            "aux": e["client_id"] if client else none,
            "aux_lib": e["client_name"] if client else none,
            "piece_ref": e["piece_ref"],
            "label": e["label"],
            "debit": cents if debit else zero,
            "credit": zero if debit else cents,
            "let_code": e["let_code"] if client else none,
            "let_date": e["let_date"] if client else pd.Series(pd.NaT, index=e.index),
        }
    )


def _sale(entries: _Entries, client_account: tuple[str, str], reverse: bool) -> list[pd.DataFrame]:
    """A sale of ``cents`` TTC to the client's account (or its reversal, a credit note)."""
    cents = entries.frame["cents"]
    ht, vat = _vat_split(cents, entries.frame["taxed"])
    lines = [
        _line(entries, 0, client_account, cents, not reverse, client=True),
        _line(entries, 1, SALES_ACCOUNT, ht, reverse),
    ]
    taxed = vat > 0
    if taxed.any():
        subset = _Entries(entries.frame[taxed], entries.journal, entries.kind)
        lines.append(_line(subset, 2, VAT_ACCOUNT, vat[taxed], reverse))
    return lines


def _transfer(
    entries: _Entries, client_account: tuple[str, str], other: tuple[str, str], client_debit: bool
) -> list[pd.DataFrame]:
    """``cents`` between the client's account and ``other`` (the bank, a loss)."""
    cents = entries.frame["cents"]
    return [
        _line(entries, 0, client_account, cents, client_debit, client=True),
        _line(entries, 1, other, cents, not client_debit),
    ]


def _text(values: pd.Series, *, clean: bool = True) -> pa.Array:
    """Text fit for a FEC field: no tab, pipe or line break; empty where missing.

    ``clean=False`` for text written here, which holds none of them.
    """
    text = pc.fill_null(pa.array(values, type=pa.string(), from_pandas=True), "")
    if not clean:
        return text
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"[\t|\r\n]+", " "))


def _fec_date(values: pd.Series) -> pa.Array:
    """Dates as ``YYYYMMDD``, empty where missing (arithmetic: strftime is slow)."""
    days = pa.array(values.astype("datetime64[s]"), from_pandas=True)
    number = pc.add(pc.multiply(pc.year(days), 10_000), pc.multiply(pc.month(days), 100))
    return pc.fill_null(pc.cast(pc.add(number, pc.day(days)), pa.string()), "")


def _fec_amount(cents: pd.Series) -> pa.Array:
    """Cents (zero or more) as ``1234,56``."""
    values = pa.array(cents.astype("int64"))
    whole = pc.cast(pc.divide(values, 100), pa.string())
    fraction = pc.utf8_lpad(
        pc.cast(pc.subtract(values, pc.multiply(pc.divide(values, 100), 100)), pa.string()), 2, "0"
    )
    return pc.binary_join_element_wise(whole, fraction, ",")


def _check_euros(ledger: Ledger) -> None:
    """Refuse amounts in another currency: the FEC is kept in euros."""
    tables = (ledger.invoices, ledger.payments, ledger.advances)
    foreign = sum(
        int((t["currency"].fillna(DEFAULT_CURRENCY) != DEFAULT_CURRENCY).sum()) for t in tables
    )
    if foreign:
        raise LedgerError(
            f"{foreign} invoice(s), payment(s) or advance(s) are not in {DEFAULT_CURRENCY}: "
            "a FEC is kept in euros, and the ledger has no exchange rates to convert them"
        )


class _Writing:
    """What the entries of one ledger share: its parties, lettrage codes and dates."""

    def __init__(self, ledger: Ledger) -> None:
        clients = ledger.clients.set_index("client_id")
        self.names = clients["name"]
        self.french = clients["country"].fillna("FR").eq("FR")
        self.invoices = self.parties(ledger.invoices[ledger.invoices["doc_type"] == "invoice"])
        self.notes = self.parties(ledger.invoices[ledger.invoices["doc_type"] == "credit_note"])
        self.pay = self.parties(ledger.payments)
        self.adv = self.parties(ledger.advances)
        days = [self.invoices["issue_date"], self.notes["issue_date"], self.pay["payment_date"]]
        days += [self.adv["received_date"], self.adv["applied_date"]]
        self.last_day = max(
            (d.max() for d in days if d.notna().any()), default=pd.Timestamp.today()
        )
        self._settlements()

    def parties(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its client's name and whether its sales are taxed (French)."""
        client = frame["client_id"]
        return frame.reset_index(drop=True).assign(
            client_name=self.names.reindex(client).fillna(client).to_numpy(dtype=object),
            taxed=self.french.reindex(client).fillna(True).to_numpy(dtype=bool),
        )

    def _settlements(self) -> None:
        """What remains of each invoice once its payments and credit notes are set against
        it, and the lettrage code and date of each invoice something settles."""
        by_id = self.invoices.set_index("invoice_id")
        amount = by_id["amount_cents"].astype("int64")
        paid = self.pay.groupby("invoice_id")["amount_cents"].sum().astype("int64")
        notes = self.notes.groupby("credited_invoice_id")
        credited = notes["amount_cents"].sum().astype("int64")
        remaining = amount - paid.reindex(amount.index, fill_value=0)
        remaining -= credited.reindex(amount.index, fill_value=0)
        settled = by_id["paid_date"].notna() & ~by_id["written_off"]
        lost = by_id["written_off"] & (remaining > 0)
        lost_on = by_id["paid_date"].fillna(pd.Timestamp(self.last_day))
        lost_on = lost_on.clip(lower=by_id["issue_date"])
        with_payment = self.pay.groupby("invoice_id").size().reindex(amount.index).notna()
        with_note = notes.size().reindex(amount.index).notna()
        settles = with_payment | with_note | (settled & (remaining != 0)) | lost
        lettered = by_id[settles].sort_values("issue_date", kind="stable")
        cumcount = lettered.groupby("client_id").cumcount()
        self.code = pd.Series(_letters(cumcount), index=lettered.index, dtype=object)
        let_date = by_id["paid_date"].where(settled, lost_on.where(lost))
        self.let_date = let_date.reindex(self.code.index)
        self.by_id, self.remaining = by_id, remaining
        self.settled, self.lost, self.lost_on = settled, lost, lost_on

    def entries(
        self, frame: pd.DataFrame, journal: str, kind: int, invoice: str | None, **columns: Any
    ) -> _Entries:
        """The entries of ``frame``, lettered with the invoice named in column ``invoice``."""
        if invoice is not None:
            target = frame[invoice]
            columns["let_code"] = self.code.reindex(target).to_numpy(dtype=object)
            columns["let_date"] = self.let_date.reindex(target).to_numpy(dtype="datetime64[ns]")
        return _Entries(frame.assign(**columns), journal, kind)


def _words(prefix: str, frame: pd.DataFrame, column: str) -> pd.Series:
    """Labels such as ``Facture F0001 Dupont``."""
    return prefix + " " + frame[column].astype(str) + " " + _text(frame["client_name"])


def _document_lines(w: _Writing) -> list[pd.DataFrame]:
    """Invoices, credit notes and payments as FEC lines."""
    invoices, notes, pay = w.invoices, w.notes, w.pay
    sales = w.entries(
        invoices,
        "VT",
        0,
        "invoice_id",
        date=invoices["issue_date"],
        piece_ref=invoices["invoice_id"],
        label=_words("Facture", invoices, "invoice_id"),
        cents=invoices["amount_cents"],
    )
    credit_notes = w.entries(
        notes,
        "VT",
        1,
        "credited_invoice_id",
        date=notes["issue_date"],
        piece_ref=notes["invoice_id"],
        label=_words("Avoir", notes, "invoice_id"),
        cents=notes["amount_cents"],
    )
    receipts = w.entries(
        pay,
        "BQ",
        2,
        "invoice_id",
        date=pay["payment_date"],
        piece_ref=pay["payment_id"],
        label=pay["reference"].fillna("Règlement " + pay["client_name"].astype(str)),
        cents=pay["amount_cents"],
    )
    return [
        *_sale(sales, CLIENTS_ACCOUNT, reverse=False),
        *_sale(credit_notes, CLIENTS_ACCOUNT, reverse=True),
        *_transfer(receipts, CLIENTS_ACCOUNT, BANK_ACCOUNT, client_debit=False),
    ]


def _settlement_lines(w: _Writing) -> list[pd.DataFrame]:
    """Settlements the payments do not show: the rest paid, an excess refunded, a loss."""
    settled, remaining, by_id = w.settled, w.remaining, w.by_id
    extra = (
        (settled & (remaining > 0), remaining, by_id["paid_date"], "BQ", "Règlement facture"),
        (settled & (remaining < 0), -remaining, by_id["paid_date"], "BQ", "Trop-perçu facture"),
        (w.lost, remaining, w.lost_on, "OD", "Créance irrécouvrable facture"),
    )
    lines: list[pd.DataFrame] = []
    for kind, (which, cents, day, journal, word) in enumerate(extra, start=3):
        # Filtered after assign: assigning a Series to an empty frame would take its index.
        frame = w.parties(by_id.assign(cents=cents, day=day)[which].reset_index())
        batch = w.entries(
            frame,
            journal,
            kind,
            "invoice_id",
            date=frame["day"],
            piece_ref="REG-" + frame["invoice_id"].astype(str),
            label=_words(word, frame, "invoice_id"),
        )
        other = LOSSES_ACCOUNT if journal == "OD" else BANK_ACCOUNT
        lines += _transfer(batch, CLIENTS_ACCOUNT, other, client_debit=kind == 4)
    return lines


def _advance_lines(w: _Writing) -> list[pd.DataFrame]:
    """Advances: received in the bank, turned into sales when set against an invoice."""
    adv = w.adv
    applied = adv["applied_date"].notna()
    adv_code = np.full(len(adv), None, dtype=object)
    adv_code[applied.to_numpy()] = _letters(adv[applied].groupby("client_id").cumcount().to_numpy())
    reference = adv["reference"].fillna("Acompte")
    advances = w.entries(
        adv,
        "BQ",
        6,
        None,
        date=adv["received_date"],
        piece_ref=reference,
        label=adv["reference"].fillna("Acompte reçu " + adv["client_name"].astype(str)),
        cents=adv["amount_cents"],
        let_code=adv_code,
        let_date=adv["applied_date"],
    )
    used = advances.frame[applied]
    imputed = _Entries(
        used.assign(date=used["applied_date"], label="Acompte imputé " + used["piece_ref"]),
        "VT",
        7,
    )
    return [
        *_transfer(advances, ADVANCES_ACCOUNT, BANK_ACCOUNT, client_debit=False),
        *_sale(imputed, ADVANCES_ACCOUNT, reverse=False),
    ]


def write_fec(ledger: Ledger, path: Path, encoding: str = "iso-8859-15") -> FecWritten:
    """Write ``ledger`` as a FEC: the 18 columns, tab-separated, every entry balanced.

    Journals: ``VT`` (invoices, credit notes, advances turned into sales), ``BQ``
    (payments, advances received), ``OD`` (write-offs). An invoice debits the client's
    auxiliary account on 411000 and credits 706000 and 445710 (20 % VAT for French
    clients); a payment credits 411000 against 512000; advances go through 419100. Each
    invoice that something settles gets a lettrage code shared by its payments, credit
    notes and write-off, with its settlement date as ``DateLet``, so that
    :func:`read_fec` gives back the same invoices, amounts, clients and settlement
    dates. An invoice settled beyond what its payments show gets a payment of the rest
    on its settlement date (or a refund of an excess); a written-off invoice is written
    off (654000) on the last date of the ledger. Unbilled deliveries, dunning actions,
    disputes and the clients' details are not in a FEC.

    Raises:
        LedgerError: some amounts are not in euros.
    """
    _check_euros(ledger)
    writing = _Writing(ledger)
    lines = _document_lines(writing) + _settlement_lines(writing) + _advance_lines(writing)
    return _write_lines(pd.concat(lines, ignore_index=True), path, encoding)


def _write_lines(lines: pd.DataFrame, path: Path, encoding: str) -> FecWritten:
    """Number the entries journal by journal in date order, and write the file."""
    lines = lines.sort_values(
        ["date", "journal", "kind", "seq", "position"], kind="stable", ignore_index=True
    )
    starts = lines["position"] == 0
    number = starts.astype("int64").groupby(lines["journal"]).cumsum()
    entry_date = _fec_date(lines["date"])
    empty = pa.array(np.full(len(lines), ""), type=pa.string())
    fields = [
        _text(lines["journal"], clean=False),
        _text(lines["journal"].map(JOURNALS), clean=False),
        pc.utf8_lpad(pc.cast(pa.array(number.to_numpy()), pa.string()), 6, "0"),
        entry_date,
        _text(lines["account"], clean=False),
        _text(lines["account_lib"], clean=False),
        _text(lines["aux"]),
        _text(lines["aux_lib"]),
        _text(lines["piece_ref"]),
        entry_date,
        _text(lines["label"]),
        _fec_amount(lines["debit"]),
        _fec_amount(lines["credit"]),
        _text(lines["let_code"]),
        _fec_date(lines["let_date"]),
        entry_date,
        empty,
        empty,
    ]
    text = pc.binary_join_element_wise(*fields, "\t").to_pylist()
    with path.open("w", encoding=encoding, errors="replace", newline="\n") as handle:
        handle.write("\t".join(FEC_COLUMNS) + "\n")
        for start in range(0, len(text), 100_000):
            handle.write("\n".join(text[start : start + 100_000]) + "\n")
    return FecWritten(path=path, lines=len(lines), entries=int(starts.sum()))
