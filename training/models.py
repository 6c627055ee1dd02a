"""The three models fitted together on one out-of-time split.

``late-payment`` and ``payment-time`` read every feature; ``onboarding`` reads only what
is known of a client with no history (its attributes and the invoice itself).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from training.dataset import Split
from training.late_choice import Choice, Rows, choose_late_model
from training.late_payment import LatePaymentModel
from training.payment_time import PaymentDistribution, PaymentTimeModel
from training.targets import late_outcome, payment_durations

LATE_MODEL = "late-payment"
TIME_MODEL = "payment-time"
ONBOARDING_MODEL = "onboarding"
MODEL_NAMES = (LATE_MODEL, TIME_MODEL, ONBOARDING_MODEL)


class OnboardingModel:
    """Late probability and payment-time distribution from a client's attributes alone."""

    def __init__(self, features: list[str], max_invoices: int = 100_000) -> None:
        self.features = features
        self.max_invoices = max_invoices

    def fit(
        self, x: pd.DataFrame, y: pd.Series, order: pd.Series, durations: pd.DataFrame
    ) -> OnboardingModel:
        """Fit both parts on the onboarding features of labelled invoices."""
        known = y.notna().to_numpy()
        cols = x[self.features]
        late = LatePaymentModel(max_rows=self.max_invoices)  # bounded as the time model
        self.late_ = late.fit(cols[known], y[known], order[known])
        self.time_ = PaymentTimeModel(max_invoices=self.max_invoices).fit(cols, durations, order)
        self.feature_names_in_ = list(self.features)
        return self

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities of on time / late."""
        return self.late_.predict_proba(x[self.features])

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """1 where late payment is more likely than not."""
        return (self.predict_proba(x)[:, 1] >= 0.5).astype(int)

    def distribution(
        self, x: pd.DataFrame, issue_date: pd.Series, due_date: pd.Series
    ) -> PaymentDistribution:
        """Payment-date distributions from the onboarding features."""
        return self.time_.distribution(x[self.features], issue_date, due_date)


@dataclass
class FittedModels:
    """The three models of one training run."""

    late: Any
    """The late-payment model chosen by :func:`training.late_choice.choose_late_model`
    (a :class:`LatePaymentModel` or another of its candidates)."""
    time: PaymentTimeModel
    onboarding: OnboardingModel
    choice: Choice | None = None
    """How the late-payment model was chosen; None for champions loaded from the registry."""


def training_targets(split: Split) -> tuple[pd.Series, pd.DataFrame]:
    """Late outcomes and payment durations of the training invoices, as known at the cut-off."""
    return late_outcome(split.train, split.cutoff), payment_durations(split.train, split.cutoff)


def late_rows(split: Split, y: pd.Series) -> Rows:
    """The training invoices whose outcome ``y`` was known at the cut-off, as the
    late-payment choice (:func:`choose_late_model`) reads them."""
    known = y.notna().to_numpy()
    train = split.train[known]
    return Rows(
        split.x_train[known].reset_index(drop=True),
        y[known].astype(int).to_numpy(),
        train["issue_date"].to_numpy(),
        train["due_date"].to_numpy(),
        train["client_id"].astype(str).to_numpy(),
    )


def fit_models(split: Split, max_invoices: int = 100_000) -> FittedModels:
    """Fit the three models on the training side of ``split``."""
    y, durations = training_targets(split)
    known = y.notna().to_numpy()
    if known.sum() == 0:
        raise ValueError(
            f"not enough history to train: no invoice due before {split.cutoff.date()} has a "
            "known outcome; choose a later --cutoff"
        )
    if y[known].nunique() < 2:
        kind = "late" if y[known].iloc[0] else "on time"
        raise ValueError(
            f"nothing to learn late payment from: all {int(known.sum())} invoices due before "
            f"{split.cutoff.date()} were paid {kind}; choose another --cutoff, or keep to "
            "the due dates (no model is needed to expect every invoice paid on time)"
        )
    order = split.train["issue_date"]
    rows = late_rows(split, y)
    time = PaymentTimeModel(max_invoices=max_invoices)
    onboarding = OnboardingModel(split.onboarding_features, max_invoices)
    # The three fits run at once, each in a thread: LightGBM leaves Python's lock while it
    # boosts, and its threads wait passively between steps (see encours.cli), so one fit
    # alone keeps two cores busy only part of the time. At 1.1M simulated invoices on 2
    # cores: 58.4 s for the three against 102.5 s one after the other, the same models
    # (each fit's threads and seeds are its own). Each thread runs in this context: a
    # choice of where boosters are fitted (training.booster_fit) reaches it.
    with ThreadPoolExecutor(max_workers=3) as pool:
        choosing = pool.submit(copy_context().run, choose_late_model, rows)
        timing = pool.submit(
            copy_context().run, time.fit, split.x_train, durations, order, split.train["client_id"]
        )
        onboarding_fit = pool.submit(
            copy_context().run, onboarding.fit, split.x_train, y, order, durations
        )
        choice = choosing.result()
        timing.result()
        onboarding_fit.result()
    return FittedModels(late=choice.model, time=time, onboarding=onboarding, choice=choice)
