"""Collection commands: risk, worklist and forecast.

What a credit manager works from each day: a client's risk, the relances to make, the
cash expected in. Each loads the champions, scores the live ledger and prints the result.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Column, Table

from encours.cli.database import service_context, write_scores
from encours.cli.options import DateOption, JsonFlag
from encours.cli.output import (
    console,
    errors,
    fail,
    figure,
    money,
    print_json,
    service_errors,
    words,
)

SCREEN_ROWS = 50


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
    from serving.services import client_risk
    from training.models import LATE_MODEL

    ctx = service_context(LATE_MODEL, status="loading the late-payment model")
    with service_errors():
        made = client_risk(ctx, client_id, (as_of or dt.datetime.now()).date())
    if as_json:
        print_json(made.as_json())
        return
    w, score = words(), made.score
    console.print(
        w(
            "Client [bold]{client}[/] at {day}: score [bold]{score}[/]/100, grade [bold]{grade}[/] "
            "({n} open invoices)",
            client=escape(client_id),
            day=w.date(made.as_of),
            score=w.number(score.score),
            grade=score.grade,
            n=w.number(made.open_invoices),
        )
    )
    table = Table(w("component"), w("value"), Column(w("points lost"), justify="right"))
    for r in score.reasons:
        table.add_row(w(r.description), figure(r.value, 2), w.number(r.points_lost, 1))
    console.print(table)


LimitOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        help=f"at most this many invoices; default {SCREEN_ROWS} on screen and in --json, "
        "every one in --csv and --excel files",
        show_default=False,
    ),
]
CurrencyFilter = Annotated[
    str | None, typer.Option(help="only invoices in this currency", show_default=False)
]
CsvOption = Annotated[
    Path | None,
    typer.Option("--csv", dir_okay=False, help="write the rows to this CSV file"),
]
ExcelOption = Annotated[
    Path | None,
    typer.Option("--excel", dir_okay=False, help="write the rows to this Excel (.xlsx) file"),
]
FilesFormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="conventions of the --csv and --excel files: en (',', 1234.5, ISO dates) or "
        "fr (';', 1234,50, dd/mm/yyyy, UTF-8 with BOM for Excel in French; French "
        "headers in --excel)",
    ),
]


def worklist(
    as_of: DateOption = None,
    limit: LimitOption = None,
    currency: CurrencyFilter = None,
    csv: CsvOption = None,
    excel: ExcelOption = None,
    file_format: FilesFormatOption = "en",
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
    from serving.services import worklist as build
    from training.models import LATE_MODEL, TIME_MODEL

    if file_format not in ("en", "fr"):
        fail(f"--format must be en or fr, not {file_format!r}", 2)
    ctx = service_context(LATE_MODEL, TIME_MODEL, status="loading the models", keep_scores=True)
    to_files = csv is not None or excel is not None
    with errors.status("building the worklist", spinner="dots"), service_errors():
        made = build(
            ctx,
            (as_of or dt.datetime.now()).date(),
            limit=limit if limit is not None or to_files else SCREEN_ROWS,
            currency=currency,
        )
    write_scores(ctx)
    frame = made.worklist.export_frame()
    _worklist_files(frame, csv, excel, file_format)
    shown = limit or SCREEN_ROWS
    if as_json:
        print_json(made.as_json(shown))
        return
    _print_worklist(made.worklist, made.as_of, shown)
    for path in (csv, excel):
        if path is not None:
            w = words()
            console.print(
                w("{n} rows written to [bold]{path}[/]", n=w.number(len(frame)), path=path)
            )


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


def _print_worklist(built: Any, day: dt.date, shown: int) -> None:
    """The first ``shown`` rows of the worklist as a table."""
    w = words()
    rows = built.rows.head(shown)
    right = {"days late", "open amount", "risk", "amount at risk", "penalties", "indemnity €"}
    headers = (
        "invoice", "client", "profile", "due date", "days late", "open amount", "cur.", "risk",
        "amount at risk", "recommended step", "next step", "penalties", "indemnity €",
        "expected payment",
    )  # fmt: skip
    table = Table(
        *(Column(w(h), justify="right" if h in right else "left") for h in headers),
        title=w(
            "Relances at {day}: {n} invoices of {total}, largest amount at risk first",
            day=w.date(day),
            n=w.number(len(rows)),
            total=w.number(built.n_candidates),
        ),
        title_justify="left",
    )
    for r in rows.to_dict("records"):
        table.add_row(*_worklist_row(r))
    console.print(table)
    if not built.with_payment_time:
        console.print(
            w(
                "No payment-time model: overdue invoices are ranked by their late probability "
                "and no payment date is expected; run `encours train`."
            )
        )


def _worklist_row(r: dict[str, Any]) -> list[str]:
    """The cells of one worklist row, in the columns of :func:`_print_worklist`."""
    import pandas as pd

    from ledger.money import cents_to_decimal

    w = words()
    step = w.action(str(r["recommended_step"])) if pd.notna(r["recommended_step"]) else "—"
    if pd.notna(r["promised_date"]):
        step = w("promise for {day}", day=w.date(r["promised_date"]))
    following = "—"
    if pd.notna(r["next_step"]):
        following = w(
            "{step} on {day}", step=w.action(str(r["next_step"])), day=w.date(r["next_step_date"])
        )
    return [
        str(r["invoice_id"]),
        str(r["client_name"] if pd.notna(r["client_name"]) else r["client_id"]),
        w.profile(str(r["profile"])),
        w.date(r["due_date"]),
        w.number(r["days_past_due"]),
        money(cents_to_decimal(r["open_cents"])),
        str(r["currency"]),
        w.percent(r["risk"]),
        money(cents_to_decimal(r["amount_at_risk_cents"])),
        step,
        following,
        money(cents_to_decimal(r["penalties_cents"])),
        money(cents_to_decimal(r["indemnity_cents"])),
        w.date(r["expected_payment_date"]),
    ]


HorizonOption = Annotated[int, typer.Option(min=1, max=26, help="weeks forecast, 1 to 26")]
GranularityOption = Annotated[
    str, typer.Option(help="`day` or `week` (7-day periods from the day after --as-of)")
]
ForecastCurrency = Annotated[str, typer.Option(help="currency forecast (never added up)")]
BacktestFlag = Annotated[
    bool,
    typer.Option(
        "--backtest",
        help="replay 4-week forecasts made every 2 weeks over the last 6 months and show "
        "their weekly error (WAPE) beside two baselines",
    ),
]


def forecast(
    as_of: DateOption = None,
    horizon_weeks: HorizonOption = 13,
    granularity: GranularityOption = "week",
    currency: ForecastCurrency = "EUR",
    run_backtest: BacktestFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Expected cash-in per day or week, with 80 % and 95 % bands, encours and DSO.

    From the payment-time champion: every invoice open at --as-of (default: today) paid
    on its distribution given it is still open, unbilled amounts on their due date; the
    bands come from those distributions (a client's invoices correlated, clients
    independent). With --backtest: WAPE of
    the model, of "pays on the due date" and of "the client's average delay".
    """
    from serving.services import forecast as cash_in
    from training.models import TIME_MODEL

    if granularity not in ("day", "week"):
        fail(f"--granularity is `day` or `week`, not {granularity!r}")
    ctx = service_context(TIME_MODEL, status="loading the payment-time model")
    if run_backtest:
        _backtest(ctx, currency, as_json)
        return
    with errors.status("forecasting", spinner="dots"), service_errors():
        made = cash_in(
            ctx,
            (as_of or dt.datetime.now()).date(),
            horizon_weeks=horizon_weeks,
            granularity="day" if granularity == "day" else "week",
            currency=currency,
        )
    if as_json:
        print_json(made.as_json())
        return
    _print_forecast(made.forecast)
    for warning in made.warnings:
        errors.print(f"[yellow]{words()('Warning:')}[/] {warning}")


