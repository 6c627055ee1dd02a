"""The slow, obviously-correct oracle of the point-in-time features.

Written from ``features_spec.md`` alone, never from the pipeline: for each (invoice, as_of)
pair it filters the ledger's rows by the strict "before t" rules and computes every
feature with plain pandas on that small subset. Readability first, speed last.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from typing import Any

import holidays
import numpy as np
import pandas as pd

from ledger.contract import Ledger, user_columns

NAN = float("nan")
FORMAL_CHANNELS = ("formal_notice", "legal")

HISTORY = [
    "hist_n_paid",
    "hist_mean_days_late",
    "hist_median_days_late",
    "hist_p90_days_late",
    "hist_share_late",
    "hist_amount_weighted_days_late",
    "hist_ewm_days_late",
    "hist_recent_mean_days_late",
    "hist_trend_days_late",
    "hist_max_days_late",
    "hist_last_days_late",
    "hist_share_paid_month_end",
    "hist_share_paid_tenth",
    "hist_days_since_last_late",
    "hist_paydays_in_term",
    "hist_shrunk_share_late",
    "hist_shrunk_mean_days_late",
    "hist_excess_share_late",
    "hist_excess_days_late",
]
PRIOR_WEIGHT = 5  # invoices
EXPOSURE = [
    "exp_n_invoices",
    "exp_open_amount",
    "exp_n_open",
    "exp_overdue_amount",
    "exp_n_overdue",
    "exp_open_vs_credit_limit",
    "exp_oldest_open_days",
]
INVOICE = [
    "inv_log_amount",
    "inv_amount_vs_usual",
    "inv_terms_days",
    "inv_issue_weekday",
    "inv_issue_month",
    "inv_issue_month_end",
    "inv_due_in_august",
    "inv_due_in_december",
    "inv_month_end_run_in_term",
    "inv_tenth_run_in_term",
    "inv_disputed",
    "inv_currency",
]
CLIENT = [
    "cli_sector",
    "cli_country",
    "cli_public_sector",
    "cli_relationship_days",
    "cli_terms_days",
    "cli_log_credit_limit",
]
DUNNING = [
    "dun_n_actions_client",
    "dun_n_actions_invoice",
    "dun_n_formal_notices",
    "dun_n_broken_promises",
]
SPEC_NAMES = HISTORY + EXPOSURE + INVOICE + CLIENT + DUNNING
SPEC_CATEGORICAL = ("inv_currency", "cli_sector", "cli_country")


def _missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA."""
    return value is None or bool(pd.isna(value))


def _days(later: pd.Timestamp, earlier: pd.Timestamp) -> float:
    """Whole days from ``earlier`` to ``later``; NaN if either is missing."""
    if _missing(later) or _missing(earlier):
        return NAN
    return float((later - earlier).days)


def _units(cents: Any) -> float:
    """Cents to currency units; NaN if missing."""
    return NAN if _missing(cents) else float(cents) / 100


def _parses_as_numbers(values: pd.Series) -> bool:
    """True if every non-missing value of a user column parses as a number."""
    present = values[values.notna()]
    return bool(pd.to_numeric(present.astype(object), errors="coerce").notna().all())


# --- user columns: their kind and categories are learnt from the ledger ("fit time") ------


class UserColumn:
    """One user column ``x_*`` as seen in the ledger: numeric, or categories seen there."""

    def __init__(self, source: str, feature: str, ledger_values: pd.Series) -> None:
        self.source = source
        self.feature = feature
        self.numeric = _parses_as_numbers(ledger_values)
        self.categories = {str(v) for v in ledger_values if not _missing(v)}

    def value(self, raw: Any) -> Any:
        """The feature value of a raw cell: a float, a seen category, or NaN."""
        if _missing(raw):
            return NAN
        if self.numeric:
            return float(pd.to_numeric(pd.Series([raw], dtype=object), errors="coerce")[0])
        return str(raw) if str(raw) in self.categories else NAN


def user_columns_of(ledger: Ledger) -> list[UserColumn]:
    """The user columns of the ledger: invoice ``x_*`` then client ``cli_x_*``."""
    found = [UserColumn(n, n, ledger.invoices[n]) for n in user_columns(ledger.invoices)]
    found += [UserColumn(n, f"cli_{n}", ledger.clients[n]) for n in user_columns(ledger.clients)]
    return found


# --- the families, one pair at a time ---------------------------------------------------


