"""Model commands: features, train, evaluate and models.

What the models look at, training them out of time, their figures beside baselines,
and the versions registered in MLflow.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from encours.cli.database import ledger_for_models, ledger_for_workers, ledger_with_invoices
from encours.cli.engines import (
    Engine,
    EngineOption,
    LightgbmDaskFlag,
    SchedulerOption,
    check_scheduler,
    cluster,
    print_written,
)
from encours.cli.options import JsonFlag
from encours.cli.output import console, errors, fail, figure, print_json, words
from encours.settings import get_settings

FeaturesOut = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="compute the features and write them to this Parquet file (with --engine dask, "
        "a folder of one file per part), led by invoice_id, client_id and as_of",
        show_default=False,
    ),
]
FeaturesAsOf = Annotated[
    dt.datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="with --out: the invoices open at the end of this date (YYYY-MM-DD), seen then; "
        "default: every invoice at its issue date, as training sees them",
        show_default=False,
    ),
]


def features(
    list_: Annotated[bool, typer.Option("--list", help="list every feature")] = False,
    out: FeaturesOut = None,
    as_of: FeaturesAsOf = None,
    engine: EngineOption = Engine.pandas,
    scheduler: SchedulerOption = None,
    as_json: JsonFlag = False,
) -> None:
    """What the models look at: every feature, its family and what it means.

    Each is computed for an invoice at a date from what was known strictly before that
    date. Your own columns named x_* in the invoices and clients files are added as
    features too (x_<name> and cli_x_<name>). With --out, the features of the ledger's
    invoices are computed and written to Parquet.
    """
    check_scheduler(engine, scheduler)
    if out is not None:
        _write_features(out, as_of, engine, scheduler, as_json)
        return
    from features.pipeline import SPECS

    if not list_:
        fail("say what to show: --list, or --out FILE to compute them", 2)
    specs = list(SPECS)
    if as_json:
        print_json([spec.__dict__ for spec in specs])
        return
    w = words()
    headers = ("feature", "family", "type", "meaning")
    table = Table(*(w(h) for h in headers), title=w("{n} features", n=w.number(len(specs))))
    for spec in specs:
        table.add_row(spec.name, spec.family, spec.dtype, spec.describe(w.lang))
    console.print(table)
    console.print(w("… plus your own x_* columns of invoices and clients."))


def _write_features(
    out: Path, as_of: dt.datetime | None, engine: Engine, scheduler: str | None, as_json: bool
) -> None:
    """``features --out``: the ledger's features computed by ``engine`` and written."""
    from serving.services.batch import write_features

    day = as_of.date() if as_of else None
    with ExitStack() as stack:
        client = stack.enter_context(cluster(scheduler)) if engine is Engine.dask else None
        # No model: MLflow's store is left alone.
        source = (
            ledger_for_workers(remote=scheduler is not None)
            if client is not None
            else ledger_with_invoices()
        )
        with errors.status("computing the features", spinner="dots"):
            written = write_features(source, day, out, client)
    print_written(written, as_json)


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
    w = words()
    table = Table(
        "",
        *(Column(k, justify="right") for k in keys),
        title=w(
            "out-of-time test: invoices issued from {start} to {end}",
            start=w.date(dt.date.fromisoformat(report["cutoff"])),
            end=w.date(dt.date.fromisoformat(report["end"])),
        ),
        title_justify="left",
    )
    table.add_row(w("model"), *(figure(report.get(k)) for k in keys))
    for name, figs in report["baselines"].items():
        table.add_row(w("baseline: {name}", name=name), *(figure(figs.get(k)) for k in keys))
    for name, figs in report["unseen_clients"].items():
        table.add_row(w("new clients: {name}", name=name), *(figure(figs.get(k)) for k in keys))
    if report.get("oracle"):
        truth = w("simulator's truth (best possible)")
        table.add_row(truth, *(figure(report["oracle"].get(k)) for k in keys))
    console.print(table)
    console.print(
        w(
            "mae_days: paid test invoices only; c_index_ipcw and integrated_brier count the "
            "open ones too (censored, weighted by the chance of still being observed)."
        )
    )
    oracle = report.get("oracle") or {}
    if oracle.get("model_vs_oracle_roc_auc") is not None:
        bands = oracle.get("by_client_history") or {}
        by_history = ", ".join(
            w(
                "{name} settled invoices {share}",
                name=name,
                share=w.percent(figs["model_vs_oracle_roc_auc"], 1),
            )
            for name, figs in bands.items()
        )
        share = w.percent(oracle["model_vs_oracle_roc_auc"], 1)
        console.print(
            w("Model ROC AUC = {share} of the truth's", share=share)
            + (w(" (clients with {bands})", bands=by_history) if by_history else "")
            + "."
        )
    censoring = report.get("censoring") or {}
    if censoring:
        console.print(
            w(
                "Paid within {days} days of the due date: observed {observed}; predicted "
                "{censored} with open invoices as censored, {dropped} if they were dropped.",
                days=w.number(censoring["days_after_due"]),
                observed=w.percent(censoring["observed_share_paid"], 1),
                censored=w.percent(censoring["with_censored"], 1),
                dropped=w.percent(censoring["dropping_open"], 1),
            )
        )


