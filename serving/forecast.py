"""Cash-in forecast: expected collections per day or week from the payment-time model.

For every invoice open at the end of ``as_of`` (open amount from
:func:`ledger.kpis.open_amounts`, less the client's cash received but not yet lettered;
credit notes and written-off invoices left out: nothing is collected on them), the
payment-time model gives the distribution of the payment date
conditional on being still open at ``as_of``. Period ``p`` covers whole days
``(start_p, end_p]`` counted from ``as_of`` (days, or 7-day weeks starting the day after
``as_of``); with ``q_ip = F_i(end_p) − F_i(start_p)``:

- expected cash-in = Σ_i a_i q_ip (a_i the open amount);
- payment runs: many clients pay only on run days (last business day of the month, the
  10th, or both: :mod:`ledger.day_calendar`'s, as the features'). The model's
  distribution is smooth in time, so for a client whose past settlements fell on such
  runs (:func:`payment_calendars`) the probability mass is moved onto the run days
  (:func:`snapped_days`); weekly errors drop by about two thirds on simulated ledgers,
  where most clients pay in runs.
- bands: each invoice is paid in the period with probability ``q_ip`` (the whole open
  amount, a Bernoulli), so the period total has mean Σ_i a_i q_ip; with independent
  invoices its variance would be Σ_i a_i² q_ip (1 − q_ip). One transfer often settles
  several invoices of a client, so invoices of the same client are taken as correlated
  (:data:`CLIENT_RHO`), different clients as independent (see :func:`moments`). The 80 %
  and 95 % bands are the normal approximation mean ± 1.2816 σ and ± 1.96 σ, clipped at
  0. Shocks shared by many clients (a recession, a bank holiday) are not in them.
- unbilled rows counted as à émettre at ``as_of`` are assumed invoiced on their
  ``expected_issue_date`` and paid on the due date from the client's terms (30 days when
  unknown): certain amounts, no variance.
- projected encours client at the end of period p = encours client at ``as_of``
  (:func:`ledger.kpis.compute_kpis`) − cumulative expected cash-in: a run-off, no sales
  beyond the unbilled rows; projected DSO = projected encours × 365 / CA TTC of the 365
  days to ``as_of`` (held constant).

One currency per forecast (EUR by default): currencies are never added together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from features.pay_runs import on_run
from features.pipeline import FeatureBuilder
from ledger.balance_arrays import (
    BalanceArrays,
    open_cents_at,
    open_frame_at,
    prepare_balances,
    unapplied_by_client,
)
from ledger.contract import DEFAULT_CURRENCY, Ledger
from ledger.day_calendar import month_end_run, month_of, tenth_run
from ledger.days import day_number, day_numbers
from ledger.kpis import kpis_over
from serving.scoring import model_columns
from training.dataset import ledger_end
from training.payment_time import PaymentDistribution, TimeModel

Granularity = Literal["day", "week"]
Z80, Z95 = 1.2816, 1.96
MAX_HORIZON_WEEKS = 26
DEFAULT_TERMS_DAYS = 30
YEAR_DAYS = 365
CLIENT_RHO = 0.15
"""Correlation of the payments of two invoices of one client in a period. Chosen on
backtests of simulated ledgers (300 clients, 24 months; 4-week forecasts every 2 weeks
over the last 6 months, 48 weeks each; payment-time model trained before them): on
seeds 7, 21, 3, 11, 42 and 5 the 80 % band held the actual in 62-85 % of the weeks with
0.1 (mean 77 %), 67-88 % with 0.15 (80 %), 71-88 % with 0.2 (83 %), and 56-79 % with
independence, 88-96 % with 0.5; checked on seeds 8, 13, 17 and 23 with 0.15: 75, 90, 94
and 79 % (mean 84.5 %). One ledger's 48 weeks move the figure by about ±10 points."""

COLUMNS = (
    "period_start",
    "period_end",
    "expected_cents",
    "std_cents",
    "low80_cents",
    "high80_cents",
    "low95_cents",
    "high95_cents",
    "unbilled_cents",
    "encours_cents",
    "dso",
)
"""Columns of :attr:`Forecast.periods`: dates as ``datetime.date``, money in cents."""


