"""The relance worklist: which invoices to chase today, how, and what lateness costs the client.

Rows are the invoices open at the end of ``as_of`` that are overdue or due within the
scenarios' ``soon_due_days``; credit notes and written-off invoices are left out (nothing
to chase). Each row is ranked by its amount at risk, the open amount times a risk:

- not yet due: ``p_late``, the late-payment model's probability of payment after the due
  date;
- overdue: being late is no longer a question, so the risk is the probability that the
  invoice is still unpaid 30 days from now (given it is open today), from the payment-time
  model; without that model, ``p_late`` stands in (an overdue invoice of a client the model
  finds late-paying stays high on the list). ``risk_basis`` says which one a row used.

The client's profile (strategic, public sector, risky, standard) picks the scenario; a
client is risky when the mean ``p_late`` of its invoices on the list reaches the
scenarios' threshold. The recommended step follows :func:`serving.scenarios.recommend_steps`,
except that nothing is recommended while a promise to pay is pending (promised date on or
after ``as_of``): chasing a client who promised to pay on Friday helps nobody.

Each row also gives when the invoice should be paid, given it is still open today: the
median of the payment-time model's distribution (``expected_payment_date``) and its P10
and P90, read from the same distribution as the risk. A collector may ask for some rows
only (:class:`serving.worklist_filter.WorklistFilter`: profile, age, client, collector,
amount) and for one page of them (``offset``, ``limit``); filters choose among all the
candidates before the ranking is cut: with 100 rows a page, page 2 is rows 101 to 200
of the filtered ranking.

Everything is computed on whole columns. The payment-time model is the costly part (about
20 predictions per invoice), so with a ``limit`` only the overdue invoices that could
still enter the list are scored (see :func:`_overdue_risks`). Measured on a simulated
ledger of 1.1 million invoices (20,000 clients, 24 months; 34,467 on the worklist) on two
busy cores: 4 s with the late-payment model alone, 6 s with both models and a limit of
100 or 1,000, 18 s for every row; ``open_amounts`` takes 2.5 s of each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from ledger.days import NEVER, dates_of, day_number, day_numbers
from ledger.kpis import open_amounts
from serving.penalties import PenaltyRates, late_penalty_cents, recovery_indemnity_cents
from serving.scenarios import Scenarios, channel_strength, client_profiles, recommend_steps
from serving.scoring import model_columns
from serving.uplift_actions import best_actions
from serving.worklist_filter import WorklistFilter, collector_of, matching
from training.late_choice import late_probability
from training.payment_time import TimeModel
from training.uplift import UpliftTable

NO_DAY = -1
"""The day of a date there is none of (no pending promise, no next step), as
:func:`serving.scenarios.recommend_steps` gives it."""
RISK_HORIZON_DAYS = 30
"""An overdue invoice's risk: the probability it is still unpaid this many days from now."""

COLUMNS = (
    "invoice_id",
    "reference",
    "client_id",
    "client_name",
    "currency",
    "open_cents",
    "issue_date",
    "due_date",
    "days_past_due",
    "disputed",
    "p_late",
    "risk",
    "risk_basis",
    "amount_at_risk_cents",
    "profile",
    "recommended_step",
    "next_step",
    "next_step_date",
    "promised_date",
    "penalties_cents",
    "indemnity_cents",
    "expected_payment_date",
    "payment_p10_date",
    "payment_p90_date",
    "collector",
    "uplift_action",
    "uplift_gain_cents",
    "uplift_gain_per_minute_cents",
)
"""Columns of :attr:`Worklist.rows`. Money in integer cents of the row's ``currency``,
except ``indemnity_cents``: euro cents, the indemnity being fixed in euros. The columns
added since the first release come last, so that files read by position keep reading."""
PAYMENT_QUANTILES = {
    "payment_p10_date": 0.1,
    "expected_payment_date": 0.5,
    "payment_p90_date": 0.9,
}
"""The payment dates of a row and the quantile of the payment-time distribution each is."""
_MONEY = (
    "open",
    "amount_at_risk",
    "penalties",
    "indemnity",
    "uplift_gain",
    "uplift_gain_per_minute",
)
DATE_COLUMNS = ("issue_date", "due_date", "next_step_date", "promised_date", *PAYMENT_QUANTILES)


