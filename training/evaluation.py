"""Out-of-time evaluation of the models, beside baselines and (on simulated data) the truth.

Test invoices are those issued from the cut-off to the end of the ledger, their
outcomes as known at the end: late or not once due, buckets once 90 days past due,
payment times censored while open (see :func:`training.metrics.time_metrics`).
Clients unseen in training are reported apart, with the onboarding model beside.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from training.dataset import Split
from training.late_choice import late_probability
from training.late_payment import bucket_probabilities
from training.metrics import (
    bucket_metrics,
    kaplan_meier,
    late_metrics,
    survival_metrics,
    survival_times,
    time_metrics,
)
from training.models import FittedModels
from training.payment_time import HORIZON, PaymentDistribution, PaymentTimeModel
from training.targets import BUCKETS, bucket_outcome, late_outcome, payment_durations

KEYS = ("roc_auc", "pr_auc", "brier", "ece", "mae_days", "coverage_p10_p90")


@dataclass
class Predictions:
    """What a model (or baseline) says of each test invoice, in days after issue."""

    p_late: np.ndarray
    expected_days: np.ndarray
    p10_days: np.ndarray | None = None
    p50_days: np.ndarray | None = None
    p90_days: np.ndarray | None = None
    buckets: np.ndarray | None = None
    survival: Callable[[np.ndarray], np.ndarray] | None = None
    """P(not yet paid) of each invoice at whole days after issue: one row per invoice."""


@dataclass
class Outcomes:
    """What happened to the test invoices, as known at the end of the ledger."""

    late: np.ndarray  # 1, 0 or NaN (not yet due)
    bucket: np.ndarray  # bucket index or NaN
    days: np.ndarray  # days after issue to payment, or to the end while open
    paid: np.ndarray
    amount: np.ndarray  # currency units
    train_days: np.ndarray | None = None
    """Days after issue to payment (or to the cut-off while open) of the training invoices:
    the censoring of the test is estimated on them (see :func:`survival_metrics`)."""
    train_paid: np.ndarray | None = None


def top_decile_catch(out: Outcomes, pred: Predictions, rows: np.ndarray) -> float:
    """Share of the late amount in the 10 % of invoices with the most amount at risk."""
    known = rows & ~np.isnan(out.late)
    late_amount = (out.late * out.amount)[known]
    if len(late_amount) == 0 or late_amount.sum() <= 0:
        return float("nan")
    order = np.argsort(-(pred.p_late * out.amount)[known], kind="stable")
    top = order[: max(int(np.ceil(0.1 * len(order))), 1)]
    return float(late_amount[top].sum() / late_amount.sum())


@dataclass
class Evaluation:
    """The figures of one evaluation, and the test predictions behind them."""

    metrics: dict[str, Any]
    baselines: dict[str, dict[str, Any]]
    unseen_clients: dict[str, Any]
    oracle: dict[str, Any] | None
    censoring: dict[str, float]
    predictions: pd.DataFrame
    outcomes: Outcomes
    compared: dict[str, Predictions]
    """The model, the baselines and the truth side by side (for the plots)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Headline figures at the top level, then the rest, as one JSON-ready object."""
        return {
            **{k: self.metrics.get(k) for k in KEYS},
            **{k: v for k, v in self.metrics.items() if k not in KEYS},
            "baselines": self.baselines,
            "unseen_clients": self.unseen_clients,
            "oracle": self.oracle,
            "censoring": self.censoring,
            **self.extra,
        }


def outcomes(
    invoices: pd.DataFrame, known_at: pd.Timestamp, training: pd.DataFrame | None = None
) -> Outcomes:
    """Outcomes of ``invoices`` as known at ``known_at``, with the ``training`` invoices'
    payment durations (:func:`payment_durations`) when given."""
    durations = payment_durations(invoices, known_at)
    return Outcomes(
        late=late_outcome(invoices, known_at).to_numpy(),
        bucket=bucket_outcome(invoices, known_at).to_numpy(),
        days=(durations["offset"] - durations["start"]).to_numpy().astype(float),
        paid=durations["paid"].to_numpy(dtype=bool),
        amount=invoices["amount_cents"].to_numpy(dtype="float64") / 100,
        train_days=None if training is None else _days(training),
        train_paid=None if training is None else training["paid"].to_numpy(dtype=bool),
    )


def _days(durations: pd.DataFrame) -> np.ndarray:
    return (durations["offset"] - durations["start"]).to_numpy().astype(float)


def _survival_figures(out: Outcomes, pred: Predictions, rows: np.ndarray) -> dict[str, float]:
    """:func:`survival_metrics` of ``pred`` on ``rows``, when it has curves."""
    if pred.survival is None or out.train_days is None or out.train_paid is None:
        return {}
    days, paid = out.days[rows], out.paid[rows]
    times = survival_times(days, paid, out.train_days)
    if len(times) < 2:
        return {"c_index_ipcw": float("nan"), "integrated_brier": float("nan")}
    survival = pred.survival(times)[rows]
    return survival_metrics(out.train_days, out.train_paid, days, paid, survival, times)


def from_distribution(p_late: np.ndarray, dist: PaymentDistribution) -> Predictions:
    """Predictions from a late probability and a payment-time distribution."""
    start = dist.issue_offset
    p10, p90 = dist.band()
    return Predictions(
        p_late=p_late,
        expected_days=dist.expected_offset() - start,
        p10_days=p10 - start,
        p50_days=dist.quantile(0.5) - start,
        p90_days=p90 - start,
        buckets=bucket_probabilities(p_late, dist.bucket_probabilities()),
        survival=lambda days: dist.survival_at(start[:, None] + days[None, :]),
    )


def point_survival(expected_days: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Curves of a point prediction: certain to be unpaid until the predicted day (never
    paid where none is predicted)."""
    due = np.where(np.isnan(expected_days), np.inf, expected_days)
    return lambda days: (days[None, :] < due[:, None]).astype("float64")


