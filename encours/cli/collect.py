"""Commands that act on collections: letters ready to send, the LME check, affacturage.

Each is a few lines over :mod:`serving.services`: the API's routes call the same uses.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from encours.cli.database import open_engine, service_context, with_database
from encours.cli.options import DateOption, JsonFlag
from encours.cli.output import console, errors, fail, print_json, service_errors, words

StepOption = Annotated[
    str,
    typer.Option(
        help="the relance step written: preventive_reminder, email, letter or formal_notice",
    ),
]
OutOption = Annotated[
    Path, typer.Option(file_okay=False, help="folder the letters are written to (created)")
]
ClientOption = Annotated[
    str | None,
    typer.Option(help="only this client (its id, or part of its name)", show_default=False),
]
SCREEN_ROWS = 50
RULE_WORDS_EN = {
    "public_30": "public buyer: 30 days",
    "agreed_60_or_45_eom": "agreed terms: 60 days or 45 days end of month",
    "default_30": "no agreed terms: 30 days",
}
"""The LME rules of :mod:`serving.lme` in words."""
NoRecordFlag = Annotated[
    bool,
    typer.Option("--no-record", help="write the letters without logging them as actions"),
]


def letters(
    step: StepOption,
    out: OutOption,
    as_of: DateOption = None,
    client: ClientOption = None,
    no_record: NoRecordFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Relance letters ready to send: one per client, in Markdown and PDF.

    Each lists the client's invoices for which the worklist recommends --step at --as-of
    (default today), with the late-payment penalties and the 40 € indemnité forfaitaire
    of each (Code de commerce L441-10). Templates in French: the packaged ones, or yours
    in the folder named by ENCOURS_LETTERS_DIR. Each letter is logged as an action on
    its invoices (unless --no-record), as POST /v1/letters does.
    """
    from ledger.audit import Writer
    from serving.letters import LETTER_STEPS, LetterTemplateError, letter_pdf
    from serving.services.letters import letters as build
    from training.models import LATE_MODEL, TIME_MODEL

    if step not in LETTER_STEPS:
        fail(f"--step must be one of {', '.join(LETTER_STEPS)}, not {step!r}", 2)
    ctx = service_context(LATE_MODEL, TIME_MODEL, status="loading the models")
    day = (as_of or dt.datetime.now()).date()
    with errors.status("writing the letters", spinner="dots"), service_errors():
        try:
            made = build(ctx, step, day, client=client)
        except LetterTemplateError as exc:
            fail(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    for letter in made.letters:
        (out / f"{letter.file_stem}.md").write_text(letter.markdown, encoding="utf-8")
        (out / f"{letter.file_stem}.pdf").write_bytes(letter_pdf(letter.markdown))
    if not no_record and made.letters:
        from serving.services.letters import record_letters

        writer = Writer(None, None, "CLI", "encours letters", dt.datetime.now(dt.UTC))
        engine = open_engine()
        recorded = with_database(lambda: record_letters(engine, made.letters, writer))
        made = type(made)(made.as_of, made.step, made.letters, recorded)
    if as_json:
        print_json(made.as_json())
        return
    w = words()
    console.print(
        w(
            "{n} letters ({step}) written to [bold]{out}[/], {actions} actions recorded",
            n=w.number(len(made.letters)),
            step=w.action(step),
            out=out,
            actions=w.number(made.recorded),
        )
    )


SinceOption = Annotated[
    dt.datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="check the invoices issued from this date (default a year before --as-of)",
        show_default=False,
    ),
]
EveryClientFlag = Annotated[
    bool, typer.Option("--all", help="list every client, not only those flagged")
]


