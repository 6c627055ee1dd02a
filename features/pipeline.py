"""One feature code path: training calls it at each invoice's issue date, serving at now.

``FeatureBuilder().fit(ledger)`` arranges the ledger once; ``transform(invoices, as_of)``
then describes any invoices (stored or prospective) seen at any dates, using only what
was known strictly before each date.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from features import client, dunning, exposure, history, invoice
from features.client import ClientFeatures
from features.dunning import DunningFeatures
from features.exposure import ExposureFeatures
from features.history import HistoryFeatures
from features.invoice import InvoiceFeatures
from features.population import Population
from features.prepared import (
    Columns,
    Invoices,
    Pairs,
    PreparedLedger,
    invoice_count,
    make_pairs,
    prepare,
)
from features.registry import FeatureSpec
from features.user import UserFeatures
from ledger.contract import Ledger

# The families in the order of the model's columns (and of `encours features --list`).
SPECS: tuple[FeatureSpec, ...] = (
    *history.SPECS,
    *exposure.SPECS,
    *invoice.SPECS,
    *client.SPECS,
    *dunning.SPECS,
)


class Family(Protocol):
    """A feature family: fitted on the prepared ledger, transforms pairs."""

    def transform(self, pairs: Pairs) -> Columns:
        """Features of each pair, one array per feature."""
        ...


class FeatureBuilder:
    """Point-in-time features of (invoice, as_of) pairs, scikit-learn style.

    ``population``, when given, is what the families learn from every client
    (:mod:`features.population`) of a larger ledger than the one fitted: a part of a ledger
    split by client, fitted with the whole ledger's population, describes its invoices as
    the whole ledger does.
    """

    def __init__(self, population: Population | None = None) -> None:
        self.population = population

    def fit(self, ledger: Ledger) -> FeatureBuilder:
        """Arrange ``ledger`` for lookups; the ledger itself is not kept."""
        prepared: PreparedLedger = prepare(ledger)
        shared = self.population
        self.families_: list[Family] = [
            HistoryFeatures(shared.history if shared else None).fit(prepared),
            ExposureFeatures().fit(prepared),
            InvoiceFeatures(shared.currency if shared else None).fit(prepared),
            ClientFeatures(*((shared.sector, shared.country) if shared else ())).fit(prepared),
            DunningFeatures().fit(prepared),
        ]
        self.user_ = UserFeatures(shared.user if shared else None).fit(ledger, prepared)
        self.prepared_ = prepared
        return self

    @property
    def specs(self) -> list[FeatureSpec]:
        """Every feature this builder produces: the families', then the user's columns."""
        return [*SPECS, *self.user_.specs]

    @property
    def feature_names(self) -> list[str]:
        """Column names of ``transform``'s output, in order."""
        return [spec.name for spec in self.specs]

    def transform(self, invoices: pd.DataFrame, as_of: pd.Series | pd.Timestamp) -> pd.DataFrame:
        """Features of ``invoices`` seen at ``as_of`` (one date, or one per invoice).

        Numeric features are float64, categorical ones pandas ``category``.
        """
        # The families hand back fresh arrays, never their fitted state: no need to copy.
        return pd.DataFrame(self.columns(invoices, as_of), index=invoices.index, copy=False)

    def columns(self, invoices: Invoices, as_of: pd.Series | pd.Timestamp) -> Columns:
        """The columns of :meth:`transform`, by name in its order, without their frame.

        Online, for a few invoices, building the frames (of the invoices, of the features)
        and reading them back into the numbers a booster reads cost more than the
        features themselves: ``invoices`` may come as arrays.
        """
        if isinstance(as_of, pd.Series):
            seen = as_of.to_numpy()
        else:
            seen = np.full(invoice_count(invoices), as_of.to_datetime64())
        pairs = make_pairs(self.prepared_, invoices, seen)
        columns: Columns = {}
        for family in [*self.families_, self.user_]:
            columns.update(family.transform(pairs))
        return {name: columns[name] for name in self.feature_names}


def build_features(
    ledger: Ledger, invoices: pd.DataFrame, as_of: pd.Series | pd.Timestamp
) -> pd.DataFrame:
    """Features of ``invoices`` at ``as_of`` from ``ledger``, in one call."""
    return FeatureBuilder().fit(ledger).transform(invoices, as_of)


def feature_names(ledger: Ledger) -> list[str]:
    """The feature columns ``build_features`` gives for ``ledger``."""
    return FeatureBuilder().fit(ledger).feature_names
