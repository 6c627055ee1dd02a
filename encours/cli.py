"""The ``encours`` command line: a few lines per command, the work is in the packages.

Heavy libraries (pandas, LightGBM, MLflow) are imported inside the commands so that
``encours --help`` answers at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from encours.settings import get_settings

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
console = Console()
errors = Console(stderr=True)

DateOption = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="date as YYYY-MM-DD", show_default=False),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="print one JSON object, for scripts")]


def _print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


def _fail(message: str, code: int = 1) -> NoReturn:
    # One line whatever the terminal's width, and the message printed as it is, not markup.
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


BUSY_EXIT = 75  # EX_TEMPFAIL of sysexits.h: a temporary failure, worth another try
RETRY_PAUSE_SECONDS = 0.5
T = TypeVar("T")
WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        help="while another program holds the database locked, try again for up to this "
        "many seconds before giving up",
    ),
]


def _with_database(work: Callable[[], T], wait_seconds: float = 0.0, can_wait: bool = False) -> T:
    """``work()``, tried again while the database is busy, up to ``wait_seconds``.

    A database error ends the command with one line, never a traceback (whose statement
    and values would name clients): busy exits with :data:`BUSY_EXIT`, another error with 1.
    ``work`` must be safe to run again: one transaction, all or nothing.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from ledger.storage import database_busy

    started = time.monotonic()
    while True:
        try:
            return work()
        except SQLAlchemyError as exc:
            left = wait_seconds - (time.monotonic() - started)
            if database_busy(exc) and left > 0:
                time.sleep(min(RETRY_PAUSE_SECONDS, left))
                continue
            if not database_busy(exc):
                _fail(f"the database cannot be used: {_first_line(exc)}")
            waited = time.monotonic() - started
            hint = ", or wait for it with --wait SECONDS" if can_wait else ""
            _fail(
                f"the database is busy: another program holds a lock on it (gave up after "
                f"{waited:.0f} s); nothing was written. Try again later{hint}",
                BUSY_EXIT,
            )


def _first_line(exc: Exception) -> str:
    """The driver's own message, first line: no statement, no values."""
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0][:200]


def _stored_ledger(engine: Any) -> Any:
    """The ledger in the database, migrated first; a database error ends in one line."""
    from ledger.storage import load_ledger, migrate

    def read() -> Any:
        migrate(engine)
        return load_ledger(engine)

    return _with_database(read)


def _engine() -> Any:
    from ledger.storage import make_engine

    settings = get_settings()
    return make_engine(
        settings.database_url,
        lock_timeout_seconds=settings.db_lock_timeout_seconds,
        statement_timeout_seconds=settings.db_statement_timeout_seconds,
    )


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="folder to write the files to")] = Path("demo-data"),
    clients: Annotated[int, typer.Option(min=1, help="number of clients")] = 200,
    months: Annotated[int, typer.Option(min=1, max=240, help="months of history")] = 24,
    seed: Annotated[int, typer.Option(help="random seed: same seed, same ledger")] = 42,
    file_format: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
    as_json: JsonFlag = False,
) -> None:
    """Write a realistic simulated ledger (clients, invoices, payments, relances...).

    The files follow the import format, so [bold]encours import OUT[/] loads them. The true
    probability of late payment of each invoice goes apart, to OUT/truth/, for evaluation.
    """
    from rich.progress import Progress

    from ledger.simulate import SimulationConfig, write_simulation
    from ledger.simulate import simulate as run

    if file_format not in ("csv", "parquet"):
        _fail(f"--format must be csv or parquet, not {file_format!r}", 2)
    config = SimulationConfig(n_clients=clients, n_months=months, seed=seed)
    with Progress(console=errors, transient=True, disable=as_json) as progress:
        task = progress.add_task("simulating months", total=months)
        sim = run(config, progress=lambda done: progress.update(task, completed=done))
        paths = write_simulation(sim, out, file_format)  # type: ignore[arg-type]
    counts = {name: len(frame) for name, frame in sim.ledger.tables().items()}
    if as_json:
        _print_json({"out": str(out), "end": sim.end.date().isoformat(), "rows": counts})
        return
    console.print(f"Simulated ledger up to {sim.end.date()} written to [bold]{out}[/]:")
    for path in paths:
        console.print(f"  {path}  ({counts.get(path.stem, 0):,} rows)")


