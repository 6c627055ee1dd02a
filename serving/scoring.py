"""Scores for invoices: the late-payment model applied to features built as in training."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from ledger.errors import UnknownClient


@dataclass(frozen=True)
class LoadedModel:
    """A model taken from the registry, with where it came from and when."""

    name: str
    version: str
    model: Any
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC), compare=False)

    @property
    def feature_names(self) -> list[str]:
        """The columns the model was trained on, in order."""
        return list(self.model.feature_names_in_)

    def predict_late(self, x: pd.DataFrame) -> np.ndarray:
        """Probability of late payment for each row of ``x`` (one thread per request)."""
        # A column the model knows but the ledger no longer has is missing, not an error.
        columns = x.reindex(columns=self.feature_names)
        return np.asarray(self.model.predict_proba(columns)[:, 1])


def check_clients(ledger: Ledger, client_ids: pd.Series) -> None:
    """Raise ``UnknownClient`` for the first client id the ledger does not hold."""
    known = set(ledger.clients["client_id"])
    for client_id in client_ids:
        if client_id not in known:
            raise UnknownClient(str(client_id))


def score_invoices(
    ledger: Ledger,
    features: FeatureBuilder,
    model: LoadedModel,
    invoices: pd.DataFrame,
    as_of: pd.Timestamp,
) -> pd.Series:
    """Late probability of each invoice (in-memory contract form) seen at ``as_of``.

    ``features`` is the builder fitted on ``ledger``: the very code training used.
    """
    check_clients(ledger, invoices["client_id"])
    x = features.transform(invoices, as_of)
    return pd.Series(model.predict_late(x), index=invoices.index, name="p_late")