def lme(
    as_of: DateOption = None,
    since: SinceOption = None,
    every_client: EveryClientFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """LME check: clients and invoices with payment terms beyond French law.

    Agreed terms at most 60 days from the invoice date or 45 days end of month (Code de
    commerce L441-10); 30 days when no term is agreed (the clients' payment_terms_days
    empty); 30 days for public buyers, who owe intérêts moratoires at the ECB rate + 8
    points. Clients whose agreed terms exceed their limit, and invoices issued from
    --since to --as-of (default today) whose due date is beyond the law. The same as
    GET /v1/lme.
    """
    from encours.cli.database import stored_ledger
    from encours.settings import get_settings
    from serving.services.lme import lme as check

    day = (as_of or dt.datetime.now()).date()
    start = since.date() if since else None
    report = check(stored_ledger(open_engine()), get_settings(), day, start)
    if as_json:
        print_json(report.as_json(every_client))
        return
    _print_lme(report, every_client)


def _print_lme(report: Any, every_client: bool) -> None:
    """The clients' table, then the invoices beyond the law."""
    import pandas as pd
    from rich.table import Column, Table

    w = words()
    clients = report.clients if every_client else report.clients[report.clients["flagged"]]
    table = Table(
        w("client"),
        w("rule"),
        *(Column(w(h), justify="right") for h in ("terms", "limit", "invoices beyond")),
        title=w(
            "LME at {day}: {n} clients flagged, invoices issued from {since}",
            day=w.date(report.as_of),
            n=w.number(int(report.clients["flagged"].sum())),
            since=w.date(report.since),
        ),
        title_justify="left",
    )
    for client_id, r in clients.iterrows():
        terms = "—" if pd.isna(r["terms_days"]) else str(int(r["terms_days"]))
        table.add_row(
            escape(str(client_id)),
            w(RULE_WORDS_EN[r["rule"]]),
            ("[red]" if r["terms_over_limit"] else "") + terms,
            str(r["limit_days"]),
            w.number(r["invoices_beyond"]),
        )
    console.print(table)
    rows = report.invoices.head(SCREEN_ROWS)
    invoices = Table(
        w("invoice"),
        w("client"),
        w("issued"),
        w("due"),
        Column(w("latest lawful"), justify="right"),
        Column(w("days beyond"), justify="right"),
        title=w("{n} invoices beyond the law", n=w.number(len(report.invoices))),
        title_justify="left",
    )
    for r in rows.to_dict("records"):
        invoices.add_row(
            escape(str(r["invoice_id"])),
            escape(str(r["client_id"])),
            w.date(r["issue_date"]),
            w.date(r["due_date"]),
            w.date(r["latest_due_date"]),
            w.number(r["days_beyond"]),
        )
    console.print(invoices)


NeedOption = Annotated[float, typer.Option("--need", min=0.01, help="cash needed, e.g. 300000")]
ByOption = Annotated[
    dt.datetime, typer.Option("--by", formats=["%Y-%m-%d"], help="date it is needed by")
]
ConfidenceOption = Annotated[
    float, typer.Option(min=0.5, max=0.999, help="probability of having it by then")
]
CommissionOption = Annotated[
    float, typer.Option("--commission", min=0, max=100, help="commission, % of each invoice")
]
FinancingOption = Annotated[
    float,
    typer.Option(
        "--financing-rate", min=0, max=100, help="financing, % a year on the amount advanced"
    ),
]
RetentionOption = Annotated[
    float, typer.Option(min=0, max=99.99, help="retenue de garantie, % held back")
]
EligibleOption = Annotated[
    list[str] | None,
    typer.Option("--eligible", help="a client the factor buys from (repeat it); default all"),
]


def affacturage(
    need: NeedOption,
    by: ByOption,
    commission: CommissionOption,
    financing_rate: FinancingOption,
    confidence: ConfidenceOption = 0.9,
    retention: RetentionOption = 10.0,
    eligible: EligibleOption = None,
    min_invoice: Annotated[float, typer.Option(min=0, help="smallest invoice bought")] = 0.0,
    include_overdue: Annotated[
        bool, typer.Option(help="the factor also buys overdue invoices")
    ] = False,
    as_of: DateOption = None,
    currency: Annotated[str, typer.Option(help="currency planned")] = "EUR",
    limit: Annotated[int, typer.Option(min=1, help="ranked invoices shown")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Affacturage: the cheapest open invoices to sell to a factor to meet a cash need.

    For --need by --by with --confidence (e.g. 300000 by the 15th at 0.9): each eligible
    invoice's cost of factoring (commission + financing to its expected payment) against
    the cost of waiting (what may not be in by then, from the payment-time champion), and
    the cheapest set that meets the need at that confidence, beside selling nothing and
    selling everything. The same as POST /v1/affacturage.
    """
    from decimal import Decimal

    from serving.affacturage import CashNeed, FactorOffer
    from serving.services.affacturage import NeedBeforeToday
    from serving.services.affacturage import affacturage as plan
    from training.models import TIME_MODEL

    offer = FactorOffer(
        Decimal(str(commission)),
        Decimal(str(financing_rate)),
        Decimal(str(retention)),
        tuple(eligible or ()),
        Decimal(str(min_invoice)),
        include_overdue,
    )
    cash_need = CashNeed(Decimal(str(need)), by.date(), confidence)
    ctx = service_context(TIME_MODEL, status="loading the payment-time model")
    with errors.status("planning", spinner="dots"), service_errors():
        try:
            made = plan(ctx, offer, cash_need, (as_of or dt.datetime.now()).date(), currency)
        except NeedBeforeToday as exc:
            fail(str(exc), 2)
    if as_json:
        print_json(made.as_json(limit))
        return
    _print_plan(made.plan, currency, limit)


def _print_plan(made: Any, currency: str, limit: int) -> None:
    """The ranked invoices, then the plan beside selling nothing and everything."""
    from rich.table import Column, Table

    w = words()
    table = Table(
        w("invoice"),
        w("client"),
        *(
            Column(w(h), justify="right")
            for h in ("open amount", "paid by then", "cost of factoring", "cost of waiting")
        ),
        w("chosen"),
        title=w(
            "Affacturage at {day}: {amount} {currency} needed by {by}, {confidence} sure",
            day=w.date(made.as_of),
            amount=w.money(made.need.amount),
            currency=currency,
            by=w.date(made.need.by),
            confidence=w.percent(made.need.confidence),
        ),
        title_justify="left",
    )
    for r in made.invoices.head(limit).to_dict("records"):
        table.add_row(
            escape(str(r["invoice_id"])),
            escape(str(r["client_id"])),
            w.money(r["open_cents"] / 100),
            w.percent(r["p_paid"]),
            w.money(r["cost_cents"] / 100),
            w.money(r["waiting_cents"] / 100),
            "✓" if r["chosen"] else "",
        )
    console.print(table)
    lines = (
        (w("plan"), made.cost_cents / 100, made.assured_cents / 100, made.covered),
        (w("sell nothing"), 0.0, made.nothing["assured"], made.nothing["covered"]),
        (w("sell everything"), *(made.everything[k] for k in ("cost", "assured", "covered"))),
    )
    for name, cost, assured, covered in lines:
        console.print(
            w(
                "{name}: cost {cost}, assured by then {assured} ({met})",
                name=name,
                cost=w.money(cost),
                assured=w.money(assured),
                met=w("need met") if covered else w("need not met"),
            )
        )
