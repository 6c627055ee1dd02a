"""The registered models as files that load without unpickling anything.

Each LightGBM booster is written in LightGBM's own text format (``Booster.save_model``);
every other fitted parameter (the calibrator's points or slope, the feature columns, the
numbers of trees, the parameters given) is data in ``model.json``. Reading them back runs
no code from the files: a class renamed or moved since cannot break an old version, and
a tampered model file cannot run anything when the API loads it.

``model.json`` names each model by a kind of its own (``late_payment``, ``payment_time``,
``onboarding``), not by its Python class, and carries :data:`FORMAT`; each booster by the
file that holds it, relative to the model's folder. The folder is an MLflow model of the
``lightgbm`` flavour: the first booster is the one MLflow logs (``mlflow.lightgbm``), the
rest and ``model.json`` are its extra files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from training.client_effect import ClientEffectModel
from training.late_choice import BlendModel, CalibratedLateModel
from training.late_payment import (
    Calibrator,
    CenteredIsotonic,
    LatePaymentModel,
    SigmoidCalibrator,
)
from training.linear_late import LinearLateModel, Terms
from training.models import OnboardingModel
from training.payment_days import ClientDaysModel
from training.payment_time import PaymentTimeModel

FORMAT = 1
"""The version of ``model.json``'s layout; a reader refuses one it does not know."""
FORM_FILE = "model.json"
MAIN = "model.lgb"
"""Where ``mlflow.lightgbm`` writes the booster it logs, in the model's folder."""
EXTRA = "extra_files"
"""Where it copies the files logged beside it (``extra_files``)."""
Model = (
    LatePaymentModel
    | PaymentTimeModel
    | OnboardingModel
    | LinearLateModel
    | ClientEffectModel
    | BlendModel
    | CalibratedLateModel
)


@dataclass(frozen=True)
class SavedBooster:
    """A booster read back from its text file, where the model held its ``LGBMClassifier``:
    what the models read of it (:class:`training.booster_input.FittedBooster`)."""

    booster_: lgb.Booster
    n_estimators: int


class UnknownForm(ValueError):
    """``model.json`` is of a format or names a kind this version of encours cannot read."""


# --- write -------------------------------------------------------------------------------


def save(model: Model, folder: Path) -> tuple[lgb.Booster, list[Path]]:
    """Write ``model`` into ``folder`` for ``mlflow.lightgbm.log_model``: returns the booster
    to log as the model (MLflow writes it as :data:`MAIN`) and the files to log beside it
    (its ``extra_files``: ``model.json`` and any other booster)."""
    boosters: dict[str, lgb.Booster] = {}
    form: dict[str, Any] = {"format": FORMAT, "model": _form_of(model, "", boosters)}
    if not boosters:  # a linear model: MLflow still logs a booster, one that says so
        boosters["booster"] = placeholder_booster()
        form["placeholder_booster"] = True
    main, *others = boosters
    form["boosters"] = {main: MAIN} | {n: f"{EXTRA}/{n}.lgb" for n in others}
    files = [folder / FORM_FILE]
    files[0].write_text(json.dumps(form, indent=1))
    for name in others:
        files.append(folder / f"{name}.lgb")
        boosters[name].save_model(str(files[-1]))
    return boosters[main], files


