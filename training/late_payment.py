"""The late-payment model: LightGBM probability that an invoice is paid after its due date.

Trained out of time: features and labels of the training set use only what was
known before the cut-off; the test set is the invoices issued after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from training.targets import invoice_documents, late_outcome

DEFAULT_PARAMS: dict[str, object] = {
    "n_estimators": 300,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "max_depth": 8,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.9,
    "random_state": 42,
    "verbosity": -1,
    "n_jobs": 2,
}


@dataclass
class Dataset:
    """Features and known outcomes of invoices, split out of time."""

    train_x: pd.DataFrame
    train_y: pd.Series
    test_x: pd.DataFrame
    test_y: pd.Series
    test_ids: pd.Series


def labelled_features(
    ledger: Ledger, builder: FeatureBuilder, issued: pd.Series, known_at: pd.Timestamp
) -> pd.DataFrame:
    """Features at issue date and outcome known at ``known_at`` of the ``issued`` invoices."""
    invoices = invoice_documents(ledger.invoices)
    chosen = invoices[issued.reindex(invoices.index, fill_value=False)]
    y = late_outcome(chosen, known_at)
    chosen = chosen[y.notna()]
    # Features are point in time: at the issue date they see only earlier settlements.
    x = builder.transform(chosen, chosen["issue_date"])
    return x.assign(_y=y[y.notna()].to_numpy(), _id=chosen["invoice_id"].to_numpy())


def out_of_time_split(ledger: Ledger, cutoff: pd.Timestamp, end: pd.Timestamp) -> Dataset:
    """Train on invoices issued before ``cutoff`` (outcomes as known then); test on the rest."""
    issue = ledger.invoices["issue_date"]
    builder = FeatureBuilder().fit(ledger)
    names = builder.feature_names
    train = labelled_features(ledger, builder, issue < cutoff, cutoff)
    test = labelled_features(ledger, builder, (issue >= cutoff) & (issue < end), end)
    return Dataset(
        train_x=train[names],
        train_y=train["_y"],
        test_x=test[names],
        test_y=test["_y"],
        test_ids=test["_id"],
    )


def fit_late_model(x: pd.DataFrame, y: pd.Series, params: dict[str, object]) -> lgb.LGBMClassifier:
    """A LightGBM classifier fitted on ``x``, ``y`` with ``params`` (seeded)."""
    model = lgb.LGBMClassifier(**params)  # type: ignore[arg-type]
    model.fit(x, y.astype(int))
    return model


def late_metrics(y: pd.Series, p: np.ndarray) -> dict[str, float]:
    """ROC AUC and Brier score of probabilities ``p`` against outcomes ``y``."""
    y_true = y.astype(int).to_numpy()
    auc = roc_auc_score(y_true, p) if len(np.unique(y_true)) == 2 else float("nan")
    return {"roc_auc": float(auc), "brier": float(brier_score_loss(y_true, p))}


def last_delay_baseline(x: pd.DataFrame) -> np.ndarray:
    """Baseline: late if the client's last settled invoice was late (base rate when unknown)."""
    last = x["hist_last_days_late"].to_numpy()
    return np.where(np.isnan(last), 0.5, (last > 0).astype(float))
