"""Receivables KPIs at any as-of date: encours, balance âgée, DSO, recouvrement, douteuses.

Pure functions over the in-memory :class:`~ledger.contract.Ledger`; nothing is read or
written. Money is summed exactly in integer cents and becomes ``Decimal`` at the end.
Days are compared as whole calendar days; "at ``d``" means at the end of day ``d``.

Rules, applied the same way everywhere:

- **open amount** of a document at ``d``: 0 if ``issue_date > d`` (not yet issued) or
  ``paid_date <= d`` (settled); otherwise ``amount`` less the payments matched to it
  (``payments.invoice_id``) dated on or before ``d``, floored at 0. Without payments the
  whole amount stays open until ``paid_date``. Written-off invoices have no ``paid_date``,
  so they stay in the encours (as créances douteuses). Payments not yet matched
  (``invoice_id`` empty) lower no invoice until lettrage matches them.
- **credit notes** (``doc_type == "credit_note"``, positive amount) follow the same rule
  and count negatively: their open amount is signed ``<= 0``.
- **échu** = open amounts of invoices with ``due_date < as_of``; **non échu** = the
  others (``due_date >= as_of``).
- **non affecté** (unapplied cash) = what clients paid or were credited that no invoice
  has absorbed yet, at ``as_of``: payments dated on or before ``as_of`` less the part of
  them that their invoices (issued by ``as_of``) took, up to each invoice's amount (so
  payments not yet matched, matched to an invoice not yet issued, or paid beyond the
  invoice), plus the open amounts of credit notes. It lowers the encours as it lowers the
  client accounts: the encours equals the books (411 balance) without waiting for the
  lettrage.
- **à émettre** = unbilled rows delivered by ``as_of`` (or with no ``delivered_date``)
  and not yet due to be invoiced (``as_of < expected_issue_date``).
- **avances** = advances received by ``as_of`` and not applied by then (``applied_date``
  empty or after ``as_of``).
- **effets escomptés non échus** = bills receivable (``effets``) remitted to the bank
  at a discount (``remittance == "discount"``) by ``as_of`` and not yet due
  (``as_of < due_date``): the bank advanced the money, but the client has not paid and
  the bank can turn to the company if it does not. A bill leaves at its due date; if it
  comes back unpaid, the books owe it again on 411 (an invoice or bank debit). Bills
  held or remitted for collection are in échu / non échu already, through their invoice
  (the books keep them on 413 until remitted).
- **encours client** = échu + non échu + à émettre + effets escomptés non échus −
  avances − non affecté.
- **balance âgée**: open amounts of invoices by days past due (``as_of − due_date``):
  ``not_due`` (<= 0), ``d1_30``, ``d31_60``, ``d61_90``, ``over_90``; the buckets sum to
  échu + non échu; ``non_affecte`` beside them, in its own column, as accounting
  packages show unlettered credits.
- **DSO** (the trade's formula) = encours client × 365 / CA TTC, the CA being the
  invoices issued in ``(as_of − 365 days, as_of]`` less the credit notes issued then;
  ``None`` when that CA is <= 0.
- **count-back DSO**, on the open invoices net of open credit notes (à émettre, avances
  and unapplied payments left out): period ``k`` (1, 2, ...) is
  ``(as_of − k months, as_of − (k − 1) months]``, where "minus k months" keeps the day of
  the month (clamped to the month's last day) and a month-end ``as_of`` steps by month
  ends, so that at 30 June the periods are exactly June, May, April... Going back from
  ``as_of``, while the remaining encours exceeds the period's net sales TTC, those sales
  are taken off and the period's days added; then the remaining fraction of the next
  period's sales is counted in its days. At most 24 periods: an encours that 24 months of
  sales do not exhaust gives the 24 periods' days. 0 when that encours is <= 0.
- **taux de recouvrement** over ``(as_of − N days, as_of]`` (N = 365 by default) =
  recouvré / total des créances × 100. Total des créances = open amounts at the start of
  the period (end of day ``as_of − N``) + documents issued in the period (net of credit
  notes); recouvré = that total less what is still open at ``as_of`` (échu + non échu):
  what was settled, by matched payments or by settlement dates, in the period. Cash not
  yet matched to an invoice (lettrage) is not recovered yet. With or without a payments
  table the same rule holds, so events after ``as_of`` never change the figure. ``None``
  when the total is <= 0.
- **taux de créances douteuses** = douteuses / encours client × 100, douteuses being the
  open amounts of invoices (not credit notes) moved to clients douteux (416,
  ``doubtful_date`` on or before ``as_of``), more than ``days_past_due`` days past due,
  or disputed, or written off (each counted once; see :class:`DoubtfulDefinition`).
  ``None`` when the encours client is <= 0.
- **encours moyen par client** = encours client / number of clients whose own encours
  client is not zero; ``None`` when there is none.
- **liquidité immédiate** = (disponibilités + encours client) / dettes à court terme,
  only when both are given and the debt is > 0.

Currencies are never added together: every figure is per currency. Invoices carry their
``currency`` (default EUR). The contract gives advances and unbilled rows no currency:
they are in EUR unless their frame has a ``currency`` column. A payment settles its
invoice, in the invoice's currency.

What is open on a day (open amounts, encours client and its parts, balance âgée) is
computed in :mod:`ledger.balances`; its public names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from ledger.balance_arrays import (
    BalanceArrays,
    OpenAt,
    bucket_codes,
    encours_of,
    encours_parts_at,
    net_sales_at,
    open_at,
    prepare_balances,
    sums_by,
)
from ledger.balances import (
    _ENCOURS_PARTS,
    BUCKETS,
    AgedBalance,
    _aged_balance,
    _Documents,
    _documents,
    _encours_by_client,
    _open_cents,
    _open_frame,
    _payments,
    aged_balance,
    aged_balance_by_client,
    encours_by_client,
    open_amounts,
)
from ledger.contract import DEFAULT_CURRENCY, Ledger
from ledger.days import day_number
from ledger.money import CENT, cents_to_decimal

_YEAR_DAYS = 365
_NON_AFFECTE = _ENCOURS_PARTS.index("non_affecte_cents")
_COUNTBACK_MONTHS = 24

# Open amounts, encours and balance âgée live in ledger.balances; importable from here too.
__all__ = [
    "BUCKETS",
    "DEFAULT_DOUBTFUL",
    "AgedBalance",
    "DoubtfulDefinition",
    "Kpis",
    "aged_balance",
    "aged_balance_by_client",
    "aged_balances_over",
    "compute_kpis",
    "encours_by_client",
    "kpis_over",
    "open_amounts",
]


@dataclass(frozen=True)
class DoubtfulDefinition:
    """Which open invoices are créances douteuses: overdue, disputed, written off."""

    days_past_due: int = 90
    include_disputed: bool = True
    include_written_off: bool = True


DEFAULT_DOUBTFUL = DoubtfulDefinition()


@dataclass(frozen=True)
class Kpis:
    """The receivables KPIs of one currency at one as-of date."""

    as_of: date
    currency: str
    encours: Decimal
    echu: Decimal
    non_echu: Decimal
    a_emettre: Decimal
    avances: Decimal
    dso: float | None
    dso_countback: float | None
    taux_recouvrement: float | None
    taux_creances_douteuses: float | None
    encours_moyen_par_client: Decimal | None
    liquidite_immediate: float | None
    aged_balance: AgedBalance
    n_clients_with_encours: int
    non_affecte: Decimal = Decimal(0)
    effets_escomptes_non_echus: Decimal = Decimal(0)

    def as_json(self) -> dict[str, Any]:
        """The KPIs under their public JSON keys; money as numbers in currency units."""
        moyen = self.encours_moyen_par_client
        return {
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "encours": float(self.encours),
            "echu": float(self.echu),
            "non_echu": float(self.non_echu),
            "a_emettre": float(self.a_emettre),
            "avances": float(self.avances),
            "non_affecte": float(self.non_affecte),
            "effets_escomptes_non_echus": float(self.effets_escomptes_non_echus),
            "dso": self.dso,
            "dso_countback": self.dso_countback,
            "taux_recouvrement": self.taux_recouvrement,
            "taux_creances_douteuses": self.taux_creances_douteuses,
            "encours_moyen_par_client": None if moyen is None else float(moyen),
            "liquidite_immediate": self.liquidite_immediate,
            "aged_balance": self.aged_balance.as_json(),
        }


# --- ratios ------------------------------------------------------------------------------


def _net_sales_cents(docs: _Documents, in_currency: np.ndarray, start: int, end: int) -> int:
    """Invoices less credit notes issued in ``(start, end]``, in cents."""
    issued = in_currency & (docs.issue > start) & (docs.issue <= end)
    return int((docs.cents[issued] * docs.sign[issued]).sum())


def _ratio(numerator: int, denominator: int, scale: float, digits: int) -> float | None:
    """``numerator × scale / denominator`` rounded, or None unless the denominator is > 0."""
    if denominator <= 0:
        return None
    return round(numerator * scale / denominator, digits)


def _month_bounds(as_of: date, months: int) -> np.ndarray:
    """Epoch days of ``as_of − k months`` for k = 0..months (see the count-back DSO)."""
    end = pd.Timestamp(as_of).normalize()
    step: BaseOffset = pd.offsets.MonthEnd() if end.is_month_end else pd.DateOffset(months=1)
    stamps = [end] + [end - step * k for k in range(1, months + 1)]
    return np.array([day_number(s) for s in stamps], dtype=np.int64)


def _countback_dso(
    docs: _Documents, in_currency: np.ndarray, encours_cents: int, as_of: date
) -> float:
    """Count-back DSO of ``encours_cents`` against the monthly net sales before ``as_of``."""
    if encours_cents <= 0:
        return 0.0
    bounds = _month_bounds(as_of, _COUNTBACK_MONTHS)  # descending: as_of, as_of − 1 month...
    issued = in_currency & (docs.issue > bounds[-1]) & (docs.issue <= bounds[0])
    # Period k (0-based) holds issue days in (bounds[k + 1], bounds[k]].
    period = np.searchsorted(-bounds, -docs.issue[issued], side="right") - 1
    sales = np.zeros(_COUNTBACK_MONTHS, dtype=np.int64)
    np.add.at(sales, period, docs.cents[issued] * docs.sign[issued])
    lengths = bounds[:-1] - bounds[1:]
    return _countback_days(sales.tolist(), lengths.tolist(), encours_cents)


def _countback_days(sales: list[int], lengths: list[int], encours_cents: int) -> float:
    """Count-back DSO of ``encours_cents`` (> 0) from the net sales and the lengths in days
    of the periods going back from ``as_of``; shared with :func:`kpis_over` and
    :mod:`ledger.kpis_sql`."""
    remaining, days = encours_cents, 0
    for month_sales, length in zip(sales, lengths, strict=True):
        if remaining <= month_sales:
            return round(days + remaining * length / month_sales, 1)
        remaining -= month_sales
        days += length
    return float(days)


def _doubtful_cents(open_frame: pd.DataFrame, doubtful: DoubtfulDefinition) -> int:
    """Open cents of the invoices that ``doubtful`` calls créances douteuses."""
    is_doubtful = open_frame["days_past_due"].to_numpy() > doubtful.days_past_due
    is_doubtful |= open_frame["douteuse_416"].to_numpy(dtype=bool)
    if doubtful.include_disputed:
        is_doubtful |= open_frame["disputed"].to_numpy(dtype=bool)
    if doubtful.include_written_off:
        is_doubtful |= open_frame["written_off"].to_numpy(dtype=bool)
    open_cents = open_frame["open_cents"].to_numpy()
    return int(open_cents[is_doubtful & (open_cents > 0)].sum())  # > 0: not a credit note


def _in_currency(
    amount: Decimal | Mapping[str, Decimal] | None, currency: str, plain_currency: str
) -> Decimal | None:
    """The part of ``amount`` in ``currency``: a mapping by currency, or a plain amount."""
    if isinstance(amount, Mapping):
        return amount.get(currency)
    return amount if currency == plain_currency else None


def _liquidite(encours: Decimal, cash: Decimal | None, debt: Decimal | None) -> float | None:
    """(cash + encours) / short-term debt, or None without both or with no debt."""
    if cash is None or debt is None or debt <= 0:
        return None
    return round(float((Decimal(cash) + encours) / Decimal(debt)), 2)


# --- all together ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Snapshot:
    """What the KPIs at one date read, computed once for every currency."""

    as_of: date
    day: int
    start: int  # the day before the recovery period
    docs: _Documents
    open_frame: pd.DataFrame
    by_client: pd.DataFrame
    open_at_start: np.ndarray


def _snapshot(ledger: Ledger, as_of: date, recovery_period_days: int) -> _Snapshot:
    """The open amounts and encours at ``as_of``, and the open amounts at the period start."""
    day = day_number(as_of)
    docs = _documents(ledger)
    payments = _payments(ledger, docs)
    open_frame = _open_frame(docs, _open_cents(docs, payments, day), day)
    start = day - recovery_period_days
    return _Snapshot(
        as_of=pd.Timestamp(as_of).date(),
        day=day,
        start=start,
        docs=docs,
        open_frame=open_frame,
        by_client=_encours_by_client(open_frame, ledger, docs, day),
        open_at_start=_open_cents(docs, payments, start),
    )


def _currency_kpis(
    snap: _Snapshot,
    currency: str,
    doubtful: DoubtfulDefinition,
    cash: Decimal | None,
    short_term_debt: Decimal | None,
) -> Kpis:
    """The KPIs of one currency."""
    docs, day = snap.docs, snap.day
    code = docs.currencies.code(currency)
    in_currency = docs.currency == code
    opened = snap.open_frame[snap.open_frame["currency"] == currency]
    clients = snap.by_client[snap.by_client["currency"] == currency]
    cents = {name: int(clients[name].sum()) for name in (*_ENCOURS_PARTS, "encours_cents")}
    encours_cents = cents["encours_cents"]
    encours = cents_to_decimal(encours_cents)
    n_clients = int((clients["encours_cents"] != 0).sum())
    year_sales = _net_sales_cents(docs, in_currency, day - _YEAR_DAYS, day)
    claims = int(snap.open_at_start[in_currency].sum()) + _net_sales_cents(
        docs, in_currency, snap.start, day
    )
    net_open_cents = int(opened["open_cents"].sum())  # invoices less credit notes
    recovered = claims - net_open_cents
    return Kpis(
        as_of=snap.as_of,
        currency=currency,
        encours=encours,
        echu=cents_to_decimal(cents["echu_cents"]),
        non_echu=cents_to_decimal(cents["non_echu_cents"]),
        a_emettre=cents_to_decimal(cents["a_emettre_cents"]),
        avances=cents_to_decimal(cents["avances_cents"]),
        dso=_ratio(encours_cents, year_sales, _YEAR_DAYS, 1),
        dso_countback=_countback_dso(docs, in_currency, net_open_cents, snap.as_of),
        taux_recouvrement=_ratio(recovered, claims, 100, 2),
        taux_creances_douteuses=_ratio(_doubtful_cents(opened, doubtful), encours_cents, 100, 2),
        encours_moyen_par_client=(encours / n_clients).quantize(CENT) if n_clients else None,
        liquidite_immediate=_liquidite(encours, cash, short_term_debt),
        non_affecte=cents_to_decimal(cents["non_affecte_cents"]),
        effets_escomptes_non_echus=cents_to_decimal(cents["effets_escomptes_cents"]),
        aged_balance=_aged_balance(opened, cents["non_affecte_cents"]),
        n_clients_with_encours=n_clients,
    )


def _present_currencies(ledger: Ledger, docs: _Documents) -> list[str]:
    """The currencies of the ledger's documents, unbilled rows, advances and bills, sorted."""
    codes = [docs.currencies.of(t) for t in (ledger.unbilled, ledger.advances, ledger.effets)]
    found = np.unique(np.concatenate([docs.currency, *codes]))
    return sorted(docs.currencies.names[code] for code in found)