def _form_of(model: Model, prefix: str, boosters: dict[str, lgb.Booster]) -> dict[str, Any]:
    """``model`` as data; its boosters are added to ``boosters`` under their names."""
    if isinstance(model, OnboardingModel):
        return {
            "kind": "onboarding",
            "features": list(model.features),
            "max_invoices": model.max_invoices,
            "feature_names": list(model.feature_names_in_),
            "late": _form_of(model.late_, "late_", boosters),
            "time": _form_of(model.time_, "time_", boosters),
        }
    if isinstance(model, CalibratedLateModel):
        return {
            "kind": "calibrated",
            "model": _form_of(model.model, prefix, boosters),
            "calibrator": calibrator_form(model.calibrator),
        }
    if isinstance(model, LinearLateModel | ClientEffectModel | BlendModel):
        return linear_form(model, prefix, boosters)
    name = f"{prefix}booster" if prefix else "booster"
    boosters[name] = model.booster_.booster_
    common = {
        "params": model.params,
        "feature_names": list(model.feature_names_in_),
        "booster": name,
        "n_estimators": int(model.booster_.n_estimators),
    }
    if isinstance(model, PaymentTimeModel):
        return {
            "kind": "payment_time",
            "max_invoices": model.max_invoices,
            "held_back_days": model.held_back_days,
            "band_levels": [float(level) for level in model.band_levels_],
            "days_weight": float(getattr(model, "days_weight_", 0.0)),
            "days_model": days_form(getattr(model, "days_model_", None)),
        } | common
    if not isinstance(model, LatePaymentModel):
        raise TypeError(f"no file format for a {type(model).__name__}")
    return {
        "kind": "late_payment",
        "calibration_folds": model.calibration_folds,
        "max_rows": model.max_rows,
        "fold_trees": [int(t) for t in model.fold_trees_],
        "calibrator": calibrator_form(model.calibrator_),
    } | common


def linear_form(
    model: LinearLateModel | ClientEffectModel | BlendModel,
    prefix: str,
    boosters: dict[str, lgb.Booster],
) -> dict[str, Any]:
    """An additive, client-effect or blended late-payment model as data (a blend's booster
    added to ``boosters``)."""
    if isinstance(model, BlendModel):
        booster = _form_of(model.booster, f"{prefix}blend_", boosters)
        return {"kind": "blend", "booster": booster, "linear": linear_form(model.linear, "", {})}
    if isinstance(model, ClientEffectModel):
        return {
            "kind": "client_effect",
            "params": {
                "ramps": model.ramps,
                "penalty": model.penalty,
                "client_penalty": model.client_penalty,
                "update": model.update,
                "max_rows": model.max_rows,
            },
            "base": linear_form(model.base_, prefix, boosters),
            "client_ids": [str(c) for c in model.client_ids_],
            **{
                key: _floats(getattr(model, f"{key}_"))
                for key in ("effect", "client_p", "precision", "n_settled", "n_late")
            },
        }
    return {
        "kind": "linear",
        "params": {
            "ramps": model.ramps,
            "penalty": model.penalty,
            "monotone": model.monotone,
            "max_categories": model.max_categories,
            "max_rows": model.max_rows,
        },
        **terms_form(model),
        "coef": _floats(model.coef_),
        "intercept": float(model.intercept_),
    }


def terms_form(model: LinearLateModel) -> dict[str, Any]:
    """How a linear model reads features into its design (everything but its weights)."""
    return {
        "feature_names": list(model.feature_names_in_),
        "categories": [c.tolist() for c in model.input_.categories],
        "terms": [
            {"knots": list(t.knots), "missing": t.missing, "fill": t.fill, "codes": list(t.codes)}
            for t in model.terms_
        ],
        "design_mean": _floats(model.design_mean_),
    }


def days_form(model: ClientDaysModel | None) -> dict[str, Any] | None:
    """The payment-time model's days model as data (None: it has none)."""
    if model is None:
        return None
    return {
        "params": {
            "ramps": model.ramps,
            "penalty": model.penalty,
            "client_penalty": model.client_penalty,
            "max_categories": model.max_categories,
        },
        "base": terms_form(model.base_),
        "mean": _floats(model.mean_),
        "spread": _floats(model.spread_),
        "coef": _floats(model.coef_),
        "intercept": float(model.intercept_),
        "client_ids": [str(c) for c in model.client_ids_],
        "effect": _floats(model.effect_),
    }


def placeholder_booster() -> lgb.Booster:
    """A one-leaf booster on one constant column: what MLflow's ``lightgbm`` flavour logs
    for a model without trees (its ``model.json`` holds the model itself)."""
    data = lgb.Dataset(np.zeros((2, 1)), label=np.array([0.0, 1.0]), params={"verbosity": -1})
    return lgb.train({"objective": "binary", "verbosity": -1}, data, num_boost_round=1)


