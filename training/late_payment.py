"""The late-payment model: calibrated LightGBM probability that an invoice is paid late.

Calibration by time-blocked cross-fitting: the training invoices, in issue-date order,
are cut into consecutive slices; each slice is held back in turn while a booster learns
on the others and stops early on it, and predicts it. The calibration learns on those
held-back predictions, covering the whole training period (every season, every phase of
a drift) rather than its last months alone: on simulated ledgers a calibration fitted on
the latest slice only carried that slice's quirks into the next months (expected
calibration error 0.024 out of time vs 0.012 cross-fitted, 1,000 clients). Centred
isotonic (:class:`CenteredIsotonic`) when there are many held-back invoices, a sigmoid
(Platt) when few, since isotonic steps then overfit. The served booster learns on every
invoice with the folds' mean number of trees. Bucket probabilities split the late mass
the way the payment-time model distributes it (:func:`bucket_probabilities`).
"""

from __future__ import annotations

from functools import cached_property
from typing import TypeAlias

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from features.registry import directions
from training.booster_fit import fitted_booster
from training.booster_input import BoosterInput, FittedBooster, threads_for

DEFAULT_PARAMS: dict[str, object] = {
    "n_estimators": 600,  # an upper bound: early stopping on the held-back slices decides
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
    """P(paid after the due date), calibrated on held-back slices of the training period.

    Each held-back slice also stops its booster's boosting when it no longer improves
    (early stopping), so the number of trees suits the amount of history rather than a
    fixed guess. The booster keeps to each feature's registered direction (more days late
    so far never lowers the risk): on simulated ledgers this raised ROC AUC against the
    truth's by 0.0005 to 0.0015, and on IBM's out-of-time test by 0.003.
    """

    def __init__(
        self,
        params: dict[str, object] | None = None,
        calibration_folds: int = 5,
        max_rows: int = 300_000,
    ) -> None:
        self.params = params
        self.calibration_folds = calibration_folds
        self.max_rows = max_rows

    def fit(self, x: pd.DataFrame, y: pd.Series, order: pd.Series) -> LatePaymentModel:
        """Fit on ``x``, ``y``; ``order`` (issue dates) says how the rows follow in time."""
        rows, labels = latest_labelled(y, order, self.max_rows)
        x = x.iloc[rows]
        params = self.params_for(x.columns)
        held = held_back_raw(x, labels, params, self.calibration_folds)
        if held is None:  # too few invoices to hold any back: the booster's own probabilities
            self.fold_trees_: list[int] = []
            self.calibrator_ = fit_calibrator(np.zeros(0), np.zeros(0, dtype=int))
        else:
            raw, self.fold_trees_ = held
            params["n_estimators"] = max(1, round(float(np.mean(self.fold_trees_))))
            self.calibrator_ = fit_calibrator(raw, labels)
        self.booster_: FittedBooster = fitted_booster(params, x, labels)
        self.feature_names_in_ = list(x.columns)
        self.classes_ = np.array([0, 1])
        return self

    def params_for(self, columns: pd.Index) -> dict[str, object]:
        """The booster's parameters for these feature columns: the given ones (or
        :data:`DEFAULT_PARAMS`), each registered feature kept to its direction."""
        params = dict(self.params or DEFAULT_PARAMS)
        params.setdefault("monotone_constraints", directions(columns))
        return params

    @cached_property
    def booster_input(self) -> BoosterInput:
        """How the booster reads a feature frame (its categorical columns' categories)."""
        return BoosterInput.of(self.booster_.booster_)

    def raw_proba(self, x: pd.DataFrame) -> np.ndarray:
        """The booster's uncalibrated probability of late payment."""
        return self.raw_proba_of(self.booster_input.matrix(x))

    def raw_proba_of(self, matrix: np.ndarray) -> np.ndarray:
        """:meth:`raw_proba` of features already read by :attr:`booster_input`."""
        threads = threads_for(len(matrix))
        return np.asarray(self.booster_.booster_.predict(matrix, num_threads=threads))

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities of on time / late, one row per invoice."""
        return self.predict_proba_of(self.booster_input.matrix(x))

    def predict_proba_of(self, matrix: np.ndarray) -> np.ndarray:
        """:meth:`predict_proba` of features already read by :attr:`booster_input`."""
        p = calibrated(self.calibrator_, self.raw_proba_of(matrix))
        return np.column_stack([1.0 - p, p])

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """1 where late payment is more likely than not."""
        return (self.predict_proba(x)[:, 1] >= 0.5).astype(int)

    def contributions(self, x: pd.DataFrame) -> np.ndarray:
        """Signed TreeSHAP contributions (log-odds of the booster), last column the bias."""
        return self.contributions_of(self.booster_input.matrix(x))

    def contributions_of(self, matrix: np.ndarray) -> np.ndarray:
        """:meth:`contributions` of features already read by :attr:`booster_input`."""
        threads = threads_for(len(matrix))
        return np.asarray(
            self.booster_.booster_.predict(matrix, pred_contrib=True, num_threads=threads)
        )


def latest_labelled(
    y: pd.Series, order: pd.Series, max_rows: int, both: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the latest ``max_rows`` rows by ``order`` (issue dates), in time order,
    and their 0/1 outcomes: recent behaviour matters most, and training time stays bounded
    on a large ledger. ``both``: refuse outcomes of one kind only."""
    rows = np.argsort(order.to_numpy(), kind="stable")[-max_rows:]
    labels = y.astype(int).to_numpy()[rows]
    if both and len(np.unique(labels)) < 2:
        raise ValueError("the late-payment model needs late and on-time invoices")
    return rows, labels


MIN_HELD_BACK = 50
"""A slice smaller than this, or with one outcome only, can neither stop nor calibrate."""


def time_slices(n: int, folds: int) -> list[np.ndarray]:
    """Positions ``0..n-1`` (rows in time order) cut into ``folds`` consecutive slices."""
    return np.array_split(np.arange(n), folds)


def held_back_raw(
    x: pd.DataFrame, y: np.ndarray, params: dict[str, object], folds: int
) -> tuple[np.ndarray, list[int]] | None:
    """Each row's raw probability from a booster that did not learn on its slice, and the
    number of trees each booster kept; None when the slices are too small to hold back.

    ``x`` and ``y`` are in time order; each slice of :func:`time_slices` is held back in
    turn, stopping its booster early.
    """
    slices = time_slices(len(y), folds)
    if folds < 2 or any(len(s) < MIN_HELD_BACK or len(np.unique(y[s])) < 2 for s in slices):
        return None
    raw = np.zeros(len(y))
    trees = []
    for held in slices:
        rest = np.setdiff1d(np.arange(len(y)), held, assume_unique=True)
        booster = lgb.LGBMClassifier(**params)  # type: ignore[arg-type]
        booster.fit(
            x.iloc[rest],
            y[rest],
            eval_X=(x.iloc[held],),
            eval_y=(y[held],),
            callbacks=[lgb.early_stopping(30, verbose=False)],
        )
        raw[held] = np.asarray(booster.predict_proba(x.iloc[held]))[:, 1]
        trees.append(int(booster.best_iteration_ or booster.n_estimators))
    return raw, trees


ISOTONIC_MIN_ROWS = 5000
"""Below this many held-back invoices, isotonic steps overfit and give distinct invoices
the same probability (a disputed invoice no riskier than its twin): a sigmoid instead."""


class SigmoidCalibrator:
    """Platt scaling: a logistic regression on the booster's log-odds (keeps the ranking)."""

    def fit(self, raw: np.ndarray, y: np.ndarray) -> SigmoidCalibrator:
        """Learn slope and intercept on held-back probabilities ``raw`` and outcomes ``y``."""
        self.model_ = LogisticRegression(C=1e6).fit(_logit(raw)[:, None], y)
        return self

    def predict(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of the raw ones."""
        return np.asarray(self.model_.predict_proba(_logit(raw)[:, None])[:, 1])


class CenteredIsotonic:
    """Isotonic calibration through the centres of its steps: monotone and strictly rising.

    Plain isotonic regression pools neighbouring scores into flat steps: on a simulated
    ledger 14,545 distinct booster scores came out as 87 probabilities, and the ties cost
    ranking (ROC AUC) and leave the worklist's order to chance within a step. Each step is
    replaced by one point, at the mean score of the invoices it pooled, and the
    probability is read by straight lines between those points (centred isotonic
    regression, Oron and Flournoy 2017); beyond the first and last centre it is flat.
    """

    def fit(self, raw: np.ndarray, y: np.ndarray) -> CenteredIsotonic:
        """Learn the steps on held-back probabilities ``raw`` and outcomes ``y``."""
        steps = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
        level = steps.predict(raw)
        values, step = np.unique(level, return_inverse=True)
        self.x_ = np.bincount(step, weights=raw) / np.bincount(step)
        self.y_ = values
        return self

    def predict(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of the raw ones."""
        return np.interp(raw, self.x_, self.y_)


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype="float64"), 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


Calibrator: TypeAlias = CenteredIsotonic | IsotonicRegression | SigmoidCalibrator
"""What maps the booster's probabilities to calibrated ones (``IsotonicRegression``: models
registered before the centred steps)."""


def fit_calibrator(raw: np.ndarray, y: np.ndarray) -> Calibrator:
    """Centred isotonic on many held-back predictions, sigmoid on few, identity on none."""
    if len(y) >= ISOTONIC_MIN_ROWS:
        return CenteredIsotonic().fit(raw, y)
    if len(y) >= 50 and len(np.unique(y)) == 2:
        return SigmoidCalibrator().fit(raw, y)
    identity = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    return identity.fit([0.0, 1.0], [0.0, 1.0])


def calibrated(calibrator: Calibrator, raw: np.ndarray) -> np.ndarray:
    """The calibrator's probabilities of ``raw`` probabilities.

    An isotonic calibrator is read off its steps with ``np.interp``: what its ``predict``
    gives (linear between thresholds, clipped beyond), without the input checks that cost
    a tenth of a millisecond on every online call.
    """
    if isinstance(calibrator, IsotonicRegression):
        return np.interp(raw, calibrator.X_thresholds_, calibrator.y_thresholds_)
    return np.asarray(calibrator.predict(raw), dtype="float64")


def bucket_probabilities(p_late: np.ndarray, time_buckets: np.ndarray) -> np.ndarray:
    """Bucket probabilities whose late buckets sum to the calibrated ``p_late``.

    ``time_buckets`` are the payment-time model's bucket probabilities; its split of the
    late mass among 1_30 .. over_90 is kept, its on-time mass replaced by ``1 - p_late``.
    """
    late = time_buckets[:, 1:]
    total = late.sum(axis=1, keepdims=True)
    share = np.where(total > 1e-12, late / np.where(total > 1e-12, total, 1.0), 0.25)
    return np.column_stack([1.0 - p_late, p_late[:, None] * share])
