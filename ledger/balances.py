"""What is open on a day: open amounts by document, encours client and its parts, balance
âgée. The figures :mod:`ledger.kpis` (DSO, ratios) and lettrage start from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from ledger.contract import DEFAULT_CURRENCY, Ledger
from ledger.days import day_number, day_numbers
from ledger.money import cents_to_decimal

BUCKETS = ("not_due", "d1_30", "d31_60", "d61_90", "over_90")
_BUCKET_EDGES = np.array([0, 30, 60, 90])  # upper bounds (inclusive) of the first buckets
_BUCKET_DTYPE = pd.CategoricalDtype(list(BUCKETS), ordered=True)
_NEVER = np.iinfo(np.int64).max // 2  # a day after every date: "not happened"
_ALWAYS = np.iinfo(np.int64).min // 2  # a day before every date


@dataclass(frozen=True)
class AgedBalance:
    """Open amounts (balance âgée) by days past due, in one currency."""

    not_due: Decimal
    d1_30: Decimal
    d31_60: Decimal
    d61_90: Decimal
    over_90: Decimal
    non_affecte: Decimal = Decimal(0)

    def as_json(self) -> dict[str, float]:
        """The buckets and the unapplied cash as JSON numbers."""
        return {name: float(getattr(self, name)) for name in (*BUCKETS, "non_affecte")}


# --- columns as numpy arrays -------------------------------------------------------------


def _days(frame: pd.DataFrame, column: str, missing: int) -> np.ndarray:
    """A date column as int64 days since 1970-01-01; ``missing`` where empty or absent."""
    if column not in frame:
        return np.full(len(frame), missing, dtype=np.int64)
    return day_numbers(frame[column], missing)


def _cents(frame: pd.DataFrame, column: str = "amount_cents") -> np.ndarray:
    """A money column as int64 cents, 0 where empty."""
    return frame[column].to_numpy(dtype=np.int64, na_value=0)


def _flags(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A bool column as a numpy bool array, False where empty or absent."""
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    values = frame[column]
    if values.dtype == bool:
        return values.to_numpy()
    return values.astype("boolean").fillna(False).to_numpy(dtype=bool)


class _CurrencyCodes:
    """Currency names as small int codes, shared by the tables of one computation."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._codes: dict[str, int] = {}

    def code(self, name: str) -> int:
        """The code of ``name``, a new one for a currency not seen yet."""
        if name not in self._codes:
            self._codes[name] = len(self.names)
            self.names.append(name)
        return self._codes[name]

    def of(self, frame: pd.DataFrame, fallback: np.ndarray | None = None) -> np.ndarray:
        """The code of each row's ``currency``; ``fallback`` (or EUR) where empty or absent."""
        if fallback is None:
            fallback = np.full(len(frame), self.code(DEFAULT_CURRENCY), dtype=np.int64)
        if "currency" not in frame:
            return fallback
        codes, uniques = pd.factorize(frame["currency"])
        lookup = np.array([self.code(str(u)) for u in uniques] + [-1], dtype=np.int64)
        mapped = lookup[codes]  # code −1 (empty) picks the trailing −1
        return np.where(mapped >= 0, mapped, fallback)

    def labels(self, codes: np.ndarray) -> np.ndarray:
        """The currency names of ``codes``, as an object array."""
        return np.array(self.names, dtype=object)[codes]


@dataclass(frozen=True)
class _Documents:
    """The invoices table as arrays: days since 1970-01-01, cents, sign (−1 credit note)."""

    frame: pd.DataFrame
    issue: np.ndarray
    due: np.ndarray
    paid: np.ndarray
    cents: np.ndarray
    sign: np.ndarray
    currency: np.ndarray
    disputed: np.ndarray
    written_off: np.ndarray
    doubtful: np.ndarray  # day moved to créances douteuses (416), _NEVER if not
    currencies: _CurrencyCodes


@dataclass(frozen=True)
class _Payments:
    """The payments table as arrays; ``position`` is the matched invoice's row, or −1."""

    day: np.ndarray
    cents: np.ndarray
    position: np.ndarray


def _documents(ledger: Ledger) -> _Documents:
    """The ledger's invoices and credit notes as arrays."""
    frame = ledger.invoices
    credit = (frame["doc_type"] == "credit_note").to_numpy(dtype=bool, na_value=False)
    currencies = _CurrencyCodes()
    return _Documents(
        frame=frame,
        issue=_days(frame, "issue_date", _NEVER),
        due=_days(frame, "due_date", _NEVER),
        paid=_days(frame, "paid_date", _NEVER),
        cents=_cents(frame),
        sign=np.where(credit, -1, 1).astype(np.int64),
        currency=currencies.of(frame),
        disputed=_flags(frame, "disputed"),
        written_off=_flags(frame, "written_off"),
        doubtful=_days(frame, "doubtful_date", _NEVER),
        currencies=currencies,
    )


