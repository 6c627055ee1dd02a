"""The KPIs and the balance âgée computed in the database, equal to :mod:`ledger.kpis`.

:func:`compute_kpis` and :func:`aged_balance` of :mod:`ledger.kpis` load the whole ledger
into memory; with the ledger in PostgreSQL, :func:`kpis_in_database` and
:func:`aged_balance_in_database` send two SQLAlchemy Core statements instead, read from one
snapshot: the encours and its parts, the balance âgée, the douteuses and the open amounts
(one row per currency, summed from each client's encours), and the net sales by issue day.
SQLite runs the same statements, so the tests compare both paths on both databases. The
rules are those of :mod:`ledger.kpis`' docstring, applied the same way:

- money is summed in integer cents (``round(amount × 100)``), exact on both databases
  (SQLite keeps ``Numeric`` as a float of currency units);
- days past due are never subtracted in SQL: each bucket is a range of due dates computed
  in Python (``due_date < as_of − 30``...), which reads the same on both databases;
- the DSO's year, the recovery period and the count-back DSO's 24 months add up the net
  sales by issue day (a few hundred rows a currency) in Python, which walks the count-back
  periods with the pandas path's own loop (``_countback_days``) and makes every ratio from
  the integer sums with its ``_ratio``, so floats round alike.

One difference from the pandas path, in where a cent is attributed, never in a total:
the cash that an invoice's matched payments leave over (paid beyond its amount, or before
it was issued) is counted in the invoice's client's unapplied cash, where the pandas path
counts it in the first payment's client's. The two differ only when a client pays another
client's invoice beyond its amount, and then only the number of clients with an encours
(hence the encours moyen par client) can differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    Select,
    Subquery,
    Table,
    and_,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)

from ledger.balances import AgedBalance
from ledger.contract import DEFAULT_CURRENCY
from ledger.days import dates_of
from ledger.kpis import (
    _COUNTBACK_MONTHS,
    _YEAR_DAYS,
    DEFAULT_DOUBTFUL,
    DoubtfulDefinition,
    Kpis,
    _countback_days,
    _in_currency,
    _liquidite,
    _month_bounds,
    _ratio,
)
from ledger.money import CENT, cents_to_decimal
from ledger.schema import TABLE_OBJECTS

DatabaseMode = Literal["auto", "always", "never"]
"""Where the KPIs are computed: ``auto`` in PostgreSQL only, ``always``, ``never``."""

_PARTS = ("echu", "non_echu", "a_emettre", "avances", "non_affecte", "effets")
_AGED = ("d1_30", "d31_60", "d61_90", "over_90")
_PERIODS = tuple(f"sales_m{k}" for k in range(_COUNTBACK_MONTHS))
_FIGURES = (
    *_PARTS,
    *_AGED,
    "douteuses",
    "net_open",
    "open_at_start",
    "n_open",
    "present",
)
"""The sums per client, then per currency, that the statement returns."""


def computes_in_database(engine: Engine, mode: DatabaseMode) -> bool:
    """Whether the KPIs of ``engine``'s ledger are computed in the database under ``mode``."""
    return mode == "always" or (mode == "auto" and engine.dialect.name == "postgresql")


@dataclass(frozen=True)
class _Dates:
    """The days the statement compares dates with, computed in Python."""

    day: date
    start: date  # the day before the recovery period
    year_start: date  # the day before the DSO's 365 days
    months: tuple[date, ...]  # as_of, as_of − 1 month, ... (count-back DSO periods' ends)

    def before(self, days: int) -> date:
        """``day − days``."""
        return self.day - timedelta(days=days)


def _dates(as_of: date, recovery_period_days: int) -> _Dates:
    day = pd.Timestamp(as_of).date()
    months = _month_bounds(day, _COUNTBACK_MONTHS)
    return _Dates(
        day=day,
        start=day - timedelta(days=recovery_period_days),
        year_start=day - timedelta(days=_YEAR_DAYS),
        months=tuple(dates_of(months, unit="D").tolist()),
    )


# --- the statement -----------------------------------------------------------------------


