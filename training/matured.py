"""Matured performance: the scores once given, judged by what the invoices then did.

A score given at ``as_of`` matures when its outcome is known at the monitoring date
``today``: paid (on time or late), or past its due date unpaid (late, whatever comes
next). Only scores given before the outcome was known count: seen on or before the due
date and before the payment. Payments after ``today`` are unknown at ``today`` (so a past
date can be monitored on today's ledger without peeking). The same invoice scored twice
the same day by the same version counts once (pages and retried requests repeat scores).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

CASH_HORIZON_DAYS = 30
"""A score's expected payment date counts as a forecast of the cash in this many days."""
MIN_AUC_ROWS = 20
"""Fewer matured scores (or no late and on-time ones both) give no AUC: None."""


def matured_scores(
    scores: pd.DataFrame, invoices: pd.DataFrame, today: pd.Timestamp
) -> pd.DataFrame:
    """Logged ``scores`` whose outcome is known at ``today``, with it.

    Args:
        scores: the score log (:func:`ledger.score_log.read_scores`).
        invoices: ``invoice_id``, ``client_id``, ``due_date``, ``paid_date``, ``amount_cents``
            and, when known, ``sector`` of the ledger's invoices.
        today: the monitoring date.

    Returns:
        One row per (invoice, as_of, version) scored in time, with ``late`` (bool),
        ``known_on`` (the day the outcome was known) and the invoice's columns.
    """
    latest = scores.drop_duplicates(["invoice_id", "as_of", "model_version"], keep="last")
    joined = latest.merge(
        invoices.drop(columns=["client_id"], errors="ignore"), on="invoice_id", how="inner"
    )
    paid = joined["paid_date"].where(joined["paid_date"] <= today)  # unknown after today
    joined = joined.assign(paid_date=paid)
    in_time = (joined["as_of"] <= joined["due_date"]) & ~(paid <= joined["as_of"])
    known = (paid.notna() | (joined["due_date"] < today)) & in_time
    out = joined[known].copy()
    out["late"] = (out["paid_date"] > out["due_date"]) | out["paid_date"].isna()
    on_time_day = out["paid_date"].where(~out["late"])
    out["known_on"] = on_time_day.fillna(out["due_date"] + pd.Timedelta(days=1))
    return out.reset_index(drop=True)


def _auc(late: np.ndarray, p: np.ndarray) -> float | None:
    if len(late) < MIN_AUC_ROWS or late.all() or not late.any():
        return None
    return float(roc_auc_score(late, p))


def performance(rows: pd.DataFrame) -> dict[str, Any]:
    """Figures of matured scores: how many, the late share against the mean probability
    (their difference is the calibration gap), Brier score and ROC AUC."""
    late = rows["late"].to_numpy(bool)
    p = rows["p_late"].to_numpy(float)
    if len(rows) == 0:
        return {"n": 0, "late_rate": None, "mean_p_late": None, "calibration_gap": None,
                "brier": None, "auc": None}  # fmt: skip
    return {
        "n": len(rows),
        "late_rate": float(late.mean()),
        "mean_p_late": float(p.mean()),
        "calibration_gap": float(late.mean() - p.mean()),
        "brier": float(brier_score_loss(late, p)),
        "auc": _auc(late, p),
    }


def calibration_error(rows: pd.DataFrame, bins: int = 10) -> float | None:
    """Expected calibration error: the row-weighted mean |late share − mean probability|
    over ten equal-width bins of the probability."""
    if len(rows) == 0:
        return None
    p = rows["p_late"].to_numpy(float)
    late = rows["late"].to_numpy(float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    gaps = [abs(late[which == b].mean() - p[which == b].mean()) * (which == b).sum()
            for b in np.unique(which)]  # fmt: skip
    return float(np.sum(gaps) / len(p))


def by_group(rows: pd.DataFrame, column: str) -> list[dict[str, Any]]:
    """:func:`performance` of the rows of each value of ``column``, in its order."""
    return [
        {column: str(value), **performance(group)}
        for value, group in rows.groupby(column, sort=True)
    ]


def coverage(rows: pd.DataFrame, today: pd.Timestamp) -> dict[str, Any]:
    """Share of payments inside the scores' P10–P90 band, among scores with a band whose
    outcome is known: paid by ``today``, or still open after the P90 date (outside)."""
    banded = rows.dropna(subset=["p10_date", "p90_date"])
    paid = banded["paid_date"]
    known = paid.notna() | (banded["p90_date"] < today)
    inside = (paid >= banded["p10_date"]) & (paid <= banded["p90_date"])
    n = int(known.sum())
    return {"n": n, "p10_p90": float(inside[known].mean()) if n else None}


def cash_error(rows: pd.DataFrame, today: pd.Timestamp) -> dict[str, Any]:
    """Error of the cash expected within :data:`CASH_HORIZON_DAYS` of each scoring day
    against what came in, over the days whose horizon has passed at ``today``: the
    amounts of scored invoices expected by then against those paid by then, summed per
    day; WAPE = Σ |expected − paid| / Σ paid (None without a passed horizon)."""
    dated = rows.dropna(subset=["expected_date"])
    horizon = dated["as_of"] + pd.Timedelta(days=CASH_HORIZON_DAYS)
    dated = dated[horizon <= today]
    if dated.empty:
        return {"days": 0, "wape": None}
    end = dated["as_of"] + pd.Timedelta(days=CASH_HORIZON_DAYS)
    amount = dated["amount_cents"].astype(float)
    frame = pd.DataFrame(
        {
            "as_of": dated["as_of"],
            "expected": amount.where(dated["expected_date"] <= end, 0.0),
            "paid": amount.where(dated["paid_date"] <= end, 0.0),
        }
    )
    per_day = frame.groupby("as_of")[["expected", "paid"]].sum()
    paid_total = float(per_day["paid"].sum())
    wape = float((per_day["expected"] - per_day["paid"]).abs().sum() / paid_total)
    return {"days": len(per_day), "wape": wape if paid_total else None}


def matured_report(
    scores: pd.DataFrame, invoices: pd.DataFrame, today: pd.Timestamp, recent_days: int = 30
) -> dict[str, Any]:
    """Every matured figure of the score log at ``today``: overall, by month scored, by
    model version, and over the outcomes known in the last ``recent_days`` (overall and by
    sector: a downturn shows there first), the P10–P90 coverage and the cash error.

    Every score counts towards the cash error, matured or not: its horizon decides."""
    rows = matured_scores(scores, invoices, today)
    rows["month"] = rows["as_of"].dt.strftime("%Y-%m")
    recent = rows[rows["known_on"] > today - pd.Timedelta(days=recent_days)]
    cash_rows = scores.drop_duplicates(["invoice_id", "as_of", "model_version"], keep="last")
    cash_rows = cash_rows.merge(
        invoices[["invoice_id", "amount_cents", "paid_date"]], on="invoice_id"
    )
    cash_rows = cash_rows.assign(
        paid_date=cash_rows["paid_date"].where(cash_rows["paid_date"] <= today)
    )
    report: dict[str, Any] = {
        "as_of": today.date().isoformat(),
        **performance(rows),
        "calibration_error": calibration_error(rows),
        "by_month": by_group(rows, "month"),
        "by_model_version": by_group(rows, "model_version"),
        "recent": {"days": recent_days, **performance(recent)},
        "coverage": coverage(rows, today),
        "cash_forecast": cash_error(cash_rows, today),
    }
    if "sector" in rows.columns:
        report["recent_by_sector"] = by_group(recent.fillna({"sector": "?"}), "sector")
    return report
