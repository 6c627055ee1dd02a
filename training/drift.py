"""Population stability: how far the invoices scored lately are from those a model learned on.

The population stability index (PSI) of a variable compares its distribution on recent
rows with that on reference rows, over bins cut at the reference's deciles:
``PSI = Σ (recent share − reference share) × ln(recent share / reference share)``. The
trade reads it as: below 0.1 stable, 0.1 to 0.25 a shift worth watching, above 0.25 a
population the model has not seen. Missing values are a bin of their own (a feature
missing more often is a shift too); a category variable's bins are its categories.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from features.registry import REGISTRY

BINS = 10
"""Bins of a numeric variable: the reference's deciles."""
SHARE_FLOOR = 1e-4
"""An empty bin's share, so that its logarithm stays finite (a common choice; a bin empty
on one side and holding 1 % of the other then adds 0.01 × ln(100) ≈ 0.05)."""

GROWING_OR_SEASONAL = frozenset(
    {
        "cli_relationship_days",
        "hist_n_paid",
        "exp_n_invoices",
        "dun_n_actions_client",
        "hist_days_since_last_late",
        "inv_issue_weekday",
        "inv_issue_month",
        "inv_issue_month_end",
        "inv_due_in_august",
        "inv_due_in_december",
    }
)
"""Features that move on a ledger without any drift: counts and ages that grow with every
month of the relationship, and the calendar (a December window against a training year).
Their PSI is reported, never alerted on: on a simulated ledger without drift, the PSI of
``hist_n_paid`` between a 12-month training window and a month a year later was above 0.25."""


def _shares(codes: np.ndarray, n_bins: int) -> np.ndarray:
    """Share of ``codes`` (0 .. n_bins - 1) in each bin, floored at :data:`SHARE_FLOOR`."""
    counts = np.bincount(codes, minlength=n_bins).astype(float)
    return np.maximum(counts / max(len(codes), 1), SHARE_FLOOR)


def _index(expected: np.ndarray, actual: np.ndarray) -> float:
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def numeric_psi(reference: Iterable[float], recent: Iterable[float], bins: int = BINS) -> float:
    """PSI of a numeric variable: bins cut at the reference's quantiles, missing apart.

    A variable with fewer distinct reference values than ``bins`` gets one bin per value
    (a flag has two), as repeated quantiles would merge them anyway.
    """
    ref, new = np.asarray(list(reference), float), np.asarray(list(recent), float)
    known = ref[~np.isnan(ref)]
    inner = np.linspace(0, 1, bins + 1)[1:-1]
    edges = np.unique(np.quantile(known, inner)) if len(known) else np.zeros(0)
    n_bins = len(edges) + 2  # the bins between the edges, and the missing values' bin

    def codes(values: np.ndarray) -> np.ndarray:
        # A value equal to an edge falls in the bin below it: a flag's 0s and 1s part.
        return np.where(np.isnan(values), n_bins - 1, np.searchsorted(edges, values, "left"))

    return _index(_shares(codes(ref), n_bins), _shares(codes(new), n_bins))


def category_psi(reference: Iterable[object], recent: Iterable[object]) -> float:
    """PSI of a category variable: one bin per category seen on either side, missing apart."""
    ref = pd.Series(list(reference), dtype=object).fillna("\x00missing")
    new = pd.Series(list(recent), dtype=object).fillna("\x00missing")
    categories = pd.Index(pd.concat([ref, new]).astype(str).unique())
    n_bins = len(categories)
    return _index(
        _shares(categories.get_indexer(ref.astype(str)), n_bins),
        _shares(categories.get_indexer(new.astype(str)), n_bins),
    )


def frame_psi(reference: pd.DataFrame, recent: pd.DataFrame) -> dict[str, float]:
    """PSI of each column of ``reference`` (features, as the builder gives them) against
    the same column of ``recent``; category and text columns by category."""
    found: dict[str, float] = {}
    for name in reference.columns:
        ref, new = reference[name], recent[name]
        if isinstance(ref.dtype, pd.CategoricalDtype) or ref.dtype == object:
            found[name] = category_psi(ref.astype(object), new.astype(object))
        else:
            found[name] = numeric_psi(ref.to_numpy(float), new.to_numpy(float))
    return found


ALERTED_FAMILIES = ("invoice", "client")
"""Families whose drift raises an alert: what the invoice and its client are. History,
exposure and dunning features accumulate as a ledger ages (on a simulated ledger without
drift, ``hist_max_days_late`` moved to a PSI of 0.68 a year after training); their drift
counts through the score's PSI, as the model weighs it."""


def alerted_features(names: Iterable[str]) -> list[str]:
    """The features of ``names`` whose drift raises an alert: of :data:`ALERTED_FAMILIES`,
    not :data:`GROWING_OR_SEASONAL`."""
    return [
        name
        for name in names
        if name in REGISTRY
        and REGISTRY[name].family in ALERTED_FAMILIES
        and name not in GROWING_OR_SEASONAL
    ]
