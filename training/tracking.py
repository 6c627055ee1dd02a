"""MLflow: log runs, register models, keep the ``champion`` / ``challenger`` aliases."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

CHAMPION = "champion"
CHALLENGER = "challenger"
EXPERIMENT = "encours"


@dataclass(frozen=True)
class Registration:
    """The outcome of registering a model version."""

    name: str
    version: str
    run_id: str
    promoted: bool
    champion_score: float | None


@contextlib.contextmanager
def quiet_mlflow() -> Iterator[None]:
    """Silence MLflow's chatter (migrations, env warnings, registry notices) around a block."""
    os.environ.setdefault("MLFLOW_ENABLE_LOGGED_MODEL_PROGRESS_BAR", "false")
    loggers = [logging.getLogger(n) for n in ("mlflow", "alembic")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def forget_stores() -> None:
    """Close every connection MLflow keeps to its stores; the next call opens them afresh.

    MLflow 3 keeps one store object per URI (an ``lru_cache`` in each store registry) and
    one SQLAlchemy engine per database URI (``SqlAlchemyStore._engine_map``, tracking and
    registry alike). A pooled SQLite connection keeps the file it opened: a registry file
    replaced, renamed or restored since would go unseen, or stay broken, until a restart.
    These are MLflow's private parts: what a later version no longer has is skipped.
    """
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as Registry
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as Tracking
    from mlflow.tracking._model_registry.registry import ModelRegistryStoreRegistry
    from mlflow.tracking._tracking_service.registry import TrackingStoreRegistry

    for registry in (TrackingStoreRegistry, ModelRegistryStoreRegistry):
        cached = getattr(registry, "_get_store_with_resolved_uri", None)
        clear = getattr(cached, "cache_clear", None)
        if clear is not None:
            clear()
    for store in (Tracking, Registry):
        engines: dict[str, Any] = getattr(store, "_engine_map", {})
        with getattr(store, "_engine_map_lock", contextlib.nullcontext()):
            held = list(engines.values())
            engines.clear()
        for engine in held:  # connections in use finish their work, then are dropped
            engine.dispose()


def use_store(tracking_uri: str, artifacts_uri: str) -> str:
    """Point MLflow at the store and make sure the experiment exists; returns its id."""
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    with quiet_mlflow():  # the first use creates the store's tables, noisily
        experiment = mlflow.get_experiment_by_name(EXPERIMENT)
        if experiment is not None:
            experiment_id = str(experiment.experiment_id)
        else:
            experiment_id = str(
                mlflow.create_experiment(EXPERIMENT, artifact_location=artifacts_uri)
            )
        # Runs go to this experiment, whose artifacts live in the store (not ./mlruns).
        mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def champion_uri(name: str) -> str:
    """The registry URI serving loads: ``models:/<name>@champion``."""
    return f"models:/{name}@{CHAMPION}"


def load_champion(name: str) -> Any:
    """The champion model of ``name`` (as logged), or None when there is none yet."""
    import mlflow.sklearn

    try:
        return mlflow.sklearn.load_model(champion_uri(name))
    except (MlflowException, OSError, AttributeError, ModuleNotFoundError):
        return None  # none registered, or one this code can no longer read: replace it


def champion_version(name: str) -> str | None:
    """The version number behind ``name@champion``, or None."""
    try:
        return str(MlflowClient().get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException:
        return None


@dataclass(frozen=True)
class RunRecord:
    """What one model's run logs: its parameters, figures, pictures and report."""

    params: dict[str, object]
    metrics: dict[str, float]
    plots: list[Path]
    report: dict[str, Any]


def _requirements() -> list[str]:
    """The packages a logged model needs, pinned to the versions that trained it."""
    from importlib.metadata import version

    packages = ("lightgbm", "scikit-learn", "pandas", "numpy", "scipy", "cloudpickle")
    return [f"{p}=={version(p)}" for p in packages]


def log_and_register(
    name: str,
    model: Any,
    record: RunRecord,
    example: pd.DataFrame,
    score: float,
    champion_score: float | None,
) -> Registration:
    """Log a run with the model, register it, and promote it if it beats the champion.

    ``score`` and ``champion_score`` are the new model's and the champion's loss on the
    same out-of-time test (lower is better); with no champion the new model is promoted.
    """
    import mlflow.sklearn

    method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
    output = getattr(model, method)(example.head(50))
    with mlflow.start_run(run_name=name) as run:
        mlflow.log_params({k: str(v) for k, v in record.params.items()})
        mlflow.log_metrics({k: v for k, v in record.metrics.items() if v == v})
        mlflow.log_dict({"features": list(example.columns)}, "features.json")
        mlflow.log_dict(record.report, "evaluation.json")
        for plot in record.plots:
            mlflow.log_artifact(str(plot), artifact_path="plots")
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            serialization_format="cloudpickle",
            signature=infer_signature(example.head(50), output),
            input_example=example.head(3),
            pyfunc_predict_fn=method,
            pip_requirements=_requirements(),  # inferring them costs a subprocess per model
            registered_model_name=name,
        )
    version = str(info.registered_model_version)
    promoted = champion_score is None or score < champion_score
    client = MlflowClient()
    client.set_registered_model_alias(name, CHAMPION if promoted else CHALLENGER, version)
    return Registration(name, version, run.info.run_id, promoted, champion_score)


def model_versions(name: str) -> list[dict[str, Any]]:
    """Versions of ``name`` with their aliases and metrics, newest first."""
    client = MlflowClient()
    try:
        versions = client.search_model_versions(f"name='{name}'")
        # Searched versions come without their aliases: the registered model holds them.
        aliases = client.get_registered_model(name).aliases if versions else {}
    except MlflowException:
        return []
    rows = []
    for v in sorted(versions, key=lambda v: int(v.version), reverse=True):
        run = client.get_run(v.run_id) if v.run_id else None
        rows.append(
            {
                "name": name,
                "version": str(v.version),
                "aliases": sorted(a for a, n in aliases.items() if str(n) == str(v.version)),
                "run_id": v.run_id,
                "metrics": dict(run.data.metrics) if run else {},
            }
        )
    return rows
