"""The champion models served: loaded from the MLflow registry together, replaced together.

A :class:`ModelSet` is never changed in place. A reload builds a whole new set and the app
swaps its one reference to it, so a request holds the set it started with to the end, and
a failed reload leaves the set served before untouched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from config import Settings
from serving.scoring import LoadedModel
from training.models import ONBOARDING_MODEL, TIME_MODEL
from training.tracking import CHAMPION, forget_stores, quiet_mlflow

# What the registry answers when a model, or its champion alias, does not exist (yet).
_NOT_REGISTERED = {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}


class RegistryUnavailable(Exception):
    """The registry could not be read, or a champion could not be loaded from it."""


@dataclass(frozen=True)
class ModelSet:
    """The champions served, by registered name, and why the last (re)load failed if it did."""

    models: Mapping[str, LoadedModel] = field(default_factory=lambda: MappingProxyType({}))
    failure: str | None = None
    """``reload failed at <UTC time>: <error>`` while the models above are still served."""
    public_failure: str | None = None
    """The same without the error (``reload failed at <UTC time>: registry unavailable``),
    for those without a key: the error's text may name files and hosts; the log has it."""

    @classmethod
    def of(cls, models: Iterable[LoadedModel]) -> ModelSet:
        """The set of ``models``, keyed by their names."""
        return cls(MappingProxyType({model.name: model for model in models}))

    def get(self, name: str) -> LoadedModel | None:
        """The model served under ``name``, or None."""
        return self.models.get(name)

    def failed(self, what: str, error: Exception) -> ModelSet:
        """The same models, noting that ``what`` ("load", "reload") failed now with ``error``."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        failed = f"{what} failed at {now}"
        return ModelSet(self.models, f"{failed}: {error}", f"{failed}: registry unavailable")


def served_names(settings: Settings) -> tuple[str, ...]:
    """The registered models the API serves: late payment, payment time, onboarding."""
    return (settings.late_model_name, TIME_MODEL, ONBOARDING_MODEL)


def _champion_version(client: MlflowClient, name: str) -> str | None:
    """The version behind ``name@champion``; None when none is registered, else raises."""
    try:
        return str(client.get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException as exc:
        if exc.error_code in _NOT_REGISTERED:
            return None
        raise


def _describe(exc: BaseException) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line[:200]}"


def load_models(settings: Settings, current: ModelSet | None = None) -> ModelSet:
    """The champions of :func:`served_names` as the registry has them now.

    A model whose champion version is the one in ``current`` is kept as is (a registered
    version never changes), so a reload loads only what was promoted since. Models without
    a champion are left out. The store is opened afresh each time (:func:`forget_stores`),
    and a reload refuses a store file gone missing or empty rather than let MLflow create
    an empty registry there.

    Raises:
        RegistryUnavailable: the registry cannot be read or a champion cannot be loaded;
            the caller keeps what it serves.
    """
    import mlflow.sklearn

    current = current or ModelSet()
    if current.models and not _store_file_usable(settings):
        raise RegistryUnavailable(f"the registry file {_store_file(settings)} is missing or empty")
    loaded: list[LoadedModel] = []
    forget_stores()  # the store as it is now, whatever was opened before
    try:
        with quiet_mlflow():
            mlflow.set_tracking_uri(settings.tracking_uri)
            mlflow.set_registry_uri(settings.tracking_uri)
            client = MlflowClient()
            for name in served_names(settings):
                version = _champion_version(client, name)
                kept = current.get(name)
                if version is None:
                    continue
                if kept is not None and kept.version == version:
                    loaded.append(kept)
                    continue
                # The version number, not the alias: the alias may move meanwhile.
                model = mlflow.sklearn.load_model(f"models:/{name}/{version}")
                loaded.append(LoadedModel(name=name, version=version, model=model))
    except Exception as exc:  # whatever the store or the unpickling raises: keep serving
        raise RegistryUnavailable(_describe(exc)) from exc
    finally:
        forget_stores()  # no descriptor kept on a file that may be replaced before next time
    return ModelSet.of(loaded)


def _store_file(settings: Settings) -> Path | None:
    """The SQLite file of the MLflow store, None for a store of another kind."""
    uri = settings.tracking_uri
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def _store_file_usable(settings: Settings) -> bool:
    """Whether the store's file (if it is a file) exists and holds something.

    MLflow would create its tables in a missing or empty file; a reload would then find
    no champion and drop the models served. A first load may (a new install).
    """
    path = _store_file(settings)
    return path is None or (path.is_file() and path.stat().st_size > 0)
