"""Retraining with a gate: train challengers when the monitoring raises an alert, promote
one only when it beats its champion on the same out-of-time test.

The trigger is :func:`serving.services.monitoring.monitoring`'s alerts (matured
performance or drift past their ``ENCOURS_MONITOR_*`` thresholds). The training and the
gate are ``encours train``'s own (:func:`training.train.train_models`: the three models
fitted before the cut-off, tested on the invoices issued after it, the last six months,
each registered and made champion only if its loss on that very test is lower than the
current champion's). Every decision, retrain or keep, is logged in MLflow
(:func:`training.retrain_log.log_retrain_decision`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from serving.services.context import Context
from serving.services.monitoring import Alert, monitoring
from training.retrain_log import log_retrain_decision

Trainer = Callable[[Any], Any]
"""Trains and registers the models of a ledger: :func:`training.train.train_models`."""


@dataclass(frozen=True)
class RetrainDecision:
    """What ``encours retrain`` decided and why."""

    as_of: dt.date
    alerts: list[Alert]
    retrained: bool
    models: list[dict[str, Any]] = field(default_factory=list)
    """Per model retrained: name, version, promoted, its loss and the champion's."""
    run_id: str = ""
    """The MLflow run the decision is logged in."""

    def as_json(self) -> dict[str, Any]:
        """The decision as ``--json`` gives it."""
        return {
            "as_of": self.as_of.isoformat(),
            "degraded": bool(self.alerts),
            "alerts": [alert.as_json() for alert in self.alerts],
            "retrained": self.retrained,
            "models": self.models,
            "run_id": self.run_id,
        }


def trained_models(report: Any) -> list[dict[str, Any]]:
    """Each registration of a training report (:class:`training.train.TrainReport`) with its
    loss on the out-of-time test beside the champion's."""
    metrics = report.evaluation.metrics
    unseen = report.evaluation.unseen_clients.get("onboarding", {})
    losses = {"late-payment": metrics.get("brier"), "payment-time": metrics.get("mae_days")}
    losses["onboarding"] = unseen.get("brier")
    return [
        {
            "name": r.name,
            "version": r.version,
            "promoted": r.promoted,
            "loss": losses.get(r.name),
            "champion_loss": r.champion_score,
        }
        for r in report.registrations
    ]


def retrain(
    ctx: Context,
    engine: Engine,
    train: Trainer,
    as_of: dt.date | None = None,
    if_degraded: bool = True,
) -> RetrainDecision:
    """Train and register challengers with ``train`` when the monitoring at ``as_of``
    (default today) raises an alert, or always without ``if_degraded``; log the decision.

    Raises:
        ModelUnavailable: no late-payment champion is served (to monitor).
    """
    made = monitoring(ctx, engine, as_of)
    retrained = bool(made.alerts) or not if_degraded
    models = trained_models(train(ctx.ledger)) if retrained else []
    alerts = [alert.as_json() for alert in made.alerts]
    run_id = log_retrain_decision(made.as_of.isoformat(), alerts, retrained, models)
    return RetrainDecision(made.as_of, made.alerts, retrained, models, run_id)
