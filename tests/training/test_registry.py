"""The registry's model files: models load from their boosters and ``model.json`` with
nothing unpickled and predict exactly as the fitted ones; a version registered the old
way (a pickle naming a module path that moved since) still loads through the alias table.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking._model_registry import utils as registry_utils
from mlflow.tracking._tracking_service import utils as tracking_utils

from training.dataset import Split
from training.late_payment import LatePaymentModel
from training.models import FittedModels, fit_models
from training.old_pickles import MOVED
from training.registry import (
    IncompatibleModel,
    load,
    log_model,
    promote,
    quiet_mlflow,
    use_store,
)
from training.targets import late_outcome

EXACT = {"rtol": 0.0, "atol": 1e-12}


@pytest.fixture(scope="module")
def fitted(split: Split) -> FittedModels:
    """The three models fitted on the training ledger (a few seconds)."""
    return fit_models(split)


@pytest.fixture(scope="module")
def booster(split: Split) -> LatePaymentModel:
    """A late-payment booster: the choice may serve another candidate on this ledger."""
    y = late_outcome(split.train, split.cutoff)
    known = y.notna().to_numpy()
    return LatePaymentModel().fit(split.x_train[known], y[known], split.train["issue_date"][known])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An empty MLflow store, selected for this module and let go after."""
    folder = tmp_path_factory.mktemp("registry")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tracking_utils, "_tracking_uri", tracking_utils._tracking_uri)
        mp.setattr(registry_utils, "_registry_uri", registry_utils._registry_uri)
        use_store(f"sqlite:///{folder}/mlflow.db", (folder / "artifacts").as_uri())
        yield folder


def register_new(name: str, model: object) -> str:
    """Log ``model`` as the champion of ``name`` the way ``encours train`` does now."""
    import mlflow

    with quiet_mlflow(), mlflow.start_run():
        version = str(log_model(name, model).registered_model_version)
    promote(name, version)
    return version


def register_pickled(name: str, model: object) -> str:
    """Log ``model`` as the champion of ``name`` as encours did before: a cloudpickle."""
    import mlflow
    import mlflow.sklearn

    with quiet_mlflow(), mlflow.start_run():
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            serialization_format="cloudpickle",
            registered_model_name=name,
            pip_requirements=[],
        )
    version = str(info.registered_model_version)
    promote(name, version)
    return version


@pytest.fixture
def no_unpickling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any unpickling during the test fails it."""
    import pickle

    import cloudpickle
    import mlflow.sklearn

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a model file was unpickled")

    for module in (pickle, cloudpickle):
        monkeypatch.setattr(module, "load", refuse)
        monkeypatch.setattr(module, "loads", refuse)
    monkeypatch.setattr(mlflow.sklearn, "load_model", refuse)
    monkeypatch.setattr("training.old_pickles.unpickle", refuse)


def _same_distributions(mine: object, theirs: object, split: Split, open_at: bool) -> None:
    test = split.test
    args = [test["issue_date"], test["due_date"]]
    if open_at:  # conditional on being open 10 days after the due date
        args.append(test["due_date"] + pd.Timedelta(days=10))
    a = mine.distribution(split.x_test, *args)  # type: ignore[attr-defined]
    b = theirs.distribution(split.x_test, *args)  # type: ignore[attr-defined]
    np.testing.assert_allclose(a.knots, b.knots, **EXACT)
    np.testing.assert_allclose(a.survival, b.survival, **EXACT)
    assert np.array_equal(a.quantile(0.5), b.quantile(0.5), equal_nan=True)


def test_a_late_payment_model_loads_unpickled_and_predicts_as_fitted(
    store: Path, booster: LatePaymentModel, split: Split, no_unpickling: None
) -> None:
    register_new("late-new", booster)
    loaded = load("late-new").model
    assert type(loaded) is LatePaymentModel
    x = split.x_test
    np.testing.assert_allclose(loaded.predict_proba(x), booster.predict_proba(x), **EXACT)
    np.testing.assert_allclose(loaded.raw_proba(x), booster.raw_proba(x), **EXACT)
    np.testing.assert_allclose(loaded.contributions(x), booster.contributions(x), **EXACT)
    one = x.head(1)  # the few-rows path reads the categories the booster file kept
    np.testing.assert_allclose(loaded.predict_proba(one), booster.predict_proba(one), **EXACT)
    assert loaded.feature_names_in_ == booster.feature_names_in_
    assert loaded.fold_trees_ == booster.fold_trees_
    assert loaded.booster_.n_estimators == booster.booster_.n_estimators


def test_a_payment_time_model_loads_unpickled_and_predicts_as_fitted(
    store: Path, fitted: FittedModels, split: Split, no_unpickling: None
) -> None:
    register_new("time-new", fitted.time)
    loaded = load("time-new").model
    _same_distributions(loaded, fitted.time, split, open_at=True)
    np.testing.assert_allclose(
        loaded.predict(split.x_test), fitted.time.predict(split.x_test), **EXACT
    )


def test_an_onboarding_model_loads_unpickled_and_predicts_as_fitted(
    store: Path, fitted: FittedModels, split: Split, no_unpickling: None
) -> None:
    register_new("onboarding-new", fitted.onboarding)
    loaded = load("onboarding-new").model
    x = split.x_test
    np.testing.assert_allclose(loaded.predict_proba(x), fitted.onboarding.predict_proba(x), **EXACT)
    _same_distributions(loaded, fitted.onboarding, split, open_at=False)
    assert loaded.features == fitted.onboarding.features


def test_the_logged_model_holds_boosters_and_json_and_no_pickle(
    store: Path, fitted: FittedModels
) -> None:
    import mlflow.artifacts

    version = register_new("onboarding-files", fitted.onboarding)
    with quiet_mlflow():
        local = Path(mlflow.artifacts.download_artifacts(f"models:/onboarding-files/{version}"))
    files = {p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()}
    assert {"model.lgb", "extra_files/model.json", "extra_files/time_booster.lgb"} <= files
    assert not [f for f in files if f.endswith((".pkl", ".pickle"))]
    assert (local / "model.lgb").read_text().startswith("tree\n")  # LightGBM's text format


def test_a_model_pickled_under_a_module_path_that_moved_loads_through_the_alias(
    store: Path, booster: LatePaymentModel, split: Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = "training.late_payment_before_the_move"
    home = types.ModuleType(old)
    home.LatePaymentModel = LatePaymentModel  # type: ignore[attr-defined]
    with monkeypatch.context() as before:  # the class lived in ``old`` when registered
        before.setitem(sys.modules, old, home)
        before.setattr(LatePaymentModel, "__module__", old)
        register_pickled("late-old", booster)
    with pytest.raises(IncompatibleModel, match=f"No module named '{old}'"):
        load("late-old")  # without the alias: the pickle names a module that is gone
    monkeypatch.setitem(MOVED, old, "training.late_payment")
    loaded = load("late-old").model
    assert type(loaded) is LatePaymentModel
    x = split.x_test
    np.testing.assert_allclose(loaded.predict_proba(x), booster.predict_proba(x), **EXACT)