def figures(out: Outcomes, pred: Predictions, rows: np.ndarray | None = None) -> dict[str, Any]:
    """Every figure of ``pred`` against ``out`` (on ``rows`` only, if given)."""
    if rows is None:
        rows = np.ones(len(out.late), dtype=bool)
    known = rows & ~np.isnan(out.late)
    result: dict[str, Any] = {"n": int(rows.sum()), "n_late_known": int(known.sum())}
    result |= late_metrics(out.late[known], pred.p_late[known])

    def pick(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[rows]

    result |= time_metrics(
        out.days[rows],
        out.paid[rows],
        np.where(out.paid, -np.inf, out.days)[rows],
        pred.expected_days[rows],
        pick(pred.p10_days),
        pick(pred.p90_days),
    )
    result |= _survival_figures(out, pred, rows)
    result["late_amount_caught_top10"] = top_decile_catch(out, pred, rows)
    if pred.buckets is not None:
        decided = rows & ~np.isnan(out.bucket)
        result["per_bucket"] = bucket_metrics(out.bucket[decided], pred.buckets[decided])
    return result


HISTORY_BANDS = ((0, 10), (10, 30), (30, None))
"""Bands of the client's settled invoices at issue (``hist_n_paid``) for the oracle ratio."""


def oracle_ratio_by_history(
    split: Split, out: Outcomes, model: Predictions, oracle: Predictions
) -> dict[str, dict[str, float]]:
    """Model ROC AUC over the truth's, by how many settled invoices the client had.

    The truth knows each client's latent behaviour; a model learns it from the client's
    settled invoices, so the gap narrows as that history grows.
    """
    if "hist_n_paid" not in split.x_test:
        return {}
    settled = split.x_test["hist_n_paid"].fillna(0).to_numpy()
    result = {}
    for low, high in HISTORY_BANDS:
        rows = (settled >= low) & (settled < (np.inf if high is None else high))
        known = rows & ~np.isnan(out.late)
        got = late_metrics(out.late[known], model.p_late[known])["roc_auc"]
        best = late_metrics(out.late[known], oracle.p_late[known])["roc_auc"]
        if np.isfinite(got) and np.isfinite(best):
            name = f"{low}+" if high is None else f"{low}-{high - 1}"
            result[name] = {
                "n_late_known": float(known.sum()),
                "model_vs_oracle_roc_auc": got / best,
            }
    return result


def _logistic_baseline(split: Split, y: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression (P late) and ridge (days to pay) on the same features."""
    x_train, x_test = split.x_train, split.x_test
    categorical = [c for c in x_train.columns if isinstance(x_train[c].dtype, pd.CategoricalDtype)]
    numeric = [c for c in x_train.columns if c not in categorical]

    def prep() -> ColumnTransformer:
        return ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(
                        SimpleImputer(
                            strategy="median", add_indicator=True, keep_empty_features=True
                        ),
                        StandardScaler(),
                    ),
                    numeric,
                ),
                (
                    "cat",
                    make_pipeline(
                        SimpleImputer(strategy="constant", fill_value="missing"),
                        OneHotEncoder(handle_unknown="ignore"),
                    ),
                    categorical,
                ),
            ]
        )

    def as_objects(x: pd.DataFrame) -> pd.DataFrame:
        return x.astype({c: object for c in categorical})

    known = y.notna().to_numpy()
    durations = payment_durations(split.train, split.cutoff)
    paid = durations["paid"].to_numpy()
    days = (durations["offset"] - durations["start"]).to_numpy()[paid]
    with warnings.catch_warnings():  # a column with no value at all is dropped: say nothing
        warnings.simplefilter("ignore", UserWarning)
        clf = make_pipeline(prep(), LogisticRegression(max_iter=500))
        clf.fit(as_objects(x_train[known]), y[known].astype(int))
        p = clf.predict_proba(as_objects(x_test))[:, 1]
        reg = make_pipeline(prep(), Ridge(alpha=1.0))
        reg.fit(as_objects(x_train[paid]), days)
        return p, np.asarray(reg.predict(as_objects(x_test)), dtype=float)


def baselines(split: Split, base_rate: float, y_train: pd.Series) -> dict[str, Predictions]:
    """Each client's last delay; everyone pays on the due date; logistic regression."""
    x = split.x_test
    terms = x["inv_terms_days"].to_numpy()
    last = x["hist_last_days_late"].to_numpy()
    lr_p, lr_days = _logistic_baseline(split, y_train)
    last_delay = terms + np.nan_to_num(last, nan=0.0)
    return {
        "client_last_delay": Predictions(
            p_late=np.where(np.isnan(last), base_rate, (last > 0).astype(float)),
            expected_days=last_delay,
            survival=point_survival(last_delay),
        ),
        "due_date": Predictions(
            p_late=np.full(len(x), base_rate),
            expected_days=terms,
            survival=point_survival(terms),
        ),
        "logistic_regression": Predictions(
            p_late=lr_p, expected_days=lr_days, survival=point_survival(lr_days)
        ),
        "kaplan_meier": kaplan_meier_baseline(split, base_rate),
    }


def kaplan_meier_baseline(split: Split, base_rate: float) -> Predictions:
    """One curve for every invoice: the Kaplan-Meier estimate of the days from issue to
    payment over the training invoices, open ones censored (the no-feature baseline)."""
    durations = payment_durations(split.train, split.cutoff)
    days, paid = _days(durations), durations["paid"].to_numpy(dtype=bool)
    grid = np.arange(0, HORIZON + 1, dtype="float64")
    curve = kaplan_meier(days, paid, grid)
    mass = -np.diff(curve)
    n = len(split.x_test)
    expected = float((mass * grid[1:]).sum() / mass.sum()) if mass.sum() > 0 else np.nan

    def quantile(q: float) -> float:
        reached = 1.0 - curve >= q
        return float(grid[reached.argmax()]) if reached.any() else np.nan

    return Predictions(
        p_late=np.full(n, base_rate),
        expected_days=np.full(n, expected),
        p10_days=np.full(n, quantile(0.1)),
        p50_days=np.full(n, quantile(0.5)),
        p90_days=np.full(n, quantile(0.9)),
        survival=lambda t: np.tile(kaplan_meier(days, paid, t), (n, 1)),
    )


def oracle_predictions(split: Split, truth: pd.DataFrame) -> Predictions | None:
    """The simulator's true distributions of the test invoices (best achievable)."""
    from simulator import true_paid_by

    rows = truth.set_index("invoice_id").reindex(split.test["invoice_id"]).reset_index()
    if rows["p_late"].isna().any():
        return None
    grid = np.arange(0, 800)
    cdf = np.asarray(true_paid_by(rows, np.broadcast_to(grid, (len(rows), len(grid)))))
    pmf = np.diff(np.column_stack([np.zeros(len(rows)), cdf]), axis=1)
    total = pmf.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = (pmf * grid).sum(axis=1) / total

    def quantile(q: float) -> np.ndarray:
        reached = cdf >= q
        return np.where(reached.any(axis=1), grid[reached.argmax(axis=1)], np.nan)

    buckets = rows[["p_on_time", "p_1_30", "p_31_60", "p_61_90", "p_over_90"]].to_numpy()
    last = len(grid) - 1
    return Predictions(
        p_late=rows["p_late"].to_numpy(),
        expected_days=expected,
        p10_days=quantile(0.1),
        p50_days=quantile(0.5),
        p90_days=quantile(0.9),
        buckets=buckets,
        survival=lambda t: 1.0 - cdf[:, np.clip(t.astype("int64"), 0, last)],
    )


def censoring_check(split: Split, model: PaymentTimeModel, days_late: int = 30) -> dict[str, float]:
    """P(paid within ``days_late`` of the due date): censoring-aware vs open invoices dropped.

    Both models see the same training invoices; the second keeps only those paid by the
    cut-off, as a naive pipeline would. They are compared on the test invoices whose
    answer is known (due date + ``days_late`` before the end), with what happened.
    """
    durations = payment_durations(split.train, split.cutoff)
    paid = durations["paid"].to_numpy()
    naive = PaymentTimeModel(max_invoices=model.max_invoices).fit(
        split.x_train[paid], durations[paid]
    )
    test = split.test
    decided = (test["due_date"] + pd.Timedelta(days=days_late) < split.end).to_numpy()
    if not decided.any():
        return {}
    x, inv = split.x_test[decided], test[decided]
    target = np.full(decided.sum(), days_late)
    observed = payment_durations(inv, split.end)
    hit = observed["paid"].to_numpy() & (observed["offset"].to_numpy() <= days_late)
    clients = inv["client_id"].to_numpy()
    return {
        "days_after_due": float(days_late),
        "observed_share_paid": float(hit.mean()),
        "with_censored": float(
            model.distribution(x, inv["issue_date"], inv["due_date"], clients=clients)
            .paid_by(target)
            .mean()
        ),
        "dropping_open": float(
            naive.distribution(x, inv["issue_date"], inv["due_date"]).paid_by(target).mean()
        ),
    }


def _days_to_dates(issue: pd.Series, days: np.ndarray | None) -> pd.Series:
    if days is None:
        return pd.Series(pd.NaT, index=issue.index)
    offset = pd.to_timedelta(np.nan_to_num(days, nan=0), unit="D")
    return (issue.reset_index(drop=True) + offset).where(~np.isnan(days))


def prediction_frame(split: Split, pred: Predictions) -> pd.DataFrame:
    """One row per test invoice: ``invoice_id, p_late, expected_days_to_pay, p10/p50/p90_date``."""
    issue = split.test["issue_date"].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "invoice_id": split.test["invoice_id"].to_numpy(),
            "p_late": pred.p_late,
            "expected_days_to_pay": pred.expected_days,
            "p10_date": _days_to_dates(issue, pred.p10_days),
            "p50_date": _days_to_dates(issue, pred.p50_days),
            "p90_date": _days_to_dates(issue, pred.p90_days),
        }
    )
    if pred.buckets is not None:
        for k, name in enumerate(BUCKETS):
            frame[f"p_{name}"] = pred.buckets[:, k]
    return frame


