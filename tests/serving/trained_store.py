"""A serving store as ``encours train`` leaves it, for the forecast and models pages.

The shared serving store (``conftest.store``) registers late-payment models only, logged
lean; the forecast needs a payment-time champion and the models page a run's figures and
pictures. :func:`trained_store` trains the three models on the same simulated ledger
(:func:`training.train.train_models`, about 30 s here), then registers a late-payment
challenger, in a store of its own: the other serving tests see what they saw before.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mlflow.tracking._model_registry import utils as registry_utils
from mlflow.tracking._tracking_service import utils as tracking_utils

from tests.serving.conftest import Store, saved_ledger
from training.models import LATE_MODEL


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The serving tests' ledger with the three models of ``encours train`` (version 1 of
    each, champion) and late-payment version 2, the same model again, as challenger."""
    from training.registry import RunRecord, load, register, use_store
    from training.train import train_models

    settings, ledger = saved_ledger(tmp_path_factory.mktemp("trained-store"))
    with pytest.MonkeyPatch.context() as mp:  # the MLflow store in force, put back after
        mp.setattr(tracking_utils, "_tracking_uri", tracking_utils._tracking_uri)
        mp.setattr(registry_utils, "_registry_uri", registry_utils._registry_uri)
        use_store(settings.tracking_uri, settings.artifacts_uri)
        report = train_models(ledger)
        late = load(LATE_MODEL).model
        first = next(r for r in report.registrations if r.name == LATE_MODEL)
        metrics = report.evaluation.metrics
        figures = {k: float(v) for k, v in metrics.items() if isinstance(v, float | int)}
        record = RunRecord({"copy_of": first.version}, figures, [], {})
        example = report.split.x_test
        register(LATE_MODEL, late, record, example, score=1.0, champion_score=0.0)
    yield Store(settings, ledger)