def calibrator_form(calibrator: Calibrator) -> dict[str, Any]:
    """A calibrator as the numbers that make it."""
    if isinstance(calibrator, CenteredIsotonic):
        return {
            "kind": "centered_isotonic",
            "x": _floats(calibrator.x_),
            "y": _floats(calibrator.y_),
        }
    if isinstance(calibrator, SigmoidCalibrator):
        logistic = calibrator.model_
        return {
            "kind": "sigmoid",
            "coef": float(logistic.coef_[0, 0]),
            "intercept": float(logistic.intercept_[0]),
            "classes": [int(c) for c in logistic.classes_],
        }
    return {
        "kind": "isotonic",
        "x": _floats(calibrator.X_thresholds_),
        "y": _floats(calibrator.y_thresholds_),
    }


def _floats(values: np.ndarray) -> list[float]:
    # ``float`` of a float64 prints its shortest exact form in JSON: it reads back bit for bit.
    return [float(v) for v in np.asarray(values, dtype="float64")]


# --- read --------------------------------------------------------------------------------


def is_saved(root: Path) -> bool:
    """Whether the MLflow model in ``root`` was logged by :func:`save` (else: pickled)."""
    return (root / EXTRA / FORM_FILE).is_file()


def load(root: Path) -> Model:
    """The model :func:`save` logged, from its MLflow model folder ``root``.

    Raises:
        UnknownForm: the format or a kind is not one this code reads.
        OSError: a file cannot be read.
    """
    form = json.loads((root / EXTRA / FORM_FILE).read_text())
    if form.get("format") != FORMAT:
        raise UnknownForm(f"model.json is of format {form.get('format')!r}, not {FORMAT}")
    boosters = {name: root / place for name, place in form["boosters"].items()}
    return _model_of(form["model"], boosters)


def _model_of(form: dict[str, Any], boosters: dict[str, Path]) -> Model:
    """The model ``form`` describes, its boosters read from ``boosters``' files."""
    kind = form.get("kind")
    if kind == "calibrated":
        return CalibratedLateModel(
            _model_of(form["model"], boosters), calibrator_of(form["calibrator"])
        )
    if kind in ("linear", "client_effect", "blend"):
        return linear_of(form, boosters)
    if kind == "onboarding":
        model = OnboardingModel(list(form["features"]), int(form["max_invoices"]))
        late, time = _model_of(form["late"], boosters), _model_of(form["time"], boosters)
        if not isinstance(late, LatePaymentModel) or not isinstance(time, PaymentTimeModel):
            raise UnknownForm("an onboarding model holds a late-payment and a payment-time model")
        model.late_, model.time_ = late, time
        model.feature_names_in_ = list(form["feature_names"])
        return model
    if not isinstance(kind, str) or kind not in ("late_payment", "payment_time"):
        raise UnknownForm(f"model.json names a model of kind {kind!r}")
    booster = SavedBooster(
        lgb.Booster(model_file=str(boosters[form["booster"]])), int(form["n_estimators"])
    )
    if kind == "payment_time":
        time_model = PaymentTimeModel(
            form["params"], int(form["max_invoices"]), int(form.get("held_back_days", 183))
        )
        time_model.booster_ = booster
        time_model.feature_names_in_ = list(form["feature_names"])
        # Saved before the band was recalibrated: the plain 10th and 90th percentiles.
        low, high = form.get("band_levels", (0.1, 0.9))
        time_model.band_levels_ = (float(low), float(high))
        # Saved before the days model existed: none, the booster's curve alone.
        time_model.days_weight_ = float(form.get("days_weight", 0.0))
        time_model.days_model_ = days_of(form.get("days_model"))
        return time_model
    late_model = LatePaymentModel(
        form["params"], int(form["calibration_folds"]), int(form["max_rows"])
    )
    late_model.booster_ = booster
    late_model.calibrator_ = calibrator_of(form["calibrator"])
    late_model.fold_trees_ = [int(t) for t in form["fold_trees"]]
    late_model.feature_names_in_ = list(form["feature_names"])
    late_model.classes_ = np.array([0, 1])
    return late_model