def train(
    cutoff: CutoffOption = None,
    as_json: JsonFlag = False,
    predictions: PredictionsOption = None,
    engine: EngineOption = Engine.pandas,
    scheduler: SchedulerOption = None,
    lightgbm_dask: LightgbmDaskFlag = False,
) -> None:
    """Train the late-payment, payment-time and onboarding models out of time; register them.

    Each model is tested on the invoices issued after the cut-off, beside baselines, logged
    to MLflow with its plots, and becomes the [bold]champion[/] that the API serves only if it
    beats the current champion on the same test; otherwise it is the challenger. With
    --engine dask, the training matrix is built on the cluster, then fitted here, or with
    --lightgbm-dask its boosters of a chosen size fitted by lightgbm.dask on the cluster.
    """
    import pandas as pd
    from rich.progress import Progress

    from training.train import train_models

    check_scheduler(engine, scheduler, lightgbm_dask)
    with ExitStack() as stack:
        feature_engine = None
        if engine is Engine.dask:
            from training.booster_fit import boosters_on
            from training.cluster_features import cluster_engine

            client = stack.enter_context(cluster(scheduler))
            feature_engine = cluster_engine(client)
            if lightgbm_dask:
                stack.enter_context(boosters_on(client))
        ledger = ledger_for_models()
        progress = stack.enter_context(Progress(console=errors, transient=True, disable=as_json))
        task = progress.add_task("training", total=4)

        def step(name: str) -> None:
            progress.update(task, description=name, advance=1 if name != "features" else 0)

        try:
            report = train_models(
                ledger, pd.Timestamp(cutoff) if cutoff else None, step=step, engine=feature_engine
            )
        except ValueError as exc:
            fail(str(exc))
    if predictions is not None:
        write_predictions(report.evaluation.predictions, predictions)
    payload = report.as_json()
    if as_json:
        print_json(payload)
        return
    w = words()
    console.print(
        w(
            "Trained on {n_train} invoices issued before {cutoff}, tested on {n_test} issued "
            "after.",
            n_train=w.number(payload["n_train"]),
            cutoff=w.date(dt.date.fromisoformat(payload["cutoff"])),
            n_test=w.number(payload["n_test"]),
        )
    )
    _print_evaluation(payload)
    _print_choice(payload.get("late_model_choice"))
    _print_time_choice(payload.get("time_model_choice"))
    for reg in report.registrations:
        if reg.promoted:
            said = w("{name} v{version} is now the champion.", name=reg.name, version=reg.version)
        else:
            said = w(
                "{name} v{version} is registered as challenger.", name=reg.name, version=reg.version
            )
        console.print(said)


def write_predictions(frame: Any, path: Path) -> None:
    """``--predictions``: the rows as CSV, text that a spreadsheet would run quoted."""
    from serving.exports import write_csv

    write_csv(frame, path)


