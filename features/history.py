"""Payment history of the client: its invoices settled strictly before as_of.

An invoice issued earlier but settled on or after as_of is not history yet (it is
open, see the exposure family). Settlement order is (paid date, issue date, invoice id).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.prepared import Columns, Pairs, PreparedLedger
from features.registry import FeatureSpec, register
from features.timeline import NEVER, Timeline

FAMILY = "history"
EWM_HALFLIFE = 3  # invoices
RECENT = 5  # invoices

SPECS = register(
    FeatureSpec("hist_n_paid", "invoices of the client settled before this date", FAMILY),
    FeatureSpec("hist_mean_days_late", "mean days late of the client's settled invoices", FAMILY),
    FeatureSpec("hist_median_days_late", "median days late of the settled invoices", FAMILY),
    FeatureSpec("hist_p90_days_late", "90th percentile of days late (the bad tail)", FAMILY),
    FeatureSpec(
        "hist_share_late", "share of the settled invoices paid after their due date", FAMILY
    ),
    FeatureSpec("hist_amount_weighted_days_late", "days late weighted by invoice amount", FAMILY),
    FeatureSpec(
        "hist_ewm_days_late",
        f"days late, recent invoices weighted most (half-life {EWM_HALFLIFE} invoices)",
        FAMILY,
    ),
    FeatureSpec(
        "hist_recent_mean_days_late",
        f"mean days late of the last {RECENT} settled invoices",
        FAMILY,
    ),
    FeatureSpec(
        "hist_trend_days_late",
        f"last {RECENT} invoices' mean days late minus the long-run mean (> 0: slowing down)",
        FAMILY,
    ),
    FeatureSpec("hist_max_days_late", "longest delay of the client so far, in days", FAMILY),
    FeatureSpec("hist_last_days_late", "days late of the client's last settled invoice", FAMILY),
    FeatureSpec(
        "hist_days_since_last_late", "days since the client last paid an invoice late", FAMILY
    ),
)
NAMES = [s.name for s in SPECS]


def _running_history(settled: pd.DataFrame) -> pd.DataFrame:
    """Running statistics after each settlement, in settlement order per client."""
    code = settled["code"].to_numpy()
    late_days = settled["days_late"].astype("float64")
    by = late_days.groupby(code, sort=False)
    n = by.cumcount().to_numpy() + 1.0
    amount = settled["amount_cents"].astype("float64")
    late = (late_days > 0).astype("float64")
    weighted = (late_days * amount).groupby(code, sort=False).cumsum()

    def windowed(series: pd.Series) -> np.ndarray:
        return series.reset_index(level=0, drop=True).sort_index().to_numpy()

    mean = by.cumsum().to_numpy() / n
    recent = windowed(by.rolling(RECENT, min_periods=1).mean())
    last_late_day = (
        pd.Series(np.where(late > 0, settled["paid_day"].astype("float64"), np.nan))
        .groupby(code, sort=False)
        .ffill()
    )
    return pd.DataFrame(
        {
            "hist_n_paid": n,
            "hist_mean_days_late": mean,
            "hist_median_days_late": windowed(by.expanding().median()),
            "hist_p90_days_late": windowed(by.expanding().quantile(0.9)),
            "hist_share_late": late.groupby(code, sort=False).cumsum().to_numpy() / n,
            "hist_amount_weighted_days_late": weighted.to_numpy()
            / amount.groupby(code, sort=False).cumsum().to_numpy(),
            "hist_ewm_days_late": windowed(by.ewm(halflife=EWM_HALFLIFE, adjust=True).mean()),
            "hist_recent_mean_days_late": recent,
            "hist_trend_days_late": recent - mean,
            "hist_max_days_late": by.cummax().to_numpy(),
            "hist_last_days_late": late_days.to_numpy(),
            "last_late_day": last_late_day.to_numpy(),
        }
    )


class HistoryFeatures:
    """The history family: fit on a prepared ledger, transform pairs."""

    def fit(self, prepared: PreparedLedger) -> HistoryFeatures:
        """Compute the running history of every client once."""
        inv = prepared.invoices
        settled = inv[inv["paid_day"] != NEVER].assign(
            days_late=lambda f: f["paid_day"] - f["due_day"]
        )
        settled = settled.sort_values(
            ["code", "paid_day", "issue_day", "invoice_id"], kind="stable"
        ).reset_index(drop=True)
        running = _running_history(settled)
        self.timeline_ = Timeline.from_running(
            settled["code"].to_numpy(), settled["paid_day"].to_numpy(), running
        )
        return self

    def transform(self, pairs: Pairs) -> Columns:
        """History features of each pair."""
        pos = self.timeline_.positions(pairs.code, pairs.t)
        out: Columns = {name: self.timeline_.take(name, pos) for name in NAMES[:-1]}
        out["hist_n_paid"] = self.timeline_.take("hist_n_paid", pos, missing=0.0)
        out["hist_days_since_last_late"] = pairs.t - self.timeline_.take("last_late_day", pos)
        return out