def _matched_positions(invoice_ids: pd.Series, matched_ids: pd.Series) -> np.ndarray:
    """The row in ``invoice_ids`` of each of ``matched_ids``, −1 for none."""
    # One factorize of both is several times faster than Index.get_indexer on strings.
    codes, uniques = pd.factorize(pd.concat([invoice_ids, matched_ids], ignore_index=True))
    row_of_code = np.full(len(uniques) + 1, -1, dtype=np.int64)  # the last slot: empty ids
    row_of_code[codes[: len(invoice_ids)]] = np.arange(len(invoice_ids))
    return row_of_code[codes[len(invoice_ids) :]]


def _payments(ledger: Ledger, docs: _Documents) -> _Payments:
    """The ledger's payments as arrays, each located on the invoice it is matched to."""
    frame = ledger.payments
    return _Payments(
        day=_days(frame, "payment_date", _NEVER),
        cents=_cents(frame),
        position=_matched_positions(docs.frame["invoice_id"], frame["invoice_id"]),
    )


# --- open amounts ------------------------------------------------------------------------


def _open_cents(docs: _Documents, payments: _Payments, day: int) -> np.ndarray:
    """Signed open cents of every document at the end of ``day`` (credit notes <= 0)."""
    paid = np.zeros(len(docs.cents), dtype=np.int64)
    counted = (payments.day <= day) & (payments.position >= 0)
    np.add.at(paid, payments.position[counted], payments.cents[counted])
    is_open = (docs.issue <= day) & (docs.paid > day)
    return np.where(is_open, np.maximum(docs.cents - paid, 0), 0) * docs.sign


def _buckets(days_past_due: np.ndarray) -> pd.Categorical:
    """The balance-âgée bucket of each number of days past due."""
    codes = np.searchsorted(_BUCKET_EDGES, days_past_due, side="left").astype(np.int8)
    return pd.Categorical.from_codes(codes, dtype=_BUCKET_DTYPE)


def _open_frame(docs: _Documents, open_cents: np.ndarray, day: int) -> pd.DataFrame:
    """The open documents with their signed open cents, days past due and bucket."""
    keep = open_cents != 0
    columns = ["invoice_id", "client_id", "doc_type", "issue_date", "due_date", "amount_cents"]
    out = docs.frame.loc[keep, columns].copy()
    days_past_due = day - docs.due[keep]
    out.insert(2, "currency", docs.currencies.labels(docs.currency[keep]))
    out["open_cents"] = open_cents[keep]
    out["days_past_due"] = days_past_due
    out["bucket"] = _buckets(days_past_due)
    out["disputed"] = docs.disputed[keep]
    out["written_off"] = docs.written_off[keep]
    out["douteuse_416"] = docs.doubtful[keep] <= day
    return out


def open_amounts(ledger: Ledger, as_of: date) -> pd.DataFrame:
    """The documents open at ``as_of``, one row each, indexed like ``ledger.invoices``.

    Columns: ``invoice_id``, ``client_id``, ``currency``, ``doc_type``, ``issue_date``,
    ``due_date``, ``amount_cents``, ``open_cents`` (signed: credit notes negative),
    ``days_past_due`` (``as_of − due_date``, negative before the due date), ``bucket``
    (ordered categorical of :data:`BUCKETS`), ``disputed``, ``written_off``. Documents
    with nothing open (settled, fully paid, not yet issued) are left out.
    """
    docs = _documents(ledger)
    day = day_number(as_of)
    return _open_frame(docs, _open_cents(docs, _payments(ledger, docs), day), day)


# --- encours client ----------------------------------------------------------------------


_ENCOURS_PARTS = (
    "echu_cents",
    "non_echu_cents",
    "a_emettre_cents",
    "avances_cents",
    "non_affecte_cents",
    "effets_escomptes_cents",
)


def _parts(client_id: np.ndarray, currency: np.ndarray, **cents: np.ndarray) -> pd.DataFrame:
    """Rows of encours parts: the named cents columns, zeros for the other parts."""
    zeros = np.zeros(len(client_id), dtype=np.int64)
    columns = {name: cents.get(name, zeros) for name in _ENCOURS_PARTS}
    return pd.DataFrame({"client_id": client_id, "currency": currency, **columns})


