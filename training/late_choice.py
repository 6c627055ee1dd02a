"""Which late-payment model to serve, chosen by rolling-origin validation in the training period.

No one model wins on every ledger. A booster finds interactions on a large ledger but
loses to a logistic regression on a small one (IBM's 1,930 training invoices: ROC AUC
0.906 against 0.922 out of time); a per-client effect pays where habits are stable. So
several candidates are trained, and the one served is the one that predicted best the
invoices issued *after* each of a few origins inside the training period, having learned
on those issued (and due) before it. The test after the cut-off is never looked at.

Candidates (:data:`CANDIDATES`): ``booster`` (:class:`LatePaymentModel`), ``linear``
(:class:`LinearLateModel`, additive and monotone), ``client_effect`` and
``client_effect_static`` (:class:`ClientEffectModel`, its effect updated since training or
not), ``blend`` (the booster's and the linear model's log-odds averaged), and the
baseline ``base_rate`` (the training period's late share): on a ledger too small to beat
it, it is what is served, and the report says so.

The score is the validation log loss (it rewards ranking and calibration together), ROC
AUC and Brier beside it. The cost stays bounded on a large ledger: at most
:data:`FIT_ROWS` latest invoices to learn from at each origin, :data:`VALID_ROWS` to
validate on, and :data:`ORIGINS` origins; only the winner is refitted on every invoice
(the additive models on their latest ``max_rows``, the booster on the latest
:data:`BOOSTER_ROWS`). The two client-effect candidates share each origin's fit.

A candidate may also compete recalibrated (:class:`CalibratedLateModel`: a calibrator
learned on its own validation predictions, cross-fitted by window); none does by
default, for the reason :data:`RECALIBRATED` gives.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from training.booster_input import BoosterInput
from training.client_effect import ClientEffectModel
from training.late_payment import Calibrator, LatePaymentModel, calibrated, fit_calibrator
from training.linear_late import LinearLateModel

ORIGINS = 3
"""Origins of the rolling validation: the last ``VALID_SHARE`` of the training invoices
is cut into this many consecutive windows, each validated by models learned before it."""
VALID_SHARE = 0.4
FIT_ROWS = 20_000
VALID_ROWS = 20_000
BOOSTER_ROWS = 100_000
"""The latest invoices the booster learns on (candidates and the winner refitted), as the
additive models (their ``max_rows``): its five held-back fits and the final one cost
most of the choice on a large ledger (1M simulated invoices: 54 s of 89 at 150,000)."""
MIN_FIT, MIN_VALID = 100, 30
"""Fewest labelled invoices to learn from, and to validate on, at an origin."""


@dataclass(frozen=True)
class Rows:
    """The training invoices the chooser sees: features, outcomes, dates and clients."""

    x: pd.DataFrame
    y: np.ndarray  # 0 / 1, every outcome known at the cut-off
    issue: np.ndarray  # datetime64
    due: np.ndarray  # datetime64
    clients: np.ndarray

    def take(self, rows: np.ndarray) -> Rows:
        """The rows at positions ``rows``."""
        return Rows(
            self.x.iloc[rows], self.y[rows], self.issue[rows], self.due[rows], self.clients[rows]
        )

    def fit(self, name: str) -> Any:
        """Candidate ``name`` fitted on these rows (a calibrated one uncalibrated: its
        calibrator learns on its validation predictions, :func:`choose_late_model`)."""
        name = name.removesuffix(CALIBRATED)
        y, order = pd.Series(self.y), pd.Series(self.issue)
        x = self.x.reset_index(drop=True)
        if name == "booster":
            return LatePaymentModel(max_rows=BOOSTER_ROWS).fit(x, y, order)
        if name == "linear":
            return LinearLateModel().fit(x, y, order)
        if name == "base_rate":
            return LinearLateModel(ramps=0).fit(x, y, order)
        if name in ("client_effect", "client_effect_static"):
            model = ClientEffectModel(update=name == "client_effect")
            return model.fit(x, y, order, pd.Series(self.clients))
        if name == "blend":
            return BlendModel(self.fit("booster"), self.fit("linear"))
        raise ValueError(f"no late-payment candidate named {name!r}")


CANDIDATES = ("booster", "linear", "client_effect", "client_effect_static", "blend")
BASELINE = "base_rate"
CALIBRATED = "_calibrated"
"""The suffix of a candidate recalibrated on its out-of-time validation predictions."""
RECALIBRATED: tuple[str, ...] = ()
"""The candidates also tried recalibrated by default: none. Measured on simulated ledgers
(seeds 42, 1, 2, 3 of 200 clients, 42 and 7 of 1,000), a calibrator learned on the
validation windows made the served probabilities further from the simulator's true ones
in 11 of 12 comparisons at 200 clients (the origins' models, learned on less and older
history, err otherwise than the model refitted on every invoice), and helped the client
effect only at 1,000 clients; the additive models, fitted by maximum likelihood, were as
close to the truth as the calibrated booster (0.014 to 0.019 against 0.014 to 0.019)."""


def reads_clients(model: Any) -> bool:
    """Whether ``model`` reads its invoices' clients (a client effect, maybe calibrated)."""
    if isinstance(model, CalibratedLateModel):
        return reads_clients(model.model)
    return isinstance(model, ClientEffectModel)


