"""Commands that act on collections: letters ready to send, the LME check, affacturage.

Each is a few lines over :mod:`serving.services`: the API's routes call the same uses.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

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