def _unbilled_due(ledger: Ledger, currencies: _CurrencyCodes, day: int) -> pd.DataFrame:
    """Unbilled rows counted as à émettre at ``day``, as encours parts."""
    frame = ledger.unbilled
    delivered = _days(frame, "delivered_date", _ALWAYS)
    counted = (delivered <= day) & (day < _days(frame, "expected_issue_date", _ALWAYS))
    return _parts(
        frame["client_id"].to_numpy(dtype=object)[counted],
        currencies.labels(currencies.of(frame)[counted]),
        a_emettre_cents=_cents(frame)[counted],
    )


def _advances_held(ledger: Ledger, currencies: _CurrencyCodes, day: int) -> pd.DataFrame:
    """Advances received and not yet applied at ``day``, as encours parts."""
    frame = ledger.advances
    received = _days(frame, "received_date", _NEVER)
    held = (received <= day) & (_days(frame, "applied_date", _NEVER) > day)
    return _parts(
        frame["client_id"].to_numpy(dtype=object)[held],
        currencies.labels(currencies.of(frame)[held]),
        avances_cents=_cents(frame)[held],
    )


def _effets_discounted(ledger: Ledger, currencies: _CurrencyCodes, day: int) -> pd.DataFrame:
    """Bills discounted by ``day`` and not yet due, as encours parts."""
    frame = ledger.effets
    discounted = (frame["remittance"] == "discount").to_numpy(dtype=bool)
    remitted = _days(frame, "remitted_date", _NEVER) <= day
    counted = discounted & remitted & (day < _days(frame, "due_date", _ALWAYS))
    return _parts(
        frame["client_id"].to_numpy(dtype=object)[counted],
        currencies.labels(currencies.of(frame)[counted]),
        effets_escomptes_cents=_cents(frame)[counted],
    )


def _invoiced(open_frame: pd.DataFrame) -> pd.DataFrame:
    """Open documents as encours parts: invoices échu or non échu, credit notes non affecté."""
    signed = open_frame["open_cents"].to_numpy(dtype=np.int64)
    overdue = open_frame["days_past_due"].to_numpy() > 0
    owed = np.maximum(signed, 0)
    return _parts(
        open_frame["client_id"].to_numpy(dtype=object),
        open_frame["currency"].to_numpy(dtype=object),
        echu_cents=np.where(overdue, owed, 0),
        non_echu_cents=np.where(overdue, 0, owed),
        non_affecte_cents=np.maximum(-signed, 0),
    )


def _unapplied_payments(ledger: Ledger, docs: _Documents, day: int) -> pd.DataFrame:
    """Payments by ``day`` that no invoice issued by then absorbed, as encours parts.

    An invoice absorbs its matched payments up to its amount; the rest of a payment (not
    matched, matched to an invoice issued later, paid beyond the amount) is still a credit
    on the client's account.
    """
    frame = ledger.payments
    payments = _payments(ledger, docs)
    counted = payments.day <= day
    matched = counted & (payments.position >= 0)
    paid = np.zeros(len(docs.cents), dtype=np.int64)
    np.add.at(paid, payments.position[matched], payments.cents[matched])
    absorbed = np.where(docs.issue <= day, np.minimum(paid, docs.cents), 0)
    # What each payment leaves over, given to its first row per invoice (the sums are what
    # matter: a client's unapplied cash).
    taken = np.zeros(len(payments.cents), dtype=np.int64)
    rows = np.flatnonzero(matched)
    first = rows[np.unique(payments.position[rows], return_index=True)[1]]
    taken[first] = absorbed[payments.position[first]]
    left = np.where(counted, payments.cents, 0) - taken
    own = docs.currencies.of(frame)
    of_invoice = docs.currency[np.maximum(payments.position, 0)] if len(docs.cents) else own
    currency = np.where(payments.position >= 0, of_invoice, own)
    keep = left != 0
    return _parts(
        frame["client_id"].to_numpy(dtype=object)[keep],
        docs.currencies.labels(currency[keep]),
        non_affecte_cents=left[keep],
    )


def _encours_by_client(
    open_frame: pd.DataFrame, ledger: Ledger, docs: _Documents, day: int
) -> pd.DataFrame:
    """Encours client and its parts in cents, per (currency, client_id)."""
    unbilled = _unbilled_due(ledger, docs.currencies, day)
    advances = _advances_held(ledger, docs.currencies, day)
    unapplied = _unapplied_payments(ledger, docs, day)
    effets = _effets_discounted(ledger, docs.currencies, day)
    frames = [_invoiced(open_frame), unbilled, advances, unapplied, effets]
    rows = pd.concat(frames, ignore_index=True)
    parts = list(_ENCOURS_PARTS)
    out = rows.groupby(["currency", "client_id"], sort=True, as_index=False)[parts].sum()
    out["encours_cents"] = (
        out["echu_cents"]
        + out["non_echu_cents"]
        + out["a_emettre_cents"]
        + out["effets_escomptes_cents"]
        - out["avances_cents"]
        - out["non_affecte_cents"]
    )
    return out