@app.command("import")
def import_(
    directory: Annotated[
        Path | None,
        typer.Argument(
            exists=True,
            help="folder of CSV, Parquet or Excel files, or one .xlsx workbook with a sheet "
            "per table (optional with --fec)",
            show_default=False,
        ),
    ] = None,
    fec: Annotated[
        Path | None,
        typer.Option(
            "--fec",
            exists=True,
            dir_okay=False,
            help="a FEC (fichier des écritures comptables) as your accounting software exports it",
            show_default=False,
        ),
    ] = None,
    terms_days: Annotated[
        int,
        typer.Option(
            min=0,
            help="with --fec: days from invoice to due date for clients without payment terms",
        ),
    ] = 30,
    exclude_client: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude-client",
            help="with --fec: a client account to leave out of the encours and the models "
            "(counter takings such as RECETTE CB); repeat for several",
            show_default=False,
        ),
    ] = None,
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """Import clients, invoices, payments, advances, unbilled and actions files, or a FEC.

    Each file is checked first; a file with any bad row is rejected whole, every bad row
    is listed with its column and the reason, and nothing is written (exit code 1).
    Importing the same files again changes nothing; a row whose values changed (a
    paid_date newly filled, say) is updated.

    Files are read as French exports write them too: separator ; or tab, CP1252, decimal
    commas (1 234,56), dates 31/01/2024; what was detected is printed for each file. A
    workbook has one sheet per table, named like the files (clients, invoices...).

    [bold]--fec FILE[/] reads the FEC of your accounting (tab or pipe separated, UTF-8 or
    ISO-8859-15): clients from the 411 accounts, factures, avoirs and règlements with their
    lettrage (the settlement dates), acomptes on 4191, à-nouveaux. A FEC has no due dates:
    each invoice is due its client's payment terms after its date, or --terms-days. A
    folder given with --fec may add a clients file (terms, sectors, credit limits),
    unbilled and actions.

    While another program holds the database locked, the import gives up after
    ENCOURS_DB_LOCK_TIMEOUT_SECONDS (exit code 75), or keeps trying for [bold]--wait
    SECONDS[/]; nothing is written until it goes through whole.
    """
    from ledger.errors import ImportRejected
    from ledger.fec import import_fec
    from ledger.importing import import_directory

    if directory is None and fec is None:
        _fail("say what to import: a folder of files, or --fec FILE", 2)
    engine = _engine()

    def run() -> Any:
        if fec is not None:
            return import_fec(
                engine,
                fec,
                directory=directory,
                default_terms_days=terms_days,
                exclude_clients=exclude_client or (),
            )
        assert directory is not None
        return import_directory(engine, directory)

    try:
        with errors.status("importing", spinner="dots"):
            report = _with_database(run, wait, can_wait=True)
    except ImportRejected as rejected:
        if as_json:
            _print_json({"rejected": True, "problems": [p.__dict__ for p in rejected.problems]})
            raise typer.Exit(1) from None
        table = Table("file", "row", "column", "problem", title=str(rejected), title_justify="left")
        for p in rejected.problems:
            row = "" if p.row is None else str(p.row)
            table.add_row(p.file, row, p.field or "", p.explanation)
        errors.print(table)
        raise typer.Exit(1) from None
    if as_json:
        _print_json(report.as_json())
        return
    for warning in report.warnings:
        errors.print(f"[yellow]warning:[/] {warning}")
    for line in report.detected:
        console.print(f"read {line}", highlight=False, markup=False, soft_wrap=True)
    table = Table("table", "inserted", "updated", "unchanged", title="import done")
    for name, c in report.summary.tables.items():
        table.add_row(name, f"{c.inserted:,}", f"{c.updated:,}", f"{c.unchanged:,}")
    console.print(table)


@app.command()
def reconcile(
    fec: Annotated[
        Path,
        typer.Option(
            "--fec", exists=True, dir_okay=False, help="the FEC to compare with", show_default=False
        ),
    ],
    as_of: DateOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The balance of the client accounts (411, 4191) beside the encours, per client.

    The books are computed straight from the FEC's lines dated on or before --as-of (every
    month end of the FEC when not given); the encours is encours' own figure from its
    database. Differences are explained (invoices dated by their piece, factures à
    émettre given apart, accounts not imported); exit code 1 when one is not.
    """
    from ledger.errors import ImportRejected
    from ledger.fec import book_lines
    from ledger.reconcile import month_ends
    from ledger.reconcile import reconcile as reconcile_books

    try:
        book = book_lines(fec)
    except ImportRejected as rejected:
        _fail("; ".join(str(p) for p in rejected.problems))
    ledger = _stored_ledger(_engine())
    days = [as_of.date()] if as_of is not None else month_ends(book)
    results = [reconcile_books(book, ledger, d) for d in days]
    unexplained = any(r.unexplained_cents for r in results)
    if as_json:
        _print_json({"reconciled": not unexplained, "dates": [r.as_json() for r in results]})
    else:
        _print_reconciliations(results)
    if unexplained:
        raise typer.Exit(1)


def _print_reconciliations(results: list[Any]) -> None:
    """One table row per date, then the clients left unexplained."""
    from ledger.money import cents_to_decimal

    table = Table(
        "as of",
        *(
            Column(c, justify="right")
            for c in ("books (411 413 416 − 4191)", "encours", "explained")
        ),
        Column("unexplained", justify="right"),
        title="encours beside the books",
        title_justify="left",
    )
    for r in results:
        t = r.totals
        explained = t["encours_cents"] - t["books_cents"] - t["unexplained_cents"]
        table.add_row(
            r.as_of.isoformat(),
            *(_money(cents_to_decimal(t[c])) for c in ("books_cents", "encours_cents")),
            _money(cents_to_decimal(explained)),
            _money(cents_to_decimal(r.unexplained_cents)),
        )
    console.print(table)
    for r in results:
        wrong = r.clients[r.clients["unexplained_cents"] != 0]
        for client_id, row in wrong.iterrows():
            errors.print(
                f"[bold red]{r.as_of}[/] {client_id}: books "
                f"{_money(cents_to_decimal(int(row['books_cents'])))}, encours "
                f"{_money(cents_to_decimal(int(row['encours_cents'])))}, unexplained "
                f"{_money(cents_to_decimal(int(row['unexplained_cents'])))}"
            )


@app.command()
def export(
    fec: Annotated[
        Path,
        typer.Option("--fec", dir_okay=False, help="FEC file to write", show_default=False),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Write the ledger as a FEC (fichier des écritures comptables).

    The 18 legal columns, tab-separated, in ISO-8859-15, every entry balanced: factures
    and avoirs in the journal VT (411000 per client against 706000 and TVA 445710),
    règlements and acomptes in BQ (512000, 419100), créances irrécouvrables in OD
    (654000). Lettrage codes and dates tie each règlement to the facture it settles, so
    that [bold]encours import --fec FILE[/] reads the same invoices back. Unbilled
    deliveries, relances and disputes have no place in a FEC and are left out.
    """
    from ledger.errors import LedgerError
    from ledger.fec import write_fec

    ledger = _stored_ledger(_engine())
    if ledger.invoices.empty:
        _fail("the ledger has no invoices: run `encours import` first")
    try:
        with errors.status("writing the FEC", spinner="dots"):
            written = write_fec(ledger, fec)
    except LedgerError as exc:
        _fail(str(exc))
    if as_json:
        _print_json({"fec": str(fec), "lines": written.lines, "entries": written.entries})
        return
    console.print(
        f"{written.entries:,} entries ({written.lines:,} lines) written to [bold]{fec}[/]"
    )


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}".replace(",", " ")