class LateModel(Protocol):
    """The late-payment model as the worklist uses it."""

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        """Probabilities of on time / late, one row per invoice."""
        ...


@dataclass(frozen=True)
class Worklist:
    """The ranked rows of one worklist (one page of them), how many invoices qualified
    before the filters and the limit, and how many the filters kept (``None``: all)."""

    as_of: dt.date
    rows: pd.DataFrame
    n_candidates: int
    with_payment_time: bool
    n_matching: int | None = None

    @property
    def matching(self) -> int:
        """How many invoices match the filters, before the paging."""
        return self.n_candidates if self.n_matching is None else self.n_matching

    def export_frame(self) -> pd.DataFrame:
        """The rows for people and files: money in currency units, dates as dates."""
        rows = self.rows
        out = rows.drop(columns=[c for c in rows.columns if c.endswith("_cents")])
        for name in _MONEY:
            out.insert(list(rows.columns).index(f"{name}_cents"), name, rows[f"{name}_cents"] / 100)
        out = out.rename(columns={"indemnity": "indemnity_eur"})
        out["p_late"] = out["p_late"].round(4)
        out["risk"] = out["risk"].round(4)
        return out.reset_index(drop=True)

    def records(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts (dates as ISO text, missing as None)."""
        frame = self.export_frame()
        for column in DATE_COLUMNS:
            frame[column] = _iso(frame[column])
        return [
            {str(k): (None if _missing(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")
        ]


def _iso(dates: pd.Series) -> pd.Series:
    return pd.Series(
        np.where(dates.notna(), dates.dt.strftime("%Y-%m-%d"), None), index=dates.index
    )


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value)


def _no_dates(n: int) -> np.ndarray:
    return np.full(n, np.datetime64("NaT", "ns"))


def _references(ledger: Ledger, invoice_ids: pd.Series) -> np.ndarray:
    """The printed number of each invoice, ``None`` where there is none (or no column)."""
    if "reference" not in ledger.invoices:
        return np.full(len(invoice_ids), None, dtype=object)
    by_id = ledger.invoices.drop_duplicates("invoice_id").set_index("invoice_id")["reference"]
    found = np.array(by_id.reindex(invoice_ids.to_numpy()), dtype=object)
    found[pd.isna(found)] = None
    return found


def _candidates(
    ledger: Ledger, as_of: dt.date, soon_days: int, currency: str | None
) -> pd.DataFrame:
    """Open invoices, overdue or due within ``soon_days`` days, with their ledger columns."""
    open_docs = open_amounts(ledger, as_of)
    keep = (
        (open_docs["doc_type"] == "invoice")
        & (open_docs["open_cents"] > 0)
        & ~open_docs["written_off"].astype(bool)
        & (open_docs["days_past_due"] >= -soon_days)
    )
    if currency is not None:
        keep &= open_docs["currency"] == currency
    chosen = open_docs[keep]
    invoices = ledger.invoices.loc[chosen.index].copy()
    invoices["open_cents"] = chosen["open_cents"].astype(np.int64)
    invoices["days_past_due"] = chosen["days_past_due"].astype(np.int64)
    return invoices


def _actions_on(features: FeatureBuilder, invoices: pd.DataFrame, as_of_day: int) -> pd.DataFrame:
    """Actions recorded by ``as_of`` on ``invoices``, with the invoice's row position.

    Read from the builder's prepared ledger, where each action already knows its invoice.
    """
    prepared = features.prepared_
    codes = prepared.invoice_codes(invoices["invoice_id"])
    position = np.full(len(prepared.invoices) + 1, -1, dtype=np.int64)  # last: unknown (-1)
    position[codes] = np.arange(len(invoices))
    act = prepared.actions
    row = position[act["row"].to_numpy()]
    keep = (row >= 0) & (act["day"].to_numpy() <= as_of_day)
    act = act[keep]
    return pd.DataFrame(
        {
            "row": row[keep],
            "day": act["day"].to_numpy(),
            "strength": channel_strength(act["channel"].to_numpy()),
            "promise": (act["outcome"] == "promise_to_pay").to_numpy(),
            "promised_day": act["promised_day"].to_numpy(),
        }
    )


def _pending_promises(actions: pd.DataFrame, n: int, as_of_day: int) -> np.ndarray:
    """Latest promised date of each invoice when on or after ``as_of``; NaT otherwise."""
    promises = actions[actions["promise"] & (actions["promised_day"] != NEVER)]
    latest = promises.sort_values(["day", "promised_day"], kind="stable").drop_duplicates(
        "row", keep="last"
    )
    pending = latest[latest["promised_day"] >= as_of_day]
    days = np.full(n, NO_DAY, dtype=np.int64)
    days[pending["row"].to_numpy()] = pending["promised_day"].to_numpy()
    return dates_of(days, NO_DAY)


def _time_figures(
    time_model: TimeModel, x: pd.DataFrame, inv: pd.DataFrame, rows: np.ndarray, as_of: dt.date
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """P(still unpaid in 30 days) of ``rows``, open at ``as_of``, and their payment dates
    (:data:`PAYMENT_QUANTILES`), all from one distribution per invoice.

    Where the median lies past the model's horizon, P10 is left empty too: an early date
    alone would read as a forecast the model does not make.
    """
    chosen = inv.iloc[rows]
    # Open at the end of as_of: unpaid before the next day.
    open_at = pd.Series(pd.Timestamp(as_of) + pd.Timedelta(days=1), index=chosen.index)
    dist = time_model.distribution(
        model_columns(time_model, x.iloc[rows]),
        chosen["issue_date"],
        chosen["due_date"],
        open_at,
        clients=chosen["client_id"].to_numpy(),
    )
    later = chosen["days_past_due"].to_numpy() + RISK_HORIZON_DAYS
    offsets = {column: dist.quantile(q) for column, q in PAYMENT_QUANTILES.items()}
    offsets["payment_p10_date"][np.isnan(offsets["expected_payment_date"])] = np.nan
    dates = {column: dist.dates(offset).to_numpy() for column, offset in offsets.items()}
    return dist.survival_at(later.astype("float64")), dates


@dataclass
class _Risks:
    """Each row's risk (NaN: not computed) and payment dates (NaT: not computed)."""

    risk: np.ndarray
    dates: dict[str, np.ndarray]
    done: np.ndarray

    @classmethod
    def of(cls, risk: np.ndarray, done: np.ndarray) -> _Risks:
        """Risks with no payment date yet."""
        return cls(risk, {column: _no_dates(len(risk)) for column in PAYMENT_QUANTILES}, done)

    def add(
        self,
        rows: np.ndarray,
        unpaid: np.ndarray,
        dates: dict[str, np.ndarray],
        overdue: np.ndarray,
    ) -> None:
        """Take the payment-time figures of ``rows``: the risk of the overdue ones, all dates."""
        self.risk[rows] = np.where(overdue[rows], unpaid, self.risk[rows])
        for column, values in dates.items():
            self.dates[column][rows] = values
        self.done[rows] = True


def _overdue_risks(
    time_model: TimeModel,
    x: pd.DataFrame,
    inv: pd.DataFrame,
    p_late: np.ndarray,
    as_of: dt.date,
    limit: int | None,
) -> _Risks:
    """Risks from the payment-time model, for as many overdue rows as the ranking needs.

    The model costs ~20 rows of predictions per invoice. An overdue invoice's amount at
    risk is at most its open amount, so with a limit they are scored by decreasing open
    amount, in growing batches, until the next one could not enter the top ``limit``: the
    rows left out keep a NaN risk and are exactly those that cannot make the list.
    """
    n = len(inv)
    open_cents = inv["open_cents"].to_numpy()
    overdue = inv["days_past_due"].to_numpy() > 0
    risks = _Risks.of(np.where(overdue, np.nan, p_late), np.zeros(n, dtype=bool))
    queue = np.flatnonzero(overdue)
    queue = queue[np.argsort(-open_cents[queue], kind="stable")]
    k = n if limit is None else min(limit, n)
    start, batch = 0, len(queue) if limit is None else max(4 * k, 2_000)
    while start < len(queue):
        rows = queue[start : start + batch]
        risks.add(rows, *_time_figures(time_model, x, inv, rows, as_of), overdue)
        start, batch = start + len(rows), 2 * batch
        known = ~np.isnan(risks.risk)
        if start < len(queue) and known.sum() >= k:
            amounts = np.rint(open_cents[known] * risks.risk[known])
            kth = np.partition(amounts, len(amounts) - k)[len(amounts) - k]
            if open_cents[queue[start]] < kth:
                break
    return risks


@dataclass(frozen=True)
class _Scored:
    """The candidates' features, late probability and risk, and what the risk rests on."""

    x: pd.DataFrame
    p_late: np.ndarray
    risks: _Risks
    basis: np.ndarray


def _late_scores(
    inv: pd.DataFrame, features: FeatureBuilder, late_model: LateModel, as_of: dt.date
) -> tuple[pd.DataFrame, np.ndarray]:
    """The candidates' features and their late probability."""
    if not len(inv):
        return pd.DataFrame(index=inv.index), np.zeros(0)
    x = features.transform(inv, pd.Timestamp(as_of))
    p_late = late_probability(late_model, model_columns(late_model, x), inv["client_id"])
    return x, np.asarray(p_late).astype("float64")


def _scored(
    inv: pd.DataFrame,
    x: pd.DataFrame,
    p_late: np.ndarray,
    time_model: TimeModel | None,
    as_of: dt.date,
    limit: int | None,
) -> _Scored:
    """Each candidate's risk: from the payment-time model once overdue when there is one,
    else the late probability."""
    n = len(inv)
    overdue = inv["days_past_due"].to_numpy() > 0
    if time_model is not None:
        risks = _overdue_risks(time_model, x, inv, p_late, as_of, limit)
    else:
        risks = _Risks.of(p_late.copy(), np.ones(n, dtype=bool))
    basis = np.where(overdue & (time_model is not None), "unpaid_in_30_days", "p_late")
    return _Scored(x, p_late, risks, basis)


def _steps(
    ledger: Ledger,
    features: FeatureBuilder,
    scenarios: Scenarios,
    inv: pd.DataFrame,
    p_late: np.ndarray,
    as_of_day: int,
) -> pd.DataFrame:
    """Per candidate: its client's profile, the recommended and next steps, and a promise
    to pay still pending (which holds the relances back)."""
    client_ids = inv["client_id"].astype(object).to_numpy()
    mean_p = pd.Series(p_late, index=client_ids).groupby(level=0).mean()
    profiles = client_profiles(scenarios, ledger.clients, mean_p)
    actions = _actions_on(features, inv, as_of_day)
    steps = recommend_steps(
        scenarios,
        profiles.reindex(client_ids).to_numpy(),
        inv["days_past_due"].to_numpy(),
        day_numbers(inv["due_date"]),
        actions["row"].to_numpy(),
        actions["day"].to_numpy(),
        actions["strength"].to_numpy(),
    )
    promised = _pending_promises(actions, len(inv), as_of_day)
    recommended = steps["recommended_step"].to_numpy(dtype=object).copy()
    recommended[pd.notna(promised)] = None
    return pd.DataFrame(
        {
            "profile": profiles.reindex(client_ids).to_numpy(),
            "recommended_step": recommended,
            "next_step": steps["next_step"].to_numpy(),
            "next_step_date": dates_of(steps["next_step_day"].to_numpy(), NO_DAY),
            "promised_date": promised,
        }
    )


def _clients_of(
    ledger: Ledger, client_ids: np.ndarray, rates: PenaltyRates
) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's client name (None when unknown) and late-penalty rate (public
    buyers have their own)."""
    clients = ledger.clients.drop_duplicates("client_id").set_index("client_id")
    names = clients["name"].reindex(client_ids).to_numpy(dtype=object).copy()
    names[pd.isna(names)] = None
    public = clients["is_public_sector"].reindex(client_ids).fillna(False)
    rate = np.full(len(client_ids), rates.rate_percent, dtype=object)
    rate[public.to_numpy(dtype=bool)] = rates.public_rate_percent
    return names, rate


def _described(
    ledger: Ledger, inv: pd.DataFrame, p_late: np.ndarray, steps: pd.DataFrame, rates: PenaltyRates
) -> pd.DataFrame:
    """Every candidate's columns but those of its risk: what a filter may read."""
    client_ids = inv["client_id"].astype(object).to_numpy()
    names, rate = _clients_of(ledger, client_ids, rates)
    open_cents = inv["open_cents"].to_numpy()
    dpd = inv["days_past_due"].to_numpy()
    return pd.DataFrame(
        {
            "invoice_id": inv["invoice_id"].to_numpy(dtype=object),
            "reference": _references(ledger, inv["invoice_id"]),
            "client_id": client_ids,
            "client_name": names,
            "currency": inv["currency"].to_numpy(dtype=object),
            "open_cents": open_cents,
            "issue_date": inv["issue_date"].to_numpy(),
            "due_date": inv["due_date"].to_numpy(),
            "days_past_due": dpd,
            "disputed": inv["disputed"].to_numpy(dtype=bool),
            "p_late": p_late,
            **{column: steps[column].to_numpy() for column in steps.columns},
            "penalties_cents": late_penalty_cents(open_cents, dpd, rate),
            "indemnity_cents": recovery_indemnity_cents(dpd),
            "collector": collector_of(ledger.clients, client_ids),
        }
    )


