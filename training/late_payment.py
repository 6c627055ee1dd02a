"""The late-payment model: calibrated LightGBM probability that an invoice is paid late.

The booster learns on the earlier part of the training period; a calibration learns on
the latest slice of it (held back, out of time too), so that a predicted 30 % means
30 % of such invoices are late: isotonic when the slice is large, a sigmoid (Platt)
when it is small, since isotonic steps then overfit and tie distinct invoices. Bucket
probabilities split the late mass the way the payment-time model distributes it
(:func:`bucket_probabilities`).
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

DEFAULT_PARAMS: dict[str, object] = {
    "n_estimators": 600,  # an upper bound: early stopping on the held-back slice decides
    "learning_rate": 0.05,
    "num_leaves": 15,
    "max_depth": 6,
    "min_child_samples": 50,
    "reg_lambda": 5.0,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "random_state": 42,
    "verbosity": -1,
    "n_jobs": 2,
}


class LatePaymentModel:
    """P(paid after the due date), calibrated on a held-back, later slice of training.

    The same slice stops the boosting when it no longer improves (early stopping), so the
    number of trees suits the amount of history rather than a fixed guess.
    """

    def __init__(
        self,
        params: dict[str, object] | None = None,
        calibration_share: float = 0.2,
        max_rows: int = 300_000,
    ) -> None:
        self.params = params
        self.calibration_share = calibration_share
        self.max_rows = max_rows

    def fit(self, x: pd.DataFrame, y: pd.Series, order: pd.Series) -> LatePaymentModel:
        """Fit on ``x``, ``y``; ``order`` (issue dates) says which rows are the latest."""
        # The latest invoices only, beyond ``max_rows``: recent behaviour matters most, and
        # training time stays bounded on a large ledger.
        ranked = np.argsort(order.to_numpy(), kind="stable")[-self.max_rows :]
        n_cal = int(len(ranked) * self.calibration_share)
        fit_rows, cal_rows = ranked[: len(ranked) - n_cal], ranked[len(ranked) - n_cal :]
        labels = y.astype(int).to_numpy()
        if len(np.unique(labels[fit_rows])) < 2:
            raise ValueError("the late-payment model needs late and on-time invoices")
        self.booster_ = lgb.LGBMClassifier(**(self.params or DEFAULT_PARAMS))  # type: ignore[arg-type]
        can_stop = n_cal >= 50 and len(np.unique(labels[cal_rows])) == 2
        self.booster_.fit(
            x.iloc[fit_rows],
            labels[fit_rows],
            eval_X=(x.iloc[cal_rows],) if can_stop else None,
            eval_y=(labels[cal_rows],) if can_stop else None,
            callbacks=[lgb.early_stopping(30, verbose=False)] if can_stop else None,
        )
        self.calibrator_ = _calibrator(
            self.raw_proba(x.iloc[cal_rows]) if can_stop else np.zeros(0),
            labels[cal_rows] if can_stop else np.zeros(0, dtype=int),
        )
        self.feature_names_in_ = list(x.columns)
        self.classes_ = np.array([0, 1])
        return self

    def raw_proba(self, x: pd.DataFrame) -> np.ndarray:
        """The booster's uncalibrated probability of late payment."""
        threads = 1 if len(x) <= 4 else 0
        return np.asarray(self.booster_.predict_proba(x, num_threads=threads))[:, 1]

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities of on time / late, one row per invoice."""
        p = np.asarray(self.calibrator_.predict(self.raw_proba(x)), dtype="float64")
        return np.column_stack([1.0 - p, p])

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """1 where late payment is more likely than not."""
        return (self.predict_proba(x)[:, 1] >= 0.5).astype(int)

    def contributions(self, x: pd.DataFrame) -> np.ndarray:
        """Signed TreeSHAP contributions (log-odds of the booster), last column the bias."""
        threads = 1 if len(x) <= 4 else 0
        return np.asarray(self.booster_.predict(x, pred_contrib=True, num_threads=threads))


ISOTONIC_MIN_ROWS = 1000
"""Below this many held-back invoices, isotonic steps overfit: a sigmoid is used instead."""


class SigmoidCalibrator:
    """Platt scaling: a logistic regression on the booster's log-odds (keeps the ranking)."""

    def fit(self, raw: np.ndarray, y: np.ndarray) -> SigmoidCalibrator:
        """Learn slope and intercept on held-back probabilities ``raw`` and outcomes ``y``."""
        self.model_ = LogisticRegression(C=1e6).fit(_logit(raw)[:, None], y)
        return self

    def predict(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of the raw ones."""
        return np.asarray(self.model_.predict_proba(_logit(raw)[:, None])[:, 1])


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype="float64"), 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def _calibrator(raw: np.ndarray, y: np.ndarray) -> IsotonicRegression | SigmoidCalibrator:
    """Isotonic on a large held-back slice, sigmoid on a small one, identity on none."""
    if len(y) >= ISOTONIC_MIN_ROWS:
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
    if len(y) >= 50 and len(np.unique(y)) == 2:
        return SigmoidCalibrator().fit(raw, y)
    identity = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    return identity.fit([0.0, 1.0], [0.0, 1.0])


def bucket_probabilities(p_late: np.ndarray, time_buckets: np.ndarray) -> np.ndarray:
    """Bucket probabilities whose late buckets sum to the calibrated ``p_late``.

    ``time_buckets`` are the payment-time model's bucket probabilities; its split of the
    late mass among 1_30 .. over_90 is kept, its on-time mass replaced by ``1 - p_late``.
    """
    late = time_buckets[:, 1:]
    total = late.sum(axis=1, keepdims=True)
    share = np.where(total > 1e-12, late / np.where(total > 1e-12, total, 1.0), 0.25)
    return np.column_stack([1.0 - p_late, p_late[:, None] * share])
