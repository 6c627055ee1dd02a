"""Ledger commands: simulate, import, reconcile, export, kpis and lettrage.

What goes into the database and what comes out of it, figures and files; no model.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import typer
from rich.table import Column, Table

from encours.cli.database import open_engine, stored_ledger, with_database
from encours.cli.options import DateOption, JsonFlag, WaitOption
from encours.cli.output import console, errors, fail, money, number, print_json, words

ScenarioOption = Annotated[
    str | None,
    typer.Option(
        help="drift from a known date: sector-downturn, terms-change or new-client-wave",
        show_default=False,
    ),
]
ScenarioStartOption = Annotated[
    dt.datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="first day of the --scenario (YYYY-MM-DD); default: the first day of the "
        "fourth month before the end",
        show_default=False,
    ),
]


def simulate(
    out: Annotated[Path, typer.Option(help="folder to write the files to")] = Path("demo-data"),
    clients: Annotated[int, typer.Option(min=1, help="number of clients")] = 200,
    months: Annotated[int, typer.Option(min=1, max=240, help="months of history")] = 24,
    seed: Annotated[int, typer.Option(help="random seed: same seed, same ledger")] = 42,
    file_format: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
    scenario: ScenarioOption = None,
    scenario_start: ScenarioStartOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Write a realistic simulated ledger (clients, invoices, payments, relances...).

    The files follow the import format, so [bold]encours import OUT[/] loads them. The true
    probability of late payment of each invoice goes apart, to OUT/truth/, for evaluation.
    With --scenario, the ledger drifts from a known date, for `encours monitor` to notice:
    sector-downturn (construction clients pay late far more often, every invoice due from
    the start), terms-change (invoices issued from the start are due 60 days net),
    new-client-wave (40 % of the clients start in the two weeks after the start).
    """
    from rich.progress import Progress

    from simulator import SimulationConfig, write_simulation
    from simulator import simulate as run
    from simulator.scenarios import SCENARIOS

    if file_format not in ("csv", "parquet"):
        fail(f"--format must be csv or parquet, not {file_format!r}", 2)
    if scenario is not None and scenario not in SCENARIOS:
        fail(f"--scenario must be one of {', '.join(SCENARIOS)}, not {scenario!r}", 2)
    if scenario is None and scenario_start is not None:
        fail("--scenario-start needs a --scenario", 2)
    config = SimulationConfig(
        n_clients=clients,
        n_months=months,
        seed=seed,
        scenario=scenario,
        scenario_start=None if scenario_start is None else scenario_start.date(),
    )
    with Progress(console=errors, transient=True, disable=as_json) as progress:
        task = progress.add_task("simulating months", total=months)
        sim = run(config, progress=lambda done: progress.update(task, completed=done))
        paths = write_simulation(sim, out, file_format)  # type: ignore[arg-type]
    counts = {name: len(frame) for name, frame in sim.ledger.tables().items()}
    started = config.scenario_date
    if as_json:
        print_json(
            {
                "out": str(out),
                "end": sim.end.date().isoformat(),
                "rows": counts,
                "scenario": scenario,
                "scenario_start": None if started is None else started.isoformat(),
            }
        )
        return
    w = words()
    console.print(
        w("Simulated ledger up to {day} written to [bold]{out}[/]:", day=w.date(sim.end), out=out)
    )
    if started is not None:
        console.print(w("Scenario {name} from {day}.", name=scenario, day=w.date(started)))
    for path in paths:
        console.print(f"  {path}  ({w('{n} rows', n=w.number(counts.get(path.stem, 0)))})")


ImportDirectory = Annotated[
    Path | None,
    typer.Argument(
        exists=True,
        help="folder of CSV, Parquet or Excel files, or one .xlsx workbook with a sheet "
        "per table (optional with --fec)",
        show_default=False,
    ),
]
FecToImport = Annotated[
    Path | None,
    typer.Option(
        "--fec",
        exists=True,
        dir_okay=False,
        help="a FEC (fichier des écritures comptables) as your accounting software exports it",
        show_default=False,
    ),
]
TermsDaysOption = Annotated[
    int,
    typer.Option(
        min=0,
        help="with --fec: days from invoice to due date for clients without payment terms",
    ),
]
ExcludeClientOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-client",
        help="with --fec: a client account to leave out of the encours and the models "
        "(counter takings such as RECETTE CB); repeat for several",
        show_default=False,
    ),
]