def _cents(amount: Any) -> ColumnElement[int]:
    """A money column in integer cents: exact from PostgreSQL's numeric or SQLite's float."""
    return cast(func.round(amount * 100), BigInteger)


def _currency(column: Any) -> ColumnElement[str]:
    """A row's currency, EUR where empty (as :mod:`ledger.balances` reads it)."""
    return func.coalesce(column, DEFAULT_CURRENCY)


def _total(value: Any) -> ColumnElement[int]:
    """``SUM(value)`` as a bigint: PostgreSQL's sum of bigints is a numeric, and numeric
    arithmetic and sums above it cost more (about 15 % of the main statement, measured at
    100,000 invoices)."""
    return cast(func.sum(value), BigInteger)


def _sum_if(condition: ColumnElement[bool], value: Any) -> ColumnElement[int]:
    return _total(case((condition, value), else_=0))


def _paid(dates: _Dates) -> Subquery:
    """Matched payments per invoice, summed to the end of ``day`` and of ``start``."""
    pay = TABLE_OBJECTS["payments"]
    cents = _cents(pay.c.amount)
    return (
        select(
            pay.c.invoice_id,
            _sum_if(pay.c.payment_date <= dates.day, cents).label("paid_day"),
            _sum_if(pay.c.payment_date <= dates.start, cents).label("paid_start"),
        )
        .where(pay.c.invoice_id.is_not(None), pay.c.payment_date <= max(dates.day, dates.start))
        .group_by(pay.c.invoice_id)
        .subquery("paid")
    )


def _open_at(docs: Subquery, paid: ColumnElement[int], day: date) -> ColumnElement[int]:
    """A document's unsigned open cents at the end of ``day``: issued, not settled, less
    its matched payments, floored at 0."""
    owed = docs.c.cents - paid
    is_open = and_(
        docs.c.issue_date <= day,
        or_(docs.c.paid_date.is_(None), docs.c.paid_date > day),
        owed > 0,
    )
    return case((is_open, owed), else_=0)


def _documents(dates: _Dates, currency: str | None) -> Subquery:
    """The invoices with their cents, sign, matched payments and open cents at both days."""
    inv = TABLE_OBJECTS["invoices"]
    paid = _paid(dates)
    docs = select(
        inv.c.client_id,
        _currency(inv.c.currency).label("currency"),
        _cents(inv.c.amount).label("cents"),
        case((inv.c.doc_type == "credit_note", -1), else_=1).label("sign"),
        inv.c.issue_date,
        inv.c.due_date,
        inv.c.paid_date,
        inv.c.disputed,
        inv.c.written_off,
        inv.c.doubtful_date,
        func.coalesce(paid.c.paid_day, 0).label("paid_day"),
        func.coalesce(paid.c.paid_start, 0).label("paid_start"),
    ).select_from(inv.outerjoin(paid, paid.c.invoice_id == inv.c.invoice_id))
    if currency is not None:
        docs = docs.where(_currency(inv.c.currency) == currency)
    d = docs.subquery("docs")
    # What the invoice's matched payments leave over: all of them before it is issued,
    # the part beyond its amount after.
    absorbed = case(
        (d.c.issue_date > dates.day, 0),
        (d.c.paid_day < d.c.cents, d.c.paid_day),
        else_=d.c.cents,
    )
    return select(
        d.c.client_id,
        d.c.currency,
        d.c.cents,
        d.c.sign,
        d.c.issue_date,
        d.c.due_date,
        d.c.disputed,
        d.c.written_off,
        d.c.doubtful_date,
        _open_at(d, d.c.paid_day, dates.day).label("open_day"),
        _open_at(d, d.c.paid_start, dates.start).label("open_start"),
        (d.c.paid_day - absorbed).label("left_over"),
    ).subquery("opened")


def _doubtful(o: Subquery, dates: _Dates, rule: DoubtfulDefinition) -> ColumnElement[bool]:
    """Whether an open document is a créance douteuse under ``rule`` (see ledger.kpis)."""
    conditions = [
        o.c.due_date < dates.before(rule.days_past_due),
        o.c.doubtful_date <= dates.day,
    ]
    if rule.include_disputed:
        conditions.append(o.c.disputed.is_(True))
    if rule.include_written_off:
        conditions.append(o.c.written_off.is_(True))
    return or_(*conditions)


