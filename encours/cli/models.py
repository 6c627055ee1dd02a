"""Model commands: features, train, evaluate and models.

What the models look at, training them out of time, their figures beside baselines,
and the versions registered in MLflow.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from encours.cli.database import ledger_for_models
from encours.cli.options import JsonFlag
from encours.cli.output import console, errors, fail, figure, print_json
from encours.settings import get_settings


def features(
    list_: Annotated[bool, typer.Option("--list", help="list every feature")] = False,
    as_json: JsonFlag = False,
) -> None:
    """What the models look at: every feature, its family and what it means.

    Each is computed for an invoice at a date from what was known strictly before that
    date. Your own columns named x_* in the invoices and clients files are added as
    features too (x_<name> and cli_x_<name>).
    """
    from features.pipeline import SPECS

    if not list_:
        fail("say what to show: --list", 2)
    specs = list(SPECS)
    if as_json:
        print_json([spec.__dict__ for spec in specs])
        return
    table = Table("feature", "family", "type", "meaning", title=f"{len(specs)} features")
    for spec in specs:
        table.add_row(spec.name, spec.family, spec.dtype, spec.description)
    console.print(table)
    console.print("… plus your own x_* columns of invoices and clients.")


CutoffOption = Annotated[
    dt.datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="train on what was known before this date (YYYY-MM-DD), test on invoices "
        "issued from it on; default: six months before the end of the ledger",
        show_default=False,
    ),
]
PredictionsOption = Annotated[
    Path | None,
    typer.Option(
        "--predictions",
        help="write one row per test invoice (invoice_id, p_late, expected_days_to_pay, "
        "p10_date, p50_date, p90_date) to this CSV file",
        show_default=False,
    ),
]


def _print_evaluation(report: dict[str, Any]) -> None:
    """The out-of-time figures of the model beside the baselines (and the truth)."""
    keys = (
        "roc_auc",
        "pr_auc",
        "brier",
        "ece",
        "mae_days",
        "coverage_p10_p90",
        "c_index_ipcw",
        "integrated_brier",
    )
    table = Table(
        "",
        *(Column(k, justify="right") for k in keys),
        title=f"out-of-time test: invoices issued from {report['cutoff']} to {report['end']}",
        title_justify="left",
    )
    table.add_row("model", *(figure(report.get(k)) for k in keys))
    for name, figs in report["baselines"].items():
        table.add_row(f"baseline: {name}", *(figure(figs.get(k)) for k in keys))
    for name, figs in report["unseen_clients"].items():
        table.add_row(f"new clients: {name}", *(figure(figs.get(k)) for k in keys))
    if report.get("oracle"):
        table.add_row(
            "simulator's truth (best possible)", *(figure(report["oracle"].get(k)) for k in keys)
        )
    console.print(table)
    console.print(
        "mae_days: paid test invoices only; c_index_ipcw and integrated_brier count the open "
        "ones too (censored, weighted by the chance of still being observed)."
    )
    oracle = report.get("oracle") or {}
    if oracle.get("model_vs_oracle_roc_auc") is not None:
        bands = oracle.get("by_client_history") or {}
        by_history = ", ".join(
            f"{name} settled invoices {figs['model_vs_oracle_roc_auc']:.1%}"
            for name, figs in bands.items()
        )
        console.print(
            f"Model ROC AUC = {oracle['model_vs_oracle_roc_auc']:.1%} of the truth's"
            + (f" (clients with {by_history})" if by_history else "")
            + "."
        )
    censoring = report.get("censoring") or {}
    if censoring:
        console.print(
            f"Paid within {censoring['days_after_due']:.0f} days of the due date: observed "
            f"{censoring['observed_share_paid']:.1%}; predicted "
            f"{censoring['with_censored']:.1%} with open invoices as censored, "
            f"{censoring['dropping_open']:.1%} if they were dropped."
        )


def train(
    cutoff: CutoffOption = None,
    as_json: JsonFlag = False,
    predictions: PredictionsOption = None,
) -> None:
    """Train the late-payment, payment-time and onboarding models out of time; register them.

    Each model is tested on the invoices issued after the cut-off, beside baselines, logged
    to MLflow with its plots, and becomes the [bold]champion[/] that the API serves only if it
    beats the current champion on the same test; otherwise it is the challenger.
    """
    import pandas as pd
    from rich.progress import Progress

    from training.train import train_models

    ledger = ledger_for_models()
    with Progress(console=errors, transient=True, disable=as_json) as progress:
        task = progress.add_task("training", total=4)

        def step(name: str) -> None:
            progress.update(task, description=name, advance=1 if name != "features" else 0)

        try:
            report = train_models(ledger, pd.Timestamp(cutoff) if cutoff else None, step=step)
        except ValueError as exc:
            fail(str(exc))
    if predictions is not None:
        write_predictions(report.evaluation.predictions, predictions)
    payload = report.as_json()
    if as_json:
        print_json(payload)
        return
    console.print(
        f"Trained on {payload['n_train']:,} invoices issued before {payload['cutoff']}, "
        f"tested on {payload['n_test']:,} issued after."
    )
    _print_evaluation(payload)
    for reg in report.registrations:
        status = "now the champion" if reg.promoted else "registered as challenger"
        console.print(f"{reg.name} v{reg.version} is {status}.")


def write_predictions(frame: Any, path: Path) -> None:
    """``--predictions``: the rows as CSV, text that a spreadsheet would run quoted."""
    from serving.exports import write_csv

    write_csv(frame, path)


IBM_CUTOFF = "2013-07-01"


def _evaluate_outside(data: Path, cutoff: Any, as_json: bool, predictions: Path | None) -> None:
    """``evaluate --data``: fresh models on IBM's public sample, beside published figures."""
    import pandas as pd

    from ledger.ibm import read_ibm_ar
    from training.train import evaluate_dataset

    try:
        ledger = read_ibm_ar(data)
    except (OSError, ValueError) as exc:
        fail(f"cannot read {data}: {exc}")
    report = evaluate_dataset(ledger, pd.Timestamp(cutoff or IBM_CUTOFF))
    frame = report.pop("_predictions")
    if predictions is not None:
        write_predictions(frame, predictions)
    report["end"] = report.get("end", report["cutoff"])
    if as_json:
        print_json(report)
        return
    keys = ("roc_auc", "accuracy", "rmse_days", "c_index_ipcw", "integrated_brier")
    table = Table("", *(Column(k, justify="right") for k in keys), title=f"{data}")
    table.add_row(f"out of time (from {report['cutoff']})", *(figure(report[k]) for k in keys))
    for name, figs in report["baselines"].items():
        table.add_row(f"  baseline: {name}", *(figure(figs.get(k)) for k in keys))
    table.add_row(
        "random 80/20, point in time", *(figure(report["random_80_20"].get(k)) for k in keys)
    )
    for name, figs in report["published"].items():
        table.add_row(f"published: {name}", *(figure(figs.get(k)) for k in keys))
    console.print(table)