def _with_uplift(rows: pd.DataFrame, uplift: UpliftTable | None) -> pd.DataFrame:
    """``rows`` with the action of highest expected gain per minute (none without a table)."""
    if uplift is None:
        n = len(rows)
        return rows.assign(
            uplift_action=np.full(n, None, dtype=object),
            uplift_gain_cents=np.zeros(n, dtype=np.int64),
            uplift_gain_per_minute_cents=np.zeros(n),
        )
    best = best_actions(uplift, rows["profile"].to_numpy(), rows["open_cents"].to_numpy())
    return rows.assign(
        uplift_action=best.action,
        uplift_gain_cents=best.gain_cents,
        uplift_gain_per_minute_cents=best.gain_per_minute_cents,
    )


def _with_risks(rows: pd.DataFrame, scored: _Scored) -> pd.DataFrame:
    """``rows`` with their risk, amount at risk and payment dates, in :data:`COLUMNS`."""
    risk = np.clip(scored.risks.risk, 0.0, 1.0)
    open_cents = rows["open_cents"].to_numpy()
    # Rows left unscored (NaN) cannot make the list: ranked last, cut by the limit.
    at_risk = np.rint(np.nan_to_num(open_cents * risk, nan=-1.0)).astype(np.int64)
    out = rows.assign(
        risk=risk,
        risk_basis=scored.basis,
        amount_at_risk_cents=at_risk,
        **scored.risks.dates,
        _done=scored.risks.done,
    )
    return out[[*COLUMNS, "_done"]]