def compute_kpis(
    ledger: Ledger,
    as_of: date,
    *,
    currency: str | None = None,
    doubtful: DoubtfulDefinition = DEFAULT_DOUBTFUL,
    cash: Decimal | Mapping[str, Decimal] | None = None,
    short_term_debt: Decimal | Mapping[str, Decimal] | None = None,
    recovery_period_days: int = _YEAR_DAYS,
) -> list[Kpis]:
    """The KPIs at ``as_of``, one :class:`Kpis` per currency, sorted by currency.

    Args:
        ledger: the receivables ledger.
        as_of: the date the figures are taken at (end of that day).
        currency: only this currency (all zeros when the ledger has none of it).
        doubtful: which invoices count as créances douteuses.
        cash: disponibilités, by currency or as one amount in ``currency`` (EUR when
            ``currency`` is None); with ``short_term_debt``, gives the liquidité immédiate.
        short_term_debt: dettes à court terme, given like ``cash``.
        recovery_period_days: length of the period of the taux de recouvrement.
    """
    snap = _snapshot(ledger, as_of, recovery_period_days)
    plain = currency or DEFAULT_CURRENCY
    wanted = [currency] if currency is not None else _present_currencies(ledger, snap.docs)
    return [
        _currency_kpis(
            snap,
            c,
            doubtful,
            _in_currency(cash, c, plain),
            _in_currency(short_term_debt, c, plain),
        )
        for c in wanted
    ]