def linear_of(
    form: dict[str, Any], boosters: dict[str, Path]
) -> LinearLateModel | ClientEffectModel | BlendModel:
    """The model :func:`linear_form` describes, predicting as the one saved."""
    kind = form["kind"]
    if kind == "blend":
        booster, linear = _model_of(form["booster"], boosters), linear_of(form["linear"], {})
        if not isinstance(booster, LatePaymentModel) or not isinstance(linear, LinearLateModel):
            raise UnknownForm("a blend holds a late-payment booster and a linear model")
        return BlendModel(booster, linear)
    if kind == "client_effect":
        effect = ClientEffectModel(**form["params"])
        base = linear_of(form["base"], boosters)
        if not isinstance(base, LinearLateModel):
            raise UnknownForm("a client-effect model holds a linear model")
        effect.base_ = base
        effect.client_ids_ = np.array(form["client_ids"], dtype=str)
        for key in ("effect", "client_p", "precision", "n_settled", "n_late"):
            setattr(effect, f"{key}_", np.array(form[key], dtype="float64"))
        effect.feature_names_in_ = list(base.feature_names_in_)
        effect.classes_ = np.array([0, 1])
        return effect
    linear = terms_of(LinearLateModel(**form["params"]), form)
    linear.coef_ = np.array(form["coef"], dtype="float64")
    linear.intercept_ = float(form["intercept"])
    return linear


def terms_of(linear: LinearLateModel, form: dict[str, Any]) -> LinearLateModel:
    """``linear`` reading features as :func:`terms_form` says."""
    from training.booster_input import BoosterInput

    linear.feature_names_in_ = list(form["feature_names"])
    linear.classes_ = np.array([0, 1])
    linear.input_ = BoosterInput(tuple(pd.Index(c) for c in form["categories"]))
    linear.terms_ = [
        Terms(tuple(t["knots"]), bool(t["missing"]), float(t["fill"]), tuple(t["codes"]))
        for t in form["terms"]
    ]
    linear.design_mean_ = np.array(form["design_mean"], dtype="float64")
    return linear


def days_of(form: dict[str, Any] | None) -> ClientDaysModel | None:
    """The days model :func:`days_form` describes (None: none)."""
    if form is None:
        return None
    model = ClientDaysModel(**form["params"])
    model.base_ = terms_of(LinearLateModel(model.ramps, monotone=False), form["base"])
    for key in ("mean", "spread", "coef", "effect"):
        setattr(model, f"{key}_", np.array(form[key], dtype="float64"))
    model.intercept_ = float(form["intercept"])
    model.client_ids_ = np.array(form["client_ids"], dtype=str)
    model.feature_names_in_ = list(model.base_.feature_names_in_)
    return model


def calibrator_of(form: dict[str, Any]) -> Calibrator:
    """The calibrator of :func:`calibrator_form`'s numbers, giving the same probabilities."""
    kind = form.get("kind")
    if kind == "centered_isotonic":
        centred = CenteredIsotonic()
        centred.x_, centred.y_ = np.array(form["x"]), np.array(form["y"])
        return centred
    if kind == "sigmoid":
        # The fitted state of a one-feature logistic regression: ``predict_proba`` reads
        # nothing else, and computes as the fitted one did.
        logistic = LogisticRegression(C=1e6)
        logistic.coef_ = np.array([[form["coef"]]])
        logistic.intercept_ = np.array([form["intercept"]])
        logistic.classes_ = np.array(form["classes"])
        logistic.n_features_in_ = 1
        sigmoid = SigmoidCalibrator()
        sigmoid.model_ = logistic
        return sigmoid
    if kind == "isotonic":  # refitted on its own points: the very same thresholds
        steps = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        return steps.fit(np.array(form["x"]), np.array(form["y"]))
    raise UnknownForm(f"model.json names a calibrator of kind {kind!r}")