def import_(
    directory: ImportDirectory = None,
    fec: FecToImport = None,
    terms_days: TermsDaysOption = 30,
    exclude_client: ExcludeClientOption = None,
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
        fail("say what to import: a folder of files, or --fec FILE", 2)
    engine = open_engine()

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
            report = with_database(run, wait, can_wait=True)
    except ImportRejected as rejected:
        _reject_import(rejected, as_json)
    if as_json:
        print_json(report.as_json())
        return
    _print_import(report)


def _reject_import(rejected: Any, as_json: bool) -> NoReturn:
    """Every bad row of a rejected import, as JSON or as a table; exit code 1."""
    if as_json:
        _print_problems_json(rejected)
    w = words()
    headers = (w(h) for h in ("file", "row", "column", "problem"))
    table = Table(*headers, title=str(rejected), title_justify="left")
    for p in rejected.problems:
        row = "" if p.row is None else str(p.row)
        table.add_row(p.file, row, p.field or "", p.explanation)
    errors.print(table)
    raise typer.Exit(1) from None


def _print_problems_json(rejected: Any) -> NoReturn:
    """``--json`` of rejected rows: the problems, one object each; exit code 1."""
    print_json({"rejected": True, "problems": [p.__dict__ for p in rejected.problems]})
    raise typer.Exit(1) from None


def _print_import(report: Any) -> None:
    """What the import read, its warnings, then the rows per table."""
    w = words()
    for warning in report.warnings:
        errors.print(f"[yellow]{w('warning:')}[/] {warning}")
    for line in report.detected:
        console.print(f"{w('read')} {line}", highlight=False, markup=False, soft_wrap=True)
    headers = (w(h) for h in ("table", "inserted", "updated", "unchanged"))
    table = Table(*headers, title=w("import done"))
    for name, c in report.summary.tables.items():
        table.add_row(name, *(w.number(n) for n in (c.inserted, c.updated, c.unchanged)))
    console.print(table)


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
        fail("; ".join(str(p) for p in rejected.problems))
    ledger = stored_ledger(open_engine())
    days = [as_of.date()] if as_of is not None else month_ends(book)
    results = [reconcile_books(book, ledger, d) for d in days]
    unexplained = any(r.unexplained_cents for r in results)
    if as_json:
        print_json({"reconciled": not unexplained, "dates": [r.as_json() for r in results]})
    else:
        _print_reconciliations(results)
    if unexplained:
        raise typer.Exit(1)


def _print_reconciliations(results: list[Any]) -> None:
    """One table row per date, then the clients left unexplained."""
    from ledger.money import cents_to_decimal

    w = words()
    table = Table(
        w("as of"),
        *(
            Column(w(c), justify="right")
            for c in ("books (411 413 416 − 4191)", "encours", "explained", "unexplained")
        ),
        title=w("encours beside the books"),
        title_justify="left",
    )
    for r in results:
        t = r.totals
        explained = t["encours_cents"] - t["books_cents"] - t["unexplained_cents"]
        table.add_row(
            w.date(r.as_of),
            *(money(cents_to_decimal(t[c])) for c in ("books_cents", "encours_cents")),
            money(cents_to_decimal(explained)),
            money(cents_to_decimal(r.unexplained_cents)),
        )
    console.print(table)
    for r in results:
        wrong = r.clients[r.clients["unexplained_cents"] != 0]
        for client_id, row in wrong.iterrows():
            amounts = {
                c: money(cents_to_decimal(int(row[f"{c}_cents"])))
                for c in ("books", "encours", "unexplained")
            }
            errors.print(
                f"[bold red]{w.date(r.as_of)}[/] {client_id}: "
                + w("books {books}, encours {encours}, unexplained {unexplained}", **amounts)
            )


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

    ledger = stored_ledger(open_engine())
    if ledger.invoices.empty:
        fail("the ledger has no invoices: run `encours import` first")
    try:
        with errors.status("writing the FEC", spinner="dots"):
            written = write_fec(ledger, fec)
    except LedgerError as exc:
        fail(str(exc))
    if as_json:
        print_json({"fec": str(fec), "lines": written.lines, "entries": written.entries})
        return
    w = words()
    console.print(
        w(
            "{entries} entries ({lines} lines) written to [bold]{fec}[/]",
            entries=w.number(written.entries),
            lines=w.number(written.lines),
            fec=fec,
        )
    )


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
    from ledger.kpis import DoubtfulDefinition

    day = (as_of or dt.datetime.now()).date()
    figures = _kpis_at(
        day,
        currency,
        cash=None if cash is None else Decimal(str(cash)),
        short_term_debt=None if short_term_debt is None else Decimal(str(short_term_debt)),
        doubtful=DoubtfulDefinition(doubtful_days, doubtful_disputed, doubtful_written_off),
        recovery_period_days=recovery_days,
    )
    if as_json:
        print_json(figures.as_json())
        return
    _print_kpis(figures, day, currency, recovery_days)


def aged_balance(
    as_of: DateOption = None,
    currency: Annotated[
        str | None,
        typer.Option(
            help="only this currency; default: each currency with an open document",
            show_default=False,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Balance âgée: the open invoices by days past due, per currency, with the payments
    and credit notes not yet matched (non affecté) beside.

    Figures at the --as-of date (default: today), from what the ledger knew on that day;
    the same as the balance âgée of `encours kpis` and of GET /v1/aged-balance.
    """
    day = (as_of or dt.datetime.now()).date()
    rows = _aged_balances_at(day, currency)
    if as_json:  # as GET /v1/aged-balance answers
        print_json({"as_of": day.isoformat(), "balances": rows})
        return
    _print_aged_balances(rows, day)


def _aged_balances_at(day: dt.date, currency: str | None) -> list[dict[str, Any]]:
    """The balance âgée rows of the stored ledger (``serving.services.aged_balances``),
    computed in the database when ENCOURS_KPIS_IN_DATABASE says so."""
    from encours.settings import get_settings
    from ledger.kpis_sql import aged_balance_in_database, computes_in_database
    from ledger.storage import migrate
    from serving.services import aged_balance_rows, aged_balances

    engine = open_engine()
    if not computes_in_database(engine, get_settings().kpis_in_database):
        return aged_balances(stored_ledger(engine), day, currency)

    def computed() -> list[dict[str, Any]]:
        migrate(engine)
        return aged_balance_rows(aged_balance_in_database(engine, day, currency))

    return with_database(computed)


def _print_aged_balances(rows: list[dict[str, Any]], day: dt.date) -> None:
    """One line per currency: its buckets, the total, the unapplied cash."""
    w = words()
    if not rows:
        console.print(w("No open invoice at {day}.", day=w.date(day)))
        return
    columns = [
        ("not_due", "not due"),
        ("d1_30", "1–30 days"),
        ("d31_60", "31–60 days"),
        ("d61_90", "61–90 days"),
        ("over_90", "over 90 days"),
        ("total", "total"),
        ("non_affecte", "unapplied cash"),
    ]
    table = Table(
        w("currency"),
        *(Column(w(label), justify="right") for _, label in columns),
        title=w("Aged balance at {day}", day=w.date(day)),
        title_justify="left",
    )
    for row in rows:
        table.add_row(row["currency"], *(money(row[key]) for key, _ in columns))
    console.print(table)


def _kpis_at(day: dt.date, currency: str, **options: Any) -> Any:
    """The KPIs of the stored ledger: computed in the database when ENCOURS_KPIS_IN_DATABASE
    says so (PostgreSQL by default), else over the ledger loaded into memory."""
    from encours.settings import get_settings
    from ledger.kpis_sql import computes_in_database, kpis_in_database
    from ledger.storage import migrate
    from serving.services import kpis as figures_at

    engine = open_engine()
    if not computes_in_database(engine, get_settings().kpis_in_database):
        return figures_at(stored_ledger(engine), day, currency, **options)

    def computed() -> Any:
        migrate(engine)
        return kpis_in_database(engine, day, currency=currency, **options)[0]

    return with_database(computed)


def _print_kpis(figures: Any, day: dt.date, currency: str, recovery_days: int) -> None:
    """The KPIs of one currency, then its balance âgée, in one table."""
    w = words()
    table = Table(
        w("KPI"),
        Column(currency, justify="right"),
        title=w("KPIs at {day}", day=w.date(day)),
        title_justify="left",
    )
    days, percent = f" {w('days')}", " %" if w.lang == "fr" else "%"
    rows = [
        ("encours client", money(figures.encours)),
        ("  overdue invoices", money(figures.echu)),
        ("  invoices not yet due", money(figures.non_echu)),
        ("  invoices to issue", money(figures.a_emettre)),
        ("  discounted bills not yet due", money(figures.effets_escomptes_non_echus)),
        ("  − advances and deposits", money(figures.avances)),
        ("  − unallocated (payments and credit notes not matched)", money(figures.non_affecte)),
        ("DSO (encours × 365 / 12 months' sales incl. VAT)", number(figures.dso, days)),
        ("count-back DSO", number(figures.dso_countback, days)),
        ("collection rate ({n} days)", number(figures.taux_recouvrement, percent)),
        ("doubtful receivables rate", number(figures.taux_creances_douteuses, percent)),
        ("mean encours per client", money(figures.encours_moyen_par_client)),
        ("quick ratio", number(figures.liquidite_immediate, "", 2)),
    ]
    for name, value in rows:
        table.add_row(w(name, n=recovery_days), value)
    aged = figures.aged_balance
    table.add_section()
    buckets: list[tuple[str, Decimal]] = [
        ("aged balance: not due", aged.not_due),
        ("  1–30 days", aged.d1_30),
        ("  31–60 days", aged.d31_60),
        ("  61–90 days", aged.d61_90),
        ("  > 90 days", aged.over_90),
        ("  unallocated", aged.non_affecte),
    ]
    for label, amount in buckets:
        table.add_row(w(label), money(amount))
    console.print(table)


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
    from ledger.storage import migrate
    from serving.services import lettrage as apply_lettrage

    engine = open_engine()
    try:
        with errors.status("lettrage", spinner="dots"):
            statement = read_statement(file, statement_format)

            def apply() -> Any:
                migrate(engine)
                return apply_lettrage(engine, statement.lines, threshold)

            run = with_database(apply, wait, can_wait=True)
    except ImportRejected as rejected:
        if as_json:
            _print_problems_json(rejected)
        fail("; ".join(str(p) for p in rejected.problems))
    if as_json:
        print_json({"statement": statement.as_json(), **run.as_json()})
        return
    errors.print(statement.summary(), markup=False)
    _print_lettrage(run)


def _print_lettrage(run: Any) -> None:
    """The proposals of a lettrage run, applied or to review, one row per statement line."""
    from ledger.money import cents_to_decimal

    w = words()
    title = w(
        "lettrage: {applied} applied, {review} to review, {skipped} of {lines} lines already done",
        applied=w.number(len(run.applied)),
        review=w.number(len(run.review)),
        skipped=w.number(run.skipped),
        lines=w.number(run.lines),
    )
    right = {"amount", "confidence"}
    headers = ("line", "invoice", "amount", "rule", "confidence", "status")
    table = Table(
        *(Column(w(h), justify="right" if h in right else "left") for h in headers),
        title=title,
        title_justify="left",
    )
    for r in run.proposals.itertuples(index=False):
        table.add_row(
            str(r.line_id),
            str(r.invoice_id or "—"),
            money(cents_to_decimal(int(str(r.amount_cents)))),
            str(r.rule),
            w.number(r.confidence, 2),
            w(str(r.status)),
        )
    console.print(table)