def _ranked(
    rows: pd.DataFrame,
    page: slice,
    time_model: TimeModel | None,
    scored: _Scored,
    inv: pd.DataFrame,
    as_of: dt.date,
) -> pd.DataFrame:
    """The rows by amount at risk, cut to ``page`` (positions in the ranking), with the
    payment dates of the rows kept that were not scored yet."""
    rows = rows.sort_values(
        ["amount_at_risk_cents", "days_past_due", "invoice_id"],
        ascending=[False, False, True],
        kind="stable",
    )
    rows = rows.iloc[page].copy()
    missing = rows.index[~rows["_done"].to_numpy()].to_numpy()
    if time_model is not None and len(missing):  # dates of the rows not scored above
        dates = _time_figures(time_model, scored.x, inv, missing, as_of)[1]
        for column, values in dates.items():
            rows.loc[missing, column] = values
    return rows.drop(columns="_done").reset_index(drop=True)


@dataclass(frozen=True)
class WorklistBase:
    """One day's worklist candidates scored and described, before the filters and the
    paging: what every page and filter of that day's worklist shares (the late-payment
    scores of every open invoice, the most of a worklist's time), kept by the service."""

    as_of: dt.date
    inv: pd.DataFrame
    x: pd.DataFrame
    p_late: np.ndarray
    described: pd.DataFrame


