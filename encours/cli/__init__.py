"""The ``encours`` command line: a few lines per command, the work is in the packages.

The commands live by stage: :mod:`encours.cli.ledger` (the ledger in and out, its
figures), :mod:`encours.cli.models` (features and models), :mod:`encours.cli.collection`
(risk, worklist, forecast), :mod:`encours.cli.serve` (the API, the demo),
:mod:`encours.cli.keys` and :mod:`encours.cli.db` (the schema's migrations); this module
builds the Typer app and lists them in the order ``encours --help`` shows, which users know.
Heavy libraries (pandas, LightGBM, MLflow) are imported inside the commands so that
``encours --help`` answers at once.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from encours.cli import collect, collection, ledger, models, monitor, scores, serve
from encours.cli.database import BUSY_EXIT
from encours.cli.db import db_app
from encours.cli.keys import keys_app
from encours.cli.models import write_predictions as _write_predictions
from encours.cli.output import flow_help

# LightGBM's OpenMP threads wait passively: actively spinning, they slow everything else
# on a small machine (a busy core made a 0.7 s fit take 14 s). Read when LightGBM loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

app = typer.Typer(
    help="encours: how and when your B2B customers will pay their invoices.\n\n"
    "Import your ledger (clients, invoices, payments...), read your encours client, DSO "
    "and balance âgée at any date, train the late-payment model and serve it over HTTP.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    """``--version``: the installed package's version, then exit."""
    if not asked:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        typer.echo(f"encours {version('encours')}")
    except PackageNotFoundError:
        typer.echo("encours (not installed: no version)")
    raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """Options of ``encours`` itself, before any command."""


app.command()(ledger.simulate)
app.command("import")(ledger.import_)
app.command()(ledger.reconcile)
app.command()(ledger.export)
app.command()(ledger.kpis)
app.command("aged-balance")(ledger.aged_balance)
app.command()(models.features)
app.command()(models.train)
app.command()(models.evaluate)
app.command()(models.models)
app.command()(ledger.lettrage)
app.command()(serve.serve)
app.command()(serve.demo)
app.command()(collection.risk)
app.command()(collection.worklist)
app.command()(collection.forecast)
app.command()(scores.score)
app.command()(collect.letters)
app.command()(collect.lme)
app.command()(collect.affacturage)
app.command()(monitor.monitor)
app.command()(monitor.retrain)
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")
flow_help(app)

__all__ = ["BUSY_EXIT", "_write_predictions", "app"]
