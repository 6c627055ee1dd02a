"""Every retraining decision, logged in MLflow with its figures.

``encours retrain --if-degraded`` decides whether to train a challenger from the
monitoring's alerts, and the existing gate (:func:`training.registry.register`) decides
whether it replaces the champion. Each decision is a run of its own in the ``encours``
experiment, tagged ``encours.decision`` (``keep`` or ``retrain``): the alerts that led to
it, and for each model retrained its version, its loss and the champion's on the same
out-of-time test, and whether it was promoted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from training.registry import quiet_mlflow

DECISION_TAG = "encours.decision"
DECISION_FILE = "retrain_decision.json"


def log_retrain_decision(
    as_of: str,
    alerts: Sequence[Mapping[str, Any]],
    retrained: bool,
    models: Sequence[Mapping[str, Any]] = (),
) -> str:
    """Log one decision as a run; returns its id.

    Args:
        as_of: the monitoring date (ISO).
        alerts: the monitoring's alerts (as ``--json`` gives them).
        retrained: whether challengers were trained.
        models: per model retrained: ``name``, ``version``, ``promoted``, ``loss`` (the
            challenger's) and ``champion_loss`` (None without a champion to beat).
    """
    import mlflow

    with quiet_mlflow(), mlflow.start_run(run_name=f"retrain decision {as_of}") as run:
        mlflow.set_tag(DECISION_TAG, "retrain" if retrained else "keep")
        mlflow.log_params({"as_of": as_of, "degraded": bool(alerts), "retrained": retrained})
        metrics = {"alerts": float(len(alerts))}
        for model in models:
            name = str(model["name"])
            metrics[f"{name}_promoted"] = float(bool(model["promoted"]))
            for key in ("loss", "champion_loss"):
                if model.get(key) is not None:
                    metrics[f"{name}_{key}"] = float(model[key])
        mlflow.log_metrics(metrics)
        mlflow.log_dict(
            {"as_of": as_of, "alerts": list(alerts), "models": list(models)}, DECISION_FILE
        )
        return str(run.info.run_id)
