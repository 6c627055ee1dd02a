"""Train, evaluate out of time, log to MLflow and register: ``encours train`` / ``evaluate``.

The three models are fitted on what was known before the cut-off and tested on the
invoices issued after it. Each is registered as a new version; it becomes the
``champion`` only if its loss on the very same test beats the current champion's
(Brier score for the late-payment and onboarding models, MAE in days for the payment
time), else it is the ``challenger``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ledger.contract import Ledger
from training.dataset import FeatureEngine, Split, ledger_end, out_of_time_split
from training.evaluation import (
    Evaluation,
    Outcomes,
    Predictions,
    evaluate,
    figures,
    from_distribution,
)
from training.late_choice import late_probability
from training.late_payment import DEFAULT_PARAMS as LATE_PARAMS
from training.model_card import log_cards
from training.models import (
    LATE_MODEL,
    ONBOARDING_MODEL,
    TIME_MODEL,
    FittedModels,
    fit_models,
)
from training.payment_time import DEFAULT_PARAMS as TIME_PARAMS
from training.payment_time import EDGES
from training.plots import evaluation_plots
from training.registry import (
    IncompatibleModel,
    NoChampion,
    Registration,
    RunRecord,
    load,
    quiet_mlflow,
    register,
)

DEFAULT_TEST_DAYS = 183


@dataclass(frozen=True)
class TrainReport:
    """What a training run did and measured."""

    split: Split
    evaluation: Evaluation
    registrations: list[Registration]

    @property
    def registration(self) -> Registration:
        """The late-payment model's registration (the one the demo talks about)."""
        return self.registrations[0]

    @property
    def metrics(self) -> dict[str, Any]:
        """The late-payment and payment-time figures on the out-of-time test."""
        return self.evaluation.metrics

    @property
    def baselines(self) -> dict[str, dict[str, Any]]:
        """The baselines' figures on the same test."""
        return self.evaluation.baselines

    def as_json(self) -> dict[str, Any]:
        """The report as one JSON-ready object."""
        return {
            "cutoff": self.split.cutoff.date().isoformat(),
            "end": self.split.end.date().isoformat(),
            "n_train": len(self.split.train),
            "n_test": len(self.split.test),
            **self.evaluation.as_json(),
            "models": [
                {
                    "name": r.name,
                    "version": r.version,
                    "promoted": r.promoted,
                    "champion_loss": r.champion_score,
                }
                for r in self.registrations
            ],
        }


def choice_report(models: FittedModels) -> dict[str, Any]:
    """``late_model_choice``: which late-payment model the rolling-origin validation chose,
    why, and every candidate's validation figures and seconds; ``time_model_choice``: how
    far the payment-time curve moves toward the client-effect days model, and why."""
    time = models.time
    moved = {
        "days_weight": float(getattr(time, "days_weight_", 0.0)),
        "held_back": {str(k): v for k, v in getattr(time, "days_scores_", {}).items()},
        "band_levels": [float(level) for level in time.band_levels_],
    }
    late = {} if models.choice is None else {"late_model_choice": models.choice.as_json()}
    return late | {"time_model_choice": moved}


CHOICE_NOTE = (
    "client effect: a per-client intercept learned with the feature ramps on the training "
    "period (shrunk toward 0 by its penalty), frozen between retrainings; at scoring it is "
    "moved by what the client settled since its last training invoice (one empirical-Bayes "
    "Newton step, read off the point-in-time history), so it is never staler than the "
    "client's last settlement; client_effect_static skips that update"
)


def late_params(split: Split, models: FittedModels) -> dict[str, object]:
    """The late-payment run's parameters: the booster's (its monotone constraints by
    feature among them), which candidate was chosen and how the client effect ages."""
    from features.registry import directions

    names = list(split.x_train.columns)
    constraints = dict(zip(names, directions(names), strict=True))
    choice = models.choice
    return (
        LATE_PARAMS
        | {"monotone_constraints": {k: v for k, v in constraints.items() if v}}
        | {
            "chosen_model": choice.name if choice else type(models.late).__name__,
            "choice_reason": choice.reason if choice else "",
            "choice_origins": ",".join(choice.origins) if choice else "",
            "client_effect": CHOICE_NOTE,
        }
    )


DAYS_NOTE = (
    "client days model: a ridge regression of days to pay on the feature ramps and one "
    "penalised intercept per client, learned on the invoices paid by the cut-off and frozen "
    "until the next training (nothing updates it since: as stale as the time between "
    "retrainings); the booster's curve moves toward its date by days_weight, chosen on the "
    "training invoices of the last held_back_days (0: not used)"
)


