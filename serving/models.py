"""Loading the champion models from the MLflow registry."""

from __future__ import annotations

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from serving.scoring import LoadedModel
from training.tracking import CHAMPION, load_champion, quiet_mlflow, use_store


def load_late_model(tracking_uri: str, artifacts_uri: str, name: str) -> LoadedModel | None:
    """The ``name@champion`` model from the registry, or None when none is registered."""
    with quiet_mlflow():
        use_store(tracking_uri, artifacts_uri)
        model = load_champion(name)
        if model is None:
            return None
        try:
            version = MlflowClient().get_model_version_by_alias(name, CHAMPION).version
        except MlflowException:
            return None
    return LoadedModel(name=name, version=str(version), model=model)
