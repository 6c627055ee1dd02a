"""The model registry, for training and serving alike: register, load, list, promote.

One vocabulary of errors, whoever asks: :class:`NoChampion` (none registered yet),
:class:`RegistryUnavailable` (the store cannot be read) and :class:`IncompatibleModel`
(a model this version of encours cannot serve: it needs features the code no longer
makes, or its files no longer read). Each says in one line what happened and what to do.

Each model is registered with ``features.json``: its feature columns and their kinds
(``number`` or ``category``). Loading checks them against the features the code makes
now, before anything of the model is read: serving would otherwise fill a renamed feature
with NaN and silently weaken the champion.

A model is logged as its LightGBM boosters (``mlflow.lightgbm``) and ``model.json``, and
loads without unpickling (:mod:`training.model_files`); a version registered before, as a
pickle, still loads, its moved module paths mapped (:mod:`training.old_pickles`).

MLflow and pandas are imported inside the functions: the command line imports this
module to name its errors, and ``encours --help`` must answer at once.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient

CHAMPION = "champion"
CHALLENGER = "challenger"
EXPERIMENT = "encours"
FEATURES_FILE = "features.json"
PLOTS = "plots"
"""Where a run keeps its pictures (calibration, ROC...), as PNG files."""
NOT_REGISTERED = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"})
"""What MLflow answers when a model, or its alias, does not exist (yet)."""


class RegistryError(Exception):
    """The registry could not give what was asked; the text is one line for a person."""


class RegistryUnavailable(RegistryError):
    """The registry's store cannot be read, or a model's files cannot be fetched from it."""


class NoChampion(RegistryError):
    """No version of the model carries the alias asked for (none registered yet)."""


class IncompatibleModel(RegistryError):
    """A registered model this version of encours cannot serve: retrain it."""


class NoSuchVersion(RegistryError):
    """The model has no version of that number (``versions``: those it has)."""

    def __init__(self, name: str, version: str, versions: Sequence[str]) -> None:
        held = ", ".join(versions) if versions else "none"
        super().__init__(f"{name} has no version {version} (registered: {held})")
        self.name, self.version, self.versions = name, version, list(versions)


@dataclass(frozen=True)
class RegisteredModel:
    """A model loaded from the registry, with its registered name and version."""

    name: str
    version: str
    model: Any


@dataclass(frozen=True)
class Registration:
    """The outcome of registering a model version."""

    name: str
    version: str
    run_id: str
    promoted: bool
    champion_score: float | None


@dataclass(frozen=True)
class RunRecord:
    """What one model's run logs: its parameters, figures, pictures and report."""

    params: dict[str, object]
    metrics: dict[str, float]
    plots: list[Path]
    report: dict[str, Any]


def describe(exc: BaseException) -> str:
    """``Type: first line`` of an error, cut short: what a log or an admin needs."""
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line[:200]}"


def unavailable(exc: BaseException) -> RegistryUnavailable:
    """The :class:`RegistryUnavailable` that ``exc``, raised by the store, amounts to."""
    return RegistryUnavailable(f"the model registry cannot be read: {describe(exc)}")


# --- the store ---------------------------------------------------------------------------


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
    """Point MLflow at the store and make sure the experiment exists; returns its id.

    Raises:
        RegistryUnavailable: the store cannot be opened.
    """
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
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
    except Exception as exc:
        raise unavailable(exc) from exc
    return experiment_id


def store_file(tracking_uri: str) -> Path | None:
    """The SQLite file of an MLflow store, None for a store of another kind."""
    prefix = "sqlite:///"
    return Path(tracking_uri.removeprefix(prefix)) if tracking_uri.startswith(prefix) else None


def store_file_usable(tracking_uri: str) -> bool:
    """Whether the store's file (if it is a file) exists and holds something.

    MLflow would create its tables in a missing or empty file, and find no model there.
    """
    path = store_file(tracking_uri)
    return path is None or (path.is_file() and path.stat().st_size > 0)


