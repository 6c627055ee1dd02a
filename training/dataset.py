"""The out-of-time split: features at each invoice's issue date, outcomes as known then.

Training rows are the invoices issued before the cut-off, labelled with what was known
at the cut-off (open ones censored); test rows are those issued from the cut-off to the
end of the ledger, labelled with what was known at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from features.pipeline import FeatureBuilder
from features.registry import FeatureSpec
from ledger.contract import Ledger
from training.targets import invoice_documents

ONBOARDING_FAMILIES = ("invoice", "client", "user")
"""What is known of a client with no history: who it is and its first invoice."""
ONBOARDING_EXCLUDED = ("inv_amount_vs_usual",)  # needs earlier invoices


@dataclass(frozen=True)
class Split:
    """Invoices and their point-in-time features on each side of the cut-off."""

    cutoff: pd.Timestamp
    end: pd.Timestamp
    train: pd.DataFrame
    test: pd.DataFrame
    x_train: pd.DataFrame
    x_test: pd.DataFrame
    onboarding_features: list[str]
    unseen_test: pd.Series
    """Test invoices of clients with no invoice issued before the cut-off."""


def ledger_end(ledger: Ledger) -> pd.Timestamp:
    """The day after the last date the ledger knows of (latest issue or payment date)."""
    dates = pd.concat([ledger.invoices["issue_date"], ledger.invoices["paid_date"]]).dropna()
    return pd.Timestamp(dates.max()) + pd.Timedelta(days=1)


def onboarding_columns(specs: list[FeatureSpec]) -> list[str]:
    """Features the onboarding model may use: client attributes and the invoice itself."""
    return [
        s.name
        for s in specs
        if s.family in ONBOARDING_FAMILIES and s.name not in ONBOARDING_EXCLUDED
    ]


FeatureEngine = Callable[[Ledger], tuple[pd.DataFrame, list[FeatureSpec]]]
"""Features of every invoice (no credit note) of a ledger at its issue date, indexed like
``ledger.invoices``, with the specs of their columns: how a cluster builds the training
matrix (:mod:`training.cluster_features`)."""


def out_of_time_split(
    ledger: Ledger, cutoff: pd.Timestamp, end: pd.Timestamp, engine: FeatureEngine | None = None
) -> Split:
    """Invoices issued before ``cutoff`` to train on, from ``cutoff`` to ``end`` to test.

    The features are the :class:`FeatureBuilder`'s, in process, or ``engine``'s.
    """
    invoices = invoice_documents(ledger.invoices)
    invoices = invoices[invoices["issue_date"] < end]
    if engine is None:
        builder = FeatureBuilder().fit(ledger)
        invoices = invoices.reset_index(drop=True)
        # Point in time: each invoice seen at its issue date, knowing only what came before.
        x = builder.transform(invoices, invoices["issue_date"])
        specs = builder.specs
    else:
        every, specs = engine(ledger)
        x = every.loc[invoices.index].reset_index(drop=True)
        invoices = invoices.reset_index(drop=True)
    before = (invoices["issue_date"] < cutoff).to_numpy()
    train, test = invoices[before], invoices[~before]
    known_clients = set(train["client_id"])
    return Split(
        cutoff=cutoff,
        end=end,
        train=train.reset_index(drop=True),
        test=test.reset_index(drop=True),
        x_train=x[before].reset_index(drop=True),
        x_test=x[~before].reset_index(drop=True),
        onboarding_features=onboarding_columns(specs),
        unseen_test=~test["client_id"].isin(known_clients).reset_index(drop=True),
    )