def shrunk_features(
    all_invoices: pd.DataFrame, n: float, share: float, mean: float, t: pd.Timestamp
) -> dict[str, float]:
    """The client's share late and mean delay, pulled toward every client's before ``t``."""
    settled = all_invoices[all_invoices["paid_date"] < t]
    late = (settled["paid_date"] - settled["due_date"]).dt.days.astype(float)
    if late.empty:
        return {"hist_shrunk_share_late": NAN, "hist_shrunk_mean_days_late": NAN}
    prior_share, prior_mean = float((late > 0).mean()), float(late.mean())
    if n == 0:
        return {"hist_shrunk_share_late": prior_share, "hist_shrunk_mean_days_late": prior_mean}
    return {
        "hist_shrunk_share_late": (n * share + PRIOR_WEIGHT * prior_share) / (n + PRIOR_WEIGHT),
        "hist_shrunk_mean_days_late": (n * mean + PRIOR_WEIGHT * prior_mean) / (n + PRIOR_WEIGHT),
    }


def excess_features(
    all_invoices: pd.DataFrame, client_invoices: pd.DataFrame, t: pd.Timestamp
) -> dict[str, float]:
    """Each settled invoice's lateness less everyone's mean for its kind, averaged."""
    everyone = all_invoices[all_invoices["paid_date"] < t]
    mine = client_invoices[client_invoices["paid_date"] < t]
    if mine.empty:
        return {"hist_excess_share_late": NAN, "hist_excess_days_late": NAN}

    def days_late(rows: pd.DataFrame) -> pd.Series:
        return (rows["paid_date"] - rows["due_date"]).dt.days.astype(float)

    def disputed(rows: pd.DataFrame) -> pd.Series:
        return rows["disputed"].fillna(False).astype(bool)

    def excess(figure: Callable[[pd.DataFrame], pd.Series]) -> float:
        return float(
            np.mean(
                [
                    value - figure(everyone[disputed(everyone) == kind]).mean()
                    for value, kind in zip(figure(mine), disputed(mine), strict=True)
                ]
            )
        )

    return {
        "hist_excess_share_late": excess(lambda rows: (days_late(rows) > 0).astype(float)),
        "hist_excess_days_late": excess(days_late),
    }


FRANCE = holidays.France()  # metropolitan France; years filled in as they are asked
TARGET2 = holidays.financial_holidays("XECB")


def is_business_day(day: pd.Timestamp) -> bool:
    """A weekday, neither a French public holiday nor a TARGET2 closing day."""
    return day.weekday() < 5 and day not in FRANCE and day not in TARGET2


def is_month_end_run(day: pd.Timestamp) -> bool:
    """The last business day of its month: no later business day before the month ends."""
    rest = pd.date_range(day, day + pd.offsets.MonthEnd(0))
    return is_business_day(day) and not any(is_business_day(d) for d in rest[1:])


def is_tenth_run(day: pd.Timestamp) -> bool:
    """The first business day of its month on or after the 10th."""
    tenth = day.replace(day=10)
    before = pd.date_range(tenth, day)[:-1]  # empty unless the 10th came before ``day``
    return day >= tenth and is_business_day(day) and not any(is_business_day(d) for d in before)


def run_in_term(
    issue: pd.Timestamp, due: pd.Timestamp, is_run: Callable[[pd.Timestamp], bool]
) -> bool:
    """Whether a run day falls after ``issue`` and on or before ``due``."""
    return any(is_run(d) for d in pd.date_range(issue + pd.Timedelta(days=1), due))


def paydays_in_term(
    client_invoices: pd.DataFrame, t: pd.Timestamp, issue: pd.Timestamp, due: pd.Timestamp
) -> float:
    """Share of the payments settled before ``t`` made on a kind of day found in the term."""
    paid = client_invoices.loc[client_invoices["paid_date"] < t, "paid_date"]
    if paid.empty:
        return NAN
    in_term = {
        "month_end": run_in_term(issue, due, is_month_end_run),
        "tenth": run_in_term(issue, due, is_tenth_run),
    }

    def found(day: pd.Timestamp) -> bool:
        if is_month_end_run(day):
            return in_term["month_end"]
        if is_tenth_run(day):
            return in_term["tenth"]
        return True

    return float(np.mean([found(d) for d in paid]))