def _invoice_sums(dates: _Dates, currency: str | None, rule: DoubtfulDefinition) -> Select[Any]:
    """The invoices' figures per (currency, client): parts, buckets, douteuses, open amounts.

    Only the invoices with something open or left over count: settled ones, most of a
    ledger, add nothing to any figure and are left out before the grouping by client (the
    main statement took 0.55 s instead of about 1 s at 100,000 invoices, 5 s instead of
    8–10 s at 1,000,000, on PostgreSQL and a loaded machine).
    """
    o = _documents(dates, currency)
    day, invoice, credit = dates.day, o.c.sign == 1, o.c.sign == -1

    def due_in(first: date, last: date) -> ColumnElement[int]:
        return _sum_if(and_(invoice, o.c.due_date >= first, o.c.due_date <= last), o.c.open_day)

    sums = {
        "client_id": o.c.client_id,
        "currency": o.c.currency,
        "echu": _sum_if(and_(invoice, o.c.due_date < day), o.c.open_day),
        "non_echu": _sum_if(and_(invoice, o.c.due_date >= day), o.c.open_day),
        "non_affecte": _sum_if(credit, o.c.open_day) + _total(o.c.left_over),
        "d1_30": due_in(dates.before(30), dates.before(1)),
        "d31_60": due_in(dates.before(60), dates.before(31)),
        "d61_90": due_in(dates.before(90), dates.before(61)),
        "over_90": _sum_if(and_(invoice, o.c.due_date < dates.before(90)), o.c.open_day),
        "douteuses": _sum_if(and_(invoice, _doubtful(o, dates, rule)), o.c.open_day),
        "net_open": _total(o.c.sign * o.c.open_day),
        "open_at_start": _total(o.c.sign * o.c.open_start),
        "n_open": _sum_if(o.c.open_day != 0, 1),
    }
    counting = or_(o.c.open_day != 0, o.c.open_start != 0, o.c.left_over != 0)
    return _branch(sums).where(counting).group_by(o.c.currency, o.c.client_id)


def _invoice_currencies(currency: str | None) -> Select[Any]:
    """A row per currency of the invoices, with no client: they are the currencies the
    KPIs are given in, even where no invoice of theirs counts at the date."""
    inv = TABLE_OBJECTS["invoices"]
    code = _currency(inv.c.currency)
    query = _branch(
        {"client_id": null(), "currency": code.label("currency"), "present": literal_column("1")}
    )
    query = query.group_by(code)
    return query if currency is None else query.where(code == currency)


def _branch(columns: Mapping[str, ColumnElement[Any]]) -> Select[Any]:
    """One source's rows of the union: client, currency, then every figure (0 if not its)."""
    values = [columns.get(name, literal_column("0")).label(name) for name in _FIGURES]
    return select(columns["client_id"].label("client_id"), columns["currency"], *values)


def _other_branches(dates: _Dates, currency: str | None) -> list[Select[Any]]:
    """The encours parts outside the invoices: à émettre, avances, effets, unmatched cash.

    Their rows are all read (a condition, not a filter, says what counts) so that their
    currencies are present even at a day none counts, as in ledger.kpis; payments make no
    currency present.
    """
    day = dates.day
    unbilled, advances = TABLE_OBJECTS["unbilled"], TABLE_OBJECTS["advances"]
    effets, payments = TABLE_OBJECTS["effets"], TABLE_OBJECTS["payments"]
    due_to_invoice = and_(
        or_(unbilled.c.delivered_date.is_(None), unbilled.c.delivered_date <= day),
        unbilled.c.expected_issue_date > day,
    )
    held = and_(
        advances.c.received_date <= day,
        or_(advances.c.applied_date.is_(None), advances.c.applied_date > day),
    )
    discounted = and_(
        effets.c.remittance == "discount", effets.c.remitted_date <= day, effets.c.due_date > day
    )
    sources: list[tuple[Table, str, ColumnElement[bool]]] = [
        (unbilled, "a_emettre", due_to_invoice),
        (advances, "avances", held),
        (effets, "effets", discounted),
    ]
    branches = []
    for table, part, counted in sources:
        columns = {
            "client_id": table.c.client_id,
            "currency": _currency(table.c.currency).label("currency"),
            part: case((counted, _cents(table.c.amount)), else_=0),
            "present": literal_column("1"),
        }
        branch = _branch(columns)
        if currency is not None:
            branch = branch.where(_currency(table.c.currency) == currency)
        branches.append(branch)
    unmatched = _branch(
        {
            "client_id": payments.c.client_id,
            "currency": _currency(payments.c.currency).label("currency"),
            "non_affecte": _cents(payments.c.amount),
            "present": literal_column("0"),
        }
    ).where(payments.c.invoice_id.is_(None), payments.c.payment_date <= day)
    if currency is not None:
        unmatched = unmatched.where(_currency(payments.c.currency) == currency)
    return [*branches, unmatched]