def time_params(models: FittedModels) -> dict[str, object]:
    """The payment-time run's parameters beside the booster's: its periods, how far its
    curve moves toward the client days model and the band's levels."""
    time = models.time
    return {
        "edges": list(EDGES),
        "held_back_days": time.held_back_days,
        "days_weight": float(getattr(time, "days_weight_", 0.0)),
        "band_levels": [float(level) for level in time.band_levels_],
        "client_days_model": DAYS_NOTE,
    }


def choice_metrics(models: FittedModels) -> dict[str, float]:
    """Every candidate's rolling-origin validation figures and seconds, as MLflow metrics
    (``choice_<candidate>_<figure>``)."""
    if models.choice is None:
        return {}
    figures = {
        f"choice_{name}_{key}": float(value)
        for name, figs in models.choice.validation.items()
        for key, value in figs.items()
    }
    return figures | {f"choice_seconds_{k}": float(v) for k, v in models.choice.seconds.items()}


def default_cutoff(end: pd.Timestamp) -> pd.Timestamp:
    """The default cut-off: the last six months are the out-of-time test."""
    return end - pd.Timedelta(days=DEFAULT_TEST_DAYS)


def _losses(evaluation: Evaluation) -> dict[str, float]:
    unseen = evaluation.unseen_clients["onboarding"]
    onboarding = unseen["brier"] if unseen["n_late_known"] else float("nan")
    return {
        LATE_MODEL: evaluation.metrics["brier"],
        TIME_MODEL: evaluation.metrics["mae_days"],
        ONBOARDING_MODEL: onboarding,
    }


def _beatable_champion(name: str) -> Any:
    """The champion of ``name`` to compare with; None when none is registered, or when
    this code cannot serve it (its features are no longer made): then it is replaced."""
    try:
        return load(name).model
    except (NoChampion, IncompatibleModel):
        return None


def _champion_losses(split: Split, out: Outcomes) -> dict[str, float | None]:
    """Each current champion's loss on this test; None without one (or one that can't run)."""
    test, x = split.test, split.x_test
    losses: dict[str, float | None] = {}
    unseen = split.unseen_test.to_numpy()
    for name in (LATE_MODEL, TIME_MODEL, ONBOARDING_MODEL):
        champion = _beatable_champion(name)
        losses[name] = None
        if champion is None:
            continue
        try:
            if name == TIME_MODEL:
                dist = champion.distribution(
                    x, test["issue_date"], test["due_date"], clients=test["client_id"].to_numpy()
                )
                pred = from_distribution(np.zeros(len(x)), dist)
                losses[name] = figures(out, pred)["mae_days"]
            else:
                p = late_probability(champion, x, test["client_id"] if name == LATE_MODEL else None)
                pred = Predictions(p, np.zeros(len(x)))
                rows = unseen if name == ONBOARDING_MODEL else None
                losses[name] = figures(out, pred, rows)["brier"]
        except (ValueError, KeyError, AttributeError):
            losses[name] = None  # the champion reads other features: replace it
    return losses


def _records(
    split: Split, models: FittedModels, evaluation: Evaluation, folder: Path
) -> dict[str, RunRecord]:
    report = evaluation.as_json()
    plots = evaluation_plots(evaluation, models.late, split.x_test, folder)
    common = {"cutoff": str(split.cutoff.date()), "end": str(split.end.date())}
    flat = (
        choice_metrics(models)
        | {k: float(v) for k, v in evaluation.metrics.items() if isinstance(v, float | int)}
        | {
            f"{b}_{k}": float(v)
            for b, figs in evaluation.baselines.items()
            for k, v in figs.items()
            if isinstance(v, float)
        }
    )
    unseen = evaluation.unseen_clients["onboarding"]
    return {
        LATE_MODEL: RunRecord(common | late_params(split, models), flat, plots, report),
        TIME_MODEL: RunRecord(common | TIME_PARAMS | time_params(models), flat, plots[2:3], report),
        ONBOARDING_MODEL: RunRecord(
            common | {"features": len(split.onboarding_features)},
            {k: float(v) for k, v in unseen.items() if isinstance(v, float | int)},
            [],
            {"unseen_clients": evaluation.unseen_clients},
        ),
    }