def history_features(client_invoices: pd.DataFrame, t: pd.Timestamp) -> dict[str, float]:
    """History over the client's invoices settled before ``t``, in settlement order."""
    settled = client_invoices[client_invoices["paid_date"] < t]
    settled = settled.sort_values(["paid_date", "issue_date", "invoice_id"])
    late = (settled["paid_date"] - settled["due_date"]).dt.days.astype(float)
    late = late.reset_index(drop=True)
    amounts = settled["amount_cents"].astype(float).reset_index(drop=True)
    paid_dates = settled["paid_date"].reset_index(drop=True)
    if late.empty:
        return {name: (0.0 if name == "hist_n_paid" else NAN) for name in HISTORY}
    mean = late.mean()
    recent = late.tail(5).mean()
    late_paid_dates = paid_dates[late > 0]
    return {
        "hist_n_paid": float(len(late)),
        "hist_mean_days_late": mean,
        "hist_median_days_late": late.median(),
        "hist_p90_days_late": late.quantile(0.9),
        "hist_share_late": (late > 0).mean(),
        "hist_amount_weighted_days_late": (amounts * late).sum() / amounts.sum(),
        "hist_ewm_days_late": late.ewm(halflife=3, adjust=True).mean().iloc[-1],
        "hist_recent_mean_days_late": recent,
        "hist_trend_days_late": recent - mean,
        "hist_max_days_late": late.max(),
        "hist_last_days_late": late.iloc[-1],
        "hist_share_paid_month_end": float(np.mean([is_month_end_run(d) for d in paid_dates])),
        "hist_share_paid_tenth": float(np.mean([is_tenth_run(d) for d in paid_dates])),
        "hist_days_since_last_late": (
            _days(t, late_paid_dates.iloc[-1]) if len(late_paid_dates) else NAN
        ),
    }


def exposure_features(
    client_invoices: pd.DataFrame,
    payments: pd.DataFrame,
    credit_limit_cents: Any,
    t: pd.Timestamp,
) -> dict[str, float]:
    """Exposure at ``t`` over the client's invoices issued before ``t``."""
    issued = client_invoices[client_invoices["issue_date"] < t]
    open_rows = issued[~(issued["paid_date"] < t)]  # NaT (never paid) is open
    open_cents: list[float] = []
    overdue_cents: list[float] = []
    for _, j in open_rows.iterrows():
        matched = payments[
            (payments["invoice_id"] == j["invoice_id"]) & (payments["payment_date"] < t)
        ]
        remaining = max(float(j["amount_cents"]) - float(matched["amount_cents"].sum()), 0.0)
        open_cents.append(remaining)
        if j["due_date"] < t:
            overdue_cents.append(remaining)
    open_amount = sum(open_cents) / 100
    limit = _units(credit_limit_cents)
    return {
        "exp_n_invoices": float(len(issued)),
        "exp_open_amount": open_amount,
        "exp_n_open": float(len(open_rows)),
        "exp_overdue_amount": sum(overdue_cents) / 100,
        "exp_n_overdue": float(len(overdue_cents)),
        "exp_open_vs_credit_limit": (
            open_amount / limit if not _missing(limit) and limit != 0 else NAN
        ),
        "exp_oldest_open_days": (
            _days(t, open_rows["issue_date"].min()) if len(open_rows) else NAN
        ),
    }


def invoice_features(
    invoice: pd.Series, client_invoices: pd.DataFrame, t: pd.Timestamp
) -> dict[str, Any]:
    """The invoice row itself, and its amount against the client's invoices issued before t."""
    issue, due = invoice["issue_date"], invoice["due_date"]
    log_amount = float(np.log1p(_units(invoice["amount_cents"])))
    issued = client_invoices[client_invoices["issue_date"] < t]
    usual = np.log1p(issued["amount_cents"].astype(float) / 100).mean() if len(issued) else NAN
    days_in_month = calendar.monthrange(issue.year, issue.month)[1]
    currency = invoice.get("currency")
    return {
        "inv_log_amount": log_amount,
        "inv_amount_vs_usual": log_amount - usual,
        "inv_terms_days": _days(due, issue),
        "inv_issue_weekday": float(issue.weekday()),
        "inv_issue_month": float(issue.month),
        "inv_issue_month_end": float(issue.day > days_in_month - 3),
        "inv_due_in_august": float(due.month == 8),
        "inv_due_in_december": float(due.month == 12),
        "inv_month_end_run_in_term": float(run_in_term(issue, due, is_month_end_run)),
        "inv_tenth_run_in_term": float(run_in_term(issue, due, is_tenth_run)),
        "inv_disputed": float(bool(invoice["disputed"])),
        "inv_currency": NAN if _missing(currency) else str(currency),
    }