def _statement(dates: _Dates, currency: str | None, rule: DoubtfulDefinition) -> Select[Any]:
    """Every figure per currency, from the encours of each client of that currency."""
    invoices = _invoice_sums(dates, currency, rule)
    others = _other_branches(dates, currency)
    rows = union_all(invoices, _invoice_currencies(currency), *others).subquery("parts")
    per_client = (
        select(rows.c.currency, rows.c.client_id, *(_total(rows.c[n]).label(n) for n in _FIGURES))
        .group_by(rows.c.currency, rows.c.client_id)
        .subquery("clients")
    )
    c = per_client.c
    encours = c.echu + c.non_echu + c.a_emettre + c.effets - c.avances - c.non_affecte
    return (
        select(
            c.currency,
            *(_total(c[n]).label(n) for n in _FIGURES),
            _total(encours).label("encours"),
            _sum_if(encours != 0, 1).label("n_clients"),
        )
        .group_by(c.currency)
        .order_by(c.currency)
    )


def _sales_statement(dates: _Dates, currency: str | None) -> Select[Any]:
    """Net sales (invoices less credit notes) by currency and issue day, on the days the
    DSO, the recovery period and the count-back periods read.

    Summed by day rather than by period in the main statement: 26 more conditional sums a
    row there cost more than this one grouping (a few hundred days a currency).
    """
    inv = TABLE_OBJECTS["invoices"]
    code = _currency(inv.c.currency)
    cents = _cents(inv.c.amount)
    signed = case((inv.c.doc_type == "credit_note", -cents), else_=cents)
    first = min(dates.months[-1], dates.year_start, dates.start)
    query = (
        select(code.label("currency"), inv.c.issue_date, _total(signed).label("cents"))
        .where(inv.c.issue_date > first, inv.c.issue_date <= dates.day)
        .group_by(code, inv.c.issue_date)
    )
    return query if currency is None else query.where(code == currency)


def _sales_sums(days: list[tuple[date, int]], dates: _Dates) -> dict[str, int]:
    """The net sales of the DSO's year, of the recovery period and of each count-back
    period, from the net sales by issue day."""

    def issued_in(after: date, until: date) -> int:
        return sum(cents for day, cents in days if after < day <= until)

    months = dates.months
    return {
        "year_sales": issued_in(dates.year_start, dates.day),
        "period_sales": issued_in(dates.start, dates.day),
        **{name: issued_in(months[k + 1], months[k]) for k, name in enumerate(_PERIODS)},
    }


def _figures(
    engine: Engine,
    dates: _Dates,
    currency: str | None,
    rule: DoubtfulDefinition,
    with_sales: bool = True,
) -> dict[str, dict[str, int]]:
    """The statements' integer sums, by currency, read from one snapshot of the database
    (as ``load_ledger`` reads it: REPEATABLE READ on PostgreSQL, one transaction on SQLite).
    """
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")
        rows = connection.execute(_statement(dates, currency, rule)).mappings().all()
        sales = connection.execute(_sales_statement(dates, currency)).all() if with_sales else []
    by_day: dict[str, list[tuple[date, int]]] = {}
    for code, day, cents in sales:
        by_day.setdefault(str(code), []).append((day, int(cents)))
    return {
        str(row["currency"]): {k: int(v or 0) for k, v in row.items() if k != "currency"}
        | _sales_sums(by_day.get(str(row["currency"]), []), dates)
        for row in rows
    }