def evaluate(
    cutoff: CutoffOption = None,
    as_json: JsonFlag = False,
    predictions: PredictionsOption = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="evaluate fresh models on IBM's public receivables sample (the folder or the "
            "CSV) instead of the champions on your ledger; default cut-off 2013-07-01",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Evaluate the registered champions out of time: invoices issued after the cut-off.

    The same figures as `encours train`, beside the same baselines. A champion trained on a
    later cut-off has seen part of this test: choose the cut-off it was trained with.
    """
    import pandas as pd

    from training.train import evaluate_champions

    if data is not None:
        _evaluate_outside(data, cutoff, as_json, predictions)
        return
    ledger = ledger_for_models()
    try:
        split, evaluation = evaluate_champions(ledger, pd.Timestamp(cutoff) if cutoff else None)
    except ValueError as exc:
        fail(str(exc))
    if predictions is not None:
        write_predictions(evaluation.predictions, predictions)
    payload = {
        "cutoff": split.cutoff.date().isoformat(),
        "end": split.end.date().isoformat(),
        "n_test": len(split.test),
        **evaluation.as_json(),
    }
    if as_json:
        print_json(payload)
        return
    _print_evaluation(payload)


def models(as_json: JsonFlag = False) -> None:
    """List the registered models: versions, aliases (champion, challenger) and figures."""
    from training.models import MODEL_NAMES
    from training.tracking import model_versions, quiet_mlflow, use_store

    settings = get_settings()
    use_store(settings.tracking_uri, settings.artifacts_uri)
    with quiet_mlflow():
        rows = [row for name in MODEL_NAMES for row in model_versions(name)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No model registered yet: run `encours train`.")
        return
    table = Table("model", "version", "aliases", "ROC AUC", "Brier", "MAE days", "coverage")
    for row in rows:
        m = row["metrics"]
        table.add_row(
            row["name"],
            row["version"],
            ", ".join(row["aliases"]),
            figure(m.get("roc_auc")),
            figure(m.get("brier")),
            figure(m.get("mae_days"), 1),
            figure(m.get("coverage_p10_p90"), 2),
        )
    console.print(table)
