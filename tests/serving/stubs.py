"""Stand-ins for the payment-time model shared by the serving tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from config import Settings
from serving.champions import ModelSet
from serving.scoring import LoadedModel
from training.payment_time import PaymentDistribution


def _epoch_days(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def paid_evenly_after_today(
    issue_date: pd.Series, due_date: pd.Series, open_at: pd.Series, spread: np.ndarray | int
) -> PaymentDistribution:
    """Each invoice paid evenly over the ``spread`` days after ``open_at − 1`` (today)."""
    due = _epoch_days(due_date)
    seen = _epoch_days(open_at) - due - 1
    knots = np.column_stack([seen, seen + spread]).astype("float64")
    survival = np.tile([1.0, 0.0], (len(due), 1))
    return PaymentDistribution(knots, survival, due, _epoch_days(issue_date) - due)


class PaidEvenly:
    """A payment-time model whose invoices are paid evenly over the ``spread`` days after
    ``open_at − 1`` (today): forecasts worked by hand."""

    def __init__(self, spread: int = 28) -> None:
        self.spread = spread

    def distribution(
        self,
        x: pd.DataFrame,
        issue_date: pd.Series,
        due_date: pd.Series,
        open_at: pd.Series | None = None,
        until: pd.Series | None = None,
        clients: np.ndarray | None = None,
    ) -> PaymentDistribution:
        assert open_at is not None
        return paid_evenly_after_today(issue_date, due_date, open_at, self.spread)


def served_from(champions: dict[str, object]) -> Any:
    """A stand-in for :func:`serving.services.load_champions` serving ``champions``."""

    def load(_: Settings, names: Any) -> ModelSet:
        found = {n: LoadedModel(n, "1", champions[n]) for n in names if n in champions}
        return ModelSet.of(list(found.values()))

    return load