def worklist_base(
    ledger: Ledger,
    features: FeatureBuilder,
    late_model: LateModel,
    scenarios: Scenarios,
    as_of: dt.date,
    *,
    rates: PenaltyRates | None = None,
    currency: str | None = None,
    uplift: UpliftTable | None = None,
) -> WorklistBase:
    """The candidates of :func:`build_worklist` (same arguments) scored and described."""
    inv = _candidates(ledger, as_of, scenarios.soon_due_days, currency)
    x, p_late = _late_scores(inv, features, late_model, as_of)
    steps = _steps(ledger, features, scenarios, inv, p_late, day_number(as_of))
    described = _with_uplift(
        _described(ledger, inv, p_late, steps, rates or PenaltyRates()), uplift
    )
    return WorklistBase(as_of, inv, x, p_late, described)


def worklist_page(
    base: WorklistBase,
    *,
    time_model: TimeModel | None = None,
    limit: int | None = None,
    filters: WorklistFilter | None = None,
    offset: int = 0,
) -> Worklist:
    """The rows of ``base`` that ``filters`` keep, ranked, ``offset`` and ``limit`` applied
    (see :func:`build_worklist`); ``base`` is left as it was."""
    if offset < 0:
        raise ValueError(f"offset must be 0 or more, not {offset}")
    as_of = base.as_of
    keep = matching(base.described, filters)
    inv, x, p_late = base.inv[keep], base.x[keep], base.p_late[keep]
    end = None if limit is None else offset + limit
    scored = _scored(inv, x, p_late, time_model, as_of, end)
    rows = _with_risks(base.described[keep].reset_index(drop=True), scored)
    return Worklist(
        as_of=as_of,
        rows=_ranked(rows, slice(offset, end), time_model, scored, inv, as_of),
        n_candidates=len(keep),
        with_payment_time=time_model is not None,
        n_matching=int(keep.sum()),
    )


