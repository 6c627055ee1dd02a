"""Train, evaluate out of time, log to MLflow and register: the ``encours train`` workflow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ledger.contract import Ledger
from training.late_payment import (
    DEFAULT_PARAMS,
    fit_late_model,
    last_delay_baseline,
    late_metrics,
    out_of_time_split,
)
from training.tracking import Registration, load_champion, log_and_register, quiet_mlflow

LATE_MODEL = "late-payment"
DEFAULT_TEST_DAYS = 183


@dataclass(frozen=True)
class TrainReport:
    """What a training run did and measured."""

    cutoff: pd.Timestamp
    end: pd.Timestamp
    n_train: int
    n_test: int
    metrics: dict[str, float]
    baselines: dict[str, dict[str, float]]
    registration: Registration

    def as_json(self) -> dict[str, object]:
        """The report as one JSON-ready object."""
        return {
            "model": self.registration.name,
            "version": self.registration.version,
            "promoted": self.registration.promoted,
            "cutoff": self.cutoff.date().isoformat(),
            "end": self.end.date().isoformat(),
            "n_train": self.n_train,
            "n_test": self.n_test,
            **self.metrics,
            "baselines": self.baselines,
            "champion_roc_auc": self.registration.champion_score,
        }


def ledger_end(ledger: Ledger) -> pd.Timestamp:
    """The last date the ledger knows of (latest issue or payment date), plus one day."""
    dates = pd.concat([ledger.invoices["issue_date"], ledger.invoices["paid_date"]]).dropna()
    return pd.Timestamp(dates.max()) + pd.Timedelta(days=1)


def default_cutoff(end: pd.Timestamp) -> pd.Timestamp:
    """The default cut-off: the last six months are the out-of-time test."""
    return end - pd.Timedelta(days=DEFAULT_TEST_DAYS)


def train_late_payment(
    ledger: Ledger,
    cutoff: pd.Timestamp | None = None,
    step: Callable[[str], None] = lambda _: None,
) -> TrainReport:
    """Fit the late-payment model before ``cutoff``, test after it, register it.

    The MLflow store must already be selected (``training.tracking.use_store``).
    """
    end = ledger_end(ledger)
    cutoff = cutoff if cutoff is not None else default_cutoff(end)
    step("features")
    data = out_of_time_split(ledger, cutoff, end)
    if data.train_y.nunique() < 2 or data.test_y.empty:
        raise ValueError(
            f"not enough history to train: {len(data.train_y)} invoices with a known outcome "
            f"before {cutoff.date()}, {len(data.test_y)} after; choose another --cutoff"
        )
    step("fit")
    model = fit_late_model(data.train_x, data.train_y, DEFAULT_PARAMS)
    metrics = late_metrics(data.test_y, np.asarray(model.predict_proba(data.test_x))[:, 1])
    baselines = {
        "client_last_delay": late_metrics(data.test_y, last_delay_baseline(data.test_x)),
    }
    step("register")
    with quiet_mlflow():
        champion = load_champion(LATE_MODEL)
        champion_score = None
        if champion is not None:
            try:
                champion_p = np.asarray(champion.predict_proba(data.test_x))[:, 1]
                champion_score = late_metrics(data.test_y, champion_p)["roc_auc"]
            except (ValueError, KeyError):
                champion_score = None  # the champion reads other features: replace it
        registration = log_and_register(
            LATE_MODEL,
            model,
            params=DEFAULT_PARAMS | {"cutoff": str(cutoff.date())},
            metrics=metrics
            | {f"baseline_last_delay_{k}": v for k, v in baselines["client_last_delay"].items()},
            example=data.test_x,
            score=metrics["roc_auc"],
            champion_score=champion_score,
        )
    return TrainReport(
        cutoff=cutoff,
        end=end,
        n_train=len(data.train_y),
        n_test=len(data.test_y),
        metrics=metrics,
        baselines=baselines,
        registration=registration,
    )
