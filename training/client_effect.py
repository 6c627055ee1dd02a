"""The client-effect model: the additive model plus a per-client intercept, updated since.

A client's habit is stable on many ledgers (IBM's sample: a linear model with a
per-customer effect learned on the training period reached ROC AUC 0.926 out of time,
where running means over a short history stay noisy). Here the effect is a model
parameter, as in a mixed model:

- **training**: one penalised logistic regression learns the feature ramps of
  :class:`training.linear_late.LinearLateModel` and one intercept per client together;
  the intercepts' penalty (``client_penalty``) shrinks a client with few invoices toward
  the population (an empirical-Bayes, random-intercept estimate). The intercept is not a
  feature handed to another learner: no training row reads an estimate of its own
  outcome as an input. How much the effect is worth is measured honestly by the
  rolling-origin choice (:mod:`training.late_choice`): there each origin refits the
  effects on what was known before it and is judged on the invoices after it.
- **scoring**: the effect learned on the training period, moved by what the client did
  since (an empirical-Bayes update, one Newton step on its intercept with the training
  fit as prior): ``u + (late_since - n_since * p) / (h + n_since * p * (1 - p))``, where
  ``h`` is the intercept's precision at training, ``p`` the client's mean late
  probability then, ``n_since`` and ``late_since`` its invoices settled (and those late)
  since its last training invoice, read off the point-in-time history features. An
  effect is therefore never staler than the client's last settlement; between
  retrainings only the ramps' weights stay fixed.
- a client unseen in training has no intercept (0: the population's), and its history
  features alone speak for it.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit

from training.booster_input import BoosterInput
from training.late_payment import latest_labelled
from training.linear_late import LinearLateModel, _fit_logistic

N_PAID, SHARE_LATE = "hist_n_paid", "hist_share_late"
"""The history features the update reads: invoices settled so far, the share late."""


def client_columns(code: np.ndarray, clients: int, scale: float) -> sparse.csr_matrix:
    """One indicator column per client (``code`` each row's), worth ``scale``: scaling them
    sets the intercepts' penalty apart from the other weights' in one ridge penalty (a
    weight ``w`` on a column of ``scale`` is an intercept ``w * scale``)."""
    return sparse.csr_matrix(
        (np.full(len(code), scale), (np.arange(len(code)), code)), shape=(len(code), clients)
    )


def client_places(known: np.ndarray, clients: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``clients`` sits among the sorted ``known`` ids (non-empty), and
    whether it is there at all (a client unseen in training is not)."""
    who = np.asarray(clients).astype(str)
    at = np.clip(np.searchsorted(known, who), 0, len(known) - 1)
    return at, known[at] == who


class ClientEffectModel:
    """P(paid late) from feature ramps and a per-client intercept learned in training."""

    def __init__(
        self,
        ramps: int = 1,
        penalty: float = 1.0,
        client_penalty: float = 0.3,
        update: bool = True,
        max_rows: int = 100_000,
    ) -> None:
        self.ramps = ramps
        self.penalty = penalty
        self.client_penalty = client_penalty
        self.update = update
        self.max_rows = max_rows

    def fit(
        self, x: pd.DataFrame, y: pd.Series, order: pd.Series, clients: pd.Series
    ) -> ClientEffectModel:
        """Fit on ``x``, ``y`` of the invoices of ``clients``, ``order`` their issue dates."""
        rows, labels = latest_labelled(y, order, self.max_rows, both=False)
        x = x.iloc[rows]
        who = clients.astype(str).to_numpy()[rows]
        base = LinearLateModel(self.ramps, self.penalty, max_rows=self.max_rows)
        design = base.design_of(x)
        matrix = base.booster_input.matrix(x)
        self.client_ids_, code = np.unique(who, return_inverse=True)
        scale = np.sqrt(self.penalty / self.client_penalty)
        onehot = client_columns(code, len(self.client_ids_), scale)
        weights, intercept = _fit_logistic(
            sparse.hstack([sparse.csr_matrix(design), onehot], format="csr"),
            labels,
            self.penalty,
            [*base.bounds(x.columns), *[(None, None)] * len(self.client_ids_)],
        )
        k = design.shape[1]
        base.coef_, base.intercept_ = weights[:k], intercept
        self.base_ = base
        self.effect_ = weights[k:] * scale
        self._fit_state(matrix, code, labels)
        self.feature_names_in_ = list(x.columns)
        self.classes_ = np.array([0, 1])
        return self

    def _fit_state(self, matrix: np.ndarray, code: np.ndarray, labels: np.ndarray) -> None:
        """What the update needs of each client: its probability, precision and counts."""
        p = expit(self.base_.log_odds_of(matrix) + self.effect_[code])
        clients = len(self.client_ids_)
        count = np.bincount(code, minlength=clients)
        self.client_p_ = np.bincount(code, weights=p, minlength=clients) / np.maximum(count, 1)
        # The summed log loss' curvature in the intercept, plus its penalty (the prior's
        # precision: the mean loss' ``penalty / 2n * (u / scale)^2`` is ``client_penalty / 2
        # * u^2`` summed).
        self.precision_ = (
            np.bincount(code, weights=p * (1 - p), minlength=clients) + self.client_penalty
        )
        n, late = self._settled(matrix)
        last = np.full(clients, -1)
        last[code] = np.arange(len(code))  # each client's last training row (rows in time order)
        self.n_settled_ = np.where(last >= 0, n[last], 0.0)
        self.n_late_ = np.where(last >= 0, late[last], 0.0)

    def _settled(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Invoices settled so far and those late, from the history features."""
        names = self.base_.feature_names_in_
        if N_PAID not in names or SHARE_LATE not in names:
            zero = np.zeros(len(matrix))
            return zero, zero
        n = np.nan_to_num(matrix[:, names.index(N_PAID)])
        return n, n * np.nan_to_num(matrix[:, names.index(SHARE_LATE)])

    @cached_property
    def booster_input(self) -> BoosterInput:
        """How the model reads a feature frame (as the booster does)."""
        return self.base_.booster_input

    def effects(self, matrix: np.ndarray, clients: np.ndarray | None) -> np.ndarray:
        """Each row's client effect at scoring: the training one, updated by what the
        client did since (0 for a client unseen in training, or none given)."""
        if clients is None or len(self.client_ids_) == 0:
            return np.zeros(len(matrix))
        at, seen = client_places(self.client_ids_, clients)
        effect = np.where(seen, self.effect_[at], 0.0)
        if not self.update:
            return effect
        n, late = self._settled(matrix)
        n_since = np.maximum(n - self.n_settled_[at], 0.0)
        late_since = np.clip(late - self.n_late_[at], 0.0, n_since)
        p = self.client_p_[at]
        step = (late_since - n_since * p) / (self.precision_[at] + n_since * p * (1 - p))
        return np.where(seen, effect + step, 0.0)

    def predict_proba(self, x: pd.DataFrame, clients: np.ndarray | None = None) -> np.ndarray:
        """Probabilities of on time / late of invoices of ``clients``."""
        return self.predict_proba_of(self.booster_input.matrix(x), clients)

    def predict_proba_of(self, matrix: np.ndarray, clients: np.ndarray | None = None) -> np.ndarray:
        """:meth:`predict_proba` of features already read by :attr:`booster_input`."""
        p = expit(self.base_.log_odds_of(matrix) + self.effects(matrix, clients))
        return np.column_stack([1.0 - p, p])

    def predict(self, x: pd.DataFrame, clients: np.ndarray | None = None) -> np.ndarray:
        """1 where late payment is more likely than not."""
        return (self.predict_proba(x, clients)[:, 1] >= 0.5).astype(int)

    def contributions(self, x: pd.DataFrame, clients: np.ndarray | None = None) -> np.ndarray:
        """Exact SHAP values in log-odds; the client's effect is part of the bias (last)."""
        return self.contributions_of(self.booster_input.matrix(x), clients)

    def contributions_of(self, matrix: np.ndarray, clients: np.ndarray | None = None) -> np.ndarray:
        """:meth:`contributions` of features already read by :attr:`booster_input`."""
        out = self.base_.contributions_of(matrix)
        out[:, -1] += self.effects(matrix, clients)
        return out
