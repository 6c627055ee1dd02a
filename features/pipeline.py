"""One feature code path for training (as_of = issue date) and serving (as_of = now)."""

from __future__ import annotations

import pandas as pd

from features.history import history_features
from features.invoice import invoice_features
from features.registry import REGISTRY

FEATURE_NAMES: list[str] = list(REGISTRY)


def build_features(history: pd.DataFrame, invoices: pd.DataFrame, as_of: pd.Series) -> pd.DataFrame:
    """The model matrix for ``invoices`` seen at ``as_of``, from the ledger's ``history``.

    Args:
        history: the ledger's invoices (the payment history every feature reads).
        invoices: the invoices to describe (stored or prospective), in the contract's
            in-memory form; indexed as the caller likes.
        as_of: the date each invoice is seen at, aligned with ``invoices``.

    Returns:
        One row per invoice, the registry's columns in registry order, float64.
    """
    pairs = pd.DataFrame({"client_id": invoices["client_id"], "as_of": as_of})
    frame = pd.concat([history_features(history, pairs), invoice_features(invoices)], axis=1)
    return frame[FEATURE_NAMES].astype("float64")