# --- many dates --------------------------------------------------------------------------


def _doubtful_mask(
    docs: _Documents, rows: np.ndarray, day: int, doubtful: DoubtfulDefinition
) -> np.ndarray:
    """Which of documents ``rows`` ``doubtful`` calls douteuses at ``day`` if open (see
    :func:`_doubtful_cents`)."""
    is_doubtful = (day - docs.due[rows] > doubtful.days_past_due) | (docs.doubtful[rows] <= day)
    if doubtful.include_disputed:
        is_doubtful |= docs.disputed[rows]
    if doubtful.include_written_off:
        is_doubtful |= docs.written_off[rows]
    return is_doubtful


def _bucket_sums(
    arrays: BalanceArrays, rows: np.ndarray, cents: np.ndarray, day: int
) -> np.ndarray:
    """Open ``cents`` of documents ``rows`` summed by balance-âgée bucket at ``day``."""
    return sums_by(bucket_codes(arrays, day, rows), cents, len(BUCKETS))


def _countback_at(arrays: BalanceArrays, currency: str, encours_cents: int, as_of: date) -> float:
    """:func:`_countback_dso` from the cumulative sales of prepared arrays."""
    if encours_cents <= 0:
        return 0.0
    bounds = _month_bounds(as_of, _COUNTBACK_MONTHS)
    issued = net_sales_at(arrays, currency, bounds)
    sales, lengths = issued[:-1] - issued[1:], bounds[:-1] - bounds[1:]
    return _countback_days(sales.tolist(), lengths.tolist(), encours_cents)