@contextlib.contextmanager
def opened(tracking_uri: str | None = None) -> Iterator[MlflowClient]:
    """A client of the registry as it is now, MLflow quiet; the store is let go after.

    :func:`forget_stores` runs before and after: a store file replaced, renamed or
    restored since the last use is read afresh, and no descriptor stays open on it.
    ``tracking_uri`` selects the store (else the one in force, see :func:`use_store`).
    """
    import mlflow
    from mlflow import MlflowClient

    forget_stores()
    try:
        with quiet_mlflow():
            if tracking_uri is not None:
                mlflow.set_tracking_uri(tracking_uri)
                mlflow.set_registry_uri(tracking_uri)
            yield MlflowClient()
    finally:
        forget_stores()


# --- load --------------------------------------------------------------------------------


def version_of(client: MlflowClient, name: str, alias: str = CHAMPION) -> str:
    """The version number behind ``name@alias``.

    Raises:
        NoChampion: no version of ``name`` carries ``alias``.
        RegistryUnavailable: the store cannot be read.
    """
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException as exc:
        if exc.error_code in NOT_REGISTERED:
            raise NoChampion(f"no {name} model is registered yet: run `encours train`") from exc
        raise unavailable(exc) from exc
    except Exception as exc:  # the store's driver, its files: whatever they raise
        raise unavailable(exc) from exc


def load_version(client: MlflowClient, name: str, version: str) -> Any:
    """Version ``version`` of ``name``, once its features pass :func:`check_features`.

    Raises:
        IncompatibleModel: it needs features the code no longer makes, or this code
            cannot read it.
        RegistryUnavailable: the store or the model's files cannot be read.
    """
    import mlflow.artifacts

    logged = _logged_features(client, name, version)
    if logged is not None:  # checked before anything of the model is read
        check_features(name, version, logged)
    with tempfile.TemporaryDirectory() as folder:
        try:
            uri = f"models:/{name}/{version}"
            local = mlflow.artifacts.download_artifacts(uri, dst_path=folder)
        except Exception as exc:
            raise unavailable(exc) from exc
        try:
            model = read_model(Path(local))
        except OSError as exc:
            raise unavailable(exc) from exc
        except Exception as exc:  # a class moved or renamed since: this code cannot read it
            raise IncompatibleModel(
                f"the champion {name} v{version} cannot be read by this version of encours "
                f"({describe(exc)}): retrain with `encours train`"
            ) from exc
    if logged is None:  # registered without its features (by hand): the model knows them
        names = getattr(model, "feature_names_in_", None)
        if names is not None:
            check_features(name, version, {"features": [str(n) for n in names]})
    return model


def read_model(root: Path) -> Any:
    """The model in the MLflow model folder ``root``: from its boosters and ``model.json``
    (nothing unpickled), or unpickled if it was registered before them (old module paths
    mapped to their new places: :data:`training.old_pickles.MOVED`)."""
    from training import model_files
    from training.old_pickles import load_pickled_model

    return model_files.load(root) if model_files.is_saved(root) else load_pickled_model(root)


def load(name: str, alias: str = CHAMPION, tracking_uri: str | None = None) -> RegisteredModel:
    """The version of ``name`` that carries ``alias`` (the champion by default).

    Raises:
        NoChampion: none carries it.
        IncompatibleModel: this version of encours cannot serve it.
        RegistryUnavailable: the store cannot be read.
    """
    with opened(tracking_uri) as client:
        version = version_of(client, name, alias)
        return RegisteredModel(name, version, load_version(client, name, version))


def _logged_features(client: MlflowClient, name: str, version: str) -> dict[str, Any] | None:
    """The ``features.json`` logged in the run of ``name`` v``version``; None without one."""
    import mlflow.artifacts

    try:
        run_id = client.get_model_version(name, version).run_id
        if not run_id or FEATURES_FILE not in {a.path for a in client.list_artifacts(run_id)}:
            return None
        logged: dict[str, Any] = mlflow.artifacts.load_dict(f"runs:/{run_id}/{FEATURES_FILE}")
    except Exception as exc:
        raise unavailable(exc) from exc
    return logged


# --- the features check ------------------------------------------------------------------


def code_features() -> dict[str, str]:
    """The features this version of encours makes, by name, with their kinds.

    Read when called (``features.pipeline.SPECS``), not at import. The features of the
    ledger's own ``x_*`` columns are not among them: they depend on the data, not on the
    code, and one the ledger no longer has is read as missing.
    """
    from features import pipeline

    return {s.name: "category" if s.dtype == "category" else "number" for s in pipeline.SPECS}