def client_features(client: pd.Series | None, t: pd.Timestamp) -> dict[str, Any]:
    """The client's row of ``ledger.clients`` (all NaN for an unknown client)."""
    if client is None:
        return dict.fromkeys(CLIENT, NAN)

    def text(value: Any) -> Any:
        return NAN if _missing(value) else str(value)

    terms = client["payment_terms_days"]
    limit = _units(client["credit_limit_cents"])
    return {
        "cli_sector": text(client["sector"]),
        "cli_country": text(client["country"]),
        "cli_public_sector": float(bool(client["is_public_sector"])),
        "cli_relationship_days": _days(t, client["created_on"]),
        "cli_terms_days": NAN if _missing(terms) else float(terms),
        "cli_log_credit_limit": NAN if _missing(limit) else float(np.log1p(limit)),
    }


def dunning_features(
    invoice_id: Any,
    client_invoices: pd.DataFrame,
    actions: pd.DataFrame,
    t: pd.Timestamp,
) -> dict[str, float]:
    """Actions before ``t`` on the client's invoices, and on this invoice."""
    known = actions[actions["action_date"] < t]
    on_client = known[known["invoice_id"].isin(set(client_invoices["invoice_id"]))]
    on_invoice = 0 if _missing(invoice_id) else int((known["invoice_id"] == invoice_id).sum())
    paid_date_of = dict(
        zip(client_invoices["invoice_id"], client_invoices["paid_date"], strict=True)
    )
    broken = 0
    for _, action in on_client.iterrows():
        promised = action["promised_date"]
        if action["outcome"] != "promise_to_pay" or _missing(promised) or not promised < t:
            continue
        paid = paid_date_of[action["invoice_id"]]
        if _missing(paid) or paid > promised:
            broken += 1
    return {
        "dun_n_actions_client": float(len(on_client)),
        "dun_n_actions_invoice": float(on_invoice),
        "dun_n_formal_notices": float(on_client["channel"].isin(FORMAL_CHANNELS).sum()),
        "dun_n_broken_promises": float(broken),
    }


def pair_features(
    ledger: Ledger, invoice: pd.Series, t: pd.Timestamp, users: list[UserColumn]
) -> dict[str, Any]:
    """Every feature of one (invoice, as_of) pair."""
    history = ledger.invoices[ledger.invoices["doc_type"] == "invoice"]  # credit notes ignored
    client_id = invoice["client_id"]
    client_invoices = history[history["client_id"] == client_id]
    client_rows = ledger.clients[ledger.clients["client_id"] == client_id]
    client = client_rows.iloc[0] if len(client_rows) else None
    limit = NAN if client is None else client["credit_limit_cents"]
    row: dict[str, Any] = {}
    row |= history_features(client_invoices, t)
    row["hist_paydays_in_term"] = paydays_in_term(
        client_invoices, t, invoice["issue_date"], invoice["due_date"]
    )
    row |= shrunk_features(
        history, row["hist_n_paid"], row["hist_share_late"], row["hist_mean_days_late"], t
    )
    row |= excess_features(history, client_invoices, t)
    row |= exposure_features(client_invoices, ledger.payments, limit, t)
    row |= invoice_features(invoice, client_invoices, t)
    row |= client_features(client, t)
    row |= dunning_features(invoice.get("invoice_id"), client_invoices, ledger.actions, t)
    for user in users:
        if user.feature.startswith("cli_"):
            raw = NAN if client is None else client[user.source]
        else:
            raw = invoice.get(user.source, NAN)
        row[user.feature] = user.value(raw)
    return row


def oracle_features(
    ledger: Ledger, invoices: pd.DataFrame, as_of: pd.Series | pd.Timestamp
) -> pd.DataFrame:
    """Every feature of every (invoice, as_of) pair, one pair at a time, from the spec.

    Returns a frame indexed like ``invoices``: the spec's features in order, then the user
    columns; numbers as float64, categorical features as pandas ``category``.
    """
    if not isinstance(as_of, pd.Series):
        as_of = pd.Series(as_of, index=invoices.index)
    users = user_columns_of(ledger)
    names = SPEC_NAMES + [u.feature for u in users]
    categorical = set(SPEC_CATEGORICAL) | {u.feature for u in users if not u.numeric}
    rows = [
        pair_features(ledger, invoice, pd.Timestamp(as_of.loc[idx]), users)
        for idx, invoice in invoices.iterrows()
    ]
    out = pd.DataFrame(rows, index=invoices.index, columns=names)
    for name in names:
        out[name] = out[name].astype("category" if name in categorical else "float64")
    return out