def _aged_of(buckets: np.ndarray, non_affecte_cents: int) -> AgedBalance:
    """An :class:`AgedBalance` of cents by bucket, unapplied cash beside."""
    d = [cents_to_decimal(int(c)) for c in buckets]
    return AgedBalance(d[0], d[1], d[2], d[3], d[4], cents_to_decimal(non_affecte_cents))


def _in_code(arrays: BalanceArrays, opened: OpenAt, currency: str) -> np.ndarray:
    """Which of the open documents of ``opened`` are in ``currency``."""
    return arrays.docs.currency[opened.rows] == arrays.currency_code(currency)


def _kpis_at(
    arrays: BalanceArrays,
    as_of: date,
    currency: str,
    doubtful: DoubtfulDefinition,
    recovery_period_days: int,
) -> Kpis:
    """The KPIs of ``currency`` at ``as_of`` from prepared arrays, without the liquidité
    (:func:`_currency_kpis`'s figures, read from what is open rather than frames)."""
    day, as_of = day_number(as_of), pd.Timestamp(as_of).date()
    opened = open_at(arrays, day)
    mine = _in_code(arrays, opened, currency)
    parts = encours_parts_at(arrays, opened)[arrays.rows_of(currency)]
    cents = dict(zip(_ENCOURS_PARTS, parts.sum(axis=0).tolist(), strict=True))
    by_client = encours_of(parts)
    encours_cents = int(by_client.sum())
    encours = cents_to_decimal(encours_cents)
    n_clients = int((by_client != 0).sum())
    start = day - recovery_period_days
    issued = net_sales_at(arrays, currency, np.array([start, day - _YEAR_DAYS, day]))
    at_start = open_at(arrays, start)
    claims = int(at_start.cents[_in_code(arrays, at_start, currency)].sum())
    claims += int(issued[2] - issued[0])
    net_open_cents = int(opened.cents[mine].sum())
    owed = mine & (opened.cents > 0)
    rows, owed_cents = opened.rows[owed], opened.cents[owed]
    doubtful_cents = int(owed_cents[_doubtful_mask(arrays.docs, rows, day, doubtful)].sum())
    year_sales = int(issued[2] - issued[1])
    buckets = _bucket_sums(arrays, rows, owed_cents, day)
    return Kpis(
        as_of=as_of,
        currency=currency,
        encours=encours,
        echu=cents_to_decimal(cents["echu_cents"]),
        non_echu=cents_to_decimal(cents["non_echu_cents"]),
        a_emettre=cents_to_decimal(cents["a_emettre_cents"]),
        avances=cents_to_decimal(cents["avances_cents"]),
        dso=_ratio(encours_cents, year_sales, _YEAR_DAYS, 1),
        dso_countback=_countback_at(arrays, currency, net_open_cents, as_of),
        taux_recouvrement=_ratio(claims - net_open_cents, claims, 100, 2),
        taux_creances_douteuses=_ratio(doubtful_cents, encours_cents, 100, 2),
        encours_moyen_par_client=(encours / n_clients).quantize(CENT) if n_clients else None,
        liquidite_immediate=None,
        non_affecte=cents_to_decimal(cents["non_affecte_cents"]),
        effets_escomptes_non_echus=cents_to_decimal(cents["effets_escomptes_cents"]),
        aged_balance=_aged_of(buckets, cents["non_affecte_cents"]),
        n_clients_with_encours=n_clients,
    )