def manifest(example: pd.DataFrame) -> dict[str, Any]:
    """``features.json``: the columns a model reads, in order, and each one's kind."""
    import pandas as pd

    kinds = {
        str(column): "category" if isinstance(dtype, pd.CategoricalDtype) else "number"
        for column, dtype in example.dtypes.items()
    }
    return {"features": list(kinds), "kinds": kinds}


def check_features(name: str, version: str, logged: Mapping[str, Any]) -> None:
    """Refuse a model whose features (``features.json``) the code no longer makes alike.

    Raises:
        IncompatibleModel: a feature it reads is no longer made, or is made as another
            kind (number, category); the message names them.
    """
    from features.user import is_user_feature

    made = code_features()
    kinds: Mapping[str, str] = logged.get("kinds") or {}
    wanted = [str(n) for n in logged.get("features", []) if not is_user_feature(str(n))]
    gone = [n for n in wanted if n not in made]
    changed = [
        f"{n} ({kinds[n]}, now {made[n]})"
        for n in wanted
        if n in made and n in kinds and kinds[n] != made[n]
    ]
    problems = []
    if gone:
        problems.append(
            f"needs features [{', '.join(gone)}] that this version of encours no longer makes"
        )
    if changed:
        problems.append(f"reads features [{', '.join(changed)}] as another kind than it is made")
    if problems:
        raise IncompatibleModel(
            f"the champion {name} v{version} {' and '.join(problems)}: retrain with `encours train`"
        )


# --- register, promote, list -------------------------------------------------------------


def _requirements() -> list[str]:
    """The packages a logged model needs, pinned to the versions that trained it."""
    from importlib.metadata import version

    packages = ("lightgbm", "scikit-learn", "pandas", "numpy", "scipy")
    return [f"{p}=={version(p)}" for p in packages]


def register(
    name: str,
    model: Any,
    record: RunRecord,
    example: pd.DataFrame,
    score: float,
    champion_score: float | None,
) -> Registration:
    """Log a run with the model and its features, register it, promote it if it wins.

    ``score`` and ``champion_score`` are the new model's and the champion's loss on the
    same out-of-time test (lower is better); with no champion the new model is promoted,
    else it is the challenger. The MLflow store must be selected (:func:`use_store`).
    """
    import mlflow
    from mlflow.models import infer_signature

    method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
    output = getattr(model, method)(example.head(50))
    with mlflow.start_run(run_name=name) as run:
        mlflow.log_params({k: str(v) for k, v in record.params.items()})
        mlflow.log_metrics({k: v for k, v in record.metrics.items() if v == v})
        mlflow.log_dict(manifest(example), FEATURES_FILE)
        mlflow.log_dict(record.report, "evaluation.json")
        for plot in record.plots:
            mlflow.log_artifact(str(plot), artifact_path=PLOTS)
        info = log_model(name, model, infer_signature(example.head(50), output), _requirements())
    version = str(info.registered_model_version)
    promoted = champion_score is None or score < champion_score
    promote(name, version, CHAMPION if promoted else CHALLENGER)
    return Registration(name, version, run.info.run_id, promoted, champion_score)


def log_model(
    name: str, model: Any, signature: Any = None, requirements: Sequence[str] = ()
) -> Any:
    """Log ``model`` in the active run as a new version of ``name``; MLflow's ``ModelInfo``.

    Its boosters in LightGBM's own format (``mlflow.lightgbm``, the first as the model),
    everything else as data in ``model.json`` (:mod:`training.model_files`): loading it
    unpickles nothing. The ``python_function`` flavour MLflow adds serves the first
    booster's raw output, not the calibrated model: encours loads it with :func:`load`.
    ``requirements`` are written as given: inferring them costs a subprocess per model.
    """
    import mlflow.lightgbm

    from training import model_files

    with tempfile.TemporaryDirectory() as folder:
        booster, files = model_files.save(model, Path(folder))
        return mlflow.lightgbm.log_model(
            booster,
            name="model",
            signature=signature,
            pip_requirements=list(requirements),
            extra_files=[str(f) for f in files],
            metadata={"encours_format": model_files.FORMAT},
            registered_model_name=name,
        )