def _print_choice(choice: dict[str, Any] | None) -> None:
    """Which late-payment model the rolling-origin validation chose, why, and each
    candidate's validation figures and seconds."""
    if not choice:
        return
    w = words()
    console.print(
        w(
            "Late-payment model: {chosen} ({reason}).",
            chosen=choice["chosen"],
            reason=choice["reason"],
        )
    )
    origins = ", ".join(w.date(dt.date.fromisoformat(o)) for o in choice["origins"])
    headers = ("candidate", "log loss", "ROC AUC", "Brier", "seconds")
    table = Table(
        *(w(h) for h in headers),
        title=w("Rolling-origin validation (origins {origins})", origins=origins),
    )
    for name, figs in choice["validation"].items():
        seconds = choice["seconds"].get(name, 0.0) + choice["seconds"].get(f"final_{name}", 0.0)
        table.add_row(
            name,
            figure(figs["log_loss"]),
            figure(figs["roc_auc"]),
            figure(figs["brier"]),
            w.number(seconds, 1),
        )
    console.print(table)


def _print_time_choice(choice: dict[str, Any] | None) -> None:
    """How far the payment-time curve moves toward the client days model, and why."""
    if not choice:
        return
    w = words()
    scores = choice.get("held_back") or {}
    if not scores:
        console.print(w("Payment-time model: the booster alone (too few held-back payments)."))
        return
    console.print(
        w(
            "Payment-time model: the booster's curve moved {weight} of the way toward the "
            "client days model (held-back integrated Brier score: {figures}).",
            weight=w.percent(choice["days_weight"]),
            figures=", ".join(
                f"{w.percent(float(k))} {figure(v['integrated_brier'])}"
                for k, v in sorted(scores.items())
            ),
        )
    )


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
    w = words()
    table = Table("", *(Column(k, justify="right") for k in keys), title=f"{data}")
    start = w.date(dt.date.fromisoformat(report["cutoff"]))
    table.add_row(w("out of time (from {start})", start=start), *(figure(report[k]) for k in keys))
    for name, figs in report["baselines"].items():
        table.add_row(w("  baseline: {name}", name=name), *(figure(figs.get(k)) for k in keys))
    random = report["random_80_20"]
    table.add_row(w("random 80/20, point in time"), *(figure(random.get(k)) for k in keys))
    for name, figs in report["published"].items():
        table.add_row(w("published: {name}", name=name), *(figure(figs.get(k)) for k in keys))
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


CardOption = Annotated[
    str | None,
    typer.Option(
        "--card",
        metavar="VERSION",
        help="show the model card of this version (a number, or champion, challenger): its "
        "data, figures beside the baselines, calibration, choice, limits and features",
        show_default=False,
    ),
]
ModelOption = Annotated[
    str,
    typer.Option(
        "--model", help="the model whose card --card shows: late-payment, payment-time, onboarding"
    ),
]


def models(
    as_json: JsonFlag = False, card: CardOption = None, model: ModelOption = "late-payment"
) -> None:
    """List the registered models: versions, aliases (champion, challenger) and figures.

    With --card VERSION, the model card of that version instead, in ENCOURS_LANG.
    """
    if card is not None:
        _print_card(model, card, as_json)
        return
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
        console.print(words()("No model registered yet: run `encours train`."))
        return
    w = words()
    headers = ("model", "version", "aliases", "ROC AUC", "Brier", "MAE days", "coverage")
    table = Table(*(w(h) for h in headers))
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


def _print_card(name: str, version: str, as_json: bool) -> None:
    """``models --card``: the card of ``name`` v``version``, as Markdown (rich) or JSON."""
    from rich.markdown import Markdown

    from serving.services import model_card
    from training.models import MODEL_NAMES
    from training.registry import NoChampion, NoSuchVersion, RegistryError

    settings = get_settings()
    w = words()
    if name not in MODEL_NAMES:
        fail(
            w(
                "Unknown model: {name}; the models are {names}.",
                name=name,
                names=", ".join(MODEL_NAMES),
            ),
            2,
        )
    try:
        found = model_card(settings, name, version, settings.lang)
    except NoSuchVersion as exc:
        held = ", ".join(exc.versions) or w("none")
        fail(
            w(
                "{name} has no version {version}; its versions: {held}.",
                name=name,
                version=version,
                held=held,
            )
        )
    except NoChampion:
        fail(w("No version of {name} is the {alias}.", name=name, alias=version))
    except RegistryError as exc:
        fail(str(exc))
    if as_json:
        print_json(found.card.as_json() | {"logged": found.logged})
        return
    console.print(Markdown(found.markdown))