def model_predictions(split: Split, models: FittedModels) -> tuple[Predictions, Predictions]:
    """Test predictions of the full models and of the onboarding model."""
    test, x = split.test, split.x_test
    full = from_distribution(
        late_probability(models.late, x, test["client_id"]),
        models.time.distribution(
            x, test["issue_date"], test["due_date"], clients=test["client_id"].to_numpy()
        ),
    )
    onboarding = from_distribution(
        models.onboarding.predict_proba(x)[:, 1],
        models.onboarding.distribution(x, test["issue_date"], test["due_date"]),
    )
    return full, onboarding


def evaluate(
    split: Split, models: FittedModels, truth: pd.DataFrame | None = None, check: bool = True
) -> Evaluation:
    """Every figure of the models on the out-of-time test, beside baselines and the truth."""
    out = outcomes(split.test, split.end, payment_durations(split.train, split.cutoff))
    y_train = late_outcome(split.train, split.cutoff)
    base_rate = float(y_train.mean()) if y_train.notna().any() else 0.5
    full, onboarding = model_predictions(split, models)
    unseen = split.unseen_test.to_numpy()
    base = baselines(split, base_rate, y_train)
    oracle = oracle_predictions(split, truth) if truth is not None else None
    oracle_figures = None
    if oracle is not None:
        oracle_figures = figures(out, oracle)
        model_figures = figures(out, full)
        oracle_figures["model_vs_oracle_roc_auc"] = (
            model_figures["roc_auc"] / oracle_figures["roc_auc"]
        )
        oracle_figures["by_client_history"] = oracle_ratio_by_history(split, out, full, oracle)
    return Evaluation(
        metrics=figures(out, full),
        baselines={name: figures(out, p) for name, p in base.items()},
        unseen_clients={
            "late-payment": figures(out, full, unseen),
            "onboarding": figures(out, onboarding, unseen),
            "due_date": figures(out, base["due_date"], unseen),
        },
        oracle=oracle_figures,
        censoring=censoring_check(split, models.time) if check else {},
        predictions=prediction_frame(split, full),
        outcomes=out,
        compared={"model": full, **base, **({"truth": oracle} if oracle is not None else {})},
    )