def promote(name: str, version: str, alias: str = CHAMPION) -> None:
    """Give ``alias`` to version ``version`` of ``name`` (taking it from any other).

    MLflow keeps no date on an alias, so the version also gets the tags
    ``encours.<alias>_since`` (UTC time) and ``encours.<alias>_by`` (the system user):
    who promoted what when, as ``/ui/models`` shows it.

    Raises:
        RegistryUnavailable: the store cannot be written, or has no such version.
    """
    import datetime as dt

    from mlflow import MlflowClient

    try:
        client = MlflowClient()
        client.set_registered_model_alias(name, alias, version)
        when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        client.set_model_version_tag(name, version, f"encours.{alias}_since", when)
        client.set_model_version_tag(name, version, f"encours.{alias}_by", _user())
    except Exception as exc:
        raise unavailable(exc) from exc


def _user() -> str:
    """The system user running this process, as MLflow names a run's user."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"


def list_versions(name: str, tracking_uri: str | None = None) -> list[dict[str, Any]]:
    """Versions of ``name`` with their aliases and metrics, newest first; [] for none.

    Also when each was registered (``registered_at``, UTC ISO time) and by whom (the run's
    user, ``registered_by``), and its promotions (``promotions``: alias to ``{"at",
    "by"}``, as :func:`promote` tags them). ``tracking_uri`` selects the store (else the
    one in force).

    Raises:
        RegistryUnavailable: the store cannot be read.
    """
    try:
        with opened(tracking_uri) as client:
            versions = client.search_model_versions(f"name='{name}'")
            # Searched versions come without their aliases: the registered model holds them.
            aliases = client.get_registered_model(name).aliases if versions else {}
            runs = {v.run_id: client.get_run(v.run_id) for v in versions if v.run_id}
    except Exception as exc:
        raise unavailable(exc) from exc
    return [
        {
            "name": name,
            "version": str(v.version),
            "aliases": sorted(a for a, n in aliases.items() if str(n) == str(v.version)),
            "run_id": v.run_id,
            "metrics": dict(runs[v.run_id].data.metrics) if v.run_id else {},
            "registered_at": _utc_iso(v.creation_timestamp),
            "registered_by": runs[v.run_id].data.tags.get("mlflow.user") if v.run_id else None,
            "promotions": _promotions(v.tags or {}),
        }
        for v in sorted(versions, key=lambda v: int(v.version), reverse=True)
    ]


def _utc_iso(milliseconds: int | None) -> str | None:
    """An MLflow timestamp (milliseconds since the epoch) as an ISO UTC time."""
    import datetime as dt

    if milliseconds is None:
        return None
    when = dt.datetime.fromtimestamp(milliseconds / 1000, dt.UTC)
    return when.isoformat(timespec="seconds")


def _promotions(tags: Mapping[str, str]) -> dict[str, dict[str, str | None]]:
    """Alias to when and by whom a version got it, from the tags :func:`promote` sets."""
    return {
        alias: {"at": tags[f"encours.{alias}_since"], "by": tags.get(f"encours.{alias}_by")}
        for alias in (CHAMPION, CHALLENGER)
        if f"encours.{alias}_since" in tags
    }


def run_plots(run_id: str, tracking_uri: str | None = None) -> list[str]:
    """The file names of the pictures logged under ``plots/`` by run ``run_id``.

    Raises:
        RegistryUnavailable: the store cannot be read.
    """
    try:
        with opened(tracking_uri) as client:
            found = client.list_artifacts(run_id, PLOTS)
    except Exception as exc:
        raise unavailable(exc) from exc
    return sorted(Path(a.path).name for a in found if not a.is_dir)


def run_plot(run_id: str, file: str, tracking_uri: str | None = None) -> bytes:
    """The bytes of the picture ``file`` logged under ``plots/`` by run ``run_id``.

    Raises:
        KeyError: the run logged no such picture.
        RegistryUnavailable: the store or the file cannot be read.
    """
    import mlflow.artifacts

    if file not in run_plots(run_id, tracking_uri):  # a name from the run, not a path
        raise KeyError(file)
    with tempfile.TemporaryDirectory() as folder:
        try:
            with opened(tracking_uri):
                local = mlflow.artifacts.download_artifacts(
                    run_id=run_id, artifact_path=f"{PLOTS}/{file}", dst_path=folder
                )
            return Path(local).read_bytes()
        except Exception as exc:
            raise unavailable(exc) from exc