def _number(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:,.1f}{unit}"


@app.command()
def kpis(
    as_of: DateOption = None,
    currency: Annotated[str, typer.Option(help="currency of the figures")] = "EUR",
    cash: Annotated[
        float | None, typer.Option(help="disponibilités, for the liquidité immédiate")
    ] = None,
    short_term_debt: Annotated[
        float | None, typer.Option(help="dettes à court terme, for the liquidité immédiate")
    ] = None,
    recovery_days: Annotated[
        int, typer.Option(min=1, help="length in days of the taux de recouvrement period")
    ] = 365,
    doubtful_days: Annotated[
        int, typer.Option(min=0, help="créances douteuses: more than this many days past due")
    ] = 90,
    doubtful_disputed: Annotated[
        bool, typer.Option(help="créances douteuses include disputed invoices")
    ] = True,
    doubtful_written_off: Annotated[
        bool, typer.Option(help="créances douteuses include written-off invoices")
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Encours client, balance âgée, DSO, taux de recouvrement and créances douteuses.

    Figures at the --as-of date (default: today), from what the ledger knew on that day.
    """
    from ledger.kpis import DoubtfulDefinition, compute_kpis

    day = (as_of or dt.datetime.now()).date()
    figures = compute_kpis(
        _stored_ledger(_engine()),
        day,
        currency=currency,
        cash=None if cash is None else Decimal(str(cash)),
        short_term_debt=None if short_term_debt is None else Decimal(str(short_term_debt)),
        doubtful=DoubtfulDefinition(doubtful_days, doubtful_disputed, doubtful_written_off),
        recovery_period_days=recovery_days,
    )[0]
    if as_json:
        _print_json(figures.as_json())
        return
    table = Table(
        "KPI", Column(currency, justify="right"), title=f"KPIs at {day}", title_justify="left"
    )
    rows = [
        ("encours client", _money(figures.encours)),
        ("  factures échues", _money(figures.echu)),
        ("  factures non échues", _money(figures.non_echu)),
        ("  factures à émettre", _money(figures.a_emettre)),
        ("  effets escomptés non échus", _money(figures.effets_escomptes_non_echus)),
        ("  − avances et acomptes", _money(figures.avances)),
        ("  − non affecté (règlements et avoirs non lettrés)", _money(figures.non_affecte)),
        ("DSO (encours × 365 / CA TTC 12 mois)", _number(figures.dso, " days")),
        ("DSO count-back", _number(figures.dso_countback, " days")),
        (f"taux de recouvrement ({recovery_days} days)", _number(figures.taux_recouvrement, " %")),
        ("taux de créances douteuses", _number(figures.taux_creances_douteuses, " %")),
        ("encours moyen par client", _money(figures.encours_moyen_par_client)),
        ("liquidité immédiate", _number(figures.liquidite_immediate, "")),
    ]
    for name, value in rows:
        table.add_row(name, value)
    aged = figures.aged_balance
    table.add_section()
    buckets: list[tuple[str, Decimal]] = [
        ("balance âgée: non échu", aged.not_due),
        ("  1–30 days", aged.d1_30),
        ("  31–60 days", aged.d31_60),
        ("  61–90 days", aged.d61_90),
        ("  > 90 days", aged.over_90),
        ("  non affecté", aged.non_affecte),
    ]
    for label, amount in buckets:
        table.add_row(label, _money(amount))
    console.print(table)


@app.command()
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
        _fail("say what to show: --list", 2)
    specs = list(SPECS)
    if as_json:
        _print_json([spec.__dict__ for spec in specs])
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


def _loaded_ledger() -> Any:
    from training.tracking import use_store

    settings = get_settings()
    ledger = _stored_ledger(_engine())
    if ledger.invoices.empty:
        _fail("the ledger has no invoices: run `encours import DIR` first")
    use_store(settings.tracking_uri, settings.artifacts_uri)
    return ledger


def _figure(value: Any, digits: int = 3) -> str:
    return "—" if value is None or value != value else f"{value:.{digits}f}"


def _print_evaluation(report: dict[str, Any]) -> None:
    """The out-of-time figures of the model beside the baselines (and the truth)."""
    keys = ("roc_auc", "pr_auc", "brier", "ece", "mae_days", "coverage_p10_p90")
    table = Table(
        "",
        *(Column(k, justify="right") for k in keys),
        title=f"out-of-time test: invoices issued from {report['cutoff']} to {report['end']}",
        title_justify="left",
    )
    table.add_row("model", *(_figure(report.get(k)) for k in keys))
    for name, figs in report["baselines"].items():
        table.add_row(f"baseline: {name}", *(_figure(figs.get(k)) for k in keys))
    for name, figs in report["unseen_clients"].items():
        table.add_row(f"new clients: {name}", *(_figure(figs.get(k)) for k in keys))
    if report.get("oracle"):
        table.add_row(
            "simulator's truth (best possible)", *(_figure(report["oracle"].get(k)) for k in keys)
        )
    console.print(table)
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


@app.command()
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

    ledger = _loaded_ledger()
    with Progress(console=errors, transient=True, disable=as_json) as progress:
        task = progress.add_task("training", total=4)

        def step(name: str) -> None:
            progress.update(task, description=name, advance=1 if name != "features" else 0)

        try:
            report = train_models(ledger, pd.Timestamp(cutoff) if cutoff else None, step=step)
        except ValueError as exc:
            _fail(str(exc))
    if predictions is not None:
        _write_predictions(report.evaluation.predictions, predictions)
    payload = report.as_json()
    if as_json:
        _print_json(payload)
        return
    console.print(
        f"Trained on {payload['n_train']:,} invoices issued before {payload['cutoff']}, "
        f"tested on {payload['n_test']:,} issued after."
    )
    _print_evaluation(payload)
    for reg in report.registrations:
        status = "now the champion" if reg.promoted else "registered as challenger"
        console.print(f"{reg.name} v{reg.version} is {status}.")


def _write_predictions(frame: Any, path: Path) -> None:
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
        _fail(f"cannot read {data}: {exc}")
    report = evaluate_dataset(ledger, pd.Timestamp(cutoff or IBM_CUTOFF))
    frame = report.pop("_predictions")
    if predictions is not None:
        _write_predictions(frame, predictions)
    report["end"] = report.get("end", report["cutoff"])
    if as_json:
        _print_json(report)
        return
    keys = ("roc_auc", "accuracy", "rmse_days")
    table = Table("", *(Column(k, justify="right") for k in keys), title=f"{data}")
    table.add_row(f"out of time (from {report['cutoff']})", *(_figure(report[k]) for k in keys))
    for name, figs in report["baselines"].items():
        table.add_row(f"  baseline: {name}", *(_figure(figs.get(k)) for k in keys))
    table.add_row(
        "random 80/20, point in time", *(_figure(report["random_80_20"][k]) for k in keys)
    )
    for name, figs in report["published"].items():
        table.add_row(f"published: {name}", *(_figure(figs.get(k)) for k in keys))
    console.print(table)


@app.command()
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
    ledger = _loaded_ledger()
    try:
        split, evaluation = evaluate_champions(ledger, pd.Timestamp(cutoff) if cutoff else None)
    except ValueError as exc:
        _fail(str(exc))
    if predictions is not None:
        _write_predictions(evaluation.predictions, predictions)
    payload = {
        "cutoff": split.cutoff.date().isoformat(),
        "end": split.end.date().isoformat(),
        "n_test": len(split.test),
        **evaluation.as_json(),
    }
    if as_json:
        _print_json(payload)
        return
    _print_evaluation(payload)


@app.command()
def models(as_json: JsonFlag = False) -> None:
    """List the registered models: versions, aliases (champion, challenger) and figures."""
    from training.models import MODEL_NAMES
    from training.tracking import model_versions, quiet_mlflow, use_store

    settings = get_settings()
    use_store(settings.tracking_uri, settings.artifacts_uri)
    with quiet_mlflow():
        rows = [row for name in MODEL_NAMES for row in model_versions(name)]
    if as_json:
        _print_json(rows)
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
            _figure(m.get("roc_auc")),
            _figure(m.get("brier")),
            _figure(m.get("mae_days"), 1),
            _figure(m.get("coverage_p10_p90"), 2),
        )
    console.print(table)


@app.command()
def lettrage(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="bank statement: camt.053 XML, CFONB 120, MT940, or a CSV "
            "line_id,date,amount,label[,client_id][,currency]",
        ),
    ],
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="confidence at or above which to apply")
    ] = 0.9,
    statement_format: Annotated[
        Literal["auto", "csv", "camt053", "cfonb120", "mt940"],
        typer.Option("--format", help="format of FILE; auto detects it from the content"),
    ] = "auto",
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """Match bank-statement lines to open invoices (lettrage); apply the sure matches.

    Reads the statement as banks send it: camt.053 (ISO 20022 XML, EBICS), CFONB 120
    (relevé 120 caractères) or MT940, detected from the content, or encours' own CSV.
    Credits only: debits are skipped, reversals too, with a note. Invoice numbers in the
    labels (despite spaces, prefixes, a typo), amounts against the client's open invoices
    (one, or several summing to it), partial payments, bank fees, clients found from the
    payer's name. Matches at or above --threshold become payments; the others wait for
    review. Running it again on the same file applies nothing twice.
    """
    from ledger.bank_statement import read_statement
    from ledger.errors import ImportRejected
    from ledger.lettrage import LettrageConfig
    from ledger.lettrage_store import apply_lettrage
    from ledger.money import cents_to_decimal
    from ledger.storage import migrate

    engine = _engine()
    try:
        with errors.status("lettrage", spinner="dots"):
            statement = read_statement(file, statement_format)
            config = LettrageConfig(auto_threshold=threshold)

            def apply() -> Any:
                migrate(engine)
                return apply_lettrage(engine, statement.lines, config)

            run = _with_database(apply, wait, can_wait=True)
    except ImportRejected as rejected:
        if as_json:
            _print_json({"rejected": True, "problems": [p.__dict__ for p in rejected.problems]})
            raise typer.Exit(1) from None
        _fail("; ".join(str(p) for p in rejected.problems))
    if as_json:
        _print_json({"statement": statement.as_json(), **run.as_json()})
        return
    errors.print(statement.summary(), markup=False)
    title = (
        f"lettrage: {len(run.applied)} applied, {len(run.review)} to review, "
        f"{run.skipped} of {run.lines} lines already done"
    )
    table = Table(
        "line",
        "invoice",
        Column("amount", justify="right"),
        "rule",
        Column("confidence", justify="right"),
        "status",
        title=title,
        title_justify="left",
    )
    for r in run.proposals.itertuples(index=False):
        table.add_row(
            str(r.line_id),
            str(r.invoice_id or "—"),
            _money(cents_to_decimal(int(str(r.amount_cents)))),
            str(r.rule),
            f"{r.confidence:.2f}",
            str(r.status),
        )
    console.print(table)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
) -> None:
    """Serve the API (scores, KPIs) with uvicorn; docs at /docs."""
    from encours.serve import run_server

    settings = get_settings()
    run_server(settings, host or settings.host, port or settings.port)


@app.command()
def demo(
    clients: Annotated[int, typer.Option(min=10, help="number of simulated clients")] = 200,
    months: Annotated[int, typer.Option(min=12, help="months of simulated history")] = 24,
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
    data: Annotated[Path, typer.Option(help="folder for the simulated files")] = Path("demo-data"),
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="start the API")] = True,
) -> None:
    """Simulate a ledger, import it, train the model, and serve the API.

    Everything runs on the embedded SQLite database and the local MLflow store under
    models/; nothing to install or start.
    """
    from encours.demo import run_demo

    code = run_demo(get_settings(), console, clients, months, seed, data, serve_api)
    if code:
        sys.exit(code)


SCREEN_ROWS = 50


@app.command()
def risk(
    client_id: Annotated[str, typer.Argument(help="the client's id in the ledger")],
    as_of: DateOption = None,
    as_json: JsonFlag = False,
) -> None:
    """A client's risk: a 0–100 score (100 = safest), its grade A–E and the reasons.

    100 less the points lost by four components: expected late share (40 × the mean late
    probability of the client's open invoices at --as-of, default today), days late (30 ×
    shrunk mean days late / 90), exposure (20 × open amount / credit limit / 2) and trend
    (10 × recent minus long-run days late / 30). Grades: A ≥ 80, B ≥ 65, C ≥ 50, D ≥ 35, E.
    The same as GET /v1/clients/{id}/risk.
    """
    from features.pipeline import FeatureBuilder
    from serving.client_risk import client_risk
    from serving.scoring import LoadedModel
    from training.models import LATE_MODEL
    from training.tracking import load_champion, quiet_mlflow

    day = (as_of or dt.datetime.now()).date()
    ledger = _loaded_ledger()
    if client_id not in set(ledger.clients["client_id"]):
        _fail(f"client {client_id!r} is not in the ledger")
    with errors.status("loading the late-payment model", spinner="dots"), quiet_mlflow():
        late_model = load_champion(LATE_MODEL)
    if late_model is None:
        _fail("no late-payment model is registered yet: run `encours train` first")
    features = FeatureBuilder().fit(ledger)
    loaded = LoadedModel(LATE_MODEL, "champion", late_model)
    score, n_open = client_risk(ledger, features, loaded, client_id, day)
    reasons = [vars(r) for r in score.reasons]
    if as_json:
        _print_json(
            {
                "client_id": client_id,
                "as_of": day.isoformat(),
                "score": score.score,
                "grade": score.grade,
                "open_invoices": n_open,
                "reasons": reasons,
            }
        )
        return
    console.print(
        f"Client [bold]{client_id}[/] au {day}: score [bold]{score.score:.0f}[/]/100, "
        f"classe [bold]{score.grade}[/] ({n_open} factures ouvertes)"
    )
    table = Table("composante", "valeur", Column("points perdus", justify="right"))
    for r in score.reasons:
        table.add_row(r.description, _figure(r.value, 2), f"{r.points_lost:.1f}")
    console.print(table)


def _worklist_files(
    frame: Any, csv: Path | None, excel: Path | None, file_format: str = "en"
) -> None:
    """Write the worklist rows to CSV and Excel in English or French conventions."""
    from serving.exports import ExportFormat, write_csv, write_excel

    fmt: ExportFormat = "fr" if file_format == "fr" else "en"
    if csv is not None:
        write_csv(frame, csv, fmt)
    if excel is not None:
        write_excel(frame, excel, fmt)


@app.command()
def worklist(
    as_of: DateOption = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=1,
            help=f"at most this many invoices; default {SCREEN_ROWS} on screen and in --json, "
            "every one in --csv and --excel files",
            show_default=False,
        ),
    ] = None,
    currency: Annotated[
        str | None, typer.Option(help="only invoices in this currency", show_default=False)
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", dir_okay=False, help="write the rows to this CSV file"),
    ] = None,
    excel: Annotated[
        Path | None,
        typer.Option("--excel", dir_okay=False, help="write the rows to this Excel (.xlsx) file"),
    ] = None,
    file_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="conventions of the --csv and --excel files: en (',', 1234.5, ISO dates) or "
            "fr (';', 1234,50, dd/mm/yyyy, UTF-8 with BOM for Excel in French; French "
            "headers in --excel)",
        ),
    ] = "en",
    as_json: JsonFlag = False,
) -> None:
    """The relance worklist: open invoices to chase, largest amount at risk first.

    Invoices overdue at --as-of (default: today), or due within a few days, ranked by open
    amount × risk (late probability; once overdue, the chance of being still unpaid in 30
    days). Each shows its client's profile (stratégique, secteur public, à risque,
    standard), the relance the scenarios recommend now (relance préventive, e-mail,
    téléphone, lettre, mise en demeure, contentieux) and the next one, the pénalités de
    retard (ECB rate + 10 points; public buyers + 8) and the 40 € indemnité forfaitaire
    owed so far, and the expected payment date. Scenarios: the YAML file named by
    ENCOURS_SCENARIOS_FILE, by default the packaged serving/scenarios.yaml.
    """
    import pandas as pd

    from features.pipeline import FeatureBuilder
    from ledger.money import cents_to_decimal
    from serving.penalties import rates_from_settings
    from serving.scenarios import ACTION_LABELS, PROFILE_LABELS, ScenarioError, load_scenarios
    from serving.worklist import build_worklist
    from training.models import LATE_MODEL, TIME_MODEL
    from training.tracking import load_champion, quiet_mlflow

    if file_format not in ("en", "fr"):
        _fail(f"--format must be en or fr, not {file_format!r}", 2)
    settings = get_settings()
    day = (as_of or dt.datetime.now()).date()
    try:
        scenarios = load_scenarios(settings.scenarios_file)
    except ScenarioError as exc:
        _fail(str(exc))
    ledger = _loaded_ledger()
    with errors.status("loading the models", spinner="dots"), quiet_mlflow():
        late_model, time_model = load_champion(LATE_MODEL), load_champion(TIME_MODEL)
    if late_model is None:
        _fail("no late-payment model is registered yet: run `encours train` first")
    to_files = csv is not None or excel is not None
    with errors.status("building the worklist", spinner="dots"):
        built = build_worklist(
            ledger,
            FeatureBuilder().fit(ledger),
            late_model,
            scenarios,
            day,
            time_model=time_model,
            rates=rates_from_settings(settings),
            limit=limit if limit is not None or to_files else SCREEN_ROWS,
            currency=currency,
        )
    frame = built.export_frame()
    _worklist_files(frame, csv, excel, file_format)
    shown = limit or SCREEN_ROWS
    if as_json:
        _print_json(
            {
                "as_of": day.isoformat(),
                "total": built.n_candidates,
                "payment_time_model": built.with_payment_time,
                "rows": built.records()[:shown],
            }
        )
        return
    rows = built.rows.head(shown)
    table = Table(
        "facture",
        "client",
        "profil",
        "échéance",
        Column("retard (j)", justify="right"),
        Column("restant dû", justify="right"),
        "dev.",
        Column("risque", justify="right"),
        Column("montant à risque", justify="right"),
        "relance conseillée",
        "étape suivante",
        Column("pénalités", justify="right"),
        Column("indemnité €", justify="right"),
        "paiement attendu",
        title=f"Relances au {day}: {len(rows):,} factures sur {built.n_candidates:,}, "
        "par montant à risque décroissant",
        title_justify="left",
    )
    for r in rows.to_dict("records"):
        step = ACTION_LABELS.get(str(r["recommended_step"]), "—")
        if pd.notna(r["promised_date"]):
            step = f"promesse au {r['promised_date'].date()}"
        following = "—"
        if pd.notna(r["next_step"]):
            following = f"{ACTION_LABELS[str(r['next_step'])]} le {r['next_step_date'].date()}"
        expected = r["expected_payment_date"]
        table.add_row(
            str(r["invoice_id"]),
            str(r["client_name"] if pd.notna(r["client_name"]) else r["client_id"]),
            PROFILE_LABELS[str(r["profile"])],
            str(r["due_date"].date()),
            str(r["days_past_due"]),
            _money(cents_to_decimal(r["open_cents"])),
            str(r["currency"]),
            f"{r['risk']:.0%}",
            _money(cents_to_decimal(r["amount_at_risk_cents"])),
            step,
            following,
            _money(cents_to_decimal(r["penalties_cents"])),
            _money(cents_to_decimal(r["indemnity_cents"])),
            str(expected.date()) if pd.notna(expected) else "—",
        )
    console.print(table)
    if not built.with_payment_time:
        console.print(
            "No payment-time model: overdue invoices are ranked by their late probability "
            "and no payment date is expected; run `encours train`."
        )
    for path in (csv, excel):
        if path is not None:
            console.print(f"{len(frame):,} rows written to [bold]{path}[/]")


keys_app = typer.Typer(
    help="API keys of the HTTP API: one per person or program, each with a role.\n\n"
    "Roles are ordered: [bold]viewer[/] reads scores, KPIs, the balance âgée, forecasts, the "
    "models served and the metrics; [bold]collector[/] also works the relance worklist, "
    "dunning actions and lettrage; [bold]admin[/] also imports, reloads models and manages "
    "keys. Only /healthz and /readyz answer without a key.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    role: Annotated[
        str,
        typer.Option(
            help="viewer, collector or admin",
            metavar="[viewer|collector|admin]",
            show_default=False,
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option(help="who or what holds the key, to tell keys apart", show_default=False),
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            help="when the key stops working: days from now (90d) or a date (2026-03-31, "
            "from 00:00 UTC); never by default",
            show_default=False,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an API key and print its token, this once: only its SHA-256 is stored.

    Send it as [bold]Authorization: Bearer <token>[/] (or [bold]X-API-Key: <token>[/]).
    """
    import datetime as dt

    from ledger.storage import migrate
    from serving.api_keys import Role, create_key, parse_expiry

    if role not in {r.value for r in Role}:
        _fail(f"--role must be viewer, collector or admin, not {role!r}", 2)
    expires_at = None
    if expires is not None:
        try:
            expires_at = parse_expiry(expires, dt.datetime.now(dt.UTC))
        except ValueError as exc:
            _fail(f"--expires: {exc}", 2)
    engine = _engine()

    def create() -> Any:
        migrate(engine)
        return create_key(engine, role, name, expires_at)

    new = _with_database(create)
    if as_json:
        _print_json({**new.key.as_json(), "token": new.token})
        return
    label = f" ({new.key.name})" if new.key.name else ""
    until = f", until {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
    console.print(
        f"API key {new.key.id}{label} created, role [bold]{new.key.role}[/]{until}. Token:"
    )
    typer.echo(new.token)
    console.print("Keep it now: it is not stored and cannot be shown again.")


@keys_app.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """List the API keys, revoked ones included (never their tokens)."""
    from ledger.storage import migrate
    from serving.api_keys import list_keys

    engine = _engine()

    def read() -> Any:
        migrate(engine)
        return list_keys(engine)

    keys = _with_database(read)
    if as_json:
        _print_json([key.as_json() for key in keys])
        return
    if not keys:
        console.print("No API key yet: `encours keys create --role viewer`.")
        return
    table = Table(
        "id",
        "name",
        "role",
        "created (UTC)",
        "last used (UTC)",
        "expires (UTC)",
        "revoked (UTC)",
        title=f"{len(keys)} API keys",
    )

    def moment(value: Any) -> str:
        return f"{value:%Y-%m-%d %H:%M}" if value else "—"

    for key in keys:
        table.add_row(
            str(key.id),
            key.name or "—",
            key.role.value,
            moment(key.created_at),
            moment(key.last_used_at),
            moment(key.expires_at),
            moment(key.revoked_at),
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[int, typer.Argument(help="number of the key, as `keys list` shows it")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API key: every running server refuses it from the next request on."""
    from ledger.storage import migrate
    from serving.api_keys import UnknownApiKey, revoke_key

    engine = _engine()

    def revoke() -> Any:
        migrate(engine)
        return revoke_key(engine, key_id)

    try:
        key = _with_database(revoke)
    except UnknownApiKey as exc:
        _fail(str(exc))
    if as_json:
        _print_json(key.as_json())
        return
    assert key.revoked_at is not None
    console.print(
        f"API key {key.id} revoked (since {key.revoked_at.isoformat(timespec='seconds')})."
    )


@app.command()
def forecast(
    as_of: DateOption = None,
    horizon_weeks: Annotated[int, typer.Option(min=1, max=26, help="weeks forecast, 1 to 26")] = 13,
    granularity: Annotated[
        str, typer.Option(help="`day` or `week` (7-day periods from the day after --as-of)")
    ] = "week",
    currency: Annotated[str, typer.Option(help="currency forecast (never added up)")] = "EUR",
    run_backtest: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="replay 4-week forecasts made every 2 weeks over the last 6 months and show "
            "their weekly error (WAPE) beside two baselines",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Expected cash-in per day or week, with 80 % and 95 % bands, encours and DSO.

    From the payment-time champion: every invoice open at --as-of (default: today) paid
    on its distribution given it is still open, unbilled amounts on their due date; the
    bands come from those distributions (a client's invoices correlated, clients
    independent). With --backtest: WAPE of
    the model, of "pays on the due date" and of "the client's average delay".
    """
    from features.pipeline import FeatureBuilder
    from serving.forecast import backtest, forecast_cash, stale_ledger_warning
    from training.models import TIME_MODEL
    from training.tracking import load_champion, quiet_mlflow

    if granularity not in ("day", "week"):
        _fail(f"--granularity is `day` or `week`, not {granularity!r}")
    ledger = _loaded_ledger()
    with errors.status("loading the payment-time model", spinner="dots"), quiet_mlflow():
        time_model = load_champion(TIME_MODEL)
    if time_model is None:
        _fail("no payment-time model is registered yet: run `encours train` first")
    features = FeatureBuilder().fit(ledger)
    if run_backtest:
        with errors.status("replaying past forecasts", spinner="dots"):
            result = backtest(ledger, features, time_model, currency=currency)
        if as_json:
            weeks = result.weeks.assign(as_of=result.weeks["as_of"].astype(str))
            _print_json(
                {
                    "currency": currency,
                    "wape": result.wape,
                    "coverage80": result.coverage80,
                    "weeks": weeks.to_dict("records"),
                }
            )
            return
        table = Table(
            "prévision au",
            Column("semaine", justify="right"),
            Column("encaissé", justify="right"),
            Column("modèle", justify="right"),
            Column("bande 80 %", justify="right"),
            Column("à l'échéance", justify="right"),
            Column("retard moyen", justify="right"),
            title=f"Backtest des encaissements ({currency})",
        )
        for row in result.weeks.to_dict("records"):
            table.add_row(
                str(row["as_of"]),
                str(row["week"]),
                f"{row['actual_cents'] / 100:,.0f}",
                f"{row['model_cents'] / 100:,.0f}",
                f"{row['low80_cents'] / 100:,.0f} – {row['high80_cents'] / 100:,.0f}",
                f"{row['due_date_cents'] / 100:,.0f}",
                f"{row['client_delay_cents'] / 100:,.0f}",
            )
        console.print(table)
        wape = result.wape
        console.print(
            f"WAPE: modèle {_figure(wape['model'])}, à l'échéance {_figure(wape['due_date'])}, "
            f"retard moyen du client {_figure(wape['client_delay'])}; "
            f"semaines dans la bande 80 %: {_figure(result.coverage80 * 100, 0)} %"
        )
        return
    day = (as_of or dt.datetime.now()).date()
    with errors.status("forecasting", spinner="dots"):
        made = forecast_cash(
            ledger,
            features,
            time_model,
            day,
            horizon_weeks=horizon_weeks,
            granularity="day" if granularity == "day" else "week",
            currency=currency,
        )
    periods = made.periods
    warning = stale_ledger_warning(ledger, day)
    if as_json:
        _print_json(
            {
                "as_of": made.as_of.isoformat(),
                "currency": made.currency,
                "granularity": made.granularity,
                "encours": made.encours_cents / 100,
                "sales_12m": made.sales_12m_cents / 100,
                "open_invoices": made.n_invoices,
                "periods": made.period_records(),
                "warnings": [warning] if warning else [],
            }
        )
        return
    table = Table(
        "du",
        "au",
        Column("encaissement attendu", justify="right"),
        Column("bande 80 %", justify="right"),
        Column("bande 95 %", justify="right"),
        Column("encours projeté", justify="right"),
        Column("DSO", justify="right"),
        title=f"Prévision d'encaissements au {made.as_of} ({made.currency}), "
        f"{made.n_invoices} factures ouvertes",
    )
    for row in periods.to_dict("records"):
        table.add_row(
            str(row["period_start"]),
            str(row["period_end"]),
            f"{row['expected_cents'] / 100:,.2f}",
            f"{row['low80_cents'] / 100:,.0f} – {row['high80_cents'] / 100:,.0f}",
            f"{row['low95_cents'] / 100:,.0f} – {row['high95_cents'] / 100:,.0f}",
            f"{row['encours_cents'] / 100:,.2f}",
            _figure(row["dso"], 1),
        )
    console.print(table)
    if warning:
        errors.print(f"[yellow]Attention :[/] {warning}")
