"""Point-in-time payment history of the client, for each (invoice, as_of) pair.

Only invoices settled strictly before ``as_of`` count as paid history: an invoice
issued earlier but paid on or after ``as_of`` is not yet known to be paid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.registry import FeatureSpec, register

FAMILY = "history"

SPECS = register(
    FeatureSpec("hist_n_paid", "invoices of the client settled before this date", FAMILY, "int"),
    FeatureSpec(
        "hist_mean_days_late",
        "mean days late (paid date minus due date) of the client's settled invoices",
        FAMILY,
    ),
    FeatureSpec("hist_share_late", "share of the client's settled invoices paid late", FAMILY),
    FeatureSpec("hist_last_days_late", "days late of the client's last settled invoice", FAMILY),
    FeatureSpec("hist_max_days_late", "longest delay among the client's settled invoices", FAMILY),
)


def settled_history(invoices: pd.DataFrame) -> pd.DataFrame:
    """Settled invoices (not credit notes) in settlement order with their running history."""
    paid = invoices[(invoices["doc_type"] == "invoice") & invoices["paid_date"].notna()]
    days_late = (paid["paid_date"] - paid["due_date"]).dt.days.astype("float64")
    events = pd.DataFrame(
        {
            "client_id": pd.Series(paid["client_id"].to_numpy(), dtype=object),
            "event_date": paid["paid_date"].astype("datetime64[ns]").to_numpy(),
            "days_late": days_late.to_numpy(),
        }
    ).sort_values(["client_id", "event_date"], kind="stable")
    by_client = events.groupby("client_id", sort=False)
    events["hist_n_paid"] = by_client.cumcount() + 1
    events["sum_days_late"] = by_client["days_late"].cumsum()
    events["n_late"] = (
        (events["days_late"] > 0).astype("int64").groupby(events["client_id"]).cumsum()
    )
    events["hist_max_days_late"] = by_client["days_late"].cummax()
    events["hist_last_days_late"] = events["days_late"]
    # Several invoices settled the same day: the history at a later date sees all of them.
    return events.groupby(["client_id", "event_date"], sort=False).tail(1)


def history_features(invoices: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """History features of each pair (``client_id``, ``as_of``), indexed like ``pairs``."""
    events = settled_history(invoices).sort_values("event_date", kind="stable")
    left = pd.DataFrame(
        {
            "client_id": pd.Series(pairs["client_id"].to_numpy(), dtype=object),
            "as_of": pairs["as_of"].astype("datetime64[ns]").to_numpy(),
            "row": np.arange(len(pairs)),
        }
    ).sort_values("as_of", kind="stable")
    merged = pd.merge_asof(
        left,
        events,
        left_on="as_of",
        right_on="event_date",
        by="client_id",
        allow_exact_matches=False,  # settled on as_of itself is not yet known
    ).sort_values("row")
    n_paid = merged["hist_n_paid"].fillna(0).astype("int64").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "hist_n_paid": n_paid,
                "hist_mean_days_late": merged["sum_days_late"].to_numpy() / n_paid,
                "hist_share_late": merged["n_late"].to_numpy() / n_paid,
                "hist_last_days_late": merged["hist_last_days_late"].to_numpy(),
                "hist_max_days_late": merged["hist_max_days_late"].to_numpy(),
            },
            index=pairs.index,
        )
    return out