def build_worklist(
    ledger: Ledger,
    features: FeatureBuilder,
    late_model: LateModel,
    scenarios: Scenarios,
    as_of: dt.date,
    *,
    time_model: TimeModel | None = None,
    rates: PenaltyRates | None = None,
    limit: int | None = None,
    currency: str | None = None,
    filters: WorklistFilter | None = None,
    offset: int = 0,
    uplift: UpliftTable | None = None,
) -> Worklist:
    """The invoices to chase at ``as_of``, ranked by amount at risk (largest first).

    Args:
        ledger: the receivables ledger.
        features: the feature builder fitted on ``ledger``.
        late_model: gives ``predict_proba(x)[:, 1]``, the late probability.
        scenarios: profiles and steps (:func:`serving.scenarios.load_scenarios`).
        as_of: the day the worklist is for (figures at the end of that day).
        time_model: the payment-time model, for overdue invoices' risk and the payment
            dates (median, P10, P90); without it, ``risk`` is ``p_late`` and no date is given.
        rates: the penalty rates (default: ECB 2.15 % + 10 points, public buyers + 8).
        limit: keep this many rows at most (a page's size).
        currency: keep only invoices in this currency.
        filters: keep only the rows these match, before the ranking is cut; a client's
            profile still rests on all its invoices on the list.
        offset: leave out this many of the first rows (the pages before this one).
        uplift: the estimated effect of each action by profile
            (:mod:`training.uplift`); with it each row names the action of highest
            expected cash gained within 30 days per collector minute, beside the rule's.
    """
    if offset < 0:
        raise ValueError(f"offset must be 0 or more, not {offset}")
    base = worklist_base(
        ledger,
        features,
        late_model,
        scenarios,
        as_of,
        rates=rates,
        currency=currency,
        uplift=uplift,
    )
    return worklist_page(base, time_model=time_model, limit=limit, filters=filters, offset=offset)