def kpis_over(
    source: Ledger | BalanceArrays,
    dates: Sequence[date],
    currency: str = DEFAULT_CURRENCY,
    *,
    doubtful: DoubtfulDefinition = DEFAULT_DOUBTFUL,
    cash: Decimal | Mapping[str, Decimal] | None = None,
    short_term_debt: Decimal | Mapping[str, Decimal] | None = None,
    recovery_period_days: int = _YEAR_DAYS,
) -> list[Kpis]:
    """The KPIs of ``currency`` at each of ``dates``: ``compute_kpis(ledger, d,
    currency=currency, ...)[0]`` for each, the ledger read once (:func:`prepare_balances`;
    pass its arrays to read it not even once)."""
    arrays = source if isinstance(source, BalanceArrays) else prepare_balances(source)
    liquidite = partial(
        _liquidite,
        cash=_in_currency(cash, currency, currency),
        debt=_in_currency(short_term_debt, currency, currency),
    )
    made = [_kpis_at(arrays, d, currency, doubtful, recovery_period_days) for d in dates]
    return [replace(k, liquidite_immediate=liquidite(k.encours)) for k in made]


def aged_balances_over(
    source: Ledger | BalanceArrays, dates: Sequence[date], currency: str | None = None
) -> list[dict[str, AgedBalance]]:
    """:func:`aged_balance` at each of ``dates`` (every currency with an open document at
    the date, or only ``currency``), the ledger read once."""
    arrays = source if isinstance(source, BalanceArrays) else prepare_balances(source)
    return [_aged_at(arrays, day_number(d), currency) for d in dates]


def _aged_at(arrays: BalanceArrays, day: int, currency: str | None) -> dict[str, AgedBalance]:
    """:func:`aged_balance` at ``day`` from prepared arrays."""
    docs = arrays.docs
    opened = open_at(arrays, day)
    if currency is None:
        found = np.unique(docs.currency[opened.rows])
        wanted = sorted(docs.currencies.names[code] for code in found)
    else:
        wanted = [currency]
    parts = encours_parts_at(arrays, opened)
    known = arrays.doc_key[opened.rows] >= 0
    out: dict[str, AgedBalance] = {}
    for code in wanted:
        owed = _in_code(arrays, opened, code) & (opened.cents > 0) & known
        buckets = _bucket_sums(arrays, opened.rows[owed], opened.cents[owed], day)
        unapplied = int(parts[arrays.rows_of(code), _NON_AFFECTE].sum())
        out[code] = _aged_of(buckets, unapplied)
    return out