@dataclass(frozen=True)
class Forecast:
    """A forecast made at ``as_of`` in one currency: one row per period."""

    as_of: dt.date
    currency: str
    granularity: Granularity
    encours_cents: int
    sales_12m_cents: int
    n_invoices: int
    periods: pd.DataFrame

    def period_records(self) -> list[dict[Hashable, Any]]:
        """One dict per period, money in currency units (``expected`` for
        ``expected_cents``...), DSO None where it is not defined."""
        money = [c for c in self.periods.columns if c.endswith("_cents")]
        rows = self.periods.drop(columns=money)
        for column in money:
            rows[column.removesuffix("_cents")] = self.periods[column] / 100
        rows["dso"] = rows["dso"].astype(object).where(rows["dso"].notna(), None)
        return rows.to_dict("records")


def period_ends(horizon_weeks: int, granularity: Granularity) -> np.ndarray:
    """Ends of the periods in days after ``as_of``: 1, 2, ... or 7, 14, ..."""
    if not 1 <= horizon_weeks <= MAX_HORIZON_WEEKS:
        raise ValueError(f"horizon_weeks must be 1 to {MAX_HORIZON_WEEKS}, not {horizon_weeks}")
    step = 1 if granularity == "day" else 7
    return np.arange(step, 7 * horizon_weeks + 1, step, dtype=np.int64)


def period_probabilities(
    dist: PaymentDistribution,
    as_of_day: int,
    ends: np.ndarray,
    calendar: np.ndarray | None = None,
) -> np.ndarray:
    """P(paid in each period), one row per invoice: ``F(end_p) − F(start_p)``.

    ``ends`` are days after ``as_of`` (epoch day ``as_of_day``); period p is
    ``(ends[p-1], ends[p]]``, the first starting at ``as_of``. ``calendar`` (one code of
    :data:`CALENDARS` per invoice) snaps the payments of clients who pay in runs: see
    :func:`snapped_days`.
    """
    bounds = np.concatenate([[0], ends])
    n = len(dist.due_day)
    if n == 0:
        return np.zeros((0, len(ends)))
    codes = np.zeros(n, dtype=np.int64) if calendar is None else calendar
    cdf = np.column_stack(
        [dist.paid_by(snapped_days(as_of_day, as_of_day + b, codes) - dist.due_day) for b in bounds]
    )
    return np.clip(np.diff(cdf, axis=1), 0.0, 1.0)


# --- payment runs ------------------------------------------------------------------------

CALENDARS = ("any_day", "month_end", "tenth", "tenth_and_month_end")
"""How a client's transfers land: any day, or only in runs (last business day of the
month, the 10th or the next business day, or both)."""
RUN_SHARE = 0.8
"""A client pays in runs when this share of its past payments (at least ``RUN_MIN``) fell
on run days."""
RUN_MIN = 3
RUN_SNAP_DAYS = 31
"""The CDF of a client paying in runs is read at most this many days after the day asked
(midway to the run following it: see :func:`snapped_days`)."""


def _runs(code: int, lo: int, hi: int) -> np.ndarray:
    """Run days (epoch days) of calendar ``code`` in the months around ``[lo, hi]``."""
    months = np.arange(int(month_of(lo)) - 1, int(month_of(hi)) + 3)
    parts = []
    if code in (1, 3):
        parts.append(month_end_run(months))
    if code in (2, 3):
        parts.append(tenth_run(months))
    return np.sort(np.concatenate(parts))


def snapped_days(as_of_day: int, day: int, calendar: np.ndarray) -> np.ndarray:
    """Offsets at which to read the model's CDF for P(paid by ``day``), per invoice.

    Clients paying any day: ``day`` itself. Clients paying in runs pay only on run days:
    P(paid by ``day``) = P(paid by the last run r <= ``day``), 0 when that run is not after
    ``as_of`` (no run since then); the model's smooth CDF is read midway between r and
    the next run, which gives r the mass of the payment dates nearer to it.
    """
    out = np.full(len(calendar), float(day))
    for code in (1, 2, 3):
        chosen = calendar == code
        if not chosen.any():
            continue
        runs = _runs(code, as_of_day, day)
        i = np.searchsorted(runs, day, side="right") - 1
        last, following = runs[i], runs[i + 1]
        out[chosen] = as_of_day if last <= as_of_day else (last + following) / 2
    return out