def late_probability(model: Any, x: pd.DataFrame, clients: Any = None) -> np.ndarray:
    """P(late) of the rows of ``x`` by ``model``, its invoices' ``clients`` given to a model
    that reads them (a client effect)."""
    if reads_clients(model):
        return np.asarray(model.predict_proba(x, None if clients is None else np.asarray(clients)))[
            :, 1
        ]
    return np.asarray(model.predict_proba(x))[:, 1]


def late_probability_of(model: Any, matrix: np.ndarray, clients: Any = None) -> np.ndarray:
    """:func:`late_probability` of features already read by the model's ``booster_input``."""
    if reads_clients(model):
        return np.asarray(model.predict_proba_of(matrix, clients))[:, 1]
    return np.asarray(model.predict_proba_of(matrix))[:, 1]


def late_contributions_of(model: Any, matrix: np.ndarray, clients: Any = None) -> np.ndarray:
    """The model's signed contributions (log-odds, last column the bias) to each row's score;
    a client effect is part of the bias."""
    if reads_clients(model):
        return np.asarray(model.contributions_of(matrix, clients))
    return np.asarray(model.contributions_of(matrix))


class CalibratedLateModel:
    """A candidate whose probabilities pass through a calibrator learned on its own
    out-of-time predictions: those of the rolling-origin validation, made by models that
    learned before each origin, of the invoices after it (what serving asks of a model).

    The contributions are the candidate's own (log-odds before calibration), as the
    booster's TreeSHAP values are: the calibration is monotone, the ranking of reasons
    stays.
    """

    def __init__(self, model: Any, calibrator: Calibrator) -> None:
        self.model = model
        self.calibrator = calibrator

    @property
    def feature_names_in_(self) -> list[str]:
        """The columns the candidate reads."""
        return list(self.model.feature_names_in_)

    @property
    def classes_(self) -> np.ndarray:
        """On time (0) and late (1)."""
        return np.array([0, 1])

    @property
    def booster_input(self) -> BoosterInput:
        """How the candidate reads a feature frame."""
        return self.model.booster_input

    def predict_proba(self, x: pd.DataFrame, clients: Any = None) -> np.ndarray:
        """Calibrated probabilities of on time / late (``clients`` for a client effect)."""
        return self.predict_proba_of(self.booster_input.matrix(x), clients)

    def predict_proba_of(self, matrix: np.ndarray, clients: Any = None) -> np.ndarray:
        """:meth:`predict_proba` of features already read by :attr:`booster_input`."""
        p = calibrated(self.calibrator, late_probability_of(self.model, matrix, clients))
        return np.column_stack([1.0 - p, p])

    def predict(self, x: pd.DataFrame, clients: Any = None) -> np.ndarray:
        """1 where late payment is more likely than not."""
        return (self.predict_proba(x, clients)[:, 1] >= 0.5).astype(int)

    def contributions(self, x: pd.DataFrame, clients: Any = None) -> np.ndarray:
        """The candidate's contributions (log-odds, last column the bias)."""
        return self.contributions_of(self.booster_input.matrix(x), clients)

    def contributions_of(self, matrix: np.ndarray, clients: Any = None) -> np.ndarray:
        """:meth:`contributions` of features already read by :attr:`booster_input`."""
        return late_contributions_of(self.model, matrix, clients)