# --- the results, from the sums ------------------------------------------------------------


def _aged(sums: Mapping[str, int]) -> AgedBalance:
    """The balance âgée from the sums: not due is the non échu, unapplied cash beside."""
    d = [cents_to_decimal(sums.get(name, 0)) for name in ("non_echu", *_AGED, "non_affecte")]
    return AgedBalance(d[0], d[1], d[2], d[3], d[4], d[5])


def _kpis(
    sums: Mapping[str, int],
    dates: _Dates,
    currency: str,
    rule: DoubtfulDefinition,
    cash: Decimal | None,
    short_term_debt: Decimal | None,
) -> Kpis:
    """The KPIs of one currency from its sums, as ledger.kpis makes them from its arrays."""

    def get(name: str) -> int:
        return sums.get(name, 0)

    encours_cents, n_clients, net_open = get("encours"), get("n_clients"), get("net_open")
    encours = cents_to_decimal(encours_cents)
    claims = get("open_at_start") + get("period_sales")
    months = dates.months
    lengths = [(months[k] - months[k + 1]).days for k in range(_COUNTBACK_MONTHS)]
    countback = (
        _countback_days([get(n) for n in _PERIODS], lengths, net_open) if net_open > 0 else 0.0
    )
    return Kpis(
        as_of=dates.day,
        currency=currency,
        encours=encours,
        echu=cents_to_decimal(get("echu")),
        non_echu=cents_to_decimal(get("non_echu")),
        a_emettre=cents_to_decimal(get("a_emettre")),
        avances=cents_to_decimal(get("avances")),
        dso=_ratio(encours_cents, get("year_sales"), _YEAR_DAYS, 1),
        dso_countback=countback,
        taux_recouvrement=_ratio(claims - net_open, claims, 100, 2),
        taux_creances_douteuses=_ratio(get("douteuses"), encours_cents, 100, 2),
        encours_moyen_par_client=(encours / n_clients).quantize(CENT) if n_clients else None,
        liquidite_immediate=_liquidite(encours, cash, short_term_debt),
        aged_balance=_aged(sums),
        n_clients_with_encours=n_clients,
        non_affecte=cents_to_decimal(get("non_affecte")),
        effets_escomptes_non_echus=cents_to_decimal(get("effets")),
    )


def kpis_in_database(
    engine: Engine,
    as_of: date,
    *,
    currency: str | None = None,
    doubtful: DoubtfulDefinition = DEFAULT_DOUBTFUL,
    cash: Decimal | Mapping[str, Decimal] | None = None,
    short_term_debt: Decimal | Mapping[str, Decimal] | None = None,
    recovery_period_days: int = _YEAR_DAYS,
) -> list[Kpis]:
    """:func:`ledger.kpis.compute_kpis` of the ledger stored in ``engine``'s database,
    computed there: the same :class:`~ledger.kpis.Kpis`, one per currency, sorted."""
    dates = _dates(as_of, recovery_period_days)
    figures = _figures(engine, dates, currency, doubtful)
    plain = currency or DEFAULT_CURRENCY
    if currency is None:
        wanted = [code for code, sums in figures.items() if sums["present"] > 0]
    else:
        wanted = [currency]
    return [
        _kpis(
            figures.get(code, {}),
            dates,
            code,
            doubtful,
            _in_currency(cash, code, plain),
            _in_currency(short_term_debt, code, plain),
        )
        for code in wanted
    ]


def aged_balance_in_database(
    engine: Engine, as_of: date, currency: str | None = None
) -> dict[str, AgedBalance]:
    """:func:`ledger.kpis.aged_balance` of the ledger stored in ``engine``'s database,
    computed there: per currency with an open document (only ``currency`` when given)."""
    dates = _dates(as_of, _YEAR_DAYS)
    figures = _figures(engine, dates, currency, DEFAULT_DOUBTFUL, with_sales=False)
    if currency is not None:
        return {currency: _aged(figures.get(currency, {}))}
    return {code: _aged(sums) for code, sums in figures.items() if sums["n_open"] > 0}