def payment_calendars(ledger: Ledger, as_of: dt.date) -> pd.Series:
    """Calendar code (index into :data:`CALENDARS`) of each client, from payments by ``as_of``.

    The settlement dates (``paid_date``) of the client's invoices paid by ``as_of``: a
    client with at least ``RUN_MIN`` of them and ``RUN_SHARE`` on month-end runs, on the
    10th's runs, or on either, pays in those runs; any day otherwise.
    """
    inv = ledger.invoices
    paid = pd.to_datetime(inv["paid_date"])
    done = (
        (inv["doc_type"] == "invoice") & paid.notna() & (paid <= pd.Timestamp(as_of))
    ).to_numpy()
    paid_day = day_numbers(paid[done])
    if len(paid_day) == 0:
        return pd.Series(dtype=np.int64)
    frame = pd.DataFrame(
        {
            "client_id": inv["client_id"].to_numpy()[done],
            "end": on_run(paid_day, month_end_run),
            "tenth": on_run(paid_day, tenth_run),
        }
    )
    frame["either"] = frame["end"] | frame["tenth"]
    stats = frame.groupby("client_id")[["end", "tenth", "either"]].mean()
    count = frame.groupby("client_id").size()
    enough = count >= RUN_MIN
    code = np.where(
        stats["end"] >= RUN_SHARE,
        1,
        np.where(stats["tenth"] >= RUN_SHARE, 2, np.where(stats["either"] >= RUN_SHARE, 3, 0)),
    )
    return pd.Series(np.where(enough, code, 0), index=stats.index, dtype=np.int64)