class BlendModel:
    """The booster's calibrated log-odds and the linear model's, averaged.

    Both read the same matrix; the contributions are the average of the booster's
    TreeSHAP values (before calibration) and the linear model's exact ones.
    """

    def __init__(self, booster: LatePaymentModel, linear: LinearLateModel) -> None:
        self.booster = booster
        self.linear = linear

    @property
    def feature_names_in_(self) -> list[str]:
        """The columns both models read."""
        return list(self.booster.feature_names_in_)

    @property
    def classes_(self) -> np.ndarray:
        """On time (0) and late (1)."""
        return np.array([0, 1])

    @cached_property
    def booster_input(self) -> BoosterInput:
        """How both models read a feature frame."""
        return self.booster.booster_input

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        """Probabilities of on time / late, one row per invoice."""
        return self.predict_proba_of(self.booster_input.matrix(x))

    def predict_proba_of(self, matrix: np.ndarray) -> np.ndarray:
        """:meth:`predict_proba` of features already read by :attr:`booster_input`."""
        booster = np.clip(self.booster.predict_proba_of(matrix)[:, 1], 1e-6, 1 - 1e-6)
        p = expit((logit(booster) + self.linear.log_odds_of(matrix)) / 2)
        return np.column_stack([1.0 - p, p])

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """1 where late payment is more likely than not."""
        return (self.predict_proba(x)[:, 1] >= 0.5).astype(int)

    def contributions(self, x: pd.DataFrame) -> np.ndarray:
        """Half the booster's contributions plus half the linear model's (last column: bias)."""
        return self.contributions_of(self.booster_input.matrix(x))

    def contributions_of(self, matrix: np.ndarray) -> np.ndarray:
        """:meth:`contributions` of features already read by :attr:`booster_input`."""
        return (self.booster.contributions_of(matrix) + self.linear.contributions_of(matrix)) / 2


def origin_windows(issue: np.ndarray, origins: int = ORIGINS) -> list[np.datetime64]:
    """The origins and the end of the last window: dates cutting the last
    :data:`VALID_SHARE` of the invoices (in issue order) into ``origins`` windows."""
    ordered = np.sort(issue)
    shares = np.linspace(1 - VALID_SHARE, 1.0, origins + 1)
    cuts = [ordered[min(int(s * len(ordered)), len(ordered) - 1)] for s in shares[:-1]]
    return [*cuts, ordered[-1] + np.timedelta64(1, "D")]


@dataclass
class Choice:
    """The outcome of the rolling-origin choice: the winner and every candidate's figures."""

    name: str
    model: Any
    validation: dict[str, dict[str, float]]
    reason: str
    seconds: dict[str, float] = field(default_factory=dict)
    origins: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The choice as a JSON-ready object (without the model)."""
        return {
            "chosen": self.name,
            "reason": self.reason,
            "origins": self.origins,
            "validation": self.validation,
            "seconds": self.seconds,
        }


def _figures(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    two = len(np.unique(y)) == 2
    return {
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "roc_auc": float(roc_auc_score(y, p)) if two else float("nan"),
        "brier": float(brier_score_loss(y, p)),
    }


@dataclass
class Validated:
    """The candidates' predictions of the validation windows, pooled, with their outcomes,
    the window of each row, each candidate's seconds and the origins used."""

    preds: dict[str, np.ndarray]
    truth: np.ndarray
    window: np.ndarray
    seconds: dict[str, float]
    origins: list[str]

    def calibrated(self, name: str) -> np.ndarray:
        """Candidate ``name``'s predictions, each window's calibrated by a calibrator learned
        on the other windows' (time-blocked cross-fitting, as the booster's calibration)."""
        p, out = self.preds[name], np.empty(len(self.truth))
        for w in np.unique(self.window):
            here = self.window == w
            out[here] = calibrated(fit_calibrator(p[~here], self.truth[~here]), p[here])
        return out


def origin_predictions(
    fit_rows: Rows, check: Rows, names: tuple[str, ...], seconds: dict[str, float]
) -> dict[str, np.ndarray]:
    """Each candidate's predictions of ``check`` learned on ``fit_rows``, its seconds added
    to ``seconds``. The two client-effect candidates share one fit (they differ in scoring
    only); the blend averages the booster's and the linear model's log-odds."""
    preds: dict[str, np.ndarray] = {}
    for name in names:
        if name == "blend" or name in preds:
            continue
        started = time.perf_counter()
        model = fit_rows.fit(name)
        preds[name] = late_probability(model, check.x, check.clients)
        if isinstance(model, ClientEffectModel):
            twin = copy.copy(model)
            twin.update = not model.update
            twin_name = "client_effect" if twin.update else "client_effect_static"
            if twin_name in names:
                preds[twin_name] = late_probability(twin, check.x, check.clients)
        seconds[name] += time.perf_counter() - started
    if "blend" in names:
        booster = np.clip(preds["booster"], 1e-6, 1 - 1e-6)
        preds["blend"] = expit((logit(booster) + logit(preds["linear"])) / 2)
    return preds