def _print_forecast(made: Any) -> None:
    """One table row per period: expected cash-in, its bands, encours and DSO at its end."""
    w = words()
    table = Table(
        w("from"),
        w("to"),
        *(
            Column(w(h), justify="right")
            for h in ("expected cash-in", "80 % band", "95 % band", "projected encours", "DSO")
        ),
        title=w(
            "Cash-in forecast at {day} ({currency}), {n} open invoices",
            day=w.date(made.as_of),
            currency=made.currency,
            n=w.number(made.n_invoices),
        ),
    )
    for row in made.periods.to_dict("records"):
        table.add_row(
            w.date(row["period_start"]),
            w.date(row["period_end"]),
            w.money(row["expected_cents"] / 100),
            _band(row["low80_cents"], row["high80_cents"]),
            _band(row["low95_cents"], row["high95_cents"]),
            w.money(row["encours_cents"] / 100),
            figure(row["dso"], 1),
        )
    console.print(table)


def _band(low_cents: float, high_cents: float) -> str:
    """A band of amounts in whole currency units: ``1 200 – 3 400``."""
    w = words()
    return f"{w.number(low_cents / 100)} – {w.number(high_cents / 100)}"


def _backtest(ctx: Any, currency: str, as_json: bool) -> None:
    """``forecast --backtest``: past forecasts replayed, their WAPE beside two baselines."""
    from serving.services import forecast_backtest

    with errors.status("replaying past forecasts", spinner="dots"), service_errors():
        result = forecast_backtest(ctx, currency)
    if as_json:
        weeks = result.weeks.assign(as_of=result.weeks["as_of"].astype(str))
        print_json(
            {
                "currency": currency,
                "wape": result.wape,
                "coverage80": result.coverage80,
                "weeks": weeks.to_dict("records"),
            }
        )
        return
    w = words()
    table = Table(
        w("forecast at"),
        *(
            Column(w(h), justify="right")
            for h in ("week", "collected", "model", "80 % band", "on the due date", "mean delay")
        ),
        title=w("Backtest of the cash-in forecast ({currency})", currency=currency),
    )
    for row in result.weeks.to_dict("records"):
        table.add_row(
            w.date(row["as_of"]),
            str(row["week"]),
            *(w.number(row[c] / 100) for c in ("actual_cents", "model_cents")),
            _band(row["low80_cents"], row["high80_cents"]),
            *(w.number(row[c] / 100) for c in ("due_date_cents", "client_delay_cents")),
        )
    console.print(table)
    wape = result.wape
    console.print(
        w(
            "WAPE: model {model}, on the due date {due}, client's mean delay {delay}; "
            "weeks inside the 80 % band: {inside}",
            model=figure(wape["model"]),
            due=figure(wape["due_date"]),
            delay=figure(wape["client_delay"]),
            inside=w.percent(result.coverage80),
        )
    )
