"""The names the command line, the notebooks and older code import; the registry itself
lives in :mod:`training.registry`, for training and serving alike.

``load_champion`` keeps the command line's contract: None when no champion is
registered. A champion that cannot be served, or a store that cannot be read, raises the
registry's errors (``IncompatibleModel``, ``RegistryUnavailable``), which the command
line shows in one line.
"""

from __future__ import annotations

from typing import Any

from training.registry import (
    CHALLENGER,
    CHAMPION,
    EXPERIMENT,
    NoChampion,
    Registration,
    RunRecord,
    forget_stores,
    load,
    opened,
    quiet_mlflow,
    register,
    use_store,
    version_of,
)
from training.registry import list_versions as model_versions

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "EXPERIMENT",
    "Registration",
    "RunRecord",
    "champion_uri",
    "champion_version",
    "forget_stores",
    "load_champion",
    "log_and_register",
    "model_versions",
    "quiet_mlflow",
    "use_store",
]

log_and_register = register


def champion_uri(name: str) -> str:
    """The registry URI of a champion: ``models:/<name>@champion``."""
    return f"models:/{name}@{CHAMPION}"


def load_champion(name: str) -> Any:
    """The champion model of ``name`` in the store in force, or None when there is none.

    Raises:
        IncompatibleModel: this version of encours cannot serve it: retrain.
        RegistryUnavailable: the store cannot be read.
    """
    try:
        return load(name).model
    except NoChampion:
        return None


def champion_version(name: str) -> str | None:
    """The version number behind ``name@champion``, or None when there is none.

    Raises:
        RegistryUnavailable: the store cannot be read.
    """
    try:
        with opened() as client:
            return version_of(client, name)
    except NoChampion:
        return None