def moments(
    amounts: np.ndarray, q: np.ndarray, clients: np.ndarray | None = None, rho: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance per period of Σ_i a_i B_ip, B_ip ~ Bernoulli(q_ip).

    Independent invoices (``clients`` None or ``rho`` 0): variance Σ_i a_i² q_ip (1 − q_ip).
    With ``clients`` (one label per invoice) and ``rho`` > 0, two invoices of one client
    are correlated ``rho`` (one transfer often settles several), clients independent:
    variance Σ_c [(1 − rho) Σ_{i in c} a_i² σ_ip² + rho (Σ_{i in c} a_i σ_ip)²],
    σ_ip² = q_ip (1 − q_ip); ``rho`` = 1 is the comonotone upper bound.
    """
    a = np.asarray(amounts, dtype="float64")
    independent = (a * a) @ (q * (1.0 - q))
    if clients is None or rho == 0.0:
        return a @ q, independent
    codes, uniques = pd.factorize(pd.Series(clients))
    spread = np.zeros((len(uniques), q.shape[1]))
    np.add.at(spread, codes, a[:, None] * np.sqrt(q * (1.0 - q)))
    return a @ q, (1.0 - rho) * independent + rho * (spread * spread).sum(axis=0)


def bands(mean: np.ndarray, var: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Normal-approximation band mean ± z σ, clipped at 0."""
    sd = np.sqrt(np.maximum(var, 0.0))
    return np.maximum(mean - z * sd, 0.0), mean + z * sd


def net_of_unapplied(open_docs: pd.DataFrame, unapplied: pd.Series) -> pd.Series:
    """Open cents of ``open_docs`` once each client's unapplied cash is set against them.

    Cash a client paid (or was credited) that no invoice has absorbed yet will not come
    in twice: it is set against the client's invoices, the earliest due first, as the
    lettrage will most likely do. ``unapplied`` holds cents by client.
    """
    order = open_docs.sort_values(["client_id", "due_date"], kind="stable")
    cents = order["open_cents"].astype(np.int64)
    before = cents.groupby(order["client_id"], sort=False).cumsum() - cents
    credit = unapplied.reindex(order["client_id"]).fillna(0).to_numpy(np.int64)
    taken = np.clip(credit - before.to_numpy(np.int64), 0, cents.to_numpy(np.int64))
    return (cents - taken).reindex(open_docs.index)


def collectible(
    ledger: Ledger, as_of: dt.date, currency: str, arrays: BalanceArrays | None = None
) -> pd.DataFrame:
    """Invoices open at ``as_of`` in ``currency`` that may still be collected.

    The ledger's invoice rows with ``open_cents`` added, net of their client's unapplied
    cash (:func:`net_of_unapplied`); credit notes, written-off invoices and nothing-open
    rows left out. ``arrays``: the ledger's, when the caller has them
    (:func:`ledger.balance_arrays.prepare_balances`).
    """
    arrays = arrays if arrays is not None else prepare_balances(ledger)
    day = day_number(as_of)
    docs = open_frame_at(arrays, day)
    keep = (
        (docs["doc_type"] == "invoice")
        & (docs["open_cents"] > 0)
        & ~docs["written_off"].astype(bool)
        & (docs["currency"] == currency)
    )
    unapplied = unapplied_by_client(arrays, day, currency)
    chosen = docs[keep].assign(open_cents=net_of_unapplied(docs[keep], unapplied))
    chosen = chosen[chosen["open_cents"] > 0]
    invoices = ledger.invoices.loc[chosen.index].copy()
    invoices["open_cents"] = chosen["open_cents"].astype(np.int64)
    return invoices


def invoice_probabilities(
    ledger: Ledger,
    features: FeatureBuilder,
    model: TimeModel,
    invoices: pd.DataFrame,
    as_of: dt.date,
    ends: np.ndarray,
) -> np.ndarray:
    """P(paid in each period) of ``invoices`` open at the end of ``as_of``."""
    if invoices.empty:
        return np.zeros((0, len(ends)))
    x = features.transform(invoices, pd.Timestamp(as_of))
    open_at = pd.Series(pd.Timestamp(as_of) + pd.Timedelta(days=1), index=invoices.index)
    # Read up to the horizon's end, or the payment run it snaps to (within a month after).
    until = pd.Series(
        pd.Timestamp(as_of) + pd.Timedelta(days=int(ends[-1]) + RUN_SNAP_DAYS),
        index=invoices.index,
    )
    dist = model.distribution(
        model_columns(model, x),
        invoices["issue_date"],
        invoices["due_date"],
        open_at,
        until,
        clients=invoices["client_id"].to_numpy(),
    )
    calendar = (
        invoices["client_id"]
        .map(payment_calendars(ledger, as_of))
        .fillna(0)
        .to_numpy(dtype=np.int64)
    )
    return period_probabilities(dist, day_number(as_of), ends, calendar)


def unbilled_cash(ledger: Ledger, as_of: dt.date, currency: str, ends: np.ndarray) -> np.ndarray:
    """Cents of unbilled rows (à émettre at ``as_of``) paid in each period, at their due date."""
    frame = ledger.unbilled
    out = np.zeros(len(ends), dtype=np.int64)
    if frame.empty:
        return out
    day = day_number(as_of)
    delivered = pd.to_datetime(frame["delivered_date"])
    issue = day_numbers(frame["expected_issue_date"])
    counted = (delivered.isna() | (delivered <= pd.Timestamp(as_of))).to_numpy() & (issue > day)
    if "currency" in frame:
        counted &= (frame["currency"].fillna(DEFAULT_CURRENCY) == currency).to_numpy()
    elif currency != DEFAULT_CURRENCY:
        return out
    terms = (
        ledger.clients.set_index("client_id")["payment_terms_days"]
        .reindex(frame["client_id"])
        .astype("Float64")
        .fillna(DEFAULT_TERMS_DAYS)
        .to_numpy(dtype="float64")
    )
    paid = issue + terms.astype(np.int64) - day  # days after as_of
    period = np.searchsorted(ends, paid, side="left")
    inside = counted & (period < len(ends))
    np.add.at(out, period[inside], frame["amount_cents"].to_numpy(dtype=np.int64)[inside])
    return out


def sales_12m_cents(ledger: Ledger, as_of: dt.date, currency: str) -> int:
    """CA TTC of the 365 days to ``as_of``: invoices less credit notes issued then."""
    inv = ledger.invoices
    issued = pd.to_datetime(inv["issue_date"])
    end = pd.Timestamp(as_of)
    cur = inv["currency"].fillna(DEFAULT_CURRENCY) if "currency" in inv else DEFAULT_CURRENCY
    keep = (issued > end - pd.Timedelta(days=YEAR_DAYS)) & (issued <= end) & (cur == currency)
    sign = np.where(inv["doc_type"] == "credit_note", -1, 1)
    return int((inv["amount_cents"].to_numpy(dtype=np.int64) * sign)[keep.to_numpy()].sum())


def forecast_cash(
    ledger: Ledger,
    features: FeatureBuilder,
    model: TimeModel,
    as_of: dt.date,
    *,
    horizon_weeks: int = 13,
    granularity: Granularity = "week",
    currency: str = DEFAULT_CURRENCY,
    arrays: BalanceArrays | None = None,
) -> Forecast:
    """Expected cash-in per period after ``as_of`` with 80 % / 95 % bands, encours and DSO
    (``arrays``: the ledger's, when the caller has them)."""
    ends = period_ends(horizon_weeks, granularity)
    arrays = arrays if arrays is not None else prepare_balances(ledger)
    invoices = collectible(ledger, as_of, currency, arrays)
    q = invoice_probabilities(ledger, features, model, invoices, as_of, ends)
    mean, var = moments(
        invoices["open_cents"].to_numpy(dtype="float64"),
        q,
        invoices["client_id"].to_numpy(),
        CLIENT_RHO,
    )
    unbilled = unbilled_cash(ledger, as_of, currency, ends)
    expected = mean + unbilled
    lo80, hi80 = bands(mean, var, Z80)
    lo95, hi95 = bands(mean, var, Z95)
    kpis = kpis_over(arrays, [as_of], currency)[0]
    encours = int(kpis.encours * 100)
    sales = sales_12m_cents(ledger, as_of, currency)
    projected = encours - np.cumsum(expected)
    starts = np.concatenate([[0], ends[:-1]]) + 1
    base = pd.Timestamp(as_of)
    periods = pd.DataFrame(
        {
            "period_start": [(base + pd.Timedelta(days=int(s))).date() for s in starts],
            "period_end": [(base + pd.Timedelta(days=int(e))).date() for e in ends],
            "expected_cents": np.rint(expected).astype(np.int64),
            "std_cents": np.rint(np.sqrt(var)).astype(np.int64),
            "low80_cents": np.rint(lo80 + unbilled).astype(np.int64),
            "high80_cents": np.rint(hi80 + unbilled).astype(np.int64),
            "low95_cents": np.rint(lo95 + unbilled).astype(np.int64),
            "high95_cents": np.rint(hi95 + unbilled).astype(np.int64),
            "unbilled_cents": unbilled,
            "encours_cents": np.rint(projected).astype(np.int64),
            "dso": (np.round(projected * YEAR_DAYS / sales, 1) if sales > 0 else np.nan),
        }
    )
    return Forecast(
        as_of=base.date(),
        currency=currency,
        granularity=granularity,
        encours_cents=encours,
        sales_12m_cents=sales,
        n_invoices=len(invoices),
        periods=periods,
    )


# --- backtest ----------------------------------------------------------------------------


BASELINES = ("due_date", "client_delay")


@dataclass(frozen=True)
class Backtest:
    """Weekly forecasts made at past dates beside what was collected.

    ``weeks``: one row per (as_of, week) with ``actual_cents``, ``model_cents``,
    ``low80_cents``, ``high80_cents`` and one ``<baseline>_cents`` per baseline.
    ``wape``: Σ|actual − forecast| / Σ actual per method; ``coverage80``: share of weeks
    whose actual lies in the 80 % band.
    """

    weeks: pd.DataFrame
    wape: dict[str, float]
    coverage80: float


def backtest_dates(
    ledger: Ledger, every_weeks: int = 2, months: int = 6, weeks: int = 4
) -> list[dt.date]:
    """As-of dates every ``every_weeks`` weeks over the last ``months`` months of the ledger,
    the last leaving ``weeks`` weeks of known collections before the ledger's end."""
    end = ledger_end(ledger)
    last = end - pd.Timedelta(weeks=weeks)
    first = end - pd.DateOffset(months=months)
    out: list[dt.date] = []
    day = last
    while day >= first:
        out.append(day.date())
        day -= pd.Timedelta(weeks=every_weeks)
    return sorted(out)


def _collected(
    arrays: BalanceArrays, invoices: pd.DataFrame, as_of: dt.date, ends: np.ndarray
) -> np.ndarray:
    """Cents of ``invoices`` (open at ``as_of``) settled in each period, from the ledger."""
    before = invoices["open_cents"].to_numpy(dtype=np.int64)
    rows = arrays.docs.frame.index.get_indexer(invoices.index)
    day = day_number(as_of)
    out = np.zeros(len(ends), dtype=np.int64)
    for p, e in enumerate(ends):
        now = open_cents_at(arrays, day + int(e))[rows]
        out[p] = int(np.maximum(before - now, 0).sum())
        before = np.minimum(before, now)
    return out


def _client_delays(ledger: Ledger, as_of: dt.date) -> tuple[pd.Series, float]:
    """Mean days from due to payment per client over invoices paid by ``as_of``; overall mean."""
    inv = ledger.invoices
    paid = pd.to_datetime(inv["paid_date"])
    done = (inv["doc_type"] == "invoice") & paid.notna() & (paid <= pd.Timestamp(as_of))
    delay = (paid[done] - pd.to_datetime(inv.loc[done, "due_date"])).dt.days
    overall = float(delay.mean()) if len(delay) else 0.0
    return delay.groupby(inv.loc[done, "client_id"]).mean(), overall


def _point_cash(amounts: np.ndarray, days_after: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Cents paid in each period when each amount is paid ``days_after`` as_of (>= 1)."""
    out = np.zeros(len(ends), dtype=np.int64)
    period = np.searchsorted(ends, np.maximum(days_after, 1), side="left")
    inside = period < len(ends)
    np.add.at(out, period[inside], amounts[inside])
    return out


def backtest(
    ledger: Ledger,
    features: FeatureBuilder,
    model: TimeModel,
    dates: list[dt.date] | None = None,
    *,
    weeks: int = 4,
    currency: str = DEFAULT_CURRENCY,
    arrays: BalanceArrays | None = None,
) -> Backtest:
    """Replay weekly forecasts of ``weeks`` weeks at ``dates`` (default
    :func:`backtest_dates`) against the collections of the invoices open then.

    Collected = the fall of those invoices' open amounts in the week (matched payments and
    settlements), as :func:`ledger.kpis.open_amounts` reads them; unbilled rows are left out
    on both sides. Features are point-in-time at each date, but one model serves every date:
    it should be trained with a cut-off before the earliest one (``encours train`` keeps
    the last six months out, the span of :func:`backtest_dates`). Baselines: the whole open
    amount paid on the due date (the day after ``as_of`` when overdue), or on the due date
    plus the client's mean delay over invoices settled by ``as_of`` (all clients' mean for
    a client without history). ``arrays``: the ledger's, when the caller has them.
    """
    ends = period_ends(weeks, "week")
    arrays = arrays if arrays is not None else prepare_balances(ledger)
    rows = []
    for as_of in dates if dates is not None else backtest_dates(ledger, weeks=weeks):
        invoices = collectible(ledger, as_of, currency, arrays)
        amounts = invoices["open_cents"].to_numpy(dtype=np.int64)
        q = invoice_probabilities(ledger, features, model, invoices, as_of, ends)
        mean, var = moments(
            amounts.astype("float64"), q, invoices["client_id"].to_numpy(), CLIENT_RHO
        )
        lo80, hi80 = bands(mean, var, Z80)
        day = day_number(as_of)
        due = day_numbers(invoices["due_date"]) - day
        delays, overall = _client_delays(ledger, as_of)
        delay = invoices["client_id"].map(delays).fillna(overall).to_numpy(dtype="float64")
        rows.append(
            pd.DataFrame(
                {
                    "as_of": as_of,
                    "week": np.arange(1, len(ends) + 1),
                    "actual_cents": _collected(arrays, invoices, as_of, ends),
                    "model_cents": np.rint(mean).astype(np.int64),
                    "low80_cents": np.rint(lo80).astype(np.int64),
                    "high80_cents": np.rint(hi80).astype(np.int64),
                    "due_date_cents": _point_cash(amounts, due, ends),
                    "client_delay_cents": _point_cash(
                        amounts, due + np.rint(delay).astype(np.int64), ends
                    ),
                }
            )
        )
    weeks_frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    actual = weeks_frame["actual_cents"].to_numpy(dtype="float64") if rows else np.zeros(0)
    total = actual.sum()
    wape = {
        name: float(np.abs(actual - weeks_frame[f"{name}_cents"]).sum() / total)
        if total
        else float("nan")
        for name in ("model", *BASELINES)
    }
    inside = (
        (weeks_frame["low80_cents"] <= weeks_frame["actual_cents"])
        & (weeks_frame["actual_cents"] <= weeks_frame["high80_cents"])
        if rows
        else pd.Series(dtype=bool)
    )
    return Backtest(weeks_frame, wape, float(inside.mean()) if rows else float("nan"))


STALE_AFTER_DAYS = 31
"""A forecast made this many days or more after the ledger's last known date gets a warning."""


def stale_ledger_warning(ledger: Ledger, as_of: dt.date) -> str | None:
    """Why a forecast at ``as_of`` cannot be trusted when the ledger stops long before it.

    Payments after the ledger's last date are not known, so invoices look open long after
    they were paid; past the payment-time horizon their probability of paying in any later
    period is nil and the forecast falls to zero (the usual case: a simulated or old
    ledger forecast "today").
    """
    if ledger.invoices.empty:
        return None
    last = (ledger_end(ledger) - pd.Timedelta(days=1)).date()
    late = (as_of - last).days
    if late < STALE_AFTER_DAYS:
        return None
    return (
        f"as_of {as_of.isoformat()} is {late} days after the last date the ledger knows "
        f"({last.isoformat()}): payments since then are not imported, so invoices look open "
        "for longer than they are and this forecast understates cash-in. Import recent "
        f"payments, or pass as_of={last.isoformat()}."
    )