def train_models(
    ledger: Ledger,
    cutoff: pd.Timestamp | None = None,
    step: Callable[[str], None] = lambda _: None,
    truth: pd.DataFrame | None = None,
    engine: FeatureEngine | None = None,
) -> TrainReport:
    """Fit the three models before ``cutoff``, test them after it, log and register them.

    The MLflow store must already be selected (``training.tracking.use_store``).
    ``truth`` (simulated ledgers only) adds the best achievable figures to the report.
    ``engine`` builds the features elsewhere (on a Dask cluster); they are then fitted here.
    """
    end = ledger_end(ledger)
    cutoff = cutoff if cutoff is not None else default_cutoff(end)
    step("features")
    split = out_of_time_split(ledger, cutoff, end, engine)
    if split.test.empty:
        raise ValueError(
            f"no invoice issued on or after {cutoff.date()}: choose an earlier --cutoff"
        )
    step("fit")
    models = fit_models(split)
    step("evaluate")
    evaluation = evaluate(split, models, truth)
    evaluation.extra |= choice_report(models)
    step("register")
    losses = _losses(evaluation)
    fitted = {LATE_MODEL: models.late, TIME_MODEL: models.time, ONBOARDING_MODEL: models.onboarding}
    with quiet_mlflow(), tempfile.TemporaryDirectory() as folder:
        champions = _champion_losses(split, evaluation.outcomes)
        records = _records(split, models, evaluation, Path(folder))
        registrations = [
            register(
                name,
                fitted[name],
                records[name],
                example=split.x_test
                if name != ONBOARDING_MODEL
                else split.x_test[split.onboarding_features],
                score=losses[name],
                champion_score=champions[name],
            )
            for name in (LATE_MODEL, TIME_MODEL, ONBOARDING_MODEL)
        ]
        log_cards(split, evaluation, models, records, registrations)
    return TrainReport(split=split, evaluation=evaluation, registrations=registrations)


def evaluate_champions(
    ledger: Ledger, cutoff: pd.Timestamp | None = None, truth: pd.DataFrame | None = None
) -> tuple[Split, Evaluation]:
    """The registered champions evaluated on the out-of-time test after ``cutoff``."""
    end = ledger_end(ledger)
    cutoff = cutoff if cutoff is not None else default_cutoff(end)
    split = out_of_time_split(ledger, cutoff, end)
    loaded, missing = {}, []
    for name in (LATE_MODEL, TIME_MODEL, ONBOARDING_MODEL):
        try:  # a champion this code cannot serve raises IncompatibleModel: it says why
            loaded[name] = load(name).model
        except NoChampion:
            missing.append(name)
    if missing:
        raise ValueError(f"no champion registered for {', '.join(missing)}: run `encours train`")
    models = FittedModels(
        late=loaded[LATE_MODEL], time=loaded[TIME_MODEL], onboarding=loaded[ONBOARDING_MODEL]
    )
    return split, evaluate(split, models, truth, check=False)


IBM_PUBLISHED = {
    "random_80_20_published": {"roc_auc": 0.923, "accuracy": 0.868, "rmse_days": 5.2},
    "random_80_20_point_in_time": {"roc_auc": 0.898, "accuracy": 0.822, "rmse_days": 6.62},
    "out_of_time_best": {"roc_auc": 0.926, "accuracy": 0.860, "rmse_days": 5.06},
}
"""Figures of ``../shared/data/ibm_ar/README`` (its best honest out-of-time row last)."""


def random_split(split: Split, seed: int = 42, test_share: float = 0.2) -> Split:
    """The published protocol: a random 80/20 split of invoices, point-in-time features kept."""
    both = pd.concat([split.train, split.test], ignore_index=True)
    x = pd.concat([split.x_train, split.x_test], ignore_index=True)
    test = np.random.default_rng(seed).random(len(both)) < test_share
    seen = set(both.loc[~test, "client_id"])
    return Split(
        cutoff=split.end,  # outcomes as known at the end on both sides
        end=split.end,
        train=both[~test].reset_index(drop=True),
        test=both[test].reset_index(drop=True),
        x_train=x[~test].reset_index(drop=True),
        x_test=x[test].reset_index(drop=True),
        onboarding_features=split.onboarding_features,
        unseen_test=~both.loc[test, "client_id"].isin(seen).reset_index(drop=True),
    )


def evaluate_dataset(ledger: Ledger, cutoff: pd.Timestamp) -> dict[str, Any]:
    """Fresh models on an outside ledger: out of time at ``cutoff``, and the random 80/20.

    Nothing is registered: the figures are for comparison with published ones.
    """
    split = out_of_time_split(ledger, cutoff, ledger_end(ledger))
    models = fit_models(split)
    out_of_time = evaluate(split, models, check=False)
    out_of_time.extra |= choice_report(models)
    shuffled = random_split(split)
    random = evaluate(shuffled, fit_models(shuffled), check=False)
    keys = ("roc_auc", "pr_auc", "brier", "ece", "accuracy", "mae_days", "rmse_days")
    return {
        "cutoff": cutoff.date().isoformat(),
        "n_train": len(split.train),
        "n_test": len(split.test),
        **out_of_time.as_json(),
        "random_80_20": {k: random.metrics[k] for k in keys}
        | {"baselines": {b: {k: f[k] for k in keys} for b, f in random.baselines.items()}},
        "published": IBM_PUBLISHED,
        "_predictions": out_of_time.predictions,
    }
