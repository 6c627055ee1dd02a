"""``encours monitor``: is the late-payment model still right?

Drift of what it reads since its training window, how its logged scores fared once their
invoices paid or fell due, and the alerts; the same as ``GET /v1/monitoring``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from encours.cli.database import open_engine, service_context
from encours.cli.options import DateOption, JsonFlag
from encours.cli.output import console, errors, figure, print_json, service_errors, words

SHOWN_FEATURES = 8
"""Features shown on screen, largest PSI first (``--json`` has them all)."""


def monitor(as_of: DateOption = None, as_json: JsonFlag = False) -> None:
    """Drift, matured performance and alerts of the late-payment model.

    PSI (population stability index) of the score and of each feature between the
    champion's training window (the year before its cut-off) and the invoices issued in the
    last 30 and 90 days before --as-of (default today); the share of those invoices from
    clients it never saw; AUC, Brier and calibration of the scores kept in the score log
    whose invoices have paid or fallen due, by month and by version, their P10–P90 coverage
    and the error of the cash they expected. Alerts follow the ENCOURS_MONITOR_* thresholds;
    --json gives psi, matured and alerts (an empty list when nothing crossed a threshold).
    """
    from serving.services.monitoring import monitoring
    from training.models import LATE_MODEL

    ctx = service_context(LATE_MODEL, status="loading the late-payment model")
    day = (as_of or dt.datetime.now()).date()
    with errors.status("measuring drift and matured scores", spinner="dots"), service_errors():
        made = monitoring(ctx, open_engine(), day)
    if as_json:
        print_json(made.as_json())
        return
    _print_drift(made.psi)
    _print_matured(made.matured)
    _print_alerts(made.alerts)


def _print_drift(psi: dict[str, Any]) -> None:
    """One row per window: invoices, the score's PSI, unseen clients, the features most moved."""
    w = words()
    ref = psi["reference"]
    table = Table(
        w("window"),
        *(Column(w(h), justify="right") for h in ("invoices", "score PSI", "unseen clients")),
        w("features that moved most (PSI)"),
        title=w(
            "Drift of model v{v} against its training window {start} – {end} ({n} invoices)",
            v=psi["model_version"],
            start=w.date(dt.date.fromisoformat(ref["from"])),
            end=w.date(dt.date.fromisoformat(ref["to"])),
            n=w.number(ref["n"]),
        ),
        title_justify="left",
    )
    for window, figures in psi["windows"].items():
        moved = sorted(figures.get("features", {}).items(), key=lambda kv: -kv[1])
        table.add_row(
            w("last {n} days", n=window.rstrip("d")),
            w.number(figures["n"]),
            figure(figures.get("score"), 2),
            w.percent(figures.get("unseen_clients")),
            ", ".join(f"{name} {figure(v, 2)}" for name, v in moved[:SHOWN_FEATURES]),
        )
    console.print(table)


def _print_matured(matured: dict[str, Any]) -> None:
    """The matured scores' figures: overall, then by month scored."""
    w = words()
    heads = ("scores", "late share", "mean p_late", "Brier", "ROC AUC")
    table = Table(
        w("month scored"),
        *(Column(w(h), justify="right") for h in heads),
        title=w(
            "Matured scores at {day}: {n}; P10–P90 coverage {coverage}, cash error "
            "(WAPE, 30 days) {wape}",
            day=w.date(dt.date.fromisoformat(matured["as_of"])),
            n=w.number(matured["n"]),
            coverage=w.percent(matured["coverage"]["p10_p90"]),
            wape=w.percent(matured["cash_forecast"]["wape"]),
        ),
        title_justify="left",
    )
    for row in [*matured["by_month"], {"month": w("all"), **matured}]:
        table.add_row(
            row["month"],
            w.number(row["n"]),
            w.percent(row["late_rate"]),
            w.percent(row["mean_p_late"]),
            figure(row["brier"]),
            figure(row["auc"]),
        )
    console.print(table)


def _print_alerts(alerts: list[Any]) -> None:
    """Each alert in a sentence, or that none was raised."""
    from serving.services.monitoring import ALERT_WORDS

    w = words()
    if not alerts:
        console.print(w("No alert: no figure crossed its threshold."))
        return
    for alert in alerts:
        fmt = w.percent if alert.is_share else (lambda v: w.number(v, 2))
        text = w(
            ALERT_WORDS[alert.words_key],
            subject=alert.subject,
            window=alert.days,
            value=fmt(alert.value),
            threshold=fmt(alert.threshold),
        )
        console.print(f"[bold red]{w('Alert:')}[/] {text}")


def retrain(
    if_degraded: Annotated[
        bool,
        typer.Option(
            "--if-degraded",
            help="train only when `encours monitor` raises an alert (else keep the champion)",
        ),
    ] = False,
    as_of: DateOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Train challengers and promote those that beat their champion; log the decision.

    With --if-degraded, only when the monitoring at --as-of (default today) raises an alert:
    matured performance or drift past the ENCOURS_MONITOR_* thresholds. The three models are
    trained as `encours train` does (before the cut-off six months back) and each becomes
    champion only if its loss on that same out-of-time test beats the current champion's
    (Brier score, MAE in days); otherwise it stays challenger. Every decision, retrain or
    keep, is a run in MLflow (tag encours.decision) with the alerts and the losses.
    """
    from serving.services.retraining import retrain as decide
    from training.models import LATE_MODEL
    from training.train import train_models

    ctx = service_context(LATE_MODEL, status="loading the late-payment model")
    day = (as_of or dt.datetime.now()).date()
    with errors.status("monitoring, then training if needed", spinner="dots"), service_errors():
        made = decide(ctx, open_engine(), train_models, day, if_degraded=if_degraded)
    if as_json:
        print_json(made.as_json())
        return
    _print_alerts(made.alerts)
    w = words()
    if not made.retrained:
        console.print(w("The champions are kept: nothing to retrain."))
        return
    for model in made.models:
        figures = {
            "name": model["name"],
            "v": model["version"],
            "loss": figure(model["loss"]),
            "champion": figure(model["champion_loss"]),
        }
        if model["promoted"]:
            said = w("{name} v{v} is the new champion (loss {loss} against {champion})", **figures)
        else:
            said = w("{name} v{v} stays challenger (loss {loss} against {champion})", **figures)
        console.print(said)