def encours_by_client(ledger: Ledger, as_of: date) -> pd.DataFrame:
    """Encours client per client and currency at ``as_of``, in cents.

    Columns: ``currency``, ``client_id``, ``echu_cents``, ``non_echu_cents``,
    ``a_emettre_cents``, ``avances_cents``, ``non_affecte_cents``,
    ``effets_escomptes_cents``, ``encours_cents``; one row per client and currency with an
    open document, an unbilled row counted, an advance held, unapplied cash or a bill
    discounted and not yet due.
    """
    docs = _documents(ledger)
    day = day_number(as_of)
    open_frame = _open_frame(docs, _open_cents(docs, _payments(ledger, docs), day), day)
    return _encours_by_client(open_frame, ledger, docs, day)


# --- balance âgée ------------------------------------------------------------------------


def _aged_balance(open_frame: pd.DataFrame, non_affecte_cents: int) -> AgedBalance:
    """The balance âgée of open invoices (all of one currency), unapplied cash beside."""
    codes = open_frame["bucket"].cat.codes.to_numpy()
    cents = open_frame["open_cents"].to_numpy()
    sums = [int(cents[(codes == code) & (cents > 0)].sum()) for code in range(len(BUCKETS))]
    d = [cents_to_decimal(s) for s in sums]
    return AgedBalance(d[0], d[1], d[2], d[3], d[4], cents_to_decimal(non_affecte_cents))


def _client_buckets(open_frame: pd.DataFrame, by_client: pd.DataFrame) -> pd.DataFrame:
    """Cents by bucket of open invoices, unapplied cash beside, per (currency, client_id)."""
    owed = open_frame[open_frame["open_cents"] > 0]
    keys = pd.MultiIndex.from_arrays([owed["currency"], owed["client_id"]])
    codes, uniques = keys.factorize()
    sums = np.zeros((len(uniques), len(BUCKETS)), dtype=np.int64)
    np.add.at(sums, (codes, owed["bucket"].cat.codes.to_numpy()), owed["open_cents"].to_numpy())
    buckets = pd.DataFrame(sums, columns=list(BUCKETS), index=uniques)
    buckets.index.names = ["currency", "client_id"]
    unapplied = by_client.set_index(["currency", "client_id"])["non_affecte_cents"]
    out = buckets.join(unapplied[unapplied != 0].rename("non_affecte"), how="outer")
    out = out.fillna(0).astype(np.int64).sort_index().reset_index()
    out["total"] = out[list(BUCKETS)].sum(axis=1)
    return out


def _open_and_buckets(ledger: Ledger, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The open documents at ``as_of`` and :func:`aged_balance_by_client` of them."""
    docs = _documents(ledger)
    day = day_number(as_of)
    open_frame = _open_frame(docs, _open_cents(docs, _payments(ledger, docs), day), day)
    by_client = _encours_by_client(open_frame, ledger, docs, day)
    return open_frame, _client_buckets(open_frame, by_client)


def aged_balance_by_client(ledger: Ledger, as_of: date) -> pd.DataFrame:
    """The balance âgée at ``as_of`` per client and currency, in cents.

    Columns: ``currency``, ``client_id``, the :data:`BUCKETS` (open invoices by days past
    due), ``non_affecte`` (unapplied cash, beside the buckets) and ``total`` (the buckets'
    sum); one row per client and currency with an open invoice or unapplied cash. Its sums
    per currency are :func:`aged_balance`.
    """
    return _open_and_buckets(ledger, as_of)[1]


def aged_balance(
    ledger: Ledger, as_of: date, currency: str | None = None
) -> dict[str, AgedBalance]:
    """The balance âgée at ``as_of`` per currency (only ``currency`` when given): the sums
    of :func:`aged_balance_by_client`."""
    open_frame, by_client = _open_and_buckets(ledger, as_of)
    sums = by_client.groupby("currency")[[*BUCKETS, "non_affecte"]].sum()
    wanted = [currency] if currency is not None else sorted(set(open_frame["currency"]))
    out: dict[str, AgedBalance] = {}
    none = np.zeros(len(sums.columns), dtype=np.int64)
    for code in wanted:
        cents = sums.loc[code].to_numpy(dtype=np.int64) if code in sums.index else none
        out[code] = AgedBalance(*(cents_to_decimal(int(c)) for c in cents))
    return out