def validation_predictions(rows: Rows, names: tuple[str, ...], seed: int = 42) -> Validated:
    """Each candidate's predictions of the validation windows, by models learned before
    each origin."""
    windows = origin_windows(rows.issue)
    rng = np.random.default_rng(seed)
    preds: dict[str, list[np.ndarray]] = {n: [] for n in names}
    seconds = dict.fromkeys(names, 0.0)
    truth, used = [], []
    for origin, stop in itertools.pairwise(windows):
        learn = np.flatnonzero((rows.issue < origin) & (rows.due < origin))[-FIT_ROWS:]
        valid = np.flatnonzero((rows.issue >= origin) & (rows.issue < stop))
        if len(valid) > VALID_ROWS:
            valid = np.sort(rng.choice(valid, VALID_ROWS, replace=False))
        if len(learn) < MIN_FIT or len(valid) < MIN_VALID:
            continue
        if len(np.unique(rows.y[learn])) < 2 or len(np.unique(rows.y[valid])) < 2:
            continue
        check = rows.take(valid)
        for name, p in origin_predictions(rows.take(learn), check, names, seconds).items():
            preds[name].append(p)
        truth.append(check.y)
        used.append(str(np.datetime_as_string(origin, unit="D")))
    if not truth:
        return Validated({}, np.zeros(0), np.zeros(0, dtype=int), seconds, used)
    window = np.concatenate([np.full(len(t), k) for k, t in enumerate(truth)])
    pooled = {n: np.concatenate(p) for n, p in preds.items()}
    return Validated(pooled, np.concatenate(truth), window, seconds, used)


def choose_late_model(
    rows: Rows,
    names: tuple[str, ...] = CANDIDATES,
    step: Callable[[str], None] = lambda _: None,
    recalibrate: tuple[str, ...] = RECALIBRATED,
) -> Choice:
    """The candidate (or baseline) with the lowest validation log loss, refitted on ``rows``.

    Each candidate of ``recalibrate`` competes twice: as it is, and recalibrated (its
    validation predictions cross-fitted by window); a recalibrated winner is served
    through a calibrator learned on all its validation predictions. Without a usable
    origin (too few invoices, or one outcome only) nothing can be validated: the linear
    model is served, the safest on few invoices.
    """
    wanted = tuple(
        dict.fromkeys((*names, BASELINE, *(("booster", "linear") if "blend" in names else ())))
    )
    step("choose")
    found = validation_predictions(rows, wanted)
    preds = found.preds | {
        f"{n}{CALIBRATED}": found.calibrated(n) for n in recalibrate if n in names
    }
    validation = {name: _figures(found.truth, p) for name, p in preds.items()}
    if not validation:
        name = "linear"
        reason = "too few invoices before the cut-off to validate candidates: the linear model"
    else:
        name = min(
            (n for n in validation if n.removesuffix(CALIBRATED) in names or n == BASELINE),
            key=lambda n: validation[n]["log_loss"],
        )
        reason = _reason(name, validation)
    started = time.perf_counter()
    model = rows.fit(name)
    if name.endswith(CALIBRATED):
        base = name.removesuffix(CALIBRATED)
        model = CalibratedLateModel(model, fit_calibrator(found.preds[base], found.truth))
    found.seconds[f"final_{name}"] = time.perf_counter() - started
    return Choice(name, model, validation, reason, found.seconds, found.origins)


def _reason(name: str, validation: dict[str, dict[str, float]]) -> str:
    """Why ``name`` won, in one sentence for the training report."""
    loss = validation[name]["log_loss"]
    others = sorted((v["log_loss"], n) for n, v in validation.items() if n != name)
    if name == BASELINE:
        return (
            f"no model beat the training period's late rate on the validation windows "
            f"(log loss {loss:.4f}): this ledger is too small to learn from, the late rate "
            "is served"
        )
    runner = f", next {others[0][1]} {others[0][0]:.4f}" if others else ""
    return f"lowest validation log loss: {loss:.4f}{runner}"
